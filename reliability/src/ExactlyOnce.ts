/**
 * The exactly-once run: N receiver processes (`server.ts`) sharing one store, a driver playing the
 * sending platform (distinct signed deliveries, a share of them sent twice at once to different
 * processes, every non-ack retried with backoff until acknowledged), an optional fault injected
 * during the run, and the ledger of handler runs compared with the acknowledgements.
 *
 * Besides the faults, one scenario is about the handler rather than the platform or the
 * infrastructure: `lease-overrun`, where a share of handler runs makes an external call that
 * outlives the claim's lease and ignores interruption, then writes — plainly, or fenced by the
 * claim token as docs/concepts.md shows.
 */
import { Hmac, type RawDelivery } from "@hookline/core"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as http from "node:http"
import { fileURLToPath } from "node:url"
import { createCluster } from "redis"
import type * as RedisCluster from "../../test-support/RedisCluster.ts"
import type * as RedisServer from "../../test-support/RedisServer.ts"
import * as Db from "./Db.ts"

const serverScript = fileURLToPath(new URL("./server.ts", import.meta.url))

/**
 * `postgres-transactional`: the PostgreSQL store with a `transactional` handler that writes the ledger
 * in the transaction recording its completion, before its work and any injected failure.
 * `redis-cluster`: the Redis store on a Redis Cluster (`RedisStore.layerNodeCluster`).
 */
export type StoreKind = "redis" | "redis-cluster" | "postgres" | "postgres-transactional"
export type Fault =
  | "none"
  | "handler-fail"
  | "sigkill"
  | "sigterm"
  | "redis-restart"
  | "pg-terminate"
  | "lease-overrun"
  | "failover"

/**
 * How a handler writes its side effect (the ledger row) in the `lease-overrun` scenario: `plain`,
 * an INSERT; `token`, fenced by the claim token as docs/concepts.md shows; `token+key`, fenced and
 * skipped when the key already has a row.
 */
export type Write = "plain" | "token" | "token+key"

/** The listeners' `shutdownTimeout` in every scenario. */
export const shutdownTimeoutMs = 5000
/** How long after SIGTERM a server may take to exit: the shutdown timeout plus process exit. */
export const shutdownBoundMs = shutdownTimeoutMs + 2000

export interface ScenarioOptions {
  readonly store: StoreKind
  readonly fault: Fault
  /** Distinct deliveries. */
  readonly deliveries: number
  /** Share of deliveries sent twice at once, to two different processes. Default 0.3. */
  readonly duplicateRate?: number
  /** Receiver processes. Default 4. */
  readonly servers?: number
  /** Logical deliveries in flight at once. Default 64. */
  readonly concurrency?: number
  /** The private Redis (required for the redis store). */
  readonly redis?: RedisServer.RedisServer | undefined
  /** The private Redis Cluster (required for the redis-cluster store; with replicas for `failover`). */
  readonly cluster?: RedisCluster.RedisCluster | undefined
  /** Handler work, up to this many ms. Default 5 (20 under SIGKILL, so kills land mid-handle). */
  readonly workMs?: number
  /** Claim lease. Default 2000 ms. */
  readonly leaseMs?: number | undefined
  /** Give up on a delivery this long after the last one was first sent. Default 60 s. */
  readonly drainMs?: number
  /** Every delivery chain gives up this long after the start. Default 15 minutes. */
  readonly timeLimitMs?: number
  /** `sigterm`: share of handlers that run past the time budget. Default 0.05. */
  readonly slowRate?: number
  /** `lease-overrun`: how the handler writes the ledger (see {@link Write}). Default `plain`. */
  readonly write?: Write
  /** `lease-overrun`: share of handler runs that make the slow external call. Default 0.05. */
  readonly overrunRate?: number
  readonly log?: (line: string) => void
}

/** What the servers reported at their graceful stops (`server.ts`'s `stopped` line). */
export interface Stops {
  /** SIGTERMs sent during the run (the `sigterm` fault; the final stop is not counted here). */
  readonly count: number
  /** Handler runs in progress when a SIGTERM arrived. */
  readonly runningAtStop: number
  /** Of those: already past the time budget (answered "retry", running in the background). */
  readonly pastBudgetAtStop: number
  /** Handler runs that finished (wrote the ledger) while their server was shutting down. */
  readonly finishedDuringStop: number
  /** Handler runs interrupted during a stop (near the end of `shutdownTimeout`). */
  readonly interrupted: number
  /** Longest time from SIGTERM to the process's exit, measured by the driver. */
  readonly longestMs: number
}

