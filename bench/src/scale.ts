/**
 * `npm run scale`: 1, 2 and 4 receiver processes (a Node `cluster` on one port) on Redis and on
 * PostgreSQL — deliveries/s, latency, keys handled twice, deliveries never acknowledged, and the
 * store server's CPU per delivery — written to bench/results/scale.json and docs/scaling.md.
 *
 *   npm run scale                    full run (~3 minutes: 3 s warm-up and 20 s measured per row)
 *   npm run scale -- --quick         1 s warm-up, 3 s measured; prints the table, writes nothing
 *   npm run scale -- --report-only   regenerate docs/scaling.md from bench/results/scale.json
 *
 * Needs redis-server on the PATH (a private server per Redis row) and PostgreSQL at
 * HOOKLINE_PG_URL (default postgres://postgres@127.0.0.1:5432/test). Progress goes to stderr.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type BenchReference, markdown, type ScaleResults, table } from "./scaleReport.ts"
import { runScale, type ScaleRow, type StoreKind } from "./scaleRun.ts"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const resultsFile = path.join(root, "bench/results/scale.json")
const docFile = path.join(root, "docs/scaling.md")
const args = process.argv.slice(2)
const quick = args.includes("--quick")
const log = (line: string) => process.stderr.write(`${line}\n`)

/** The store section of the last `npm run bench`, when there is one. */
const benchReference = (): BenchReference | undefined => {
  try {
    const bench = JSON.parse(readFileSync(path.join(root, "bench/results/latest.json"), "utf8")) as {
      readonly date: string
      readonly machine: { readonly cpu: string; readonly cores: number; readonly load: ReadonlyArray<number> }
      readonly stores: { readonly rows: ReadonlyArray<{ readonly store: string; readonly hooklinePerSecond: number }> }
    }
    const best = (store: string) =>
      Math.max(...bench.stores.rows.filter((row) => row.store === store).map((row) => row.hooklinePerSecond))
    return {
      date: bench.date,
      cpu: bench.machine.cpu,
      cores: bench.machine.cores,
      load: bench.machine.load,
      best: { redis: best("redis"), postgres: best("postgres") }
    }
  } catch {
    return undefined
  }
}

if (args.includes("--report-only")) {
  const results = JSON.parse(readFileSync(resultsFile, "utf8")) as ScaleResults
  writeFileSync(docFile, markdown(results, benchReference()))
  log(`wrote ${path.relative(root, docFile)}`)
  process.exit(0)
}

const settings = quick
  ? { warmupSeconds: 1, seconds: 3, concurrency: 32, duplicateRate: 0.2 }
  : { warmupSeconds: 3, seconds: 20, concurrency: 32, duplicateRate: 0.2 }
const stores: ReadonlyArray<StoreKind> = ["redis", "postgres"]
const processCounts = [1, 2, 4]

const text = (command: string, ...commandArgs: Array<string>) =>
  spawnSync(command, commandArgs, { cwd: root, encoding: "utf8" }).stdout.trim()
const pgUrl = process.env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const started = new Date()
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model.trim() ?? "?",
  memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100)
}
const versions = {
  node: process.version,
  redis: /v=(\S+)/.exec(text("redis-server", "--version"))?.[1] ?? "?",
  postgres: text("psql", pgUrl, "-Atc", "SHOW server_version")
}
log(`scale: ${machine.cpus} × ${machine.model}, load average ${machine.loadAverage.join(" ")}`)

const rows: Array<ScaleRow> = []
for (const store of stores) {
  for (const processes of processCounts) {
    log(`\n== ${store}, ${processes} process${processes === 1 ? "" : "es"} (${new Date().toISOString().slice(11, 19)})`)
    const row = await runScale({
      store,
      processes,
      warmup: { seconds: settings.warmupSeconds },
      measure: { seconds: settings.seconds },
      concurrency: settings.concurrency,
      duplicateRate: settings.duplicateRate,
      log
    })
    log(
      `  ${row.perSecond} deliveries/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, handled twice ${row.handledTwice}, ` +
        `never acknowledged ${row.neverAcknowledged}, per worker ${row.perWorker.join("/")}, ` +
        `store server ${row.cost.storeServerUs} µs/delivery`
    )
    rows.push(row)
  }
}

const results: ScaleResults = {
  date: started.toISOString(),
  quick,
  commit: text("git", "rev-parse", "--short", "HEAD"),
  machine,
  versions,
  settings,
  rows
}
process.stdout.write(`\n${table(rows)}\n`)
if (quick) {
  log("\n--quick: nothing written (bench/results/scale.json and docs/scaling.md are the full run's)")
} else {
  mkdirSync(path.dirname(resultsFile), { recursive: true })
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(docFile, markdown(results, benchReference()))
  log(`\nwrote ${path.relative(root, resultsFile)} and ${path.relative(root, docFile)}`)
}
const failed = rows.filter((row) => row.handledTwice !== 0 || row.neverAcknowledged !== 0)
if (failed.length > 0) {
  log(`keys handled twice or never acknowledged in ${failed.map((row) => `${row.store}×${row.processes}`).join(", ")}`)
  process.exit(1)
}
