/**
 * The hostile-input suite, reduced: the whole corpus, issue #15's cases (GoldenPay's empty fields
 * and separators, the automatic route, repeated id headers, forged log lines) and a few hundred
 * fast-check mutations through a real node:http server (raw sockets) and through toWebHandler; a
 * slow-loris body that never finishes. Every "must be 0" figure is asserted.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Hostile from "../src/Hostile.ts"
import * as HostileRun from "../src/HostileRun.ts"

const assertClean = (harness: Hostile.Harness) => {
  const figures = harness.figures
  assert.deepStrictEqual(figures.violations, [])
  assert.strictEqual(figures.unverifiedRuns, 0)
  assert.strictEqual(figures.serverErrors, 0)
  assert.strictEqual(figures.crashes, 0)
  assert.strictEqual(figures.secretLeaks, 0)
  assert.strictEqual(figures.logInjections, 0, "log messages quoting request text before verification")
  assert.strictEqual(figures.unescapedAnnotations, 0)
  assert.isAbove(figures.logLines, 100)
  // Positive controls: the cases were sent and answered in the expected families.
  assert.isAbove(figures.requests, 500)
  for (const status of ["200", "400", "401", "413"]) assert.isAbove(figures.statuses[status] ?? 0, 0, status)
}

const assertPromises = (harness: Hostile.Harness) => {
  const p = harness.figures.promises
  assert.isAbove(p.emptyFieldVariants, 0)
  assert.isAbove(p.ambiguousSent, 0)
  assert.strictEqual(p.ambiguousRefused, p.ambiguousSent, "ambiguous captures refused by the automatic route")
  assert.isAbove(p.separatorSent, 0)
  assert.strictEqual(p.separatorRefused, p.separatorSent, "reshaped and signed & / = refused")
  assert.isAbove(p.repeatedIdSent, 0)
  assert.strictEqual(p.repeatedIdRefused, p.repeatedIdSent, "repeated id headers refused")
  assert.isTrue(p.unsignedTimestampRefused, "signedContent body with a timestampHeader refused at construction")
  assert.isAbove(p.forgedRequests, 0)
  assert.isAbove(harness.figures.rejectionLogs, 0, "the forged requests were logged (and searched)")
}

describe("hostile input", () => {
  for (const transport of ["node", "web"] as const) {
    it(
      `${transport}: corpus, issue #15's cases and random mutations: no handler run on an unverified delivery, no 5xx, no crash, no request text in a log message`,
      async () => {
        const harness = await Hostile.start(transport)
        try {
          await HostileRun.corpus(harness)
          await HostileRun.promises(harness)
          await HostileRun.property(harness, 200)
          assertClean(harness)
          assertPromises(harness)
        } finally {
          await harness.close()
        }
      },
      60_000
    )
  }

  it("the log capture sees request text in a message and an unescaped annotation (the checks can fail)", async () => {
    const figures = Hostile.emptyFigures()
    await Effect.runPromise(
      Effect.logWarning(`webhook rejected: ${Hostile.forgedLine}`).pipe(
        Effect.annotateLogs("hookline.detail", Hostile.forgedLine),
        Effect.provide(Hostile.captureLogs(figures))
      )
    )
    assert.strictEqual(figures.logInjections, 1)
    assert.strictEqual(figures.unescapedAnnotations, 1)
  })

  it("slow loris: a body that never finishes times out (408) and the server keeps serving", async () => {
    const harness = await Hostile.start("node", { requestTimeoutMs: 1000 })
    try {
      const [first, second] = await Promise.all([
        Hostile.slowLoris(harness.port, "/hmac"),
        Hostile.slowLoris(harness.port, "/em")
      ])
      for (const loris of [first!, second!]) {
        assert.strictEqual(loris.status, 408)
        assert.isBelow(loris.ms, 10_000)
      }
      const answer = await harness.send(Hostile.asRequest(Hostile.authentic("hmac")))
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(harness.figures.crashes, 0)
    } finally {
      await harness.close()
    }
  }, 30_000)
})