export interface Figures {
  readonly store: StoreKind
  readonly fault: Fault
  /** The claim lease the servers ran with. */
  readonly leaseMs?: number
  readonly deliveries: number
  /** HTTP requests sent (first sends, duplicates and retries). */
  readonly requests: number
  /** Requests answered with something else than an ack (or not answered), then retried. */
  readonly retried: number
  /** How many times the fault was injected (kills, restarts, terminated backends). */
  readonly injected: number
  /** Keys with more than one ledger row. */
  readonly handledTwice: number
  /** Of those: a run that started after the key was already acknowledged (a completed key re-run). */
  readonly handledAfterAck: number
  /** Authentic deliveries never acknowledged. */
  readonly neverAcked: number
  /** Acknowledged keys with no ledger row. */
  readonly ackedNotInLedger: number
  /** Distinct deliveries acknowledged per second. */
  readonly throughput: number
  readonly seconds: number
  /**
   * Servers that did not exit within {@link shutdownBoundMs} of a SIGTERM (mid-run or at the end),
   * or exited with a failure: each is a broken shutdown promise.
   */
  readonly shutdownFailures?: number
  /** Graceful stops (SIGTERM) performed: the `sigterm` fault's and every server's at the end. */
  readonly gracefulStops?: number
  /**
   * Runs the pipeline cut at their claim's deadline (interrupted, claim released: the handler, or its
   * completion, had not finished by then), as the servers that stopped gracefully logged them (a
   * SIGKILLed server's are lost).
   */
  readonly cutRuns?: number
  /**
   * Keys handled twice of which a run was cut at its deadline: whatever it had written stayed, its
   * completion was not recorded, and the retry ran the handler again.
   */
  readonly handledTwiceAfterCut?: number
  /** The `sigterm` fault's graceful stops. */
  readonly stops?: Stops
  /**
   * `redis-cluster`: acknowledged keys whose completion is missing from the cluster after the run
   * (read from every master at the end): a completion acknowledged by a master that died before its
   * replica received it. The platform's next redelivery of such a key would run the handler again.
   */
  readonly completionsLost?: number
  /** `failover`: the longest time from a master's SIGKILL to `cluster_state:ok` on every live node. */
  readonly longestFailoverMs?: number
  /** `lease-overrun`: how the ledger was written. */
  readonly write?: Write
  /** `lease-overrun`: handler runs that made the slow external call. */
  readonly overruns?: number
  /** `lease-overrun`: ledger writes committed after the handler's deadline. */
  readonly writesPastDeadline?: number
  /** `lease-overrun`, fenced: writes the fence refused (the claim was no longer held). */
  readonly fencedRefused?: number
  /** `lease-overrun`, `token+key`: writes skipped because the key already had a row. */
  readonly skipped?: number
  /**
   * `lease-overrun`: runs whose write committed and whose handler was then interrupted (at its
   * deadline): the side effect happened, its completion was not recorded, and the claim released.
   */
  readonly writtenThenInterrupted?: number
}

