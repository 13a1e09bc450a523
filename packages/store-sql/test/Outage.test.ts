import { afterAll, afterEach, assert, describe, it, layer } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"
import { eventually } from "../../../test-support/Wait.ts"
import {
  adminLayer,
  awaitLockWaiter,
  backendsOf,
  dropTables,
  holdInTransaction,
  pgUrl,
  rowsOf,
  runAdmin,
  terminateBackends,
  uniqueApp,
  uniqueTable
} from "./support.ts"

const tables: Array<string> = []
const table = (label: string) => {
  const name = uniqueTable(label)
  tables.push(name)
  return name
}
afterAll(() => runAdmin(dropTables(...tables)), 30_000)

const long = Duration.minutes(10)

layer(adminLayer, { timeout: Duration.seconds(60), excludeTestServices: true })(
  "SqlStore when PostgreSQL drops the connection",
  (it) => {
    it.effect("a backend terminated mid-claim fails the claim with StoreUnavailable; the store then recovers", () =>
      Effect.gen(function*() {
        const name = table("killed")
        const app = uniqueApp("killed")
        const context = yield* Layer.build(Logs.capturing(
          SqlStore.layerPg({
            url: pgUrl,
            table: name,
            cleanup: false,
            pool: { applicationName: app, maxConnections: 2 }
          })
        ))
        const store = Context.get(context, IdempotencyStore.IdempotencyStore)
        const first = yield* store.claim("k", "f", long)
        if (first._tag !== "Claimed") return assert.fail("expected Claimed")

        // Hold the key's row in another session, so the next claim is in the middle of its
        // statement (waiting for the row lock) when its backend is terminated.
        const claim = yield* Effect.scoped(Effect.gen(function*() {
          yield* holdInTransaction(`SELECT 1 FROM ${name} WHERE key = 'k' FOR UPDATE`)
          const fiber = yield* Effect.forkDetach(store.claim("k", "f", long))
          yield* awaitLockWaiter(app)
          assert.isAtLeast(yield* terminateBackends(app), 1)
          return yield* Fiber.await(fiber)
        }))
        assert.isTrue(Exit.isFailure(claim))
        if (Exit.isFailure(claim)) {
          const error = claim.cause.reasons.find((reason) => reason._tag === "Fail")
          assert.isDefined(error, "a typed failure, not a defect")
          if (error?._tag === "Fail") {
            assert.strictEqual(error.error._tag, "StoreUnavailable")
            assert.match(error.error.message, /^SqlStore claim failed: /)
          }
        }

        // Recovery: the pool replaces the dead connection; the row is unchanged and still held.
        assert.strictEqual((yield* store.claim("k", "f", long))._tag, "InFlight")
        assert.isTrue(yield* store.complete("k", first.token, long))
        assert.strictEqual((yield* store.claim("fresh", "f", long))._tag, "Claimed")
        assert.isAtLeast((yield* backendsOf(app)).length, 1)
      }).pipe(Effect.scoped))

    it.effect("idle connections terminated between operations: operations fail only with StoreUnavailable and recover", () =>
      Effect.gen(function*() {
        const name = table("idle")
        const app = uniqueApp("idle")
        const context = yield* Layer.build(Logs.capturing(
          SqlStore.layerPg({
            url: pgUrl,
            table: name,
            cleanup: false,
            pool: { applicationName: app, maxConnections: 3 }
          })
        ))
        const store = Context.get(context, IdempotencyStore.IdempotencyStore)
        // Open several pooled connections, then kill them all while idle.
        yield* Effect.all(Array.from({ length: 6 }, (_, i) => store.claim(`warm-${i}`, "f", long)), {
          concurrency: "unbounded"
        })
        assert.isAtLeast(yield* terminateBackends(app), 1)
        // Each operation either succeeds or fails with StoreUnavailable (never a defect, never a
        // wrong answer); within a few attempts the pool has replaced its connections.
        const outcomes: Array<string> = []
        let recovered = false
        for (let attempt = 0; attempt < 5 && !recovered; attempt++) {
          const exit = yield* Effect.exit(store.claim(`after-${attempt}`, "f", long))
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value._tag, "Claimed")
            outcomes.push("Claimed")
            recovered = true
          } else {
            const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
            assert.isDefined(error, "a typed failure, not a defect")
            if (error?._tag === "Fail") outcomes.push(error.error._tag)
          }
        }
        assert.isTrue(recovered, `recovered: ${outcomes.join(", ")}`)
        assert.isTrue(outcomes.every((o) => o === "Claimed" || o === "StoreUnavailable"))
        assert.strictEqual((yield* store.claim("warm-0", "f", long))._tag, "InFlight")
      }).pipe(Effect.scoped))
  }
)

