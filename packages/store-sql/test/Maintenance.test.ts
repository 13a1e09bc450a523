import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, layer } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as SqlClient from "effect/sql/SqlClient"
import * as Logs from "../../../test-support/Logs.ts"
import { eventuallyEffect } from "../../../test-support/Wait.ts"
import { adminLayer, backendsOf, dropTables, pgUrl, rowsOf, runAdmin, uniqueApp, uniqueTable } from "./support.ts"

const tables: Array<string> = []
const table = (label: string) => {
  const name = uniqueTable(label)
  tables.push(name)
  return name
}
afterAll(() => runAdmin(dropTables(...tables)), 30_000)

const long = Duration.minutes(10)

// Inserts rows directly: `expired` rows lie in the past, the others an hour ahead.
const seed = (name: string, rows: ReadonlyArray<{ key: string; state: "in_flight" | "completed"; expired: boolean }>) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    for (const row of rows) {
      yield* sql.unsafe(
        `INSERT INTO ${name} (key, token, fingerprint, state, expires_at)
         VALUES ($1, gen_random_uuid(), 'f', $2, now() + ($3::integer * interval '1 hour'))`,
        [row.key, row.state, row.expired ? "-1" : "1"]
      )
    }
  })

const mixed = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: `k${String(i).padStart(4, "0")}`,
    state: i % 2 === 0 ? "in_flight" as const : "completed" as const,
    expired: i % 3 !== 0
  }))

layer(adminLayer, { timeout: Duration.seconds(90), excludeTestServices: true })("SqlStore maintenance", (it) => {
  it.effect("8 stores starting at once on a fresh table: all start, one table, one index, one winner per key", () =>
    Effect.gen(function*() {
      // Each store has its own pool (its own sessions), as separate processes would. Repeated on
      // several fresh tables, since a lost race only shows up some of the time.
      for (let round = 0; round < 5; round++) {
        const name = table(`boot${round}`)
        const stores = yield* Effect.all(
          Array.from({ length: 8 }, () =>
            Effect.map(
              Layer.build(SqlStore.layerPg({ url: pgUrl, table: name, cleanup: false, pool: { maxConnections: 2 } })),
              Context.get(IdempotencyStore.IdempotencyStore)
            )),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(stores.length, 8)
        const sql = yield* PgClient.PgClient
        const indexes = yield* sql<{ indexname: string }>`
          SELECT indexname FROM pg_indexes WHERE tablename = ${name} ORDER BY indexname`
        assert.deepStrictEqual(indexes.map((i) => i.indexname), [`${name}_expires_at_idx`, `${name}_pkey`])
        const results = yield* Effect.all(stores.map((store) => store.claim("same", "f", long)), {
          concurrency: "unbounded"
        })
        assert.strictEqual(results.filter((r) => r._tag === "Claimed").length, 1)
      }
    }).pipe(Effect.scoped))

  it.effect("deleteExpired removes exactly the expired rows, in batches, and reports how many", () =>
    Effect.gen(function*() {
      const name = table("sweep")
      const sql = yield* PgClient.PgClient
      yield* SqlStore.migrate({ table: name }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      const rows = mixed(50)
      yield* seed(name, rows)
      const expected = rows.filter((row) => !row.expired).map((row) => row.key)
      // 7 per batch: several full batches, then a short one ends the sweep.
      const deleted = yield* SqlStore.deleteExpired({ table: name, batchSize: 7 }).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )
      assert.strictEqual(deleted, rows.length - expected.length)
      const left = yield* rowsOf(name)
      assert.deepStrictEqual(left.map((row) => row.key), expected)
      assert.isTrue(left.every((row) => !row.expired))
      // Nothing left to delete.
      assert.strictEqual(
        yield* SqlStore.deleteExpired({ table: name }).pipe(Effect.provideService(SqlClient.SqlClient, sql)),
        0
      )
    }))

  it.effect("cleanup keeps live claims and completions the store still answers for", () =>
    Effect.gen(function*() {
      const name = table("keep")
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(
          Logs.capturing(SqlStore.layerPg({ url: pgUrl, table: name, cleanup: false }))
        )
        const store = Context.get(context, IdempotencyStore.IdempotencyStore)
        const live = yield* store.claim("live", "f", long)
        const done = yield* store.claim("done", "f-done", long)
        const lapsed = yield* store.claim("lapsed", "f", Duration.millis(1))
        if (done._tag !== "Claimed" || live._tag !== "Claimed" || lapsed._tag !== "Claimed") {
          return assert.fail("expected claims")
        }
        assert.isTrue(yield* store.complete("done", done.token, long))
        // The 1 ms lease runs out in PostgreSQL's time (`now()`): wait until the server sees it.
        yield* eventuallyEffect(
          Effect.map(rowsOf(name), (rows) => rows.some((row) => row.key === "lapsed" && row.expired)),
          2000,
          "the 1 ms claim never showed as expired"
        )
        const deleted = yield* SqlStore.deleteExpired({ table: name }).pipe(
          Effect.provideService(SqlClient.SqlClient, Context.get(context, SqlClient.SqlClient))
        )
        assert.strictEqual(deleted, 1)
        assert.strictEqual((yield* store.claim("live", "f", long))._tag, "InFlight")
        assert.deepStrictEqual(
          yield* store.claim("done", "f", long),
          IdempotencyStore.Completed({ fingerprint: "f-done" })
        )
        assert.isTrue(yield* store.complete("live", live.token, long))
      }))
      const left = yield* rowsOf(name)
      assert.deepStrictEqual(left.map((row) => [row.key, row.state]), [["done", "completed"], ["live", "completed"]])
    }))

  it.effect("the layer's background cleanup deletes expired rows on its interval, and stops with the layer", () =>
    Effect.gen(function*() {
      const name = table("background")
      const app = uniqueApp("background")
      const sql = yield* PgClient.PgClient
      yield* SqlStore.migrate({ table: name }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      const rows = mixed(30)
      const live = rows.filter((row) => !row.expired).map((row) => row.key)
      yield* seed(name, rows)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Logs.capturing(
          SqlStore.layerPg({
            url: pgUrl,
            table: name,
            cleanup: { interval: "100 millis", batchSize: 4 },
            pool: { applicationName: app }
          })
        ))
        // Wait (polling) until the fiber has swept; it must leave exactly the live rows.
        yield* rowsOf(name).pipe(
          Effect.flatMap((left) =>
            left.length === live.length ? Effect.succeed(left) : Effect.fail(`still ${left.length} rows` as const)
          ),
          Effect.retry({ schedule: Schedule.spaced(Duration.millis(50)), times: 200 })
        )
        assert.deepStrictEqual((yield* rowsOf(name)).map((row) => row.key), live)
      }))
      // The cleanup can only delete through the layer's pool. Once the layer is gone, so are all of
      // its sessions (a fiber still sweeping would keep one): new expired rows stay.
      yield* eventuallyEffect(
        Effect.map(backendsOf(app), (pids) => pids.length === 0),
        5000,
        "the layer's PostgreSQL sessions outlived its scope"
      )
      yield* seed(name, [{ key: "after", state: "completed", expired: true }])
      assert.include((yield* rowsOf(name)).map((row) => row.key), "after")
    }))
})
