import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { storeConformance } from "@hookline/core/testing/vitest"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import * as Statement from "effect/sql/Statement"
import * as net from "node:net"
import * as Logs from "../../../test-support/Logs.ts"
import {
  adminLayer,
  awaitLockWaiter,
  dropTables,
  holdInTransaction,
  pgUrl,
  pgUrlText,
  rowsOf,
  runAdmin,
  uniqueApp,
  uniqueTable
} from "./support.ts"

const long = Duration.minutes(10)
const conformanceTable = uniqueTable("conformance")
const tables: Array<string> = [conformanceTable]
const table = (label: string) => {
  const name = uniqueTable(label)
  tables.push(name)
  return name
}
afterAll(() => runAdmin(dropTables(...tables)), 30_000)

// Says plainly what is wrong when the server is missing (the suites below then fail too; the
// conformance suite reports its tests as skipped after its layer fails to build).
describe("PostgreSQL", () => {
  it("answers at HOOKLINE_PG_URL (start it with scripts/services.sh up)", async () => {
    const [row] = await runAdmin(Effect.flatMap(PgClient.PgClient, (sql) => sql<{ one: number }>`SELECT 1 AS one`))
    assert.strictEqual(row?.one, 1)
  })
})

// The suite every store runs, against the real PostgreSQL, with server time (`now()`).
storeConformance("SqlStore (PostgreSQL)", Logs.capturing(SqlStore.layerPg({ url: pgUrl, table: conformanceTable })), {
  time: "live"
})

// Builds a store layer inside the test and runs `f` with it (scoped: pool and fiber end with it).
// Only the store is handed to `f`: the admin client in the test's context stays the admin's.
const withStore = <A, E, R>(
  options: SqlStore.PgOptions,
  f: (store: IdempotencyStore.IdempotencyStore["Service"]) => Effect.Effect<A, E, R>
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(Logs.capturing(SqlStore.layerPg(options))),
      (context) => f(Context.get(context, IdempotencyStore.IdempotencyStore))
    )
  )

describe("SqlStore options", () => {
  it("migration renders the DDL for a table name, schema-qualified or not", () => {
    const ddl = Result.getOrThrow(SqlStore.migration())
    assert.include(ddl, "CREATE TABLE IF NOT EXISTS hookline_deliveries (")
    assert.include(
      ddl,
      "CREATE INDEX IF NOT EXISTS hookline_deliveries_expires_at_idx ON hookline_deliveries (expires_at);"
    )
    const qualified = Result.getOrThrow(SqlStore.migration({ table: "hooks.deliveries" }))
    assert.include(qualified, "CREATE TABLE IF NOT EXISTS hooks.deliveries (")
    assert.include(qualified, "deliveries_expires_at_idx ON hooks.deliveries (expires_at)")
  })

  it("table names that are not plain lower-case identifiers are refused", () => {
    for (
      const bad of [
        "",
        "Deliveries",
        "deliveries; DROP TABLE users",
        "a.b.c",
        "\"quoted\"",
        "1deliveries",
        "x".repeat(49),
        "deliveries--",
        "schema."
      ]
    ) {
      const result = SqlStore.migration({ table: bad })
      assert.isTrue(Result.isFailure(result), bad)
      if (Result.isFailure(result)) assert.strictEqual(result.failure._tag, "Misconfigured")
    }
    assert.isTrue(Result.isSuccess(SqlStore.migration({ table: "x".repeat(48) })))
  })

  it.live("an invalid table name or batch size fails the layer with Misconfigured before any query", () =>
    Effect.gen(function*() {
      const badTable = yield* Effect.flip(withStore({ url: pgUrl, table: "Bad Name" }, () => Effect.void))
      assert.strictEqual(badTable._tag, "Misconfigured")
      const badBatch = yield* Effect.flip(
        withStore({ url: pgUrl, table: table("batch"), cleanup: { batchSize: 0 } }, () => Effect.void)
      )
      assert.strictEqual(badBatch._tag, "Misconfigured")
      assert.include(badBatch.message, "batchSize")
    }))

  it.live("a malformed PostgreSQL url is Misconfigured at start (not an outage to retry), without quoting it", () =>
    Effect.gen(function*() {
      for (
        const [url, expected] of [
          ["postgres@127.0.0.1 secret-password", "is not a URL"],
          ["mysql://root:secret-password@127.0.0.1/test", "scheme is mysql:"]
        ] as const
      ) {
        const error = yield* Effect.flip(withStore({ url: Redacted.make(url), table: table("url") }, () => Effect.void))
        assert.strictEqual(error._tag, "Misconfigured", url)
        assert.include(error.message, expected)
        assert.notInclude(error.message, "secret-password")
      }
    }))

  it.live("a SqlClient of another dialect is refused at layer start with Misconfigured naming it", () =>
    Effect.gen(function*() {
      // A real Effect SQL client with the SQLite compiler. Its connection is never used: the
      // dialect check comes first, so no statement is ever compiled or sent.
      const sqlite = yield* SqlClient.make({
        acquirer: Effect.die("the store must not touch a connection of an unsupported dialect"),
        compiler: Statement.makeCompilerSqlite(),
        driver: "sqlite-node",
        spanAttributes: []
      }).pipe(Effect.provide(Reactivity.layer))
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(SqlStore.layer())).pipe(Effect.provideService(SqlClient.SqlClient, sqlite))
      )
      assert.strictEqual(error._tag, "Misconfigured")
      assert.include(error.message, "sqlite")
      assert.include(error.message, "PostgreSQL only")
      const migrate = yield* Effect.flip(SqlStore.migrate().pipe(Effect.provideService(SqlClient.SqlClient, sqlite)))
      assert.strictEqual(migrate._tag, "Misconfigured")
    }))
})

