/**
 * `npm run reliability [-- --quick]`: the exactly-once run per store and fault (graceful SIGTERM
 * included), handlers that outlive their lease (plain and fenced writes), an outage longer than the
 * platform's retries followed by the replay of its dead letters, the hostile-input run per
 * transport, the pre-verification cost, tables on stdout, and docs/reliability.md regenerated from
 * the figures.
 *
 * Full: 50,000 distinct deliveries per store without faults, 30,000 per fault scenario (10,000 under
 * SIGTERM, whose slow handlers make it slower), 3,000 per lease-overrun write, 4 server processes;
 * 2,000 fast-check mutations per transport; 20 junk requests per body and 400 timed deliveries per
 * latency row. `--quick`: 1,000 / 500 / 500 / 400; 200; 5 / 100. The figures are saved in
 * reliability/results/latest.json; `--report-only` regenerates the tables and the doc from it;
 * `--outage-only` runs only the outage scenarios (10,000 deliveries per store; 300 with `--quick`) and
 * merges them into it; `--transactional-only` likewise runs only the transactional handlers' scenarios
 * (issue #21: 30,000 deliveries each, 500 with `--quick`), and `--cluster-only` the Redis Cluster's
 * (issue #21: a 3-master cluster with a replica each, no fault and a master failed over every ~5 s;
 * 30,000 deliveries each, 500 with `--quick`).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as RedisCluster from "../../test-support/RedisCluster.ts"
import * as RedisServer from "../../test-support/RedisServer.ts"
import * as ExactlyOnce from "./ExactlyOnce.ts"
import * as Hostile from "./Hostile.ts"
import * as HostileRun from "./HostileRun.ts"
import * as Outage from "./Outage.ts"
import * as PreVerification from "./PreVerification.ts"

const quick = process.argv.includes("--quick")
const reportOnly = process.argv.includes("--report-only")
// Only the outage-and-replay runs, merged into the saved results (whose other figures are kept).
const outageOnly = process.argv.includes("--outage-only")
// Only the transactional handlers' runs, merged likewise.
const transactionalOnly = process.argv.includes("--transactional-only")
// Only the Redis Cluster's runs, merged likewise.
const clusterOnly = process.argv.includes("--cluster-only")
const resultsPath = fileURLToPath(new URL("../results/latest.json", import.meta.url))
const sizes = quick
  ? {
    baseline: 1000,
    fault: 500,
    sigterm: 500,
    overrun: 400,
    outage: 300,
    transactional: 500,
    cluster: 500,
    mutations: 200,
    corpusRounds: 1,
    cpuRounds: 5,
    valid: 100
  }
  : {
    baseline: 50_000,
    fault: 30_000,
    sigterm: 10_000,
    overrun: 3000,
    outage: 10_000,
    transactional: 30_000,
    cluster: 30_000,
    mutations: 2000,
    corpusRounds: 3,
    cpuRounds: 20,
    valid: 400
  }
const log = (line: string) => process.stderr.write(`${line}\n`)

// Lease 2 s (a killed server's claims are taken over quickly); the Redis restart runs again with a
// 10 s lease, nearer the providers' defaults (50 s to 5 min), to show what the completion retry does
// when the lease outlasts the outage. SIGTERM runs with 10 s: a graceful stop must not depend on a
// lease running out, and a short one would mix runs cut at their deadline into its figures.
const scenarios: ReadonlyArray<readonly [ExactlyOnce.StoreKind, ExactlyOnce.Fault, number?]> = [
  ["redis", "none"],
  ["redis", "handler-fail"],
  ["redis", "sigkill"],
  ["redis", "sigterm", 10_000],
  ["redis", "redis-restart"],
  ["redis", "redis-restart", 10_000],
  ["postgres", "none"],
  ["postgres", "handler-fail"],
  ["postgres", "sigkill"],
  ["postgres", "sigterm", 10_000],
  ["postgres", "pg-terminate"]
]
const writes: ReadonlyArray<ExactlyOnce.Write> = ["plain", "token", "token+key"]

// The transactional handlers (issue #21): PostgreSQL, the ledger written in the transaction that
// records the completion, every fault that can land between the two. SIGTERM with the 10 s lease, as
// above; lease-overrun with the 2 s lease, its slow calls ending after the claim was taken over.
const transactionalScenarios: ReadonlyArray<readonly [ExactlyOnce.Fault, number?]> = [
  ["none"],
  ["handler-fail"],
  ["sigkill"],
  ["sigterm", 10_000],
  ["pg-terminate"],
  ["lease-overrun"]
]

// The Redis Cluster (issue #21): three masters with a replica each, append-only files fsynced always,
// a 1 s node timeout so that a dead master is failed over within seconds. Lease 2 s, as above.
const clusterFaults: ReadonlyArray<ExactlyOnce.Fault> = ["none", "failover"]
const clusterOptions: RedisCluster.RedisClusterOptions = {
  masters: 3,
  replicasPerMaster: 1,
  nodeTimeoutMs: 1000,
  appendOnly: true
}

const faultText: Record<ExactlyOnce.Fault, string> = {
  "none": "none",
  "handler-fail": "handlers fail 10% at random",
  "sigkill": "SIGKILL of a server 3 s after the previous one is back",
  "sigterm": "SIGTERM of a server (graceful stop) 3 s after the previous one is back",
  "redis-restart": "Redis crashed (SIGKILL), down 1 s, restarted; every 4 s",
  "pg-terminate": "store's PostgreSQL backends terminated every 1.5 s",
  "lease-overrun": "5% of handler runs outlive their lease",
  "failover": "a master SIGKILLed, its replica promoted, the node restarted as a replica; every 5 s"
}

const writeText: Record<ExactlyOnce.Write, string> = {
  "plain": "plain `INSERT`",
  "token": "fenced by the claim token (as in concepts.md)",
  "token+key": "fenced, and skipped if the key has a row"
}

interface HostileFigures {
  readonly transport: string
  readonly requests: number
  readonly unverifiedRuns: number
  readonly serverErrors: number
  readonly crashes: number
  readonly secretLeaks: number
  readonly heapGrowthMb: number
  /** Log messages quoting request text before verification (issue #15; absent in older results). */
  readonly logInjections?: number
  readonly unescapedAnnotations?: number
  readonly rejectionLogs?: number
  readonly promises?: Hostile.PromiseFigures
  readonly violations: ReadonlyArray<string>
}

