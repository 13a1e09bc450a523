/**
 * What an unsigned request costs the receiver before its signature is checked, and what a few
 * senders of such requests do to authentic deliveries.
 *
 * GoldenPay and EM carry their signature inside the body, so the body is read and parsed before it
 * can be authenticated; a large body of many fields, numbers or nested arrays used to cost 100–300
 * ms of CPU. A receiver process (`costServer.ts`) serves the providers on their default limits and
 * GoldenPay and EM also with the limit raised to 1 MiB; the driver sends ~700 KiB unsigned bodies
 * (with their `Content-Length`, as a client would) and reads the receiver's own CPU time around
 * them (`GET /cpu`: `process.cpuUsage()`), then times authentic deliveries sent one after the other,
 * alone and while three senders (`junkSender.ts`, another process) push such bodies.
 */
import { Hmac } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as http from "node:http"
import { fileURLToPath } from "node:url"
import * as Hostile from "./Hostile.ts"

/** The raised body limit of `/goldenpay-1m` and `/em-1m`. */
export const raisedLimit = 1024 * 1024
/** The size of every junk body. */
export const junkBytes = 700 * 1024
const emAppId = "em-cost-app"

/** `/hmac`'s scheme (id, timestamp and body signed). */
export const hmacOptions = {
  header: "x-signature",
  prefix: "sha256=",
  idHeader: "x-webhook-id",
  timestampHeader: "x-webhook-timestamp",
  signedContent: "id.timestamp.body" as const
}

export type JunkName =
  | "goldenpay-small"
  | "goldenpay-array"
  | "goldenpay-fields"
  | "em-json-array"
  | "em-form-fields"
  | "hmac"
  | "igv"

/** What each junk body is, for the report. */
export const junkText: Record<JunkName, string> = {
  "goldenpay-small": "a small body (50 bytes), wrong `sign`: the floor of any request",
  "goldenpay-array": "JSON, one array of ~358,000 numbers, wrong `sign`",
  "goldenpay-fields": "JSON, ~51,000 string fields, wrong `sign`",
  "em-json-array": "JSON envelope with an array of ~358,000 numbers, wrong `sign`",
  "em-form-fields": "form, ~180,000 fields, wrong `sign`",
  "hmac": "JSON array, wrong signature header",
  "igv": "JSON array, wrong signature header"
}

const zeros = (n: number) => "0".repeat(n)
const filled = (prefix: string, unit: string, suffix: string) =>
  prefix + unit.repeat(Math.floor((junkBytes - prefix.length - suffix.length) / unit.length)).slice(0, -1) + suffix

/** A junk request (unsigned, ~700 KiB) for `path`. */
export const junk = (name: JunkName, path: string): Hostile.Request_ => {
  const json: ReadonlyArray<readonly [string, string]> = [["content-type", "application/json"]]
  const now = Date.now()
  switch (name) {
    case "goldenpay-small":
      return { url: path, headers: json, body: Buffer.from(`{"id":"GP1","status":60,"sign":"${zeros(32)}"}`) }
    case "goldenpay-array":
      return { url: path, headers: json, body: Buffer.from(filled(`{"sign":"${zeros(32)}","x":[`, "1,", "]}")) }
    case "goldenpay-fields": {
      const fields: Array<string> = []
      let size = 48
      for (let i = 0; size < junkBytes; i++) {
        const field = `"k${i.toString(36).padStart(5, "0")}":"v1"`
        fields.push(field)
        size += field.length + 1
      }
      return { url: path, headers: json, body: Buffer.from(`{"sign":"${zeros(32)}",${fields.join(",")}}`) }
    }
    case "em-json-array":
      return {
        url: path,
        headers: json,
        body: Buffer.from(
          filled(
            `{"appid":"${emAppId}","timestamp":"${Math.floor(now / 1000)}","request_data":"{}","sign":"${
              zeros(32)
            }","x":[`,
            "1,",
            "]}"
          )
        )
      }
    case "em-form-fields":
      return {
        url: path,
        headers: [["content-type", "application/x-www-form-urlencoded"]],
        body: Buffer.from(
          filled(
            `appid=${emAppId}&timestamp=${Math.floor(now / 1000)}&request_data=%7B%7D&sign=${zeros(32)}&`,
            "a=1&",
            "a=1"
          )
        )
      }
    case "hmac":
      return {
        url: path,
        headers: [
          ...json,
          ["x-webhook-id", `evt_${crypto.randomUUID()}`],
          ["x-webhook-timestamp", String(Math.floor(now / 1000))],
          ["x-signature", `sha256=${zeros(64)}`]
        ],
        body: Buffer.from(filled("[", "1,", "]"))
      }
    case "igv":
      return {
        url: path,
        headers: [
          ...json,
          ["x-request-id", `1${String(now).padStart(18, "0")}`],
          ["x-timestamp", String(now)],
          ["x-signature", zeros(64)]
        ],
        body: Buffer.from(filled("[", "1,", "]"))
      }
  }
}

