/**
 * `npm run bench`: hookline side by side with bare node:http and the libraries users pick (Express,
 * Fastify, @octokit/webhooks, standardwebhooks), on two request pools (new deliveries only, and
 * duplicate-heavy), a Redis-backed HTTP pair, the per-stage cost of each provider, the stores against
 * their bare round trips, and the memory figures; writes bench/results/latest.json and regenerates
 * docs/benchmarks.md.
 *
 *   npm run bench                    full run (~50 minutes on 2 cores: 5 HTTP rounds, 1M deliveries for the server RSS)
 *   npm run bench -- --quick         ~6 minutes: 1 s runs, fewer rounds, deliveries and keys
 *   npm run bench -- --check         exit 1 when a target is missed
 *   npm run bench -- --only=http,stores   some sections only; prints, writes nothing
 *   npm run bench -- --contenders=bare,hookline-hmac   some HTTP contenders only; prints, writes nothing
 *   npm run bench -- --report-only   regenerate docs/benchmarks.md from bench/results/latest.json
 *
 * Sections: signature, inprocess, stages, http, capped (CPU per request at an equal, capped load), profile,
 * stores, memory. Needs wrk (installed with
 * apt-get when absent), taskset, redis-server on the PATH and PostgreSQL at HOOKLINE_PG_URL (default
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type ContenderName, contenderNames } from "./contenders.ts"
import { ensureWrk, type HttpOptions, pinned, profile, runCapped, runHttp, serverRssAfter } from "./http.ts"
import { runInProcess } from "./inprocess.ts"
import { storeBytesPerKey } from "./memory.ts"
import { markdown, type Results, targets } from "./report.ts"
import { runSignature } from "./signature.ts"
import { runStages } from "./stages.ts"
import { runStores } from "./stores.ts"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..")
const args = process.argv.slice(2)
const quick = args.includes("--quick")
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",")
const wanted = (section: string) => only === undefined || only.includes(section)
const chosen = args.find((a) => a.startsWith("--contenders="))?.slice("--contenders=".length).split(",")
const unknown = chosen?.filter((name) => !(contenderNames as ReadonlyArray<string>).includes(name)) ?? []
if (unknown.length > 0) {
  console.error(`unknown contender(s) ${unknown.join(", ")}; known: ${contenderNames.join(", ")}`)
  process.exit(2)
}
const contenders = chosen === undefined ? contenderNames : (chosen as ReadonlyArray<ContenderName>)
const partial = only !== undefined || chosen !== undefined

const settings = quick
  ? {
    http: { rounds: 3, warmupSeconds: 1, seconds: 1, connections: 32, poolSize: 30_000, warmPoolSize: 20_000 },
    inProcess: { deliveries: 10_000, rounds: 3 },
    stages: { deliveries: 5_000, rounds: 3 },
    stores: { seconds: 0.5, rounds: 1, pgPool: 16 },
    storeKeys: 250_000,
    serverDeliveries: 20_000,
    profileSeconds: 2,
    sampleMs: 300
  }
  : {
    http: { rounds: 5, warmupSeconds: 3, seconds: 10, connections: 32, poolSize: 300_000, warmPoolSize: 100_000 },
    inProcess: { deliveries: 100_000, rounds: 5 },
    stages: { deliveries: 30_000, rounds: 5 },
    stores: { seconds: 5, rounds: 3, pgPool: 16 },
    storeKeys: 1_000_000,
    serverDeliveries: 1_000_000,
    profileSeconds: 10,
    sampleMs: 1000
  }

const log = (line: string) => console.log(line)
const section = (name: string) => log(`\n== ${name} (${new Date().toISOString().slice(11, 19)})`)

const versionOf = (pkg: string): string => {
  try {
    const file = path.join(root, "node_modules", pkg, "package.json")
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version
  } catch {
    return "?"
  }
}

const git = (...command: Array<string>) => spawnSync("git", command, { cwd: root, encoding: "utf8" }).stdout.trim()

if (args.includes("--report-only")) {
  const results = JSON.parse(readFileSync(path.join(root, "bench/results/latest.json"), "utf8")) as Results
  writeFileSync(path.join(root, "docs/benchmarks.md"), markdown(results))
  log(`docs/benchmarks.md regenerated from bench/results/latest.json (${results.mode} run of ${results.date})`)
  process.exit(0)
}

const workDir = mkdtempSync(path.join(os.tmpdir(), "hookline-bench-"))
const load = os.loadavg()
log(
  `hookline bench (${quick ? "quick" : "full"}) — node ${process.version}, ${
    os.cpus()[0]?.model ?? "?"
  } × ${os.availableParallelism()}`
)
log(
  `load average ${load.map((l) => l.toFixed(2)).join(" ")}${
    load[0]! > 1.5 ? " — the machine is busy: expect noise" : ""
  }`
)

try {
  const wrk = wanted("http") || wanted("capped") || wanted("profile") ? ensureWrk() : "not used"
  const httpOptions: HttpOptions = { contenders, ...settings.http, workDir }

  let signature: Results["signature"] = []
  if (wanted("signature")) {
    section("signature")
    signature = await runSignature(settings.sampleMs)
    for (const row of signature) {
      log(`  ${row.name.padEnd(64)} ${Math.round(row.opsPerSecond).toLocaleString("en-US")}/s`)
    }
  }

  let inProcess: Results["inProcess"] | undefined
  if (wanted("inprocess")) {
    section("in-process")
    inProcess = await runInProcess(settings.inProcess, log)
    log(
      `  overhead ${inProcess.overheadNewUs.toFixed(1)} µs per new delivery, ${
        inProcess.overheadDuplicateUs.toFixed(1)
      } µs per duplicate`
    )
  }

  let stages: Results["stages"] | undefined
  if (wanted("stages")) {
    section("per-stage cost (µs per new delivery)")
    stages = await runStages(settings.stages, log)
    log(`  Effect.runSync(Effect.sync(…)) ${stages.runSyncUs.toFixed(2)} µs (inside every runSync-timed stage)`)
  }

  let http: Results["http"] = []
  if (wanted("http")) {
    section(
      `http (${httpOptions.rounds} rounds × ${contenders.length} contenders × 2 pools${pinned ? "" : ", NOT pinned"})`
    )
    http = await runHttp(httpOptions, log)
  }

  let capped: Results["capped"]
  if (wanted("capped")) {
    section(`capped load (${httpOptions.rounds} rounds, each connection pausing between requests)`)
    capped = await runCapped(httpOptions, log)
  }

  const profiles: Record<string, Results["profiles"][keyof Results["profiles"]]> = {}
  if (wanted("profile")) {
    section("profile")
    for (const name of ["hookline-hmac", "bare"] as const) {
      const summary = await profile(name, { ...httpOptions, warmupSeconds: 2, seconds: settings.profileSeconds })
      profiles[name] = summary
      log(`  ${name}: ${summary.groups.slice(0, 5).map((f) => `${f.selfPercent.toFixed(1)}% ${f.frame}`).join("; ")}`)
      log(
        `    top frames: ${summary.frames.slice(0, 5).map((f) => `${f.selfPercent.toFixed(1)}% ${f.frame}`).join("; ")}`
      )
    }
  }

  let stores: Results["stores"] | undefined
  if (wanted("stores")) {
    section("stores")
    stores = await runStores({
      ...settings.stores,
      concurrency: [1, 16, 64],
      pgUrl: process.env["HOOKLINE_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
    }, log)
    for (const [name, summary] of [["redis", stores.redisProfile], ["postgres", stores.postgresProfile]] as const) {
      log(
        `  ${name} store profile (c=64): ${
          summary.groups.slice(0, 4).map((f) => `${f.selfPercent.toFixed(1)}% ${f.frame}`).join("; ")
        }`
      )
      log(
        `    top frames: ${summary.frames.slice(0, 4).map((f) => `${f.selfPercent.toFixed(1)}% ${f.frame}`).join("; ")}`
      )
    }
  }

  let memory: Results["memory"] | undefined
  if (wanted("memory")) {
    section("memory")
    const store = storeBytesPerKey(settings.storeKeys)
    log(
      `  memory store: ${store.bytesPerKey.toFixed(0)} bytes per completed key at ${
        store.keys.toLocaleString("en-US")
      } keys`
    )
    const server = await serverRssAfter(settings.serverDeliveries, log)
    log(
      `  hookline-hmac server: ${server.rssMiB.toFixed(0)} MiB RSS after ${
        server.deliveries.toLocaleString("en-US")
      } deliveries`
    )
    memory = { store, server }
  }

  if (partial) {
    log("\n--only / --contenders: partial run, results and docs not written")
  } else {
    const dirty = git("status", "--porcelain", "--", "packages", "bench").length > 0
    const results: Results = {
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      mode: quick ? "quick" : "full",
      commit: `${git("rev-parse", "--short", "HEAD")}${dirty ? " + uncommitted changes" : ""}`,
      machine: {
        cpu: os.cpus()[0]?.model ?? "?",
        cores: os.availableParallelism(),
        memoryGiB: os.totalmem() / 2 ** 30,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        load,
        pinned
      },
      versions: {
        Node: process.version,
        "@hookline/core": (JSON.parse(readFileSync(path.join(root, "packages/core/package.json"), "utf8")) as {
          version: string
        }).version,
        effect: versionOf("effect"),
        "@effect/sql-pg": versionOf("@effect/sql-pg"),
        "@octokit/webhooks": versionOf("@octokit/webhooks"),
        express: versionOf("express"),
        fastify: versionOf("fastify"),
        standardwebhooks: versionOf("standardwebhooks"),
        "node-redis": versionOf("redis"),
        wrk,
        Redis: stores?.redisVersion ?? "?",
        PostgreSQL: stores?.postgresVersion ?? "?"
      },
      settings: {
        http: settings.http,
        inProcess: settings.inProcess,
        stages: settings.stages,
        stores: settings.stores,
        serverDeliveries: settings.serverDeliveries
      },
      signature,
      inProcess: inProcess!,
      stages: stages!,
      http,
      capped,
      profiles,
      stores: stores!,
      memory: memory!
    }
    mkdirSync(path.join(root, "bench/results"), { recursive: true })
    writeFileSync(path.join(root, "bench/results/latest.json"), JSON.stringify(results, null, 2) + "\n")
    writeFileSync(path.join(root, "docs/benchmarks.md"), markdown(results))
    log("\nwrote bench/results/latest.json and docs/benchmarks.md\n")
    let missed = 0
    for (const target of targets(results)) {
      if (!target.met) missed++
      log(`  ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.value} (goal ${target.goal})`)
    }
    if (missed > 0 && args.includes("--check")) process.exitCode = 1
  }
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