const gc = (): void => {
  const collect: unknown = Reflect.get(globalThis, "gc")
  if (typeof collect === "function") collect()
}
const heapMb = () => {
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

const hostileRun = async (transport: "node" | "web"): Promise<HostileFigures> => {
  const harness = await Hostile.start(transport)
  // Warm-up round (JIT, first runtime build), then measure the heap around the real rounds.
  await HostileRun.corpus(harness)
  const before = heapMb()
  for (let round = 0; round < sizes.corpusRounds; round++) {
    await HostileRun.corpus(harness)
    await HostileRun.promises(harness)
  }
  await HostileRun.property(harness, sizes.mutations).catch(() => undefined)
  if (transport === "node") {
    const lorises = await Promise.all(Array.from({ length: 20 }, () => Hostile.slowLoris(harness.port, "/hmac")))
    const bad = lorises.filter((loris) => loris.status !== 408)
    if (bad.length > 0) harness.figures.violations.push(`${bad.length} slow-loris requests not answered 408`)
    const after = await harness.send(Hostile.asRequest(Hostile.authentic("hmac")))
    if (after.status !== 200) harness.figures.violations.push(`after the slow-loris requests: ${after.status}`)
  }
  const growth = heapMb() - before
  await harness.close()
  const f = harness.figures
  return {
    transport,
    requests: f.requests,
    unverifiedRuns: f.unverifiedRuns,
    serverErrors: f.serverErrors,
    crashes: f.crashes,
    secretLeaks: f.secretLeaks,
    heapGrowthMb: Math.round(growth * 10) / 10,
    logInjections: f.logInjections,
    unescapedAnnotations: f.unescapedAnnotations,
    rejectionLogs: f.rejectionLogs,
    promises: f.promises,
    violations: f.violations
  }
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>): string =>
  [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`)
  ].join("\n")

const main = async () => {
  const startedAt = new Date()
  const load = os.loadavg().map((n) => n.toFixed(1)).join(", ")
  const redis = await RedisServer.start({ appendOnly: true })
  const runs: Array<ExactlyOnce.Figures> = []
  const leaseOverrun: Array<ExactlyOnce.Figures> = []
  const outage: Array<Outage.OutageFigures> = []
  try {
    for (const [store, fault, leaseMs] of scenarios) {
      const deliveries = fault === "none" ? sizes.baseline : fault === "sigterm" ? sizes.sigterm : sizes.fault
      log(`exactly-once: ${store}, fault ${fault}, ${deliveries} deliveries, lease ${leaseMs ?? 2000} ms`)
      const figures = await ExactlyOnce.runScenario({ store, fault, deliveries, redis, log, leaseMs })
      log(`  ${JSON.stringify(figures)}`)
      runs.push(figures)
    }
    outage.push(...await outageRuns(redis))
  } finally {
    await redis.stop()
  }
  const transactional = await transactionalRuns()
  const cluster = await clusterRuns()
  for (const write of writes) {
    log(`handlers outliving their lease: postgres, ${write} write, ${sizes.overrun} deliveries`)
    const figures = await ExactlyOnce.runScenario({
      store: "postgres",
      fault: "lease-overrun",
      deliveries: sizes.overrun,
      write,
      log
    })
    log(`  ${JSON.stringify(figures)}`)
    leaseOverrun.push(figures)
  }
  const hostile: Array<HostileFigures> = []
  for (const transport of ["node", "web"] as const) {
    log(`hostile input: ${transport}`)
    hostile.push(await hostileRun(transport))
  }
  log("cost before verification")
  const preVerification = await PreVerification.run({ rounds: sizes.cpuRounds, valid: sizes.valid, log })
  const finishedAt = new Date()
  const cpu = os.cpus()[0]?.model ?? "unknown CPU"
  const machine =
    `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, ` +
    `Node ${process.versions.node}`
  const report: Report = {
    mode: quick ? "quick" : "full",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    machine,
    load,
    runs,
    leaseOverrun,
    outage,
    outageAt: startedAt.toISOString(),
    transactional,
    transactionalAt: startedAt.toISOString(),
    cluster,
    clusterAt: startedAt.toISOString(),
    hostile,
    preVerification
  }
  fs.mkdirSync(path.dirname(resultsPath), { recursive: true })
  fs.writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`)
  render(report)
}

const outageRuns = async (redis: RedisServer.RedisServer): Promise<ReadonlyArray<Outage.OutageFigures>> => {
  const figures: Array<Outage.OutageFigures> = []
  for (const store of ["redis", "postgres"] as const) {
    log(`outage and replay: ${store}, ${sizes.outage} deliveries`)
    const f = await Outage.runOutage({ store, redis, deliveries: sizes.outage, concurrency: 64, log })
    log(`  ${JSON.stringify(f)}`)
    figures.push(f)
  }
  return figures
}

const transactionalRuns = async (): Promise<ReadonlyArray<ExactlyOnce.Figures>> => {
  const figures: Array<ExactlyOnce.Figures> = []
  for (const [fault, leaseMs] of transactionalScenarios) {
    const deliveries = sizes.transactional
    log(`transactional handlers: postgres, fault ${fault}, ${deliveries} deliveries, lease ${leaseMs ?? 2000} ms`)
    const f = await ExactlyOnce.runScenario({ store: "postgres-transactional", fault, deliveries, log, leaseMs })
    log(`  ${JSON.stringify(f)}`)
    figures.push(f)
  }
  return figures
}

const clusterRuns = async (): Promise<ReadonlyArray<ExactlyOnce.Figures>> => {
  const figures: Array<ExactlyOnce.Figures> = []
  // A fresh cluster per scenario: the failover run leaves its masters on other nodes than it found them.
  for (const fault of clusterFaults) {
    const cluster = await RedisCluster.start(clusterOptions)
    try {
      log(`redis cluster: fault ${fault}, ${sizes.cluster} deliveries, lease 2000 ms`)
      const f = await ExactlyOnce.runScenario({
        store: "redis-cluster",
        fault,
        cluster,
        deliveries: sizes.cluster,
        log
      })
      log(`  ${JSON.stringify(f)}`)
      figures.push(f)
    } finally {
      await cluster.stop()
    }
  }
  return figures
}

/** Runs only the Redis Cluster's scenarios and merges them into the saved results. */
const clusterMain = async () => {
  const saved: Report = JSON.parse(fs.readFileSync(resultsPath, "utf8"))
  const at = new Date().toISOString()
  const cluster = await clusterRuns()
  const report: Report = { ...saved, cluster, clusterAt: at }
  fs.writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`)
  render(report)
}

/** Runs only the transactional handlers' scenarios and merges them into the saved results. */
const transactionalMain = async () => {
  const saved: Report = JSON.parse(fs.readFileSync(resultsPath, "utf8"))
  const at = new Date().toISOString()
  const transactional = await transactionalRuns()
  const report: Report = { ...saved, transactional, transactionalAt: at }
  fs.writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`)
  render(report)
}