/** One measured junk body on one route. */
export interface CpuRow {
  readonly provider: string
  readonly junk: JunkName
  readonly bytes: number
  readonly route: string
  /** The route's body limit. */
  readonly limit: number
  /** The answers (status: count). */
  readonly statuses: Record<string, number>
  /** The receiver's CPU (user + system) per request, in milliseconds: the median over the rounds. */
  readonly cpuMs: number
}

/** Authentic deliveries timed one after the other, alone or under junk. */
export interface LatencyRow {
  readonly provider: string
  /** The route the junk went to, or undefined for the baseline. */
  readonly junkRoute: string | undefined
  readonly junkLimit: number | undefined
  readonly valid: number
  /** Authentic deliveries not answered 200. */
  readonly failed: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Junk requests the three senders got answered meanwhile, and their statuses. */
  readonly junkRequests: number
  readonly junkStatuses: Record<string, number>
}

export interface Figures {
  readonly cpu: ReadonlyArray<CpuRow>
  readonly latency: ReadonlyArray<LatencyRow>
  /** Unexpected answers (a junk status other than expected, an authentic delivery not acked). */
  readonly violations: ReadonlyArray<string>
}

export interface Options {
  /** Junk requests per body and route for the CPU figure. */
  readonly rounds: number
  /** Authentic deliveries per latency row. */
  readonly valid: number
  readonly log?: (line: string) => void
}

interface Case {
  readonly provider: string
  readonly junk: JunkName
  /** The routes, with their limits and the status every junk request must get. */
  readonly routes: ReadonlyArray<{ readonly path: string; readonly limit: number; readonly expect: number }>
}

const cases: ReadonlyArray<Case> = [
  // The floor: what any request costs (a connection, the HTTP parse, the rejection and its log line).
  {
    provider: "GoldenPay",
    junk: "goldenpay-small",
    routes: [{ path: "/goldenpay", limit: GoldenPay.defaults.bodyLimit, expect: 401 }]
  },
  {
    provider: "GoldenPay",
    junk: "goldenpay-array",
    routes: [
      { path: "/goldenpay", limit: GoldenPay.defaults.bodyLimit, expect: 413 },
      { path: "/goldenpay-1m", limit: raisedLimit, expect: 400 }
    ]
  },
  {
    provider: "GoldenPay",
    junk: "goldenpay-fields",
    routes: [
      { path: "/goldenpay", limit: GoldenPay.defaults.bodyLimit, expect: 413 },
      { path: "/goldenpay-1m", limit: raisedLimit, expect: 400 }
    ]
  },
  {
    provider: "EM",
    junk: "em-json-array",
    routes: [
      { path: "/em", limit: Em.defaults.bodyLimit, expect: 413 },
      { path: "/em-1m", limit: raisedLimit, expect: 400 }
    ]
  },
  {
    provider: "EM",
    junk: "em-form-fields",
    routes: [
      { path: "/em", limit: Em.defaults.bodyLimit, expect: 413 },
      { path: "/em-1m", limit: raisedLimit, expect: 400 }
    ]
  },
  // Signature outside the body: verified before anything is parsed; the default limit is 1 MiB.
  { provider: "HMAC", junk: "hmac", routes: [{ path: "/hmac", limit: raisedLimit, expect: 401 }] },
  { provider: "iGV", junk: "igv", routes: [{ path: "/igv", limit: raisedLimit, expect: 401 }] }
]

