/**
 * One run of `npm run scale`: a Node `cluster` of N receiver workers on one port
 * (`scaleReceiver.ts`) sharing one store — a private `redis-server` started for the run, or
 * PostgreSQL at `HOOKLINE_PG_URL` — and a driver in this process playing the sending platform:
 * distinct signed deliveries (`Hmac.testing.sign`), a share of them sent twice at once, every
 * non-2xx (or failed request) retried with backoff until acknowledged.
 *
 * A warm-up phase (JIT, pools, connections) is sent and fully acknowledged first; the measured phase
 * follows, and around it the run samples the CPU the store's server spent (Redis: the main thread's
 * `INFO cpu` and `INFO commandstats` after `CONFIG RESETSTAT`; PostgreSQL: `/proc/<pid>/stat` of the
 * backends whose application_name is the run's store pool), the ledger's backends, the receiver
 * processes and the driver. After a graceful stop the ledger tells how many keys were handled more
 * than once and by which workers. Every table and the Redis server are the run's own and are
 * dropped or stopped at the end.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Hmac, type RawDelivery } from "@hookline/core"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { spawn, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import { createClient } from "redis"
import * as RedisServer from "../../test-support/RedisServer.ts"

const receiverScript = fileURLToPath(new URL("./scaleReceiver.ts", import.meta.url))

export const pgUrlText = process.env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

export type StoreKind = "redis" | "postgres"

/** A phase lasts this many seconds, or until this many distinct deliveries were sent. */
export type Amount = { readonly seconds: number } | { readonly deliveries: number }

export interface ScaleOptions {
  readonly store: StoreKind
  /** Cluster workers listening on the one port. */
  readonly processes: number
  readonly warmup: Amount
  readonly measure: Amount
  /** Delivery chains in flight at once (each may send a duplicate beside it). Default 32. */
  readonly concurrency?: number
  /** Share of deliveries sent twice at once. Default 0.2. */
  readonly duplicateRate?: number
  /** Connections per pool (store, ledger) and worker. Default 4. */
  readonly pool?: number
  /** A delivery chain gives up (never acknowledged) this long after its first send. Default 30 s. */
  readonly giveUpMs?: number
  readonly log?: (line: string) => void
}

/** One command of Redis's `INFO commandstats`, over the measured phase. */
export interface RedisCommand {
  readonly command: string
  readonly callsPerDelivery: number
  readonly usecPerCall: number
}

/** CPU spent per acknowledged delivery of the measured phase, in microseconds. */
export interface Cost {
  /**
   * The store's server: Redis's main thread (user + system, from `INFO cpu`), or the PostgreSQL
   * backends of the store's pools (`/proc/<pid>/stat`, user + system).
   */
  readonly storeServerUs: number
  /**
   * Redis only: the script calls' execution time (`INFO commandstats` usec of EVALSHA, which
   * includes the commands the script runs) per delivery: without reading, parsing or replying.
   */
  readonly storeCommandUs?: number
  readonly redisCommands?: ReadonlyArray<RedisCommand>
  /** PostgreSQL only: store backends sampled. */
  readonly storeBackends?: number
  /** The ledger's PostgreSQL backends (the handler's own write, both stores). */
  readonly ledgerServerUs: number
  /** The receiver processes: the cluster primary and its workers. */
  readonly receiverUs: number
  /** The driver (this process: signing, HTTP client, bookkeeping). */
  readonly driverUs: number
}

export interface ScaleRow {
  readonly store: StoreKind
  readonly processes: number
  readonly concurrency: number
  readonly duplicateRate: number
  /** `os.loadavg()` when the run started (1, 5, 15 minutes). */
  readonly loadAverage: ReadonlyArray<number>
  /** The measured phase: from its first send to its last acknowledgement. */
  readonly seconds: number
  /** Distinct deliveries sent in the measured phase. */
  readonly deliveries: number
  readonly acknowledged: number
  /** Distinct deliveries acknowledged per second. */
  readonly perSecond: number
  /** A delivery's latency: its first send to its first acknowledgement (retries included). */
  readonly p50Ms: number
  readonly p99Ms: number
  /** HTTP requests of the measured phase (first sends, duplicates, retries). */
  readonly requests: number
  /** Of those, answered with a non-2xx or not answered, and retried. */
  readonly retried: number
  /**
   * The retried answers by HTTP status and outcome (status 0: no answer), e.g. `503 InFlight`: a
   * duplicate whose twin is being handled by another worker.
   */
  readonly retriedBy: Readonly<Record<string, number>>
  /** Keys with more than one ledger row (warm-up included). */
  readonly handledTwice: number
  /** Deliveries never acknowledged (warm-up included). */
  readonly neverAcknowledged: number
  /** Acknowledged deliveries without a ledger row. */
  readonly acknowledgedNotInLedger: number
  /** Ledger rows per worker, largest first (warm-up included). */
  readonly perWorker: ReadonlyArray<number>
  readonly cost: Cost
}