/** One `stopped` line of a server. */
interface Stopped {
  readonly ms: number
  readonly runningAtStop: number
  readonly pastBudgetAtStop: number
  readonly finishedDuringStop: number
  readonly interrupted: number
  readonly interruptedDuringStop: number
  readonly overruns: number
  readonly fencedRefused: number
  readonly skipped: number
  readonly writesPastDeadline: number
  readonly writtenThenInterrupted: number
  /** Keys of the runs the pipeline cut at their deadline (from its log line). */
  readonly cutKeys: ReadonlyArray<string>
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface Server {
  url: string
  agent: http.Agent
  child: ChildProcess
  alive: boolean
  /** The `stopped` line, once the server stopped gracefully. */
  stopped: Stopped | undefined
  /** Resolves with the exit code (or the signal) once the process exited. */
  exited: Promise<number | string>
}

export const startServer = (env: NodeJS.ProcessEnv): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@hookline/source", serverScript], {
      env: { ...process.env, ...env, PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let buffered = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
    const onExit = (code: number | null) => reject(new Error(`server exited (${code}) before listening:\n${stderr}`))
    child.once("exit", onExit)
    // "close", not "exit": by then stdout was read to its end (the `stopped` line included).
    const exited = new Promise<number | string>((done) =>
      child.once("close", (code, signal) => done(code ?? signal ?? "unknown"))
    )
    // stdout carries two lines: `listening`, and `stopped` at a graceful stop (logs go to stderr).
    let server: Server | undefined
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split("\n")
      buffered = lines.pop() ?? ""
      for (const line of lines) {
        const event: unknown = line.startsWith("{") ? JSON.parse(line) : undefined
        if (typeof event !== "object" || event === null || !("event" in event)) continue
        if (event.event === "stopped" && server !== undefined) server.stopped = event as unknown as Stopped
        if (event.event === "listening" && "port" in event && server === undefined) listening(String(event.port))
      }
    }
    const listening = (port: string) => {
      const started: Server = {
        url: `http://127.0.0.1:${port}`,
        agent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
        child,
        alive: true,
        stopped: undefined,
        exited
      }
      server = started
      child.off("exit", onExit)
      child.once("exit", () => {
        started.alive = false
        started.agent.destroy()
      })
      // The first request builds the runtime (connects the store and the ledger pool).
      post(started, { method: "GET", url: "/warm-up", headers: {}, body: new Uint8Array() }).then(
        () => resolve(started),
        reject
      )
    }
    child.stdout.on("data", onData)
  })

/** Resolves once the server has a handler past its time budget, or after `limitMs`. */
const backgroundWork = async (server: Server, limitMs: number): Promise<boolean> => {
  const until = performance.now() + limitMs
  while (performance.now() < until && server.alive) {
    const state = await new Promise<{ readonly pastBudget: number } | undefined>((resolve) =>
      http.get(`${server.url}/handlers`, { agent: server.agent }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())))
      }).on("error", () => resolve(undefined))
    )
    if (state !== undefined && state.pastBudget > 0) return true
    await sleep(10)
  }
  return false
}

/** What a graceful stop took; `ok` is false when it broke the bound or failed. */
interface StopResult {
  readonly ok: boolean
  readonly ms: number
  readonly detail: string
}

/**
 * Sends SIGTERM and waits for the exit, at most {@link shutdownBoundMs}: a server still running
 * then is killed and reported (its shutdown did not keep `shutdownTimeout`).
 */
export const stopServer = async (server: Server): Promise<StopResult> => {
  const begun = performance.now()
  if (!server.alive) return { ok: true, ms: 0, detail: "already gone" }
  server.child.kill("SIGTERM")
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    server.exited,
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), shutdownBoundMs)))
  ])
  clearTimeout(timer)
  const ms = Math.round(performance.now() - begun)
  if (code === "timeout") {
    server.child.kill("SIGKILL")
    await server.exited
    return { ok: false, ms, detail: `pid ${server.child.pid} still running ${shutdownBoundMs} ms after SIGTERM` }
  }
  if (code !== 0) return { ok: false, ms, detail: `pid ${server.child.pid} exited with ${code} after SIGTERM` }
  if (server.stopped === undefined) return { ok: false, ms, detail: `pid ${server.child.pid}: no stopped line` }
  return { ok: true, ms, detail: "" }
}

export interface Answer {
  readonly status: number
  readonly outcome: string
}