const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url))

/** Spawns a script of this folder and resolves with the child once it printed `event`. */
const spawnUntil = (
  name: string,
  env: NodeJS.ProcessEnv,
  event: string
): Promise<{ readonly child: ChildProcess; readonly line: Record<string, unknown>; readonly next: Promise<unknown> }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@hookline/source", script(name)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "ignore"]
    })
    let buffered = ""
    let waiting: ((line: unknown) => void) | undefined
    const next = new Promise((done) => (waiting = done))
    let first = true
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split("\n")
      buffered = lines.pop() ?? ""
      for (const text of lines) {
        const line = JSON.parse(text) as Record<string, unknown>
        if (first && line.event === event) {
          first = false
          resolve({ child, line, next })
        } else if (!first) {
          waiting?.(line)
        }
      }
    })
    child.once("exit", (code) => {
      if (first) reject(new Error(`${name} exited (${code}) before ${event}`))
    })
  })

const cpuOf = async (port: number): Promise<number> => {
  const answer = await new Promise<string>((resolve, reject) =>
    http.get(`http://127.0.0.1:${port}/cpu`, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve(Buffer.concat(chunks).toString()))
    }).on("error", reject)
  )
  const usage = JSON.parse(answer) as { user: number; system: number }
  return usage.user + usage.system
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

const post = (agent: http.Agent, port: number, request: Hostile.Request_): Promise<number> =>
  new Promise((resolve, reject) => {
    const outgoing = http.request(`http://127.0.0.1:${port}${request.url}`, {
      method: "POST",
      headers: Object.fromEntries(request.headers),
      agent
    }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode ?? 0))
    })
    outgoing.on("error", reject)
    outgoing.end(request.body)
  })

