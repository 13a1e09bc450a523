/**
 * The per-stage table runs each provider's functions on its own signed deliveries: verify accepts
 * them, the store claims and completes every key, the ack is 200, and `handler.run` answers 200 —
 * any of those failing throws. (No timing is asserted: figures belong to `npm run bench`.)
 */
import { assert, describe, it } from "@effect/vitest"
import { runStages, stageNames } from "../src/stages.ts"

describe("bench per-stage cost", () => {
  it("times every stage of every bundled provider", async () => {
    const lines: Array<string> = []
    const result = await runStages({ deliveries: 40, rounds: 1 }, (line) => lines.push(line))
    assert.deepStrictEqual(result.rows.map((row) => row.provider), [
      "hmac",
      "igv",
      "goldenpay",
      "em",
      "github",
      "stripe"
    ])
    for (const row of result.rows) {
      for (const stage of stageNames) {
        assert.isTrue(Number.isFinite(row.stages[stage]) && row.stages[stage] >= 0, `${row.provider} ${stage}`)
      }
      assert.closeTo(row.sumUs, stageNames.reduce((sum, stage) => sum + row.stages[stage], 0), 1e-9)
      assert.isAbove(row.pipelineUs, 0)
    }
    assert.isAbove(result.runSyncUs, 0)
    assert.strictEqual(lines.length, 6)
  })
})