// -- PostgreSQL, the driver's own connection --------------------------------------------------

interface Db {
  readonly query: <A extends object>(statement: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<A>>
  readonly close: () => Promise<void>
}

const openDb = (): Db => {
  const runtime = ManagedRuntime.make(
    PgClient.layer({ url: Redacted.make(pgUrlText), maxConnections: 2, applicationName: "hookline-scale-driver" })
  )
  return {
    query: <A extends object>(statement: string, params: ReadonlyArray<unknown> = []) =>
      runtime.runPromise(Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        return yield* sql.unsafe<A>(statement, [...params])
      })),
    close: () => runtime.dispose()
  }
}

// -- CPU of other processes of this machine -----------------------------------------------------

const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100

/** User + system CPU of a process so far, in microseconds (0 once it is gone). */
const cpuUs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 1e6 / ticksPerSecond
  } catch {
    return 0
  }
}

const backendPids = async (db: Db, app: string): Promise<ReadonlyArray<number>> =>
  (await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [app]))
    .map((row) => row.pid)

/** CPU so far of the given processes, by pid. */
const cpuOf = (pids: ReadonlyArray<number>) => new Map(pids.map((pid) => [pid, cpuUs(pid)]))

/** CPU spent since `before` by the processes of `after` (a process new since then counts from 0). */
const cpuSince = (before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>) =>
  Array.from(after).reduce((sum, [pid, us]) => sum + Math.max(0, us - (before.get(pid) ?? 0)), 0)

// -- Redis statistics ---------------------------------------------------------------------------

type RedisClient = ReturnType<typeof createClient>

const infoFields = (text: string): Map<string, string> =>
  new Map(
    text.split("\r\n").filter((line) => line.includes(":")).map((line) => {
      const at = line.indexOf(":")
      return [line.slice(0, at), line.slice(at + 1)]
    })
  )

const redisMainThreadUs = async (client: RedisClient): Promise<number> => {
  const cpu = infoFields(await client.info("cpu"))
  return (Number(cpu.get("used_cpu_user_main_thread")) + Number(cpu.get("used_cpu_sys_main_thread"))) * 1e6
}

interface CommandStat {
  readonly command: string
  readonly calls: number
  readonly usec: number
}

const redisCommandStats = async (client: RedisClient): Promise<Array<CommandStat>> =>
  Array.from(infoFields(await client.info("commandstats"))).map(([name, value]) => {
    const stat = new Map(value.split(",").map((pair) => pair.split("=") as [string, string]))
    return {
      command: name.replace(/^cmdstat_/, ""),
      calls: Number(stat.get("calls")),
      usec: Number(stat.get("usec"))
    }
  })

/** EVAL, EVALSHA and their read-only forms: the calls a client sends; the rest run inside them. */
export const isScriptCall = (command: string) => /^(eval|evalsha|fcall)(_ro)?$/.test(command)

// The time of the store's own commands: its script calls (the commands they run included) and the
// SETs it sent itself (its claims), estimated where they share the "set" line with the scripts' SETs.
const storeCommandUsec = (commands: ReadonlyArray<CommandStat>): number => {
  const scripts = commands.filter((command) => isScriptCall(command.command))
  const scriptUsec = scripts.reduce((sum, command) => sum + command.usec, 0)
  const scriptCalls = scripts.reduce((sum, command) => sum + command.calls, 0)
  const set = commands.find((command) => command.command === "set")
  const claimSetUsec = set === undefined || set.calls === 0
    ? 0
    : Math.max(0, set.calls - scriptCalls) * (set.usec / set.calls)
  return scriptUsec + claimSetUsec
}

// -- The receiver cluster -----------------------------------------------------------------------