layer(adminLayer, { timeout: Duration.seconds(60), excludeTestServices: true })("SqlStore schema", (it) => {
  it.effect("createTable: false on a missing table fails with Misconfigured and creates nothing", () =>
    Effect.gen(function*() {
      const name = table("missing")
      const error = yield* Effect.flip(withStore({ url: pgUrl, table: name, createTable: false }, () => Effect.void))
      assert.strictEqual(error._tag, "Misconfigured")
      assert.include(error.message, name)
      const sql = yield* PgClient.PgClient
      const [found] = yield* sql<{ exists: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS exists`
      assert.isFalse(found!.exists)
    }))

  it.effect("the exported migration creates a table the store runs on with createTable: false", () =>
    Effect.gen(function*() {
      const name = table("migrated")
      const sql = yield* PgClient.PgClient
      const ddl = Result.getOrThrow(SqlStore.migration({ table: name }))
      for (const statement of ddl.split(";\n").map((s) => s.trim()).filter((s) => s !== "")) {
        yield* sql.unsafe(statement)
      }
      yield* withStore({ url: pgUrl, table: name, createTable: false }, (store) =>
        Effect.gen(function*() {
          const claimed = yield* store.claim("k", "f", long)
          assert.strictEqual(claimed._tag, "Claimed")
        }))
      const rows = yield* rowsOf(name)
      assert.deepStrictEqual(rows.map((row) => [row.key, row.state, row.fingerprint]), [["k", "in_flight", "f"]])
    }))

  it.effect("SqlStore.migrate creates the table on a SqlClient; running it again changes nothing", () =>
    Effect.gen(function*() {
      const name = table("migrate")
      const sql = yield* PgClient.PgClient
      const provide = Effect.provideService(SqlClient.SqlClient, sql)
      yield* provide(SqlStore.migrate({ table: name }))
      yield* provide(SqlStore.migrate({ table: name }))
      const indexes = yield* sql<{ indexname: string }>`
        SELECT indexname FROM pg_indexes WHERE tablename = ${name} ORDER BY indexname`
      assert.deepStrictEqual(indexes.map((i) => i.indexname), [`${name}_expires_at_idx`, `${name}_pkey`])
    }))

  it.effect("SqlStore.migrate runs as a migration of Effect's Migrator", () =>
    Effect.gen(function*() {
      const name = table("migrator")
      const migrations = table("migrations")
      const sql = yield* PgClient.PgClient
      const run = Migrator.make({})({
        loader: Migrator.fromRecord({ "1_hookline_deliveries": SqlStore.migrate({ table: name }) }),
        table: migrations
      }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      assert.deepStrictEqual(yield* run, [[1, "hookline_deliveries"]])
      assert.deepStrictEqual(yield* run, [])
      yield* withStore({ url: pgUrl, table: name, createTable: false }, (store) =>
        Effect.gen(function*() {
          assert.strictEqual((yield* store.claim("k", "f", long))._tag, "Claimed")
        }))
    }))

  it.effect("a table that exists without its index gets the index at start", () =>
    Effect.gen(function*() {
      const name = table("noindex")
      const sql = yield* PgClient.PgClient
      const [create] = Result.getOrThrow(SqlStore.migration({ table: name })).split(";\n")
      yield* sql.unsafe(create!)
      yield* withStore({ url: pgUrl, table: name }, () => Effect.void)
      const indexes = yield* sql<{ indexname: string }>`
        SELECT indexname FROM pg_indexes WHERE tablename = ${name} ORDER BY indexname`
      assert.deepStrictEqual(indexes.map((i) => i.indexname), [`${name}_expires_at_idx`, `${name}_pkey`])
    }))

  it.effect("a table without the expected columns is refused at start with Misconfigured", () =>
    Effect.gen(function*() {
      const name = table("wrongshape")
      const sql = yield* PgClient.PgClient
      yield* sql.unsafe(`CREATE TABLE ${name} (key text PRIMARY KEY, value text)`)
      const error = yield* Effect.flip(withStore({ url: pgUrl, table: name }, () => Effect.void))
      assert.strictEqual(error._tag, "Misconfigured")
      assert.include(error.message, name)
    }))

  it.effect("a row in a state the store does not know fails the claim with StoreUnavailable, never Claimed", () =>
    Effect.gen(function*() {
      // A table of the right columns made by the application's own migration, without our CHECK.
      const name = table("strangestate")
      const sql = yield* PgClient.PgClient
      yield* sql.unsafe(
        `CREATE TABLE ${name} (key text COLLATE "C" PRIMARY KEY, token uuid NOT NULL, fingerprint text NOT NULL, ` +
          `state text NOT NULL, expires_at timestamptz NOT NULL)`
      )
      yield* withStore({ url: pgUrl, table: name, createTable: false }, (store) =>
        Effect.gen(function*() {
          const claimed = yield* store.claim("k", "f", long)
          assert.strictEqual(claimed._tag, "Claimed")
          if (claimed._tag === "Claimed") assert.isTrue(yield* store.complete("k", claimed.token, long))
          yield* sql.unsafe(`UPDATE ${name} SET state = 'archived'`)
          const error = yield* Effect.flip(store.claim("k", "f", long))
          assert.strictEqual(error._tag, "StoreUnavailable")
          assert.include(error.message, "claim")
        }))
    }))

  it.effect("a schema-qualified table works", () =>
    Effect.gen(function*() {
      const schema = table("schema")
      const sql = yield* PgClient.PgClient
      yield* sql.unsafe(`CREATE SCHEMA ${schema}`)
      yield* withStore({ url: pgUrl, table: `${schema}.deliveries` }, (store) =>
        Effect.gen(function*() {
          assert.strictEqual((yield* store.claim("k", "f", long))._tag, "Claimed")
          assert.strictEqual((yield* store.claim("k", "f", long))._tag, "InFlight")
        }))
      const rows = yield* rowsOf(`${schema}.deliveries`)
      assert.strictEqual(rows.length, 1)
      yield* sql.unsafe(`DROP SCHEMA ${schema} CASCADE`)
    }))

  it.effect("a statement that waits past `timeout` is cancelled and fails with StoreUnavailable", () =>
    Effect.gen(function*() {
      const name = table("timeout")
      const app = uniqueApp("timeout")
      yield* withStore(
        { url: pgUrl, table: name, timeout: "300 millis", pool: { applicationName: app } },
        (store) =>
          Effect.gen(function*() {
            const first = yield* store.claim("locked", "f", long)
            assert.strictEqual(first._tag, "Claimed")
            // Another session holds the row: the next claim of the key waits for its lock.
            const error = yield* Effect.scoped(
              Effect.andThen(
                holdInTransaction(`SELECT 1 FROM ${name} WHERE key = 'locked' FOR UPDATE`),
                Effect.flip(store.claim("locked", "f", long))
              )
            )
            assert.strictEqual(error._tag, "StoreUnavailable")
            assert.include(error.message, "timed out after 300 ms")
            // The lock is gone; the store answers again.
            assert.strictEqual((yield* store.claim("locked", "f", long))._tag, "InFlight")
          })
      )
    }))
})

// Counts the protocol messages PostgreSQL receives: every statement is one Execute ('E') in the
// extended protocol or one Query ('Q') in the simple protocol — including BEGIN / COMMIT, which
// the client sends as statements too. The socket is a real connection to the server; the tap
// only reads what the driver writes.
interface WireLog {
  readonly executes: number
  readonly queries: number
  readonly parsed: ReadonlyArray<string>
}

const wireTap = () => {
  let executes = 0
  let queries = 0
  let parsed: Array<string> = []
  let startup = true
  let pending = Buffer.alloc(0)
  const read = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    for (;;) {
      if (startup) {
        // The startup packet (and an SSL request) has no type byte.
        if (pending.length < 4) return
        const length = pending.readInt32BE(0)
        if (pending.length < length) return
        const code = pending.readInt32BE(4)
        pending = pending.subarray(length)
        if (code !== 80877103) startup = false
        continue
      }
      if (pending.length < 5) return
      const type = String.fromCharCode(pending[0]!)
      const length = pending.readInt32BE(1)
      if (pending.length < 1 + length) return
      const body = pending.subarray(5, 1 + length)
      if (type === "E") executes++
      if (type === "Q") queries++
      if (type === "P") {
        // Parse: statement name (C string), then the query text (C string).
        const nameEnd = body.indexOf(0)
        const queryEnd = body.indexOf(0, nameEnd + 1)
        parsed.push(body.subarray(nameEnd + 1, queryEnd).toString("utf8"))
      }
      pending = pending.subarray(1 + length)
    }
  }
  const url = new URL(pgUrlText)
  const stream = () => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 5432), noDelay: true })
    const write = socket.write.bind(socket)
    socket.write = ((chunk: Buffer | string | Uint8Array, ...rest: Array<never>) => {
      read(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk))
      return write(chunk, ...rest)
    }) as typeof socket.write
    return socket
  }
  const take = (): WireLog => {
    const log = { executes, queries, parsed }
    executes = 0
    queries = 0
    parsed = []
    return log
  }
  return { stream, take }
}

describe("SqlStore statements", () => {
  it.live("each operation is exactly one statement on the wire, outside any transaction", () =>
    Effect.gen(function*() {
      const name = table("wire")
      const tap = wireTap()
      // One connection, no prepared-statement cache: every statement is sent with its text.
      const client = PgClient.layer({ url: pgUrl, stream: tap.stream, prepare: false, maxConnections: 1 })
      const context = yield* Layer.build(Layer.provideMerge(SqlStore.layer({ table: name, cleanup: false }), client))
      const store = yield* Effect.provideContext(IdempotencyStore.IdempotencyStore, context)
      tap.take() // start-up: bootstrap transaction and probe

      const expectOne = (log: WireLog, pattern: RegExp) => {
        assert.strictEqual(log.executes, 1, `one Execute, got ${log.executes}: ${log.parsed.join(" | ")}`)
        assert.strictEqual(log.queries, 0)
        assert.strictEqual(log.parsed.length, 1)
        assert.match(log.parsed[0]!, pattern)
      }

      const claimed = yield* store.claim("k", "f", long)
      if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
      expectOne(tap.take(), /^INSERT INTO \S+ AS d .*\sON CONFLICT \(key\) DO UPDATE SET\s.*\sRETURNING /s)
      assert.strictEqual((yield* store.claim("k", "f", long))._tag, "InFlight")
      expectOne(tap.take(), /^INSERT INTO .*\sON CONFLICT/s)
      assert.isTrue(yield* store.complete("k", claimed.token, long))
      expectOne(tap.take(), /^UPDATE \S+ AS d SET state = 'completed'.*\sWHERE d\.key = \$1 AND d\.token = \$2/s)
      assert.deepStrictEqual(yield* store.claim("k", "f", long), IdempotencyStore.Completed({ fingerprint: "f" }))
      expectOne(tap.take(), /^INSERT INTO .*\sON CONFLICT/s)

      const other = yield* store.claim("r", "f", long)
      if (other._tag !== "Claimed") return assert.fail("expected Claimed")
      tap.take()
      assert.isTrue(yield* store.release("r", other.token))
      expectOne(tap.take(), /^DELETE FROM \S+ AS d\s+WHERE d\.key = \$1 AND d\.token = \$2/s)

      // A token that was never issued (not even UUID-shaped) is refused without a round trip.
      assert.isFalse(yield* store.release("r", "not-a-token"))
      assert.deepStrictEqual(tap.take(), { executes: 0, queries: 0, parsed: [] })
    }).pipe(Effect.scoped))

  it.live("the claim statement returns the winner's row to every loser (no second read)", () =>
    Effect.gen(function*() {
      // Losers learn Completed(fingerprint) from the same statement: complete, then 200 concurrent
      // claims of the key on a 10-connection pool all see the completion.
      const name = table("returning")
      yield* withStore({ url: pgUrl, table: name }, (store) =>
        Effect.gen(function*() {
          const claimed = yield* store.claim("k", "fp-1", long)
          if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
          assert.isTrue(yield* store.complete("k", claimed.token, long))
          const results = yield* Effect.all(Array.from({ length: 200 }, () => store.claim("k", "fp-2", long)), {
            concurrency: "unbounded"
          })
          assert.isTrue(results.every((r) => r._tag === "Completed" && r.fingerprint === "fp-1"))
        }))
    }))

  it.live("errors never reveal the connection URL's credentials", () =>
    Effect.gen(function*() {
      const password = "s3cret-Pa55word"
      // Nothing listens on port 1: the pool cannot connect.
      const refused = yield* Effect.flip(
        withStore(
          { url: Redacted.make(`postgres://postgres:${password}@127.0.0.1:1/test`), table: table("refused") },
          () => Effect.void
        )
      )
      assert.strictEqual(refused._tag, "StoreUnavailable")
      assert.include(refused.message, "ConnectionError")
      // An unparsable URL (Node's URL error would carry the whole input, password included) is a
      // configuration error, reported at start without the URL.
      const invalid = yield* Effect.flip(
        withStore({
          url: Redacted.make(`postgres://postgres:${password}@127.0.0.1:notaport/test`),
          table: table("invalid")
        }, () => Effect.void)
      )
      assert.strictEqual(invalid._tag, "Misconfigured")
      assert.include(invalid.message, "not a URL")
      for (const error of [refused, invalid]) {
        const everything = JSON.stringify({ message: error.message, cause: error.cause, string: String(error) })
        assert.notInclude(everything, password)
      }
    }))

  it.live("a key that exists only in another session's uncommitted insert is not lost", () =>
    Effect.gen(function*() {
      // The claim waits for the other transaction; after its rollback the key is free and claimed.
      const name = table("uncommitted")
      const app = uniqueApp("uncommitted")
      yield* withStore({ url: pgUrl, table: name, pool: { applicationName: app } }, (store) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.scoped(
            Effect.gen(function*() {
              yield* holdInTransaction(
                `INSERT INTO ${name} (key, token, fingerprint, state, expires_at)
                 VALUES ('k', gen_random_uuid(), 'other', 'in_flight', now() + interval '1 hour')`
              )
              const fiber = yield* Effect.forkDetach(store.claim("k", "mine", long))
              yield* awaitLockWaiter(app)
              return fiber
            })
          )
          const result = yield* Fiber.join(fiber)
          assert.strictEqual(result._tag, "Claimed")
          const rows = yield* rowsOf(name)
          assert.deepStrictEqual(rows.map((row) => row.fingerprint), ["mine"])
        }))
    }).pipe(Effect.provide(adminLayer)))
})
