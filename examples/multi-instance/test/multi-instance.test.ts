import { afterEach, assert, describe, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import { fileURLToPath } from "node:url"
import { within } from "../../../test-support/Wait.ts"
import { fire, type Instance, startInstance, tally } from "../src/fleet.ts"
import type { StoreKind } from "../src/stores.ts"

// Two real server processes (Node 24 from the repository), one shared Redis (HOOKLINE_REDIS_URL,
// default 127.0.0.1:6379) or PostgreSQL (HOOKLINE_PG_URL, default 127.0.0.1:5432/test): the tests
// fail when the service is missing.
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))
const secret = Redacted.make(`multi-instance-test-${crypto.randomUUID()}`)

const running: Array<Instance> = []
const stopAll = (instances: ReadonlyArray<Instance>) =>
  within(Promise.all(instances.map((instance) => instance.stop())), 15_000, "an instance did not exit on SIGTERM")

afterEach(() => stopAll(running.splice(0)))

const run = async (store: StoreKind, count: number) => {
  const instances = await within(
    Promise.all(["A", "B"].map((name) => startInstance({ name, store, secret, node }))),
    20_000,
    "the instances did not start listening"
  )
  running.push(...instances)
  assert.notStrictEqual(instances[0]!.pid, instances[1]!.pid)
  const ids = Array.from({ length: count }, (_, i) => `test-${i}-${crypto.randomUUID()}`)
  // Each sender retries a non-ack after 200 ms, as a platform would: the cadence is the scenario.
  const results = await fire(instances, secret, ids, { retryAfterMillis: 200, maxAttempts: 50 })
  // Stopping (gracefully) flushes every instance's output before counting.
  await stopAll(instances)
  return tally(instances, results)
}

describe("two server processes", () => {
  const exactlyOnce = (store: StoreKind, label: string) =>
    it(
      `sharing one ${label}: every delivery sent to both at once runs exactly once, and both acknowledge it`,
      async () => {
        const rows = await run(store, 20)
        for (const row of rows) {
          assert.strictEqual(row.runs, 1, `${row.key} ran ${row.runs} times: ${row.handledBy.join(", ")}`)
          const answers = Object.values(row.answers)
          assert.strictEqual(answers.length, 2)
          // Each sender ends with an ack; only the instance that ran the handler says Processed, the
          // other said InFlight (503) while it ran, or Duplicate once it was done.
          for (const sequence of answers) assert.strictEqual(sequence.at(-1)?.status, 200, JSON.stringify(row.answers))
          const all = answers.flat()
          assert.strictEqual(
            all.filter((answer) => answer.outcome === "Processed").length,
            1,
            JSON.stringify(row.answers)
          )
          for (const answer of all) {
            assert.include(["200 Processed", "200 Duplicate", "503 InFlight"], `${answer.status} ${answer.outcome}`)
          }
        }
      },
      60_000
    )

  exactlyOnce("redis", "Redis")
  exactlyOnce("postgres", "PostgreSQL")

  it(
    "with a memory store each (no shared store), the same deliveries run twice: the harness sees duplicates",
    async () => {
      const rows = await run("memory", 5)
      for (const row of rows) {
        assert.strictEqual(row.runs, 2, row.key)
        assert.deepStrictEqual(row.handledBy.map((by) => by.slice(0, 1)).toSorted(), ["A", "B"])
      }
    },
    60_000
  )
})