interface Receiver {
  readonly primary: number
  readonly workers: ReadonlyArray<number>
  readonly stop: () => Promise<void>
}

const startReceiver = (env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Receiver> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@hookline/source", receiverScript], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
      // The receivers log warnings and errors only: pass them on.
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") log(`  receiver: ${line}`)
    })
    const exited = new Promise<number | string>((done) =>
      child.once("close", (code, signal) => done(code ?? signal ?? "unknown"))
    )
    const onExit = (code: number | null) => reject(new Error(`receiver exited (${code}) before listening:\n${stderr}`))
    child.once("exit", onExit)
    let buffered = ""
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString()
      const end = buffered.indexOf("\n")
      if (end < 0) return
      const line: unknown = JSON.parse(buffered.slice(0, end))
      if (typeof line !== "object" || line === null || !("primary" in line) || !("workers" in line)) {
        reject(new Error(`unexpected receiver output: ${buffered}`))
        return
      }
      child.off("exit", onExit)
      resolve({
        primary: Number(line.primary),
        workers: (line.workers as ReadonlyArray<number>).map(Number),
        stop: async () => {
          child.kill("SIGTERM")
          const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
          const code = await exited
          clearTimeout(timer)
          if (code !== 0) throw new Error(`receiver exited with ${code} after SIGTERM:\n${stderr}`)
        }
      })
    })
  })

// -- The driver ---------------------------------------------------------------------------------

interface Phase {
  /** Distinct deliveries sent, with their latency once acknowledged (undefined: never). */
  readonly latencies: Array<number | undefined>
  readonly acknowledgedIds: Array<string>
  readonly ids: Array<string>
  requests: number
  retried: number
  /** The answers that were retried, by HTTP status and outcome (status 0: no answer). */
  readonly retriedBy: Record<string, number>
  seconds: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Answer {
  readonly status: number
  /** The outcome label of the answer's JSON body (`InFlight`, `Failed`, …), or its start. */
  readonly outcome: string
}

const outcomeOf = (text: string): string => {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body === "object" && body !== null && "outcome" in body) {
      return "reason" in body ? `${String(body.outcome)}/${String(body.reason)}` : String(body.outcome)
    }
  } catch {
    // not JSON: the text itself says what it is
  }
  return text.slice(0, 40)
}

const post = (agent: http.Agent, port: number, raw: RawDelivery.RawDelivery): Promise<Answer> =>
  new Promise((resolve) => {
    const request = http.request({
      host: "127.0.0.1",
      port,
      path: raw.url,
      method: raw.method,
      headers: { ...raw.headers, "content-length": String(raw.body.length) },
      agent,
      timeout: 10_000
    }, (response) => {
      const status = response.statusCode ?? 0
      const chunks: Array<Buffer> = []
      // Only the retried answers are read: an acknowledgement's body does not matter.
      if (status >= 200 && status < 300) response.resume()
      else response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status, outcome: outcomeOf(Buffer.concat(chunks).toString()) }))
      response.on("error", (error) => resolve({ status: 0, outcome: error.message }))
    })
    request.on("timeout", () => request.destroy(new Error("timeout")))
    request.on("error", (error) => resolve({ status: 0, outcome: error.message }))
    request.end(raw.body)
  })

