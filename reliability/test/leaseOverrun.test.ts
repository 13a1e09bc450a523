/**
 * Handlers that outlive their lease, reduced: a share of handler runs makes a slow external call that
 * ignores interruption and then writes the ledger (PostgreSQL, beside the store's table) — plainly,
 * fenced by the claim token as docs/concepts.md shows, or fenced and skipped when the key has a row.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ExactlyOnce from "../src/ExactlyOnce.ts"

const assertKept = (figures: ExactlyOnce.Figures) => {
  assert.strictEqual(figures.neverAcked, 0, "authentic deliveries never acknowledged")
  assert.strictEqual(figures.ackedNotInLedger, 0, "acknowledged without a handler run")
  assert.strictEqual(figures.shutdownFailures, 0, "servers that broke the shutdown bound")
}

describe("handlers that outlive their lease (postgres, the ledger beside the store's table)", () => {
  const overrun = (write: ExactlyOnce.Write) =>
    ExactlyOnce.runScenario({
      store: "postgres",
      fault: "lease-overrun",
      write,
      leaseMs: 1000,
      overrunRate: 0.1,
      deliveries: 300,
      servers: 2,
      concurrency: 32,
      drainMs: 20_000
    })

  it(
    "a plain write after a slow external call lands after the retry completed the key (the hazard is real)",
    async () => {
      const figures = await overrun("plain")
      assert.isAbove(figures.overruns ?? 0, 0)
      assert.isAbove(figures.handledTwice, 0, "keys written twice without a fence")
      assert.isAbove(figures.handledAfterAck, 0, "writes after the key's completion without a fence")
      assertKept(figures)
    },
    60_000
  )

  it("fenced by the claim token: a late write is refused, never lands after the key's completion", async () => {
    const figures = await overrun("token")
    assert.isAbove(figures.fencedRefused ?? 0, 0, "writes the fence refused")
    assert.strictEqual(figures.handledAfterAck, 0, "writes after the key's completion")
    // What the fence does not cover: a write it let through, then the run cut at its deadline (its
    // completion not recorded). Every key written twice is one of those.
    assert.strictEqual(figures.handledTwice, figures.handledTwiceAfterCut, "keys written twice without a cut")
    assertKept(figures)
  }, 60_000)

  it("fenced and skipped when the key has a row: no key written twice", async () => {
    const figures = await overrun("token+key")
    assert.isAbove(figures.overruns ?? 0, 0)
    assert.strictEqual(figures.handledTwice, 0, "keys written twice")
    assert.strictEqual(figures.handledAfterAck, 0)
    assertKept(figures)
  }, 60_000)
})