export const post = (server: Server, raw: RawDelivery.RawDelivery): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${raw.url}`, {
      method: raw.method,
      headers: { ...raw.headers, "content-length": String(raw.body.length) },
      agent: server.agent,
      timeout: 10_000
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString()
        let outcome = "?"
        try {
          const body: unknown = JSON.parse(text)
          if (typeof body === "object" && body !== null && "outcome" in body) outcome = String(body.outcome)
        } catch {
          outcome = text.slice(0, 40)
        }
        resolve({ status: response.statusCode ?? 0, outcome })
      })
      response.on("error", reject)
    })
    request.on("timeout", () => request.destroy(new Error("timeout")))
    request.on("error", reject)
    request.end(raw.body)
  })

/** Runs one scenario and returns its figures. */
export const runScenario = async (options: ScenarioOptions): Promise<Figures> => {
  const log = options.log ?? (() => {})
  const n = options.servers ?? 4
  const duplicateRate = options.duplicateRate ?? 0.3
  const concurrency = options.concurrency ?? 64
  const drainMs = options.drainMs ?? 60_000
  const run = `rel_${process.pid}_${crypto.randomBytes(4).toString("hex")}`
  const ledger = `${run}_ledger`
  const storeApp = `${run}_store`
  const secret = Redacted.make(crypto.randomBytes(24).toString("base64url"))
  const db = Db.open()
  await db.query(`CREATE TABLE ${ledger} (key text NOT NULL, pid integer NOT NULL, at_ms bigint NOT NULL)`)

  if (options.store === "redis" && options.redis === undefined) throw new Error("the redis store needs a private Redis")
  if (options.store === "redis-cluster" && options.cluster === undefined) {
    throw new Error("the redis-cluster store needs a private Redis Cluster")
  }
  if (options.fault === "failover" && options.store !== "redis-cluster") {
    throw new Error("failover fails over a master of the Redis Cluster: it needs the redis-cluster store")
  }
  if (options.fault === "lease-overrun" && options.store === "redis") {
    throw new Error("lease-overrun runs on PostgreSQL: the fenced write reads the store's table")
  }
  const leaseMs = options.leaseMs ?? 2000
  const env: NodeJS.ProcessEnv = {
    HMAC_SECRET: Redacted.value(secret),
    STORE: options.store === "redis" || options.store === "redis-cluster" ? options.store : "postgres",
    TRANSACTIONAL: options.store === "postgres-transactional" ? "1" : "0",
    REDIS_URL: options.redis?.url ?? "",
    REDIS_CLUSTER_URLS: options.cluster?.urls.join(",") ?? "",
    REDIS_PREFIX: `${run}:`,
    PG_URL: Db.pgUrlText,
    STORE_TABLE: `${run}_store`,
    STORE_APP: storeApp,
    LEDGER: ledger,
    LEASE_MS: String(leaseMs),
    WORK_MS: String(options.workMs ?? (options.fault === "sigkill" || options.fault === "sigterm" ? 20 : 5)),
    FAIL_RATE: options.fault === "handler-fail" ? "0.1" : "0",
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    ...(options.fault === "sigterm" ?
      {
        // A share of handlers runs past the time budget, so a SIGTERM finds background handlers
        // whose completions must still be recorded; all of them end well before their deadline.
        TIME_BUDGET_MS: "250",
        SLOW_RATE: String(options.slowRate ?? 0.05),
        SLOW_MS: "600"
      } :
      {}),
    ...(options.fault === "lease-overrun" ?
      {
        // The slow call ends anywhere from shortly before the deadline (lease minus a tenth) to well
        // past the lease, so the run sees calls that end in time, between the deadline and the
        // lease's end, and after a takeover.
        OVERRUN_RATE: String(options.overrunRate ?? 0.05),
        OVERRUN_MIN_MS: String(Math.round(leaseMs * 0.8)),
        OVERRUN_MAX_MS: String(Math.round(leaseMs * 1.6)),
        WRITE: options.write ?? "plain"
      } :
      {})
  }
  const servers: Array<Server> = []
  for (let i = 0; i < n; i++) servers.push(await startServer(env))

  const ackedAt = new Map<string, number>()
  // Graceful stops: the injected ones (sigterm) and the final one of every server.
  const stopped: Array<Stopped> = []
  let longestStop = 0
  let shutdownFailures = 0
  let gracefulStops = 0
  const noteStop = (result: StopResult) => {
    gracefulStops++
    if (result.ok) return
    shutdownFailures++
    log(`  shutdown broke its bound: ${result.detail}`)
  }
  let requests = 0
  let retried = 0
  let injected = 0
  let longestFailoverMs = 0
  let sendingDone = false
  // A safety net for a broken build: nobody waits forever.
  let deadline = Date.now() + (options.timeLimitMs ?? 15 * 60_000)

  // One delivery chain: the platform sends, and retries on every non-ack with backoff (capped),
  // going through whichever process is live at index `slot` (a load balancer in front).
  const chain = async (id: string, raw: RawDelivery.RawDelivery, first: number): Promise<void> => {
    for (let attempt = 0;; attempt++) {
      if (Date.now() > deadline) return
      const server = servers[(first + attempt) % n]
      requests++
      let answer: Answer | undefined
      if (server !== undefined && server.alive) {
        try {
          answer = await post(server, raw)
        } catch {
          answer = undefined
        }
      }
      if (answer !== undefined && answer.status >= 200 && answer.status < 300) {
        if (!ackedAt.has(id)) ackedAt.set(id, Date.now())
        return
      }
      retried++
      await sleep(Math.min(1000, 20 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()))
    }
  }

  const ids: Array<string> = []
  let next = 0
  const started = Date.now()
  const worker = async () => {
    while (next < options.deliveries) {
      const i = next++
      const id = `${run}-${i}`
      ids.push(id)
      const raw = Hmac.testing.sign({ secret }, {
        id,
        url: "/hmac",
        body: `{"id":"${id}","seq":${i},"order":{"amount":"12.30","currency":"EUR","ref":90071992547409931}}`
      })
      const first = Math.floor(Math.random() * n)
      const chains = [chain(id, raw, first)]
      if (Math.random() < duplicateRate) chains.push(chain(id, raw, first + 1 + Math.floor(Math.random() * (n - 1))))
      await Promise.all(chains)
    }
  }

  // The fault, injected repeatedly while deliveries are being sent.
  const faultLoop = async () => {
    const every = options.fault === "pg-terminate" ? 1500 : options.fault === "failover" ? 5000 : 3000
    // The first fault once a fifth of the deliveries are acknowledged, so that even a short run
    // (the tests) gets one while deliveries are in flight, however fast the machine is.
    while (ackedAt.size < Math.floor(options.deliveries / 5) && !sendingDone) await sleep(20)
    while (!sendingDone) {
      if (options.fault === "sigkill") {
        const index = Math.floor(Math.random() * n)
        const victim = servers[index]
        if (victim !== undefined && victim.alive) {
          victim.child.kill("SIGKILL")
          injected++
          log(`  SIGKILL server ${index} (pid ${victim.child.pid})`)
          servers[index] = await startServer(env)
        }
      } else if (options.fault === "sigterm") {
        const index = Math.floor(Math.random() * n)
        const victim = servers[index]
        if (victim !== undefined && victim.alive) {
          // Stop it while handlers run in the background (past the time budget, answered "retry"):
          // those are the ones whose completions a stop must still record. Waited for up to 5 s.
          await backgroundWork(victim, 5000)
          injected++
          log(`  SIGTERM server ${index} (pid ${victim.child.pid})`)
          // The platform keeps sending to the others meanwhile; the slot is refilled once it exited.
          const result = await stopServer(victim)
          noteStop(result)
          if (victim.stopped !== undefined) stopped.push(victim.stopped)
          longestStop = Math.max(longestStop, result.ms)
          servers[index] = await startServer(env)
        }
      } else if (options.fault === "redis-restart" && options.redis !== undefined) {
        injected++
        log("  redis-server killed, restarting")
        await options.redis.crashAndRestart(1000)
      } else if (options.fault === "failover" && options.cluster !== undefined) {
        // A master crashes; the cluster promotes its replica (the store's client finds the new
        // master), and the crashed node comes back as a replica, so every master has one again
        // before the next failover.
        const failover = await options.cluster.failover()
        injected++
        longestFailoverMs = Math.max(longestFailoverMs, failover.ms)
        log(`  master ${failover.killed.port} killed, ${failover.promoted} promoted in ${failover.ms} ms`)
        await options.cluster.rejoin(failover.killed)
      } else if (options.fault === "pg-terminate") {
        const count = await Db.terminateBackends(db, storeApp)
        injected += count
      } else {
        return
      }
      await sleep(every)
    }
  }

  const faults = faultLoop()
  const progress = setInterval(() => log(`  ${ackedAt.size}/${options.deliveries} acknowledged`), 5000)
  await Promise.all(Array.from({ length: concurrency }, worker).map((w) => w.then(() => {})))
  sendingDone = true
  deadline = Math.min(deadline, Date.now() + drainMs)
  await faults
  clearInterval(progress)
  const seconds = (Date.now() - started) / 1000

  // Graceful stop: background handlers finish before the ledger is read.
  const injectedStops = stopped.length
  const finals = await Promise.all(servers.map(async (server) => {
    const result = await stopServer(server)
    noteStop(result)
    return server.stopped
  }))
  // Counters of runs that happened anywhere (overruns, refused fenced writes): every stopped line.
  const everyStop = [...stopped, ...finals.filter((line): line is Stopped => line !== undefined)]
  const total = (pick: (line: Stopped) => number, lines: ReadonlyArray<Stopped>) =>
    lines.reduce((sum, line) => sum + pick(line), 0)
  const injectedLines = stopped.slice(0, injectedStops)

  const rows = await db.query<{ key: string; runs: string; at: Array<string> }>(
    `SELECT key, count(*)::text AS runs, array_agg(at_ms::text ORDER BY at_ms) AS at FROM ${ledger} GROUP BY key`
  )
  const ledgerRuns = new Map(rows.map((row) => [row.key, row]))
  const cutAtDeadline = new Set(everyStop.flatMap((line) => line.cutKeys))
  let handledTwice = 0
  let handledAfterAck = 0
  let handledTwiceAfterCut = 0
  for (const row of rows) {
    if (Number(row.runs) <= 1) continue
    handledTwice++
    if (cutAtDeadline.has(row.key)) handledTwiceAfterCut++
    const id = row.key.replace(/^hmac:/, "")
    const acked = ackedAt.get(id)
    // A second run that began after the first acknowledgement: a completed key handled again.
    const second = Number(row.at[1])
    if (acked !== undefined && second > acked) handledAfterAck++
  }
  let neverAcked = 0
  let ackedNotInLedger = 0
  for (const id of ids) {
    if (!ackedAt.has(id)) neverAcked++
    else if (!ledgerRuns.has(`hmac:${id}`)) ackedNotInLedger++
  }

  const completionsLost = options.cluster === undefined ? undefined : await missingCompletions(
    options.cluster,
    Array.from(ackedAt.keys(), (id) => `${run}:hmac:${id}`)
  )

  await db.query(`DROP TABLE IF EXISTS ${ledger}`)
  await db.query(`DROP TABLE IF EXISTS ${run}_store`)
  await db.close()
  return {
    store: options.store,
    fault: options.fault,
    leaseMs: options.leaseMs ?? 2000,
    deliveries: options.deliveries,
    requests,
    retried,
    injected,
    handledTwice,
    handledAfterAck,
    neverAcked,
    ackedNotInLedger,
    throughput: Math.round(ackedAt.size / seconds),
    seconds: Math.round(seconds * 10) / 10,
    shutdownFailures,
    gracefulStops,
    cutRuns: total((line) => line.cutKeys.length, everyStop),
    handledTwiceAfterCut,
    ...(completionsLost === undefined ? {} : { completionsLost }),
    ...(options.fault === "failover" ? { longestFailoverMs } : {}),
    ...(options.fault === "sigterm" ?
      {
        stops: {
          count: injected,
          runningAtStop: total((line) => line.runningAtStop, injectedLines),
          pastBudgetAtStop: total((line) => line.pastBudgetAtStop, injectedLines),
          finishedDuringStop: total((line) => line.finishedDuringStop, injectedLines),
          interrupted: total((line) => line.interruptedDuringStop, injectedLines),
          longestMs: longestStop
        }
      } :
      {}),
    ...(options.fault === "lease-overrun" ?
      {
        write: options.write ?? "plain",
        overruns: total((line) => line.overruns, everyStop),
        writesPastDeadline: total((line) => line.writesPastDeadline, everyStop),
        fencedRefused: total((line) => line.fencedRefused, everyStop),
        skipped: total((line) => line.skipped, everyStop),
        writtenThenInterrupted: total((line) => line.writtenThenInterrupted, everyStop)
      } :
      {})
  }
}

/**
 * How many of `keys` (the store's Redis keys of acknowledged deliveries) are not completed in the
 * cluster now, asked of each key's master through a cluster client.
 */
const missingCompletions = async (cluster: RedisCluster.RedisCluster, keys: ReadonlyArray<string>) => {
  const client = await createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) }).connect()
  let missing = 0
  try {
    for (let i = 0; i < keys.length; i += 500) {
      // A completed entry is `c:<fingerprint>` (an in-flight one `i:<token>:<fingerprint>`).
      const entries = await Promise.all(keys.slice(i, i + 500).map((key) => client.get(key)))
      missing += entries.filter((entry) => entry?.startsWith("c:") !== true).length
    }
  } finally {
    await client.close()
  }
  return missing
}
