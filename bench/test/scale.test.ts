/**
 * `npm run scale`, reduced: a `cluster` of 2 receiver workers on one port, a few hundred signed
 * deliveries (a fifth of them sent twice at once) on a private Redis and on PostgreSQL — every key
 * handled once, every delivery acknowledged, and both workers handled some. Real services: a missing
 * redis-server or PostgreSQL fails these tests.
 */
import { assert, describe, it } from "@effect/vitest"
import { runScale, type ScaleRow, type StoreKind } from "../src/scaleRun.ts"

const run = (store: StoreKind) =>
  runScale({ store, processes: 2, warmup: { deliveries: 50 }, measure: { deliveries: 300 }, concurrency: 16 })

const assertShared = (row: ScaleRow) => {
  assert.strictEqual(row.deliveries, 300)
  assert.strictEqual(row.acknowledged, 300)
  assert.strictEqual(row.handledTwice, 0, "keys handled twice")
  assert.strictEqual(row.neverAcknowledged, 0, "deliveries never acknowledged")
  assert.strictEqual(row.acknowledgedNotInLedger, 0, "acknowledged without a ledger row")
  assert.strictEqual(row.perWorker.length, 2, `ledger rows per worker: ${row.perWorker.join(" / ")}`)
  assert.strictEqual(row.perWorker.reduce((sum, rows) => sum + rows, 0), 350, "one ledger row per delivery")
  assert.isAbove(row.perSecond, 0)
  assert.isAbove(row.cost.storeServerUs, 0, "the store server's CPU was sampled")
  assert.isAbove(row.cost.receiverUs, 0, "the receivers' CPU was sampled")
}

describe("scale: 2 cluster workers on one port, one store", () => {
  it("redis: every key handled once, by both workers", async () => {
    const row = await run("redis")
    assertShared(row)
    // Each delivery is claimed by one SET NX GET and completed by one EVALSHA; duplicates claim
    // once more. The script's own GET and SET count on their own lines too.
    const command = (name: string) => row.cost.redisCommands?.find((stat) => stat.command === name)
    assert.isAtLeast(command("evalsha")?.callsPerDelivery ?? 0, 1)
    assert.isAtLeast(command("set")?.callsPerDelivery ?? 0, 2, "a claim's SET and the completion's")
    assert.isAbove(row.cost.storeCommandUs ?? 0, 0)
  }, 60_000)

  it("postgres: every key handled once, by both workers", async () => {
    const row = await run("postgres")
    assertShared(row)
    assert.isAbove(row.cost.storeBackends ?? 0, 0, "store backends found by application_name")
  }, 60_000)
})