/** Runs only the outage scenarios and merges them into the saved results. */
const outageMain = async () => {
  const saved: Report = JSON.parse(fs.readFileSync(resultsPath, "utf8"))
  const at = new Date().toISOString()
  const redis = await RedisServer.start({ appendOnly: true })
  try {
    const outage = await outageRuns(redis)
    const report: Report = { ...saved, outage, outageAt: at }
    fs.writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`)
    render(report)
  } finally {
    await redis.stop()
  }
}

/** Everything the tables and the doc are made of (saved as results/latest.json). */
interface Report {
  readonly mode: "quick" | "full"
  readonly startedAt: string
  readonly finishedAt: string
  readonly machine: string
  readonly load: string
  readonly runs: ReadonlyArray<ExactlyOnce.Figures>
  /** Absent in results written before issue #15's scenarios. */
  readonly leaseOverrun?: ReadonlyArray<ExactlyOnce.Figures>
  /** The outage-and-replay runs (issue #20), and when they ran; absent in earlier results. */
  readonly outage?: ReadonlyArray<Outage.OutageFigures>
  readonly outageAt?: string
  /** The transactional handlers' runs (issue #21), and when they ran; absent in earlier results. */
  readonly transactional?: ReadonlyArray<ExactlyOnce.Figures>
  readonly transactionalAt?: string
  /** The Redis Cluster's runs (issue #21), and when they ran; absent in earlier results. */
  readonly cluster?: ReadonlyArray<ExactlyOnce.Figures>
  readonly clusterAt?: string
  readonly hostile: ReadonlyArray<HostileFigures>
  readonly preVerification?: PreVerification.Figures
}

/** The tables of a report, in markdown, shared by stdout and the doc. */
interface Tables {
  readonly exactly: string
  readonly shutdown: string
  readonly overrun: string | undefined
  readonly outage: string | undefined
  readonly transactional: string | undefined
  readonly cluster: string | undefined
  readonly hostile: string
  readonly promises: string | undefined
  readonly cpu: string | undefined
  readonly latency: string | undefined
}

const kib = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`
// Status 0: the connection was reset before the answer was read (a 413 sent while the client was
// still sending its body, then the socket closed).
const statusText = (statuses: Record<string, number>) =>
  Object.entries(statuses).sort(([, a], [, b]) => b - a).map(([status, count]) => {
    const name = status === "0" ? "reset" : status
    return Object.keys(statuses).length === 1 ? name : `${name} ×${count}`
  }).join(", ")

const tablesOf = (report: Report): Tables => {
  const { hostile, runs } = report
  const exactly = table(
    [
      "store",
      "fault",
      "lease",
      "deliveries",
      "requests",
      "injected",
      "keys handled twice",
      "of which a run was cut at its deadline",
      "of which after completion",
      "never acked",
      "acked, not in ledger",
      "deliveries/s"
    ],
    runs.map((r) => [
      r.store,
      faultText[r.fault],
      `${(r.leaseMs ?? 2000) / 1000} s`,
      r.deliveries,
      r.requests,
      r.injected,
      r.handledTwice,
      r.handledTwiceAfterCut ?? "",
      r.handledAfterAck,
      r.neverAcked,
      r.ackedNotInLedger,
      r.throughput
    ])
  )
  const shutdown = table(
    [
      "store",
      "SIGTERMs",
      "handlers running at SIGTERM",
      "of which past the time budget",
      "finished during shutdown",
      "interrupted",
      "longest shutdown",
      "keys handled twice",
      "of which a run was cut at its deadline"
    ],
    runs.filter((r) => r.stops !== undefined).map((r) => [
      r.store,
      r.stops!.count,
      r.stops!.runningAtStop,
      r.stops!.pastBudgetAtStop,
      r.stops!.finishedDuringStop,
      r.stops!.interrupted,
      `${(r.stops!.longestMs / 1000).toFixed(1)} s`,
      r.handledTwice,
      r.handledTwiceAfterCut ?? ""
    ])
  )
  const overrun = report.leaseOverrun === undefined ? undefined : table(
    [
      "write",
      "deliveries",
      "slow external calls",
      "writes after the deadline",
      "runs cut at the deadline",
      "refused by the fence",
      "skipped (key had a row)",
      "keys written twice",
      "of which a run was cut at its deadline",
      "of which after completion",
      "never acked",
      "acked, not in ledger"
    ],
    report.leaseOverrun.map((r) => [
      writeText[r.write ?? "plain"],
      r.deliveries,
      r.overruns ?? 0,
      r.writesPastDeadline ?? 0,
      r.cutRuns ?? "",
      r.fencedRefused ?? 0,
      r.skipped ?? 0,
      r.handledTwice,
      r.handledTwiceAfterCut ?? "",
      r.handledAfterAck,
      r.neverAcked,
      r.ackedNotInLedger
    ])
  )
  const hostileTable = table(
    [
      "transport",
      "requests",
      "handler runs on unverified",
      "5xx for client input",
      "crashes",
      "secret in logs/responses",
      "heap growth (MB)"
    ],
    hostile.map((h) => [
      h.transport,
      h.requests,
      h.unverifiedRuns,
      h.serverErrors,
      h.crashes,
      h.secretLeaks,
      h.heapGrowthMb
    ])
  )
  const withPromises = hostile.filter((h) => h.promises !== undefined)
  const promises = withPromises.length === 0 ? undefined : table(
    [
      "transport",
      "GoldenPay empty-field variants",
      "ambiguous kind, automatic route: refused / sent",
      "`&` `=` reshaped or signed: refused / sent",
      "repeated id header: refused / sent",
      "forged log-line requests",
      "log messages quoting them",
      "unescaped annotations"
    ],
    withPromises.map((h) => {
      const p = h.promises!
      return [
        h.transport,
        p.emptyFieldVariants,
        `${p.ambiguousRefused} / ${p.ambiguousSent}`,
        `${p.separatorRefused} / ${p.separatorSent}`,
        `${p.repeatedIdRefused} / ${p.repeatedIdSent}`,
        p.forgedRequests,
        h.logInjections ?? 0,
        h.unescapedAnnotations ?? 0
      ]
    })
  )
  const pre = report.preVerification
  const cpu = pre === undefined ? undefined : table(
    ["provider", "unsigned body", "size", "answer (body limit)", "CPU per request"],
    pre.cpu.map((row) => [
      row.provider,
      PreVerification.junkText[row.junk],
      kib(row.bytes),
      `${statusText(row.statuses)} (${kib(row.limit)})`,
      `${row.cpuMs.toFixed(2)} ms`
    ])
  )
  const latency = pre === undefined ? undefined : table(
    ["authentic deliveries to", "meanwhile, 3 senders of ~700 KiB junk to", "junk answered", "p50", "p99"],
    pre.latency.map((row) => [
      row.provider,
      row.junkRoute === undefined ? "nothing" : `${row.junkRoute} (limit ${kib(row.junkLimit ?? 0)})`,
      row.junkRoute === undefined ? "" : `${row.junkRequests} (${statusText(row.junkStatuses)})`,
      `${row.p50Ms} ms`,
      `${row.p99Ms} ms`
    ])
  )
  const outage = report.outage === undefined ? undefined : table(
    [
      "store",
      "deliveries",
      "acked during the outage",
      "given up by the platform",
      "kept as dead letters",
      "replays: processed",
      "duplicate",
      "in flight",
      "failed",
      "late platform sends acked",
      "lost",
      "handled twice",
      "left open",
      "seconds"
    ],
    report.outage.map((r) => [
      r.store,
      r.deliveries,
      r.ackedDuringOutage,
      r.givenUp,
      r.deadLetters,
      r.replayed["Processed"] ?? 0,
      r.replayed["Duplicate"] ?? 0,
      r.replayed["InFlight"] ?? 0,
      r.replayed["Failed"] ?? 0,
      r.lateAcked,
      `**${r.lost}**`,
      `**${r.handledTwice}**`,
      `**${r.openAtEnd}**`,
      r.seconds
    ])
  )
  const transactional = report.transactional === undefined ? undefined : table(
    [
      "fault",
      "lease",
      "deliveries",
      "requests",
      "injected",
      "runs cut at the deadline",
      "side effects applied twice",
      "never acked",
      "acked, not in ledger",
      "deliveries/s"
    ],
    report.transactional.map((r) => [
      faultText[r.fault],
      `${(r.leaseMs ?? 2000) / 1000} s`,
      r.deliveries,
      r.requests,
      r.fault === "lease-overrun" ? `${r.overruns ?? 0} slow calls` : r.injected,
      r.cutRuns ?? "",
      `**${r.handledTwice}**`,
      `**${r.neverAcked}**`,
      `**${r.ackedNotInLedger}**`,
      r.throughput
    ])
  )
  const cluster = report.cluster === undefined ? undefined : table(
    [
      "fault",
      "lease",
      "deliveries",
      "requests",
      "failovers",
      "longest failover",
      "keys handled twice",
      "of which a run was cut at its deadline",
      "of which after completion",
      "completions lost",
      "never acked",
      "acked, not in ledger",
      "deliveries/s"
    ],
    report.cluster.map((r) => [
      faultText[r.fault],
      `${(r.leaseMs ?? 2000) / 1000} s`,
      r.deliveries,
      r.requests,
      r.injected,
      r.longestFailoverMs === undefined ? "" : `${(r.longestFailoverMs / 1000).toFixed(1)} s`,
      r.handledTwice,
      r.handledTwiceAfterCut ?? "",
      `**${r.handledAfterAck}**`,
      `**${r.completionsLost ?? "?"}**`,
      `**${r.neverAcked}**`,
      `**${r.ackedNotInLedger}**`,
      r.throughput
    ])
  )
  return {
    exactly,
    shutdown,
    overrun,
    outage,
    transactional,
    cluster,
    hostile: hostileTable,
    promises,
    cpu,
    latency
  }
}

/** Whether `check` holds for the issue #15 figures of every transport that has them. */
const withAll = (hostile: ReadonlyArray<HostileFigures>, check: (p: Hostile.PromiseFigures) => boolean) =>
  hostile.every((h) => h.promises === undefined || check(h.promises))

/** Every figure that breaks a promise, by name (empty: the run kept them all). */
const breaches = (report: Report): ReadonlyArray<string> => {
  const out: Array<string> = []
  const runs = report.runs
  const label = (r: ExactlyOnce.Figures) => `${r.store} ${r.fault}${r.write === undefined ? "" : ` (${r.write})`}`
  for (const r of report.transactional ?? []) {
    if (r.handledTwice > 0) out.push(`transactional ${r.fault}: ${r.handledTwice} side effects applied twice`)
  }
  for (
    const r of [...runs, ...(report.leaseOverrun ?? []), ...(report.transactional ?? []), ...(report.cluster ?? [])]
  ) {
    if (r.neverAcked > 0) out.push(`${label(r)}: ${r.neverAcked} deliveries never acknowledged`)
    if (r.ackedNotInLedger > 0) out.push(`${label(r)}: ${r.ackedNotInLedger} acknowledged without a handler run`)
    if ((r.shutdownFailures ?? 0) > 0) out.push(`${label(r)}: ${r.shutdownFailures} servers broke the shutdown bound`)
  }
  for (const r of runs) {
    if (r.handledAfterAck > 0) out.push(`${label(r)}: ${r.handledAfterAck} completed keys handled again`)
    const twice = r.handledTwice - (r.handledTwiceAfterCut ?? 0)
    if (r.fault === "sigterm" && twice > 0) out.push(`${label(r)}: ${twice} keys handled twice across graceful stops`)
  }
  // Without a fault the cluster must keep every promise; under failover a completed key handled again
  // or a completion lost is the asynchronous replication documented in stores.md ("Failover"):
  // reported, not a breach.
  for (const r of report.cluster ?? []) {
    if (r.fault !== "none") continue
    if (r.handledAfterAck > 0) out.push(`${label(r)}: ${r.handledAfterAck} completed keys handled again`)
    if ((r.completionsLost ?? 0) > 0) out.push(`${label(r)}: ${r.completionsLost} completions lost`)
    const twice = r.handledTwice - (r.handledTwiceAfterCut ?? 0)
    if (twice > 0) out.push(`${label(r)}: ${twice} keys handled twice without a fault`)
  }
  for (const r of report.leaseOverrun ?? []) {
    if (r.write !== "plain" && r.handledAfterAck > 0) {
      out.push(`${label(r)}: ${r.handledAfterAck} writes after completion`)
    }
    if (r.write === "token+key" && r.handledTwice > 0) out.push(`${label(r)}: ${r.handledTwice} keys written twice`)
  }
  for (const r of report.outage ?? []) {
    if (r.lost > 0) out.push(`outage ${r.store}: ${r.lost} deliveries lost`)
    if (r.handledTwice > 0) out.push(`outage ${r.store}: ${r.handledTwice} deliveries handled twice`)
    if (r.openAtEnd > 0) out.push(`outage ${r.store}: ${r.openAtEnd} dead letters left open`)
    if (r.ackedDuringOutage > 0) out.push(`outage ${r.store}: ${r.ackedDuringOutage} acknowledged while down`)
    if (r.deadLetters !== r.givenUp) {
      out.push(`outage ${r.store}: ${r.givenUp} given up by the platform, ${r.deadLetters} kept`)
    }
  }
  for (const h of report.hostile) for (const v of h.violations.slice(0, 10)) out.push(`hostile ${h.transport}: ${v}`)
  for (const h of report.hostile) {
    const p = h.promises
    if (p === undefined) continue
    if (!p.unsignedTimestampRefused) {
      out.push(`hostile ${h.transport}: an unsigned timestamp was accepted at construction`)
    }
    if (p.ambiguousRefused !== p.ambiguousSent) out.push(`hostile ${h.transport}: ambiguous GoldenPay kind not refused`)
    if (p.separatorRefused !== p.separatorSent) out.push(`hostile ${h.transport}: & or = not refused`)
    if (p.repeatedIdRefused !== p.repeatedIdSent) out.push(`hostile ${h.transport}: repeated id header not refused`)
    if ((h.logInjections ?? 0) + (h.unescapedAnnotations ?? 0) > 0) {
      out.push(`hostile ${h.transport}: request text in the logs before verification`)
    }
  }
  for (const v of report.preVerification?.violations ?? []) out.push(`pre-verification: ${v}`)
  return out
}

const render = (report: Report): void => {
  const tables = tablesOf(report)
  const shown = [
    tables.exactly,
    tables.shutdown,
    tables.overrun,
    tables.outage,
    tables.transactional,
    tables.cluster,
    tables.hostile,
    tables.promises,
    tables.cpu,
    tables.latency
  ]
  process.stdout.write(`\n${shown.filter((t) => t !== undefined).join("\n\n")}\n`)
  for (const breach of breaches(report).slice(0, 40)) process.stdout.write(`  ${breach}\n`)
  const docPath = fileURLToPath(new URL("../../docs/reliability.md", import.meta.url))
  fs.writeFileSync(docPath, document(report, tables))
  log(`wrote ${docPath}`)
}

const notMeasured = "Not measured in this run (the results predate it)."

const document = (report: Report, tables: Tables): string => {
  const { hostile, runs } = report
  const sum = (pick: (f: ExactlyOnce.Figures) => number) => runs.reduce((total, f) => total + pick(f), 0)
  const startedAt = new Date(report.startedAt)
  const minutes = Math.round((new Date(report.finishedAt).getTime() - startedAt.getTime()) / 6000) / 10
  const broken = breaches(report)
  const sigterm = runs.filter((r) => r.fault === "sigterm")
  const sigkill = runs.filter((r) => r.fault === "sigkill")
  const allRuns = [...runs, ...(report.leaseOverrun ?? []), ...(report.transactional ?? []), ...(report.cluster ?? [])]
  const shutdownFailures = allRuns.reduce((total, r) => total + (r.shutdownFailures ?? 0), 0)
  const stops = allRuns.reduce((total, r) => total + (r.gracefulStops ?? 0), 0)
  const overrun = (write: ExactlyOnce.Write) => report.leaseOverrun?.find((r) => r.write === write)
  const plain = overrun("plain")
  const token = overrun("token")
  const tokenKey = overrun("token+key")
  const clusterNone = report.cluster?.find((r) => r.fault === "none")
  const clusterFailover = report.cluster?.find((r) => r.fault === "failover")
  const promises = hostile.find((h) => h.promises !== undefined)?.promises
  const pre = report.preVerification
  const cpuOf = (junk: PreVerification.JunkName, limit: "default" | "raised") =>
    pre?.cpu.find((row) =>
      row.junk === junk &&
      (limit === "raised" ? row.limit === PreVerification.raisedLimit : row.limit < PreVerification.raisedLimit)
    )
  const range = (rows: ReadonlyArray<PreVerification.CpuRow | undefined>) => {
    const values = rows.filter((row) => row !== undefined).map((row) => row.cpuMs)
    return values.length === 0 ? "?" : `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} ms`
  }
  const parseFirst: ReadonlyArray<PreVerification.JunkName> = [
    "goldenpay-array",
    "goldenpay-fields",
    "em-json-array",
    "em-form-fields"
  ]
  const latencyOf = (provider: string, junk: "none" | "default" | "raised") =>
    pre?.latency.find((row) =>
      row.provider === provider &&
      (junk === "none"
        ? row.junkRoute === undefined
        : junk === "raised"
        ? row.junkLimit === PreVerification.raisedLimit
        : row.junkLimit !== undefined && row.junkLimit < PreVerification.raisedLimit)
    )
  return `<!-- Generated by \`npm run reliability\` (reliability/src/run.ts). Do not edit by hand. -->
# Reliability

## What we promise

**Every authentic delivery is handled, and acknowledged only after it was handled and its completion
recorded, across any number of processes sharing one store; a delivery whose completion was recorded
is never handled again; nothing unverified reaches a handler.** The pipeline, rule zero, leases and
fingerprints are explained once in [concepts](concepts.md); the stores in [stores](stores.md); the
security model in [security](security.md). And, since issue #15:

* **A graceful stop loses nothing and repeats nothing.** \`server.close()\` then
  \`await listener.dispose()\` (on SIGTERM) answers the requests in progress, lets the handlers running
  in the background finish and record their completions while the store is still open, then closes
  the store — all within \`shutdownTimeout\`. The platform's retry of anything that process handled
  is a \`Duplicate\`.
* **Nothing unsigned decides anything, and nothing unverified reaches a log message**: GoldenPay's
  empty fields and unescaped \`&\`/\`=\` cannot change a delivery's kind, key or event; a repeated id
  header is refused, not joined into a key nobody sent; request text before verification never
  reaches a log message (at most an escaped annotation).
* **Under the default body limits, an unsigned request costs about what any request costs**,
  whatever its size, on the providers that must parse a body to find its signature (GoldenPay, EM).

The one thing no webhook receiver can promise alone: a handler whose side effect was done but whose
completion could not be recorded (the process was killed in between, the store was unreachable at
that moment, or the handler outlived its claim) runs again on the platform's retry. See
[the at-least-once window](#the-at-least-once-window) and
[handlers that outlive their lease](#handlers-that-outlive-their-lease) for how often that happened
below and how to make it harmless. **When the side effect is a write to the PostgreSQL database that
holds the store's table, hookline closes the window** (issue #21): a handler defined with
\`transactional: true\` writes in the transaction that records its completion, so the two commit
together or not at all — [measured below](#exactly-once-side-effects-transactional-handlers) under
the same kills, failures and lost claims. And a recorded completion is only as durable as the store:
on a Redis Cluster (or any replicated Redis) a master that fails before its replica received the
completion loses it, and the key can run again — [measured below](#redis-cluster-a-master-failover).

## How it is tested

\`npm run reliability\` (this page; \`-- --quick\` for a short run) and, reduced, the \`reliability\`
project of \`npm test\` (a few hundred deliveries per scenario — SIGTERM and the three lease-overrun
writes among them —, the hostile corpus and issue #15's cases, 200 mutations per transport, three
junk requests per body and 30 timed deliveries per latency row, the security checks), which asserts
every figure below that must be 0.

**Exactly once across processes** ([\`ExactlyOnce.ts\`](../reliability/src/ExactlyOnce.ts),
[\`server.ts\`](../reliability/src/server.ts)). Four separate Node processes serve core's HMAC provider
on one shared store: a private \`redis-server\` started for the run (append-only file, fsync always),
then PostgreSQL. The handler waits a few milliseconds and inserts the delivery's key into a ledger
table in PostgreSQL (no unique constraint: every run of the handler is a row). A driver plays the
platform: distinct signed deliveries, 30% of them sent twice at the same moment to two different
processes, 64 in flight, every non-2xx answer or connection error retried with exponential backoff
(20 ms doubling to 1 s, jittered) through the next live process until acknowledged. Lease 2 s (10 s
for the second Redis restart and for SIGTERM, whose stops must not depend on a lease running out);
\`shutdownTimeout\` 5 s.
Faults, one per scenario, injected repeatedly while deliveries are sent: handlers failing 10% of the
time at random; \`SIGKILL\` of a random server process (restarted on a new port; its claims are taken
over after the lease); \`SIGTERM\` of a random server process, which stops gracefully
(\`server.close()\`, \`await listener.dispose()\`, exit) and is replaced once it exited — there 5% of the
handlers work 600 ms against a 250 ms time budget, so every stop finds handlers running in the
background, already answered "retry", whose completions must still be recorded; Redis killed and
restarted (down 1 s); the store's PostgreSQL backends terminated (found by the \`application_name\`
the servers set, never anything else). Then the ledger is compared with the acknowledgements:

* **keys handled twice**: keys with more than one ledger row;
* **of which a run was cut at its deadline**: keys one of whose runs the pipeline cut at its claim's
  deadline (its log line "ran past its claim's deadline", read by the servers that stopped
  gracefully): the handler, or its \`complete\`, had not finished by then — on a loaded machine even a
  few milliseconds of work and one \`INSERT\` sometimes take that long —, the pipeline interrupted it
  and released the claim although its \`INSERT\` had reached PostgreSQL, and the retry ran it again
  (see [below](#runs-cut-at-their-deadline)). The rest must be 0 without faults, with handler
  failures, and under SIGTERM;
* **of which after completion**: a second run that started after the key was acknowledged (so after
  its completion was recorded) — the promise above says this must be 0;
* **never acked**: authentic deliveries the platform never got an ack for (must be 0);
* **acked, not in ledger**: acknowledged without the handler having run (must be 0);
* **deliveries/s**: distinct deliveries acknowledged per second, duplicates and retries included in the work.

Every server is stopped with SIGTERM at the end of every scenario (and mid-run under the SIGTERM
fault); one that has not exited ${ExactlyOnce.shutdownBoundMs / 1000} s later (\`shutdownTimeout\` + 2 s),
or exits with an error, is killed and counted as a broken shutdown (must be 0). At each stop the
server reports how many handlers were running, how many of those were past the time budget, how
many finished during the stop and how many were interrupted.

**On a Redis Cluster** (the same driver and servers, issue #21): the Redis store on a private
3-master cluster with a replica per master, without a fault and with a master killed and failed over
every 5 s ([below](#redis-cluster-a-master-failover)).

**Handlers that outlive their lease** (the same driver and servers, PostgreSQL, the ledger in the
same database as the store's table). 5% of handler runs make a slow "external call" that neither
interruption nor \`context.signal\` reaches (\`Effect.uninterruptible\`, like a client not given the
signal) lasting 0.8 to 1.6 times the 2 s lease, and then write the ledger row inside the same
uninterruptible block — the write that call's result leads to. The pipeline interrupts the handler at
\`context.deadline\` (the lease minus a tenth, measured from before the claim), answers "retry", and
releases the claim when the block ends; the platform's retry takes the key over. Three ways to write,
one scenario each: a plain \`INSERT\`; the fenced write of
[concepts](concepts.md#two-holders-one-key-what-is-guaranteed) (in one transaction,
\`SELECT 1 FROM <store table> WHERE key = … AND token = …::uuid AND state = 'in_flight' AND
expires_at > now() FOR UPDATE\`, then the \`INSERT\`; no row: nothing written); and the same fence
plus a check that the key has no row yet (the claim row's lock serialises a key's writers).

**Transactional handlers** (the same driver and servers, PostgreSQL, issue #21). The handler is
defined with \`transactional: true\` and writes its ledger row through the store's own \`SqlClient\` —
in the transaction the pipeline opened, which records the completion — and only *then* does its few
milliseconds of work and, under the handler-failure fault, fails (10%): every fault lands between the
side effect and the completion, where the plain handler above would leave a second row. Faults as
above (no fault, handler failures, SIGKILL, SIGTERM with slow handlers, the store's backends — now
also the handlers' transactions — terminated), and the lease overrun: 5% of runs make the slow
uninterruptible call and then write, inside the transaction. A key with two ledger rows is a side
effect applied twice: it must be 0 in every scenario.

**Outage and replay** ([\`Outage.ts\`](../reliability/src/Outage.ts), issue #20). Two server
processes with a dead-letter store of the run's kind (Redis, then PostgreSQL) and a handler whose
database is down: every run fails. The driver plays GoldenPay's policy, scaled down: a first send (to
both processes at once for 30% of deliveries), one retry 500 ms later, then nothing — the platform
gives up on every delivery. Only then is the database back (\`POST /up\`). Both processes replay at
once (\`DeadLetters.replayAll\`, racing each other), while the platform sends a fifth of the
deliveries once more; a last sweep replays whatever is still open. The ledger must show every
delivery handled exactly once, and no dead letter may be left open. See
[dead letters](dead-letters.md).

**Hostile input** ([\`Hostile.ts\`](../reliability/src/Hostile.ts),
[\`HostileRun.ts\`](../reliability/src/HostileRun.ts)). The four bundled providers (HMAC with
\`id.timestamp.body\`, iGV, GoldenPay with one route per kind — \`/goldenpay\` collect,
\`/goldenpay/payout\` payout, and \`/goldenpay/auto\` without a \`kind\` — and EM) behind a real
\`node:http\` server (\`toNodeListener\`, requests written on raw sockets so duplicate and malformed
headers arrive as sent) and behind \`toWebHandler\`. A corpus (every header dropped, duplicated,
renamed by a flipped bit, value bits flipped; body bits flipped; truncated, oversized and empty
bodies; invalid UTF-8 and BOMs; replays outside the tolerance; signed bodies with invalid UTF-8,
integers beyond 2^53, \`__proto__\` / \`constructor\` keys, 20,000-deep nesting; EM form bodies with
repeated keys, one of them a forged \`request_data\`) plus fast-check mutations of random
deliveries. Each hostile request is sent first, then the authentic delivery it came from, which must
still be acknowledged. A handler run whose event is not the authentic delivery's event (decoded by a
separate, untouched receiver) counts as a run on an unverified delivery. Slow-loris requests
(headers and part of a declared body, then silence) must end with node's \`408\`
(\`server.requestTimeout\`, set to 2 s here) while the server keeps serving. The receivers' logs are
captured and searched for the secret. Heap growth is measured after a warm-up round, with \`gc()\`
before both readings.

Issue #15's cases, on both transports ([\`HostileRun.promises\`](../reliability/src/HostileRun.ts)):
four GoldenPay captures (a paid collect, a failed collect with \`payed_amount\`, \`channel\` and
\`payed_at\` null, a paid and a pending payout) with their empty fields stripped, or \`"channel": null\`,
\`"payed_amount": null\`, \`"channel": ""\` added, under the captured \`sign\` — the run compares every
handler run with the authentic event, as above; the captures whose signed content does not say
"collect" sent to the automatic route (must all be refused, 400); every pair of neighbouring signed
fields folded into one value (\`{"a":"1&b=2"}\` signs what \`{"a":"1","b":"2"}\` signs) and deliveries
signed with \`&\` or \`=\` in a field name or value (must all be refused, 400); a fifth route,
\`/hmac-body\`, with \`signedContent: "body"\`, and \`/hmac\`, each sent the id header twice (another id
after or before it, or the same one again: must all be refused, 400, and never run);
\`Hmac.provider({ signedContent: "body", timestampHeader })\` (must throw \`Misconfigured\`); and,
from an authentic delivery of every route, requests carrying a fake \`{"handled":…}\` event line and
a marker — as every header's value in turn, an added header, the query string, the whole body, every
JSON string value or form field (with a line break), and a raw line break inside a JSON string —
where the captured log *messages* (message and cause, not annotations) must never contain the marker,
and no annotation may carry it next to an unescaped line break.

**Cost before the signature** ([\`PreVerification.ts\`](../reliability/src/PreVerification.ts),
[\`costServer.ts\`](../reliability/src/costServer.ts),
[\`junkSender.ts\`](../reliability/src/junkSender.ts)). A receiver process serves the providers on
their default body limits (GoldenPay and EM 64 KiB, HMAC and iGV 1 MiB), and GoldenPay and EM again
with \`bodyLimit\` raised to 1 MiB, logging its rejections on stderr as a production receiver would.
The driver sends ~700 KiB unsigned bodies, each with its \`Content-Length\`, on fresh connections, and
reads the receiver's own \`process.cpuUsage()\` before and after each of ${
    report.mode === "full" ? "20" : "5"
  } of them (after two warm-up requests) and reports the median. Then it times authentic deliveries sent one after the other
(${report.mode === "full" ? "400" : "100"} per row, after a tenth as warm-up), alone and while another
process runs three senders pushing the worst body to a route as fast as they are answered.

**Security checks** ([\`security.test.ts\`](../reliability/test/security.test.ts), in \`npm test\`):
for each provider, a valid and a forged same-length signature both go through \`node:crypto\`'s
\`timingSafeEqual\` on equal-length buffers (observed with a spy on the module — not a timing test);
the secret, in plain, hex, base64 and base64url form, never appears in logs, spans, outcomes,
responses, or the errors of stores whose connection URL carries it as a password, on every path
(processed, duplicate, handler failure, forged, stale, malformed, invalid UTF-8, payload mismatch,
store unavailable); deliveries signed outside each provider's tolerance are rejected both ways; a
repeated key with a different payload is a \`PayloadMismatch\` (409) on every provider.

## Latest figures

${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, a ${report.mode} run of ${minutes} minutes, on
${report.machine}. The machine is shared with other work (load average ${report.load} at the start); throughput,
latency and CPU time are a floor for this setup (servers, the driver and PostgreSQL on the same
cores), not a benchmark — see [benchmarks](benchmarks.md) for those.

${
    broken.length === 0
      ? "**Every promise held**: every figure below that must be 0 is 0."
      : `**This run broke a promise:**\n\n${broken.slice(0, 20).map((b) => `* ${b}`).join("\n")}`
  }

### Exactly once

${tables.exactly}

Totals: ${sum((f) => f.deliveries)} distinct deliveries, ${sum((f) => f.requests)} requests;
completed keys handled again: **${sum((f) => f.handledAfterAck)}**; authentic deliveries never
acknowledged: **${sum((f) => f.neverAcked)}**; acknowledgements without a handler run:
**${sum((f) => f.ackedNotInLedger)}**; servers that did not stop within ${
    ExactlyOnce.shutdownBoundMs / 1000
  } s of SIGTERM (or failed
to): **${shutdownFailures}** of ${stops}.

### Graceful shutdown

${
    sigterm.length === 0 ? notMeasured : `${tables.shutdown}

Keys handled twice must be 0 here, apart from runs cut at their deadline (which no stop causes: they
are counted in the exactly-once table, and the 10 s lease makes them rare): a handler that finishes
while its process stops records its completion before the store closes, so the platform's retry to
another process is a \`Duplicate\`.
Under SIGKILL the same kind of stop leaves ${sigkill.map((r) => `${r.handledTwice} (${r.store})`).join(" and ")}
keys handled twice — the handlers cut between their side effect and their completion. A handler
still running near the end of \`shutdownTimeout\` would be interrupted and its claim released
("interrupted": during the stops; none are expected here, the slow handlers take 600 ms of the 5 s).`
  }

### Outage and replay

${
    tables.outage === undefined
      ? notMeasured
      : `${tables.outage}

${
        report.outageAt !== undefined && report.outageAt !== report.startedAt
          ? `Measured ${
            report.outageAt.slice(0, 16).replace("T", " ")
          } UTC, after the rest of this page (\`--outage-only\`). `
          : ""
      }Every delivery failed while the database was down and the platform gave up on it; each was kept
and, replayed by two processes at once while the platform sent some of them late, handled once: a
replay that met the other process's run of the same key answered "in flight" and left it to that
run, and a key already processed was a duplicate.`
  }

### Handlers that outlive their lease

${
    tables.overrun === undefined || plain === undefined || token === undefined || tokenKey === undefined
      ? notMeasured
      : `${tables.overrun}

What must hold: with the fence, no write after the key's completion (**${token.handledAfterAck}** and
**${tokenKey.handledAfterAck}**), nothing lost; with the fence and the key check, no key written twice
(**${tokenKey.handledTwice}**).

* **Plain write**: ${plain.handledTwice} keys written twice, ${plain.handledAfterAck} of them after the
  key had been completed and acknowledged — the overlap of docs/concepts.md: the slow call's write
  lands after the platform's retry took the key over, ran the handler and completed it. Interruption
  stopped the handler, not the call.
* **Fenced by the claim token**: ${token.fencedRefused} writes refused (the claim had been taken over
  or had expired), ${token.handledAfterAck} after completion. ${
        token.handledTwice === 0
          ? "No key was written twice in this run, but the fence does not exclude it:"
          : `But ${token.handledTwice} keys were still written twice, ${
            token.handledTwiceAfterCut ?? "?"
          } of them after a run cut at its deadline:`
      } the fence lets a write through while the claim is live, and the claim outlives the handler's
  deadline by a tenth of the lease (at most 1 s; ${token.writesPastDeadline} writes committed after
  their deadline here). When the deadline's interruption lands after such a write — or after the
  handler returned, while its \`complete\` is in flight — the pipeline releases the claim instead of
  recording the completion, and the retry writes again. The fence stops a write after a takeover; it
  does not make a late write's completion count.
* **Fenced, and skipped when the key has a row**: ${tokenKey.skipped} writes skipped, ${tokenKey.handledTwice}
  keys written twice. This is what concepts.md recommends besides the fence — a unique key on the
  write (here a check under the claim row's lock, which serialises a key's writers). It also covers
  the at-least-once window below.`
  }

### Exactly-once side effects: transactional handlers

${
    tables.transactional === undefined
      ? notMeasured
      : `${tables.transactional}

${
        report.transactionalAt !== undefined && report.transactionalAt !== report.startedAt
          ? `Measured ${
            report.transactionalAt.slice(0, 16).replace("T", " ")
          } UTC, after the rest of this page (\`--transactional-only\`). `
          : ""
      }The ledger row is the handler's side effect, written before its work and any failure: a process
killed mid-handler, a failure after the write, a terminated backend, a deadline, a claim lost to a
takeover — each rolled the write back with the transaction, and the platform's retry applied it once.
Compare the plain PostgreSQL handler under SIGKILL in the exactly-once table. The cost is a held
connection per running handler and one \`BEGIN\`/\`COMMIT\` pair per delivery (the deliveries/s
column against the plain PostgreSQL rows above); see
[concepts](concepts.md#exactly-once-side-effects-transactional-handlers).`
  }

### Redis Cluster: a master failover

${
    tables.cluster === undefined || clusterNone === undefined || clusterFailover === undefined
      ? notMeasured
      : `${tables.cluster}

${
        report.clusterAt !== undefined && report.clusterAt !== report.startedAt
          ? `Measured ${
            report.clusterAt.slice(0, 16).replace("T", " ")
          } UTC, after the rest of this page (\`--cluster-only\`). `
          : ""
      }The same driver and four servers on \`RedisStore.layerNodeCluster\`, against a private Redis Cluster
of three masters with one replica each (append-only files, \`appendfsync always\`,
\`cluster-node-timeout\` 1 s, the default \`cluster-require-full-coverage yes\`), a fresh cluster per
scenario. Under **failover**, every 5 s a random master is killed (SIGKILL); the run waits until its
replica was promoted and every live node reports \`cluster_state:ok\` (longest:
${((clusterFailover.longestFailoverMs ?? 0) / 1000).toFixed(1)} s), then restarts the killed node,
which rejoins as a replica of the node that replaced it, so every master has a replica again before
the next kill. Until the promotion, the dead master's slots are unserved and, with full coverage
required, the whole cluster refuses commands: every delivery is answered "retry" and retried by the
platform. **Completions lost** reads every acknowledged key from the cluster after the run: a key not
completed there any more would be handled again by a later redelivery of the platform.

What must hold, and held: without a fault, nothing lost, nothing acknowledged early, no completed key
handled again (**${clusterNone.neverAcked}**, **${clusterNone.ackedNotInLedger}**,
**${clusterNone.handledAfterAck}**, **${clusterNone.completionsLost ?? "?"}** completions lost); under
failover, no delivery lost and none acknowledged without a handler run (**${clusterFailover.neverAcked}**,
**${clusterFailover.ackedNotInLedger}**). The store follows the promotion on its own: node-redis
re-reads the cluster's layout only on a \`MOVED\` or \`ASK\` reply, which a dead master never sends, so
the store asks for the layout again after a failed command (at most every 250 ms); without that, the
dead master's keys failed until the node came back (tested in
[\`RedisCluster.test.ts\`](../packages/store-redis/test/RedisCluster.test.ts): a failover whose node
stays down).

**What a failover does not keep: acknowledged writes not yet replicated.** Redis replication is
asynchronous. A claim or a completion that a master acknowledged and then died before sending to its
replica is missing on the promoted replica: a lost claim lets another process claim the key while
the first run is still going (a key handled twice while in flight); a lost completion makes a
completed, acknowledged key unknown again, so the platform's next delivery of it runs the handler a
second time. This run measured **${clusterFailover.handledAfterAck}** completed keys handled again
after their acknowledgement and **${clusterFailover.completionsLost ?? "?"}** completions lost in all,
over ${clusterFailover.injected} failovers. That is not proof that none can be lost: on one machine a
replica trails its master by well under a millisecond, so the window is narrow here; across hosts it
is as wide as the replication lag. \`appendfsync always\` does not help: the master's disk is not what
survives, its replica is.

The ${clusterFailover.handledTwice} keys handled twice under failover (${
        clusterFailover.handledTwiceAfterCut ?? 0
      } of them after a run cut at its deadline) are, as far as these figures tell, the [at-least-once window](#the-at-least-once-window) of a
store outage, not lost writes: until the promotion the cluster refuses every command for
${((clusterFailover.longestFailoverMs ?? 0) / 1000).toFixed(1)} s at most, longer than the 2 s lease, so a
handler that had written its ledger row could not record its completion, its claim lapsed, and the
platform's retry ran it again (the Redis restarts of the exactly-once table show the same). Without a fault, ${clusterNone.handledTwice} keys were handled twice, ${
        clusterNone.handledTwiceAfterCut ?? 0
      } of them after a run cut at its deadline on this loaded machine. These figures are reported, not counted as breaches: the
promise holds for what the store has recorded, and a Redis failover can unrecord it — as
[stores](stores.md#cluster-sentinel-managed-redis) says.

What you can do about it: nothing in hookline waits for replicas today — the store sends one
command per operation (a claim's \`SET\`, a completion's \`EVALSHA\`) and no \`WAIT\` (\`WAIT\` cannot run inside a script, and node-redis's
\`cluster.defaults\` have no such setting). \`WAIT 1 <ms>\` after the completion would narrow the
window to failovers during those milliseconds, at one more round trip per delivery; Redis's
\`min-replicas-to-write 1\` with \`min-replicas-max-lag\` makes a master refuse writes (the pipeline
answers "retry") when no replica is keeping up, which bounds the loss to that lag without removing it.
Neither makes replication synchronous. When a completed key must never run again, make the side
effect idempotent on \`context.key\` (see [below](#the-at-least-once-window)), or use the SQL store on
a PostgreSQL with synchronous replication.`
  }

### Hostile input

${tables.hostile}

${
    promises === undefined || tables.promises === undefined ? notMeasured : `${tables.promises}

${
      hostile.every((h) => h.unverifiedRuns === 0)
        ? "Every GoldenPay variant was either processed as the authentic delivery (the same event — the first " +
          "table counts any other as a run on an unverified delivery) or refused."
        : "**Some handler ran on another event than the authentic one: see the violations below.**"
    } The automatic route refused ${
      withAll(hostile, (p) => p.ambiguousRefused === p.ambiguousSent) ? "every" : "**not every**"
    } capture whose signed content does not say "collect"; \`Hmac.provider\` ${
      promises.unsignedTimestampRefused ? "threw `Misconfigured`" : "**did not refuse**"
    } for \`signedContent: "body"\` with a \`timestampHeader\`; the forged-log-line requests produced
${
      hostile.reduce((total, h) => total + (h.rejectionLogs ?? 0), 0)
    } log lines on the two transports, none quoting them. Known
and documented, measured rather than counted as violations: a capture replayed to the *other* kind's
GoldenPay route was handled there in ${promises.crossRouteHandled} of ${promises.crossRouteSent} replays
(a failed collect accepted as a payout, a pending payout as a collect: nothing signed tells
them apart; see [GoldenPay, Security](providers/goldenpay.md#security)).`
  }

${
    hostile.some((h) => h.violations.length > 0)
      ? `Violations:\n\n${
        hostile.flatMap((h) => h.violations.slice(0, 10).map((v) => `* ${h.transport}: ${v}`)).join("\n")
      }`
      : "No violation."
  }

### Cost before the signature

${
    pre === undefined || tables.cpu === undefined || tables.latency === undefined ? notMeasured : `${tables.cpu}

${tables.latency}

What must hold: under the default limits an unsigned body costs what any request costs — the first
row, a 50-byte body, is the floor of a fresh connection, the HTTP parse, the rejection and its log
line — whatever its size: ${range(parseFirst.map((junk) => cpuOf(junk, "default")))} for the ~700 KiB
bodies, answered 413 from their \`Content-Length\`. With the limit raised to 1 MiB they are read,
decoded and refused by the shape scan before any parse: ${
      range(parseFirst.map((junk) => cpuOf(junk, "raised")))
    }. Authentic GoldenPay deliveries kept a p50 of ${latencyOf("GoldenPay", "default")?.p50Ms ?? "?"} ms under
three junk senders (${latencyOf("GoldenPay", "none")?.p50Ms ?? "?"} ms alone; ${
      latencyOf("GoldenPay", "raised")?.p50Ms ?? "?"
    } ms with the limit raised); EM ${latencyOf("EM", "default")?.p50Ms ?? "?"} ms (${
      latencyOf("EM", "none")?.p50Ms ?? "?"
    } ms alone). Before issue #15 (the measurement quoted in the issue: 1 MiB default limit, no shape
scan, a ~780 KiB unsigned body): GoldenPay about 200 ms and EM about 100 ms of CPU per request (HMAC 3
ms), and three senders of such bodies pushed authentic deliveries' p50 from 3 ms to 415 ms. HMAC and
iGV verify before they parse, so their cost is reading the body (and, for HMAC, one HMAC over it),
up to their 1 MiB default limit.`
  }

## The at-least-once window

"Keys handled twice" counts the handler runs whose completion was never recorded and which the
platform's retry therefore ran again: the handler inserted its ledger row, and then the process was
killed, or the store was unreachable, before \`complete\` succeeded. The claim is then released (or
its lease expires) and the next attempt runs the handler again. ${
    sum((f) => f.handledAfterAck + f.neverAcked + f.ackedNotInLedger) === 0
      ? "No completed key was run again in any scenario, and no delivery was lost or acknowledged early."
      : "**This run broke the promise: see the columns after completion, never acked and acked, not in ledger.**"
  } ${
    runs.filter((r) => r.fault === "none" || r.fault === "handler-fail" || r.fault === "sigterm").every((r) =>
        r.handledTwice - (r.handledTwiceAfterCut ?? 0) === 0
      )
      ? "Without faults, with handler failures only, and under graceful stops (SIGTERM), the count is 0" +
        (runs.some((r) => (r.handledTwiceAfterCut ?? 0) > 0) ? ", runs cut at their deadline aside." : ".")
      : ""
  }

The pipeline narrows the window: when \`complete\` fails after the handler succeeded, it retries
the completion (exponential from 25 ms, at most 1 s apart) until nine tenths of the claim's lease
has passed — past the time budget it goes on in the background, and the platform's retries meanwhile
find the key in flight and are answered "retry" — before releasing the claim. It is safe because
\`complete\` is fenced by the claim's token and live lease. So a store outage shorter than the lease
leaves no re-run: with the default 60 s lease, anything under ~54 s. In this run the lease is 2 s
(so that a killed server's claims are taken over quickly), which leaves the retry less than 1.8 s
for a Redis that is down 1 s, must then load its append-only file, and is found again by the
client's reconnect backoff (up to 2 s apart). ${
    (() => {
      const longer = runs.find((r) => r.fault === "redis-restart" && (r.leaseMs ?? 2000) > 2000)
      const shorter = runs.find((r) => r.fault === "redis-restart" && (r.leaseMs ?? 2000) === 2000)
      return longer === undefined || shorter === undefined ?
        "" :
        `The same Redis restarts with a ${(longer.leaseMs ?? 0) / 1000} s lease: ${longer.handledTwice} keys ` +
        `handled twice, against ${shorter.handledTwice} with 2 s.`
    })()
  } A process killed between the side effect and the completion always leaves the window open; one
stopped gracefully does not. The figures vary from run to run (the window depends on what is in
flight at the moment of the fault).

### Runs cut at their deadline

${
    (() => {
      const cutKeys = runs.reduce((total, r) => total + (r.handledTwiceAfterCut ?? 0), 0)
      const cutRuns = runs.reduce((total, r) => total + (r.cutRuns ?? 0), 0)
      return `In the exactly-once scenarios the pipeline cut ${cutRuns} runs at their claim's deadline (2 s
lease, deadline 1.8 s after the claim was sent; counted on the servers that stopped gracefully), and
${cutKeys} keys were handled twice after one of them. Such a run is one whose few milliseconds of
work and one \`INSERT\`, or whose \`complete\`, took longer than the deadline on this shared machine
(load average ${report.load} at the start); nothing failed. It shows what [handlers that outlive their lease](#handlers-that-outlive-their-lease)
shows on purpose: at the deadline the pipeline interrupts the handler — and, if the handler has just
returned, its \`complete\` — and releases the claim, even when the handler's write already reached the
database. A write is not a step Effect's interruption can take back.`
    })()
  }

