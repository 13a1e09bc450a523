/**
 * The exactly-once run, reduced: separate server processes sharing a real Redis (a private
 * redis-server) or PostgreSQL, concurrent duplicates, retries until acknowledged, faults injected
 * (graceful SIGTERM included).
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

const reduced = { deliveries: 400, servers: 2, concurrency: 32, drainMs: 20_000 } as const
const run = (store: ExactlyOnce.StoreKind, fault: ExactlyOnce.Fault) =>
  ExactlyOnce.runScenario({ store, fault, redis, ...reduced })

/** What must hold in every scenario: nothing lost, nothing acked early, every stop within its bound. */
const assertKept = (figures: ExactlyOnce.Figures) => {
  assert.strictEqual(figures.neverAcked, 0, "authentic deliveries never acknowledged")
  assert.strictEqual(figures.ackedNotInLedger, 0, "acknowledged without a handler run")
  assert.strictEqual(figures.shutdownFailures, 0, "servers that broke the shutdown bound")
  assert.isAbove(figures.gracefulStops ?? 0, 0)
}

describe("exactly once across processes", () => {
  it("redis, handlers failing 10% of the time: every key handled once, every delivery acknowledged", async () => {
    const figures = await run("redis", "handler-fail")
    assertKept(figures)
    // A run cut at its 2 s deadline (on a loaded machine) is the lease's business, not the fault's.
    assert.strictEqual(figures.handledTwice - (figures.handledTwiceAfterCut ?? 0), 0, "keys handled twice")
    // The faults happened: failed handlers were retried.
    assert.isAbove(figures.retried, 0)
  }, 60_000)

  it("postgres, store backends terminated: nothing lost, no completed key handled again", async () => {
    const figures = await run("postgres", "pg-terminate")
    assert.isAbove(figures.injected, 0)
    assertKept(figures)
    assert.strictEqual(figures.handledAfterAck, 0)
  }, 60_000)

  it("redis, a server SIGKILLed mid-run: nothing lost, no completed key handled again", async () => {
    const figures = await run("redis", "sigkill")
    assert.isAbove(figures.injected, 0)
    assertKept(figures)
    assert.strictEqual(figures.handledAfterAck, 0)
  }, 60_000)

  it(
    "postgres, a server stopped with SIGTERM mid-run: handlers finishing during the stop record their completions, no key handled twice",
    async () => {
      // A fifth of the handlers run past the time budget, so every stop finds background handlers.
      const figures = await ExactlyOnce.runScenario({
        store: "postgres",
        fault: "sigterm",
        redis,
        slowRate: 0.2,
        // The full run's 10 s lease: a stop must not depend on a lease running out.
        leaseMs: 10_000,
        ...reduced
      })
      assert.isAbove(figures.injected, 0)
      const stops = figures.stops
      assert.isDefined(stops)
      assert.isAbove(stops!.pastBudgetAtStop, 0, "handlers in the background when SIGTERM arrived")
      assert.isAbove(stops!.finishedDuringStop, 0, "handlers that finished during a stop")
      assert.isAtMost(stops!.longestMs, ExactlyOnce.shutdownBoundMs)
      assert.strictEqual(stops!.interrupted, 0, "handlers interrupted by a stop")
      assertKept(figures)
      assert.strictEqual(
        figures.handledTwice - (figures.handledTwiceAfterCut ?? 0),
        0,
        "keys handled twice across graceful stops"
      )
    },
    90_000
  )
})
