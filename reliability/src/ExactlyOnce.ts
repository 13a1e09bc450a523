/**
 * The exactly-once run: N receiver processes (`server.ts`) sharing one store, a driver playing the
 * sending platform (distinct signed deliveries, a share of them sent twice at once to different
 * processes, every non-ack retried with backoff until acknowledged), an optional fault injected
 * during the run, and the ledger of handler runs compared with the acknowledgements.
 */
import { Hmac, type RawDelivery } from "@hookline/core"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as http from "node:http"
import { fileURLToPath } from "node:url"
import type * as RedisServer from "../../test-support/RedisServer.ts"
import * as Db from "./Db.ts"

const serverScript = fileURLToPath(new URL("./server.ts", import.meta.url))

export type StoreKind = "redis" | "postgres"
export type Fault = "none" | "handler-fail" | "sigkill" | "redis-restart" | "pg-terminate"

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
  /** Handler work, up to this many ms. Default 5 (20 under SIGKILL, so kills land mid-handle). */
  readonly workMs?: number
  /** Claim lease. Default 2000 ms. */
  readonly leaseMs?: number | undefined
  /** Give up on a delivery this long after the last one was first sent. Default 60 s. */
  readonly drainMs?: number
  /** Every delivery chain gives up this long after the start. Default 15 minutes. */
  readonly timeLimitMs?: number
  readonly log?: (line: string) => void
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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Server {
  url: string
  agent: http.Agent
  child: ChildProcess
  alive: boolean
}

const startServer = (env: NodeJS.ProcessEnv): Promise<Server> =>
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
    // stdout also carries the pipeline's logs; only the `listening` line matters here.
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString()
      const match = /\{"event":"listening","pid":\d+,"port":(\d+)\}/.exec(buffered)
      if (match === null) {
        buffered = buffered.slice(-200)
        return
      }
      child.stdout.off("data", onData)
      child.stdout.resume()
      const port = match[1] ?? ""
      const server: Server = {
        url: `http://127.0.0.1:${port}`,
        agent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
        child,
        alive: true
      }
      child.off("exit", onExit)
      child.once("exit", () => {
        server.alive = false
        server.agent.destroy()
      })
      // The first request builds the runtime (connects the store and the ledger pool).
      post(server, { method: "GET", url: "/warm-up", headers: {}, body: new Uint8Array() }).then(
        () => resolve(server),
        reject
      )
    }
    child.stdout.on("data", onData)
  })

const stopServer = async (server: Server): Promise<void> => {
  if (!server.alive) return
  const exited = new Promise((resolve) => server.child.once("exit", resolve))
  server.child.kill("SIGTERM")
  await exited
}

interface Answer {
  readonly status: number
  readonly outcome: string
}

const post = (server: Server, raw: RawDelivery.RawDelivery): Promise<Answer> =>
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
  const env: NodeJS.ProcessEnv = {
    HMAC_SECRET: Redacted.value(secret),
    STORE: options.store,
    REDIS_URL: options.redis?.url ?? "",
    REDIS_PREFIX: `${run}:`,
    PG_URL: Db.pgUrlText,
    STORE_TABLE: `${run}_store`,
    STORE_APP: storeApp,
    LEDGER: ledger,
    LEASE_MS: String(options.leaseMs ?? 2000),
    WORK_MS: String(options.workMs ?? (options.fault === "sigkill" ? 20 : 5)),
    FAIL_RATE: options.fault === "handler-fail" ? "0.1" : "0"
  }
  const servers: Array<Server> = []
  for (let i = 0; i < n; i++) servers.push(await startServer(env))

  const ackedAt = new Map<string, number>()
  let requests = 0
  let retried = 0
  let injected = 0
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
    const every = options.fault === "pg-terminate" ? 1500 : 3000
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
      } else if (options.fault === "redis-restart" && options.redis !== undefined) {
        injected++
        log("  redis-server killed, restarting")
        await options.redis.crashAndRestart(1000)
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
  await Promise.all(servers.map(stopServer))

  const rows = await db.query<{ key: string; runs: string; at: Array<string> }>(
    `SELECT key, count(*)::text AS runs, array_agg(at_ms::text ORDER BY at_ms) AS at FROM ${ledger} GROUP BY key`
  )
  const ledgerRuns = new Map(rows.map((row) => [row.key, row]))
  let handledTwice = 0
  let handledAfterAck = 0
  for (const row of rows) {
    if (Number(row.runs) <= 1) continue
    handledTwice++
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
    seconds: Math.round(seconds * 10) / 10
  }
}
