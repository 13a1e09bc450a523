import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { SqlStore } from "@hookline/store-sql"
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Logs from "../../../test-support/Logs.ts"
import { within } from "../../../test-support/Wait.ts"
import { dropTables, rowsOf, runAdmin, uniqueTable } from "./support.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")
// Node 24 (the repo's pinned runtime) runs the TypeScript worker directly.
const node = path.join(root, "node_modules/.bin/node")
const worker = path.join(here, "fixtures/race-worker.ts")

const table = uniqueTable("processes")
afterAll(() => runAdmin(dropTables(table, `${table}_effects`)), 30_000)

interface Report {
  readonly claims: Record<string, string>
  readonly outcomes: Record<string, string>
}

interface Worker {
  readonly ready: Promise<void>
  readonly go: () => void
  readonly report: Promise<Report>
}

const start = (runId: string, keys: number, deliveries: number): Worker => {
  const child = spawn(node, ["--conditions=@hookline/source", worker, table, runId, String(keys), String(deliveries)], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let onReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
    if (stdout.includes("ready\n")) onReady()
  })
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  Logs.watch(`stderr of race worker (pid ${child.pid})`, () => stderr)
  const report = new Promise<Report>((resolve, reject) => {
    child.on("exit", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? ""
      if (code !== 0 || !last.startsWith("{")) return reject(new Error(`worker exited ${code}: ${stderr}${stdout}`))
      resolve(JSON.parse(last) as Report)
    })
  })
  // A worker that dies before `ready` must fail the test, not hang it.
  return { ready: Promise.race([ready, report.then(() => {})]), go: () => child.stdin.end("go\n"), report }
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("two OS processes sharing one PostgreSQL", () => {
  it(
    "race on the same keys: exactly one claim per key wins, and each delivery's handler runs exactly once",
    async () => {
      const keys = 500
      const deliveries = 200
      const runId = `run-${Date.now()}`
      await runAdmin(Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        yield* SqlStore.migrate({ table }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
        // No key on purpose: a second execution of a handler would show up as a second row.
        yield* sql.unsafe(`CREATE TABLE ${table}_effects (id text NOT NULL, pid integer NOT NULL)`)
      }))

      const workers = [start(runId, keys, deliveries), start(runId, keys, deliveries)]
      await within(Promise.all(workers.map((w) => w.ready)), 20_000, "the workers did not report ready")
      for (const w of workers) w.go()
      const reports = await within(Promise.all(workers.map((w) => w.report)), 40_000, "the workers did not finish")

      // Claims: one token per key across both processes; every other answer is InFlight.
      const rows = new Map((await runAdmin(rowsOf(table))).map((row) => [row.key, row]))
      for (let i = 0; i < keys; i++) {
        const key = `${runId}:claim-${i}`
        const answers = reports.map((report) => report.claims[key])
        const winners = answers.filter((answer) => answer !== undefined && uuid.test(answer))
        assert.strictEqual(winners.length, 1, `${key}: ${answers.join(", ")}`)
        assert.strictEqual(answers.filter((answer) => answer === "InFlight").length, 1, key)
        // The database holds the winner's token.
        assert.strictEqual(rows.get(key)?.token, winners[0])
      }

      // Both processes won keys (each works through them in its own random order): a real race.
      for (const report of reports) assert.isAbove(Object.values(report.claims).filter((a) => uuid.test(a)).length, 0)

      // Deliveries through the real pipeline: one Processed per delivery; the other process saw it
      // in flight or already done. The handler's side effect exists exactly once per delivery.
      for (let i = 0; i < deliveries; i++) {
        const id = `${runId}-delivery-${i}`
        const outcomes = reports.map((report) => report.outcomes[id])
        assert.strictEqual(outcomes.filter((o) => o === "Processed").length, 1, `${id}: ${outcomes.join(", ")}`)
        assert.isTrue(
          outcomes.every((o) => o === "Processed" || o === "InFlight" || o === "Duplicate"),
          outcomes.join()
        )
      }
      const effects = await runAdmin(Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        return yield* sql.unsafe<{ id: string; runs: number }>(
          `SELECT id, count(*)::integer AS runs FROM ${table}_effects GROUP BY id`
        )
      }))
      assert.strictEqual(effects.length, deliveries)
      assert.isTrue(effects.every((row) => row.runs === 1))
      // Every processed delivery is recorded as completed.
      for (let i = 0; i < deliveries; i++) {
        assert.strictEqual(rows.get(`hmac:${runId}-delivery-${i}`)?.state, "completed")
      }
    },
    60_000
  )
})
