/**
 * The pre-verification cost, reduced: ~700 KiB unsigned bodies against a real receiver process
 * (GoldenPay and EM parse their body before they can verify it), a few of each, and authentic
 * deliveries timed while three senders push such bodies. Before issue #15 such a body cost
 * GoldenPay ~200 ms and EM ~100 ms of CPU, and three senders pushed the p50 of authentic deliveries
 * from 3 ms to 415 ms; the bounds below are ten times under those and far above what is measured.
 */
import { assert, describe, it } from "@effect/vitest"
import * as PreVerification from "../src/PreVerification.ts"

describe("cost before verification", () => {
  it(
    "unsigned ~700 KiB bodies are refused cheaply (413 at the default limits, the shape scan at 1 MiB), and authentic deliveries keep their latency",
    async () => {
      const figures = await PreVerification.run({ rounds: 3, valid: 30 })
      // Every junk request got its expected status (413 / 400 / 401); every authentic one was acked.
      assert.deepStrictEqual(figures.violations, [])
      const parseFirst = figures.cpu.filter((row) => row.provider === "GoldenPay" || row.provider === "EM")
      assert.isAbove(parseFirst.length, 4)
      for (const row of parseFirst) {
        assert.isBelow(row.cpuMs, 20, `${row.junk} to ${row.route}: ${row.cpuMs} ms of CPU per request`)
      }
      const underJunk = figures.latency.filter((row) => row.junkRoute !== undefined)
      assert.isAbove(underJunk.length, 0)
      for (const row of underJunk) {
        assert.isAbove(row.junkRequests, 0, `junk was sent to ${row.junkRoute}`)
        assert.isBelow(row.p50Ms, 40, `${row.provider} p50 under junk to ${row.junkRoute}`)
      }
    },
    60_000
  )
})