const drive = async (
  options: {
    readonly amount: Amount
    readonly prefix: string
    readonly concurrency: number
    readonly duplicateRate: number
    readonly giveUpMs: number
    readonly secret: Redacted.Redacted<string>
    readonly port: number
    readonly agent: http.Agent
  }
): Promise<Phase> => {
  const phase: Phase = {
    latencies: [],
    acknowledgedIds: [],
    ids: [],
    requests: 0,
    retried: 0,
    retriedBy: {},
    seconds: 0
  }
  const started = performance.now()
  const more = "seconds" in options.amount
    ? ((end: number) => () => performance.now() < end)(started + options.amount.seconds * 1000)
    : ((count: number) => () => phase.ids.length < count)(options.amount.deliveries)

  // One copy of a delivery: sent, and sent again after every non-2xx until acknowledged or given up.
  const copy = async (raw: RawDelivery.RawDelivery, giveUpAt: number): Promise<number | undefined> => {
    for (let attempt = 0;; attempt++) {
      phase.requests++
      const answer = await post(options.agent, options.port, raw)
      if (answer.status >= 200 && answer.status < 300) return performance.now()
      phase.retried++
      const label = `${answer.status} ${answer.outcome}`
      phase.retriedBy[label] = (phase.retriedBy[label] ?? 0) + 1
      if (performance.now() > giveUpAt) return undefined
      await sleep(Math.min(500, 5 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random()))
    }
  }

  const chain = async () => {
    while (more()) {
      const i = phase.ids.length
      const id = `${options.prefix}-${i}`
      phase.ids.push(id)
      phase.latencies.push(undefined)
      const raw = Hmac.testing.sign({ secret: options.secret }, {
        id,
        url: "/hmac",
        body: `{"id":"${id}","seq":${i},"order":{"amount":"12.30","currency":"EUR","ref":90071992547409931}}`
      })
      const sentAt = performance.now()
      const giveUpAt = sentAt + options.giveUpMs
      const copies = [copy(raw, giveUpAt)]
      if (Math.random() < options.duplicateRate) copies.push(copy(raw, giveUpAt))
      const acks = (await Promise.all(copies)).filter((at): at is number => at !== undefined)
      if (acks.length > 0) {
        phase.latencies[i] = Math.min(...acks) - sentAt
        phase.acknowledgedIds.push(id)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, chain))
  phase.seconds = (performance.now() - started) / 1000
  return phase
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits

/** Runs one store × processes configuration and returns its row. */
export const runScale = async (options: ScaleOptions): Promise<ScaleRow> => {
  const log = options.log ?? (() => {})
  const concurrency = options.concurrency ?? 32
  const duplicateRate = options.duplicateRate ?? 0.2
  const loadAverage = os.loadavg().map((value) => round(value, 2))
  const run = `scale_${process.pid}_${crypto.randomBytes(4).toString("hex")}`
  const ledger = `${run}_ledger`
  const storeTable = `${run}_store`
  const storeApp = `${run}_store`
  const ledgerApp = `${run}_ledger`
  const secret = Redacted.make(crypto.randomBytes(24).toString("base64url"))
  const db = openDb()
  const redis = options.store === "redis" ? await RedisServer.start() : undefined
  const redisClient = redis === undefined ? undefined : createClient({ url: redis.url })
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency * 2, maxFreeSockets: concurrency * 2 })
  let receiver: Receiver | undefined
  try {
    await redisClient?.connect()
    await db.query(`CREATE TABLE ${ledger} (key text NOT NULL, pid integer NOT NULL)`)
    const port = await RedisServer.freePort()
    receiver = await startReceiver({
      PORT: String(port),
      WORKERS: String(options.processes),
      HMAC_SECRET: Redacted.value(secret),
      STORE: options.store,
      REDIS_URL: redis?.url ?? "",
      REDIS_PREFIX: `${run}:`,
      PG_URL: pgUrlText,
      STORE_TABLE: storeTable,
      STORE_APP: storeApp,
      LEDGER: ledger,
      LEDGER_APP: ledgerApp,
      POOL: String(options.pool ?? 4)
    }, log)
    const drivePhase = (amount: Amount, name: string) =>
      drive({
        amount,
        prefix: `${run}-${name}`,
        concurrency,
        duplicateRate,
        giveUpMs: options.giveUpMs ?? 30_000,
        secret,
        port,
        agent
      })

    const warm = await drivePhase(options.warmup, "warm")
    log(`  warm-up: ${warm.acknowledgedIds.length}/${warm.ids.length} acknowledged in ${round(warm.seconds, 1)} s`)

    // Before the measured phase: every counter the cost is computed from.
    const receiverPids = [receiver.primary, ...receiver.workers]
    const storeBackendsBefore = options.store === "postgres" ? await backendPids(db, storeApp) : []
    const storeBefore = cpuOf(storeBackendsBefore)
    const ledgerBefore = cpuOf(await backendPids(db, ledgerApp))
    const receiverBefore = cpuOf(receiverPids)
    if (redisClient !== undefined) await redisClient.configResetStat()
    const redisBefore = redisClient === undefined ? 0 : await redisMainThreadUs(redisClient)
    const driverBefore = process.cpuUsage()

    const measured = await drivePhase(options.measure, "run")

    const driverCpu = process.cpuUsage(driverBefore)
    const acknowledged = measured.acknowledgedIds.length
    const perDelivery = (us: number) => round(us / Math.max(1, acknowledged), 1)
    const storeBackendsAfter = options.store === "postgres" ? await backendPids(db, storeApp) : []
    const ledgerCpu = cpuSince(ledgerBefore, cpuOf(await backendPids(db, ledgerApp)))
    const receiverCpu = cpuSince(receiverBefore, cpuOf(receiverPids))
    let cost: Cost
    if (redisClient !== undefined) {
      const mainThread = (await redisMainThreadUs(redisClient)) - redisBefore
      // Without the INFO calls of this sampling itself.
      const commands = (await redisCommandStats(redisClient)).filter((command) =>
        command.command !== "info" && command.command !== "config|resetstat"
      )
      cost = {
        storeServerUs: perDelivery(mainThread),
        // Redis 7 counts the commands a script runs (GET, SET, …) on their own lines too, and
        // their time inside the script's: the script calls are those commands' whole time. The
        // claims' own SETs share the "set" line with the script's; each script call runs at most
        // one SET, so the claims' share is at least (SET calls − script calls) at SET's mean cost.
        storeCommandUs: perDelivery(storeCommandUsec(commands)),
        redisCommands: commands.map((command) => ({
          command: command.command,
          callsPerDelivery: round(command.calls / Math.max(1, acknowledged), 2),
          usecPerCall: round(command.usec / Math.max(1, command.calls), 2)
        })),
        ledgerServerUs: perDelivery(ledgerCpu),
        receiverUs: perDelivery(receiverCpu),
        driverUs: perDelivery(driverCpu.user + driverCpu.system)
      }
    } else {
      cost = {
        storeServerUs: perDelivery(cpuSince(storeBefore, cpuOf(storeBackendsAfter))),
        storeBackends: new Set([...storeBackendsBefore, ...storeBackendsAfter]).size,
        ledgerServerUs: perDelivery(ledgerCpu),
        receiverUs: perDelivery(receiverCpu),
        driverUs: perDelivery(driverCpu.user + driverCpu.system)
      }
    }

    // A graceful stop first: handler runs still finishing write their rows before the count.
    await receiver.stop()
    receiver = undefined

    const twice = await db.query<{ twice: number }>(
      `SELECT count(*)::integer AS twice FROM (SELECT key FROM ${ledger} GROUP BY key HAVING count(*) > 1) AS k`
    )
    const perWorker = await db.query<{ rows: number }>(
      `SELECT count(*)::integer AS rows FROM ${ledger} GROUP BY pid ORDER BY 1 DESC`
    )
    const acknowledgedIds = [...warm.acknowledgedIds, ...measured.acknowledgedIds]
    const missing = await db.query<{ missing: number }>(
      `SELECT count(*)::integer AS missing FROM unnest($1::text[]) AS a(key) ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${ledger} AS l WHERE l.key = a.key)`,
      [acknowledgedIds.map((id) => `hmac:${id}`)]
    )
    const latencies = measured.latencies.filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b)
    const row: ScaleRow = {
      store: options.store,
      processes: options.processes,
      concurrency,
      duplicateRate,
      loadAverage,
      seconds: round(measured.seconds, 2),
      deliveries: measured.ids.length,
      acknowledged,
      perSecond: Math.round(acknowledged / measured.seconds),
      p50Ms: round(percentile(latencies, 0.5), 2),
      p99Ms: round(percentile(latencies, 0.99), 2),
      requests: measured.requests,
      retried: measured.retried,
      retriedBy: measured.retriedBy,
      handledTwice: twice[0]?.twice ?? -1,
      neverAcknowledged: warm.ids.length + measured.ids.length - acknowledgedIds.length,
      acknowledgedNotInLedger: missing[0]?.missing ?? -1,
      perWorker: perWorker.map((worker) => worker.rows),
      cost
    }
    return row
  } finally {
    agent.destroy()
    await receiver?.stop().catch(() => undefined)
    await db.query(`DROP TABLE IF EXISTS ${ledger}`).catch(() => undefined)
    await db.query(`DROP TABLE IF EXISTS ${storeTable}`).catch(() => undefined)
    await db.close()
    if (redisClient?.isOpen === true) await redisClient.quit().catch(() => undefined)
    await redis?.stop()
  }
}
