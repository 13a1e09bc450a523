/**
 * Transactional handlers (issue #21), reduced: separate server processes on PostgreSQL whose handler
 * writes its side effect (the ledger row) in the transaction that records its completion, *before*
 * its work and any injected failure — so every fault lands between the side effect and the
 * completion. No side effect may be applied twice, whatever the fault.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ExactlyOnce from "../src/ExactlyOnce.ts"

const reduced = { deliveries: 400, servers: 2, concurrency: 32, drainMs: 20_000 } as const
const run = (fault: ExactlyOnce.Fault, extra?: Partial<ExactlyOnce.ScenarioOptions>) =>
  ExactlyOnce.runScenario({ store: "postgres-transactional", fault, ...reduced, ...extra })

const assertExactlyOnce = (figures: ExactlyOnce.Figures) => {
  assert.strictEqual(figures.handledTwice, 0, "side effects applied twice")
  assert.strictEqual(figures.neverAcked, 0, "authentic deliveries never acknowledged")
  assert.strictEqual(figures.ackedNotInLedger, 0, "acknowledged without a committed side effect")
  assert.strictEqual(figures.shutdownFailures, 0, "servers that broke the shutdown bound")
}

describe("transactional handlers across processes (PostgreSQL)", () => {
  it("handlers failing 10% of the time after their write: every side effect applied once", async () => {
    const figures = await run("handler-fail")
    assert.isAbove(figures.retried, 0, "failed runs were retried")
    assertExactlyOnce(figures)
  }, 90_000)

  it("a server SIGKILLed mid-handler, after its write: every side effect applied once", async () => {
    // Handlers work 20 ms after their write, so the kills land inside open transactions.
    const figures = await run("sigkill")
    assert.isAbove(figures.injected, 0)
    assertExactlyOnce(figures)
  }, 90_000)

  it(
    "the store's backends (the handlers' transactions among them) terminated: every side effect applied once",
    async () => {
      const figures = await run("pg-terminate")
      assert.isAbove(figures.injected, 0)
      assertExactlyOnce(figures)
    },
    90_000
  )

  it("runs that outlive their lease after writing cannot commit: every side effect applied once", async () => {
    const figures = await run("lease-overrun", { deliveries: 300, overrunRate: 0.1 })
    assert.isAbove(figures.overruns ?? 0, 0, "slow calls were made")
    assertExactlyOnce(figures)
  }, 90_000)
})
