/**
 * The exactly-once run, reduced: separate server processes sharing a real Redis (a private
 * redis-server) or PostgreSQL, concurrent duplicates, retries until acknowledged, faults injected.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as RedisServer from "../../test-support/RedisServer.ts"
import * as ExactlyOnce from "../src/ExactlyOnce.ts"

let redis: RedisServer.RedisServer
beforeAll(async () => {
  redis = await RedisServer.start({ appendOnly: true })
})
afterAll(async () => {
  await redis?.stop()
})

const run = (store: ExactlyOnce.StoreKind, fault: ExactlyOnce.Fault) =>
  ExactlyOnce.runScenario({ store, fault, deliveries: 400, servers: 2, concurrency: 32, redis, drainMs: 20_000 })

describe("exactly once across processes", () => {
  it("redis, handlers failing 10% of the time: every key handled once, every delivery acknowledged", async () => {
    const figures = await run("redis", "handler-fail")
    assert.strictEqual(figures.neverAcked, 0)
    assert.strictEqual(figures.ackedNotInLedger, 0)
    assert.strictEqual(figures.handledTwice, 0)
    // The faults happened: failed handlers were retried.
    assert.isAbove(figures.retried, 0)
  }, 60_000)

  it("postgres, store backends terminated: nothing lost, no completed key handled again", async () => {
    const figures = await run("postgres", "pg-terminate")
    assert.isAbove(figures.injected, 0)
    assert.strictEqual(figures.neverAcked, 0)
    assert.strictEqual(figures.ackedNotInLedger, 0)
    assert.strictEqual(figures.handledAfterAck, 0)
  }, 60_000)

  it("redis, a server SIGKILLed mid-run: nothing lost, no completed key handled again", async () => {
    const figures = await run("redis", "sigkill")
    assert.isAbove(figures.injected, 0)
    assert.strictEqual(figures.neverAcked, 0)
    assert.strictEqual(figures.ackedNotInLedger, 0)
    assert.strictEqual(figures.handledAfterAck, 0)
  }, 60_000)
})