describe("a real handler over HTTP when PostgreSQL drops the connection", () => {
  const servers: Array<TestServer> = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })

  it("answers 503 StoreUnavailable (never 200) while the store is cut off, then processes the retry once", async () => {
    const name = table("http")
    const app = uniqueApp("http")
    const secret = Redacted.make("store-sql-outage-secret")
    let runs = 0
    const handler = defineHandler(
      Hmac.provider({ secret }),
      (event) => Effect.sync(() => void (event.id === "order-1" && runs++))
    )
    const server = await listen(
      handler,
      Logs.capturing(SqlStore.layerPg({ url: pgUrl, table: name, cleanup: false, pool: { applicationName: app } }))
    )
    servers.push(server)
    // A first delivery builds the runtime (and the table).
    const warm = await server.send(Hmac.testing.sign({ secret }, { body: `{"warm":true}`, id: "warm" }))
    assert.strictEqual(warm.status, 200)

    const raw = Hmac.testing.sign({ secret }, { body: `{"order":"1689644928115784"}`, id: "order-1" })
    // Another session has inserted the same key without committing: the store's claim waits on it,
    // and its backend is terminated while it waits.
    const response = await runAdmin(Effect.scoped(Effect.gen(function*() {
      yield* holdInTransaction(
        `INSERT INTO ${name} (key, token, fingerprint, state, expires_at)
         VALUES ('hmac:order-1', gen_random_uuid(), 'x', 'in_flight', now() + interval '1 hour')`
      )
      const pending = server.send(raw)
      yield* awaitLockWaiter(app)
      yield* terminateBackends(app)
      return yield* Effect.promise(() => pending)
    })))
    assert.strictEqual(response.status, 503)
    assert.deepStrictEqual(JSON.parse(response.body), { outcome: "Failed", reason: "StoreUnavailable" })
    assert.strictEqual(runs, 0)

    // The other session rolled back; the platform's retry is processed once, then a duplicate.
    const retry = await server.send(raw)
    assert.strictEqual(retry.status, 200)
    assert.deepStrictEqual(JSON.parse(retry.body), { outcome: "Processed" })
    const again = await server.send(raw)
    assert.deepStrictEqual([again.status, JSON.parse(again.body)], [200, { outcome: "Duplicate" }])
    assert.strictEqual(runs, 1)
    const rows = await runAdmin(rowsOf(name))
    assert.deepStrictEqual(rows.map((row) => [row.key, row.state]), [["hmac:order-1", "completed"], [
      "hmac:warm",
      "completed"
    ]])
  })

  it("answers 503 when PostgreSQL cannot be reached at all, never 200, and the handler never runs", async () => {
    const secret = Redacted.make("store-sql-unreachable-secret")
    let runs = 0
    const handler = defineHandler(Hmac.provider({ secret }), () => Effect.sync(() => void runs++))
    const server = await listen(
      handler,
      Logs.capturing(
        SqlStore.layerPg({ url: Redacted.make("postgres://postgres@127.0.0.1:1/test"), table: table("unreachable") })
      )
    )
    servers.push(server)
    // The layer cannot be built, so no user logger exists: core logs through Effect's default one.
    const stderr = Logs.captureConsole()
    const response = await server.send(Hmac.testing.sign({ secret }, { body: `{"a":1}` }))
    assert.strictEqual(response.status, 503)
    assert.strictEqual(JSON.parse(response.body).outcome, "Failed")
    assert.strictEqual(runs, 0)
    await eventually(
      () => stderr.lines.some((line) => line.includes("the runtime is not available")),
      2000,
      "the unreachable store was not reported on stderr"
    )
  })
})