/** Runs the CPU and latency measurements against a fresh receiver process. */
export const run = async (options: Options): Promise<Figures> => {
  const log = options.log ?? (() => {})
  const secretText = `cost-${crypto.randomBytes(12).toString("hex")}`
  const secret = Redacted.make(secretText)
  const violations: Array<string> = []
  const receiver = await spawnUntil("costServer.ts", { SECRET: secretText, EM_APP_ID: emAppId }, "listening")
  const port = Number(receiver.line.port)
  try {
    const cpu: Array<CpuRow> = []
    for (const c of cases) {
      for (const target of c.routes) {
        const request = junk(c.junk, target.path)
        // Warm-up (JIT, the route's first request), then the receiver's CPU around the rounds.
        for (let i = 0; i < 2; i++) await Hostile.sendRaw(port, request)
        const statuses: Record<string, number> = {}
        // Each request's CPU on its own, then the median: one garbage collection or a busy
        // neighbour landing in one request does not decide the figure.
        const used: Array<number> = []
        for (let i = 0; i < options.rounds; i++) {
          const before = await cpuOf(port)
          const answer = await Hostile.sendRaw(port, request)
          used.push((await cpuOf(port)) - before)
          statuses[String(answer.status)] = (statuses[String(answer.status)] ?? 0) + 1
        }
        const row: CpuRow = {
          provider: c.provider,
          junk: c.junk,
          bytes: request.body.length,
          route: target.path,
          limit: target.limit,
          statuses,
          cpuMs: Math.round(percentile(used.sort((a, b) => a - b), 0.5) / 10) / 100
        }
        log(`  ${JSON.stringify(row)}`)
        cpu.push(row)
        // 0: the connection was reset before the answer was read — the receiver answered 413 from the
        // Content-Length and closed while the client was still sending (TCP discards the answer).
        const expected = (statuses[String(target.expect)] ?? 0) + (target.expect === 413 ? statuses["0"] ?? 0 : 0)
        if (expected !== options.rounds) {
          violations.push(`${c.junk} to ${target.path}: ${JSON.stringify(statuses)}, expected ${target.expect}`)
        }
      }
    }

    let n = 0
    const authentic: Record<string, () => Hostile.Request_> = {
      GoldenPay: () => ({
        ...Hostile.asRequest(GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GPL${++n}` }), secret)),
        url: "/goldenpay"
      }),
      EM: () =>
        Hostile.asRequest(EmTesting.sign({
          appId: emAppId,
          secret,
          url: "/em",
          encoding: "json",
          requestData: `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${++n}","trade_status":2}`
        })),
      HMAC: () =>
        Hostile.asRequest(Hmac.testing.sign({ ...hmacOptions, secret }, { url: "/hmac", body: `{"id":"e${++n}"}` }))
    }
    const phases: ReadonlyArray<{ provider: string; junk: JunkName | undefined; route?: string; limit?: number }> = [
      { provider: "GoldenPay", junk: undefined },
      { provider: "GoldenPay", junk: "goldenpay-array", route: "/goldenpay", limit: GoldenPay.defaults.bodyLimit },
      { provider: "GoldenPay", junk: "goldenpay-array", route: "/goldenpay-1m", limit: raisedLimit },
      { provider: "EM", junk: undefined },
      { provider: "EM", junk: "em-json-array", route: "/em", limit: Em.defaults.bodyLimit },
      { provider: "EM", junk: "em-json-array", route: "/em-1m", limit: raisedLimit },
      { provider: "HMAC", junk: undefined },
      { provider: "HMAC", junk: "hmac", route: "/hmac", limit: raisedLimit }
    ]
    const latency: Array<LatencyRow> = []
    for (const phase of phases) {
      const senders = phase.junk === undefined ? undefined : await spawnUntil("junkSender.ts", {
        PORT: String(port),
        TARGET: phase.route,
        JUNK: phase.junk,
        SENDERS: "3"
      }, "sending")
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      const times: Array<number> = []
      let failed = 0
      const make = authentic[phase.provider]!
      // The first tenth warms up (and lets the senders get going); the rest is timed.
      const warmUp = Math.ceil(options.valid / 10)
      for (let i = 0; i < options.valid + warmUp; i++) {
        const request = make()
        const begun = performance.now()
        const status = await post(agent, port, request).catch(() => 0)
        if (i < warmUp) continue
        times.push(performance.now() - begun)
        if (status !== 200) failed++
      }
      agent.destroy()
      let junkRequests = 0
      let junkStatuses: Record<string, number> = {}
      if (senders !== undefined) {
        senders.child.kill("SIGTERM")
        const sent = (await senders.next) as { requests: number; statuses: Record<string, number> }
        junkRequests = sent.requests
        junkStatuses = sent.statuses
      }
      times.sort((a, b) => a - b)
      const row: LatencyRow = {
        provider: phase.provider,
        junkRoute: phase.route,
        junkLimit: phase.limit,
        valid: times.length,
        failed,
        p50Ms: Math.round(percentile(times, 0.5) * 10) / 10,
        p99Ms: Math.round(percentile(times, 0.99) * 10) / 10,
        junkRequests,
        junkStatuses
      }
      log(`  ${JSON.stringify(row)}`)
      latency.push(row)
      if (failed > 0) violations.push(`${phase.provider}: ${failed} authentic deliveries not acknowledged under junk`)
    }
    return { cpu, latency, violations }
  } finally {
    const exited = new Promise((resolve) => receiver.child.once("exit", resolve))
    receiver.child.kill("SIGTERM")
    await exited
  }
}