Make the window harmless in your handler, the way payment platforms expect anyway:

* make the side effect idempotent on \`context.key\` (an \`INSERT … ON CONFLICT DO NOTHING\` on the
  key, a unique constraint, an upsert), and
* with the PostgreSQL store in your database, fence the write with \`context.token\` as
  [concepts](concepts.md#two-holders-one-key-what-is-guaranteed) shows, so a run that outlived its
  claim cannot write after another took it over ([above](#handlers-that-outlive-their-lease): the
  fence alone still leaves a late write whose completion is not recorded; the key check closes it);
* or, when the side effect is a write to the same PostgreSQL database as the store, define the
  handler with \`transactional: true\`: the write and the completion commit in one transaction
  ([measured above](#exactly-once-side-effects-transactional-handlers)).

## Out of scope

* Redis without persistence: a Redis that restarts empty forgets completed keys, and the platform's
  next retry of an already-handled delivery runs again. Run Redis with an append-only file (the run
  uses \`appendfsync always\`) or a replica, or use the SQL store.
* Handlers with side effects that are not idempotent (see above); a handler running longer than its
  lease is interrupted at its deadline and its claim released, but an external call already under
  way is not stopped ([measured above](#handlers-that-outlive-their-lease)).
* HMAC schemes that do not sign the delivery id (\`signedContent: "body"\` or \`"timestamp.body"\`):
  the id header is then the idempotency key but not authenticated, so a captured delivery replayed
  within the tolerance under a new id is handled again (a *repeated* id header is refused, but a
  *changed* one cannot be told from a new delivery). Use \`"id.timestamp.body"\` when the platform
  offers it, or a key read from the signed body. iGV signs only the timestamp and request id; its
  body is protected by the fingerprint only once the key was completed.
* GoldenPay captures replayed to the other kind's notify URL (measured above): the signature cannot
  tell a failed collect from a payout; match \`transId\` against your own orders of that kind.
* Transport-level limits: header size and count, connection limits and request timeouts are the HTTP
  server's (node's \`requestTimeout\`, \`headersTimeout\`, \`maxHeaderSize\`); hookline reads the body
  only after routing and stops at the body limit, but does not time out a slow body itself.
* Denial of service by volume, and timing attacks measured over the network (the comparison primitive
  is constant-time; the test proves it is used, not how the CPU behaves).
`
}

if (reportOnly) {
  const saved: Report = JSON.parse(fs.readFileSync(resultsPath, "utf8"))
  render(saved)
} else if (outageOnly) {
  await outageMain()
} else if (transactionalOnly) {
  await transactionalMain()
} else if (clusterOnly) {
  await clusterMain()
} else {
  await main()
}
