import { assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Logs from "../../../test-support/Logs.ts"
import { within } from "../../../test-support/Wait.ts"
import * as RedisServer from "./RedisServer.ts"

// Node 24 from the repository (the system node may be older); it runs the worker's TypeScript
// directly, resolving workspace packages to their sources through the `@hookline/source` condition.
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))
const worker = fileURLToPath(new URL("./processes/claim-worker.ts", import.meta.url))

const Report = Schema.Struct({
  claimed: Schema.Array(Schema.String),
  inFlight: Schema.Number,
  completedElsewhere: Schema.Array(Schema.Struct({ key: Schema.String, fingerprint: Schema.String })),
  completed: Schema.Number
})
const decodeReport = Schema.decodeUnknownSync(Report)

const start = (name: string, prefix: string, keys: number) => {
  const child = spawn(node, ["--conditions=@hookline/source", worker], {
    env: {
      ...process.env,
      HOOKLINE_REDIS_URL: RedisServer.sharedUrl,
      RACE_PREFIX: prefix,
      RACE_KEYS: String(keys),
      RACE_NAME: name
    },
    stdio: ["pipe", "pipe", "pipe"]
  })
  const lines: Array<unknown> = []
  let stderr = ""
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  let buffered = ""
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString()
    let end: number
    while ((end = buffered.indexOf("\n")) >= 0) {
      const line: unknown = JSON.parse(buffered.slice(0, end))
      buffered = buffered.slice(end + 1)
      lines.push(line)
      if (typeof line === "object" && line !== null && "ready" in line) ready()
    }
  })
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  Logs.watch(`stderr of claim worker ${name} (pid ${child.pid})`, () => stderr)
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
  return {
    pid: child.pid,
    ready: Promise.race([
      isReady,
      exited.then(() => Promise.reject(new Error(`worker ${name} exited early:\n${stderr}`)))
    ]),
    go: (startAt: number) => child.stdin.write(`${startAt}\n`),
    report: async () => {
      const code = await within(exited, 30_000, `worker ${name} did not finish its claims`)
      assert.strictEqual(code, 0, `worker ${name} failed:\n${stderr}`)
      return decodeReport(lines.at(-1))
    }
  }
}

describe("RedisStore across OS processes", () => {
  it("two processes racing for the same 200 keys: every key is won by exactly one of them", async () => {
    const prefix = `hookline-test:${crypto.randomUUID()}:processes:`
    const count = 200
    const a = start("A", prefix, count)
    const b = start("B", prefix, count)
    assert.notStrictEqual(a.pid, b.pid)
    await within(Promise.all([a.ready, b.ready]), 20_000, "the workers did not report ready")
    const startAt = Date.now() + 250
    a.go(startAt)
    b.go(startAt)
    const [reportA, reportB] = await Promise.all([a.report(), b.report()])

    const wonByA = new Set(reportA.claimed)
    const wonByB = new Set(reportB.claimed)
    const all = Array.from({ length: count }, (_, i) => `race:${i}`)
    for (const key of all) {
      assert.isTrue(wonByA.has(key) !== wonByB.has(key), `${key}: won by A ${wonByA.has(key)}, by B ${wonByB.has(key)}`)
    }
    assert.strictEqual(wonByA.size + wonByB.size, count)
    // Every claim a process lost was in flight in the other one, or already completed there with
    // the other's fingerprint; every claim it won it completed.
    for (const [report, other] of [[reportA, "B"], [reportB, "A"]] as const) {
      assert.strictEqual(report.inFlight + report.completedElsewhere.length, count - report.claimed.length)
      for (const { key, fingerprint } of report.completedElsewhere) {
        assert.strictEqual(fingerprint, other.repeat(64), key)
        assert.isTrue((other === "A" ? wonByA : wonByB).has(key), key)
      }
    }
    assert.strictEqual(reportA.completed, wonByA.size)
    assert.strictEqual(reportB.completed, wonByB.size)

    // A third client sees each key completed with its winner's fingerprint.
    const seen = await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        return yield* Effect.forEach(all, (key) => store.claim(key, "x", Duration.minutes(1)), { concurrency: 20 })
      }).pipe(Effect.provide(Logs.capturing(RedisStore.layerNode({ url: RedisServer.sharedUrl, prefix }))))
    )
    seen.forEach((result, i) => {
      const key = all[i]!
      assert.deepStrictEqual(
        result,
        IdempotencyStore.Completed({ fingerprint: (wonByA.has(key) ? "A" : "B").repeat(64) }),
        key
      )
    })
  }, 60_000)
})
