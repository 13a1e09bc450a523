/**
 * HTTP throughput: each contender in its own server process pinned to CPU 0, wrk pinned to CPU 1,
 * loopback, keep-alive. wrk replays pools of pre-signed requests (a Lua script walks through them),
 * so it does no crypto. Two measured pools per signature scheme, `poolSize` requests each, reported
 * separately:
 *
 * - **new deliveries**: every request a delivery id of its own;
 * - **duplicate-heavy**: two requests in three repeat a delivery handled 150 or 300 requests earlier
 *   (a platform's retries), which every contender answers 200 as a duplicate; the same mix for every
 *   contender, however fast it is (a cycled pool gives the fast ones more duplicates).
 *
 * Per contender and round: a fresh server process, a warm-up on a cycled pool of ids of its own
 * (`warmPoolSize`), then the two measured runs, each shortened from the warm-up's rate so its pool
 * lasts; a request past a pool's end repeats an id and is counted in the duplicate share reported.
 * Rounds are interleaved (every contender once per round, the order rotated) and each figure is the
 * median over the rounds. The Redis contenders share a private redis-server (pinned to wrk's CPU),
 * emptied before each of them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { createClient } from "redis"
import * as RedisServer from "../../test-support/RedisServer.ts"
import {
  type ContenderName,
  type Scheme,
  schemeOf,
  type SignedRequest,
  signedRequest,
  toleranceSecondsOf,
  usesRedis
} from "./contenders.ts"
import { median } from "./stats.ts"

const here = path.dirname(new URL(import.meta.url).pathname)
const serverEntry = path.join(here, "server.ts")

/** The two measured request pools: every delivery new, or two in three a duplicate. */
export type Pool = "new" | "duplicates"

export const pools: ReadonlyArray<Pool> = ["new", "duplicates"]

export interface HttpOptions {
  readonly contenders: ReadonlyArray<ContenderName>
  readonly rounds: number
  readonly warmupSeconds: number
  readonly seconds: number
  readonly connections: number
  /** Requests in each measured pool (each request sent once per run). */
  readonly poolSize: number
  /** Deliveries in the cycled warm-up pool. */
  readonly warmPoolSize: number
  readonly workDir: string
}

export interface HttpRound {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly socketErrors: number
  readonly requests: number
  /** Share of the measured requests that repeated a delivery id the server had already seen. */
  readonly duplicateShare: number
  readonly seconds: number
}

export interface HttpRow {
  readonly name: ContenderName
  readonly pool: Pool
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Summed over the measured rounds (and the warm-ups, counted with the new-deliveries pool). */
  readonly non2xx: number
  readonly socketErrors: number
  /** Median share of duplicates among the measured requests. */
  readonly duplicateShare: number
  readonly ratioToBare: number | undefined
  /** Resident set size of the server process after its last measured round. */
  readonly rssMiB: number
  readonly rounds: ReadonlyArray<HttpRound>
}

/** Where wrk comes from, so a fresh machine gets it from the Debian packages. */
export const ensureWrk = (): string => {
  const found = spawnSync("wrk", ["--version"], { encoding: "utf8" })
  if (found.error === undefined) return ((found.stdout || found.stderr).split("\n")[0] ?? "wrk").trim()
  console.log("wrk is not installed: running `apt-get install -y wrk` (the Debian package; needs root)")
  const asRoot = process.getuid?.() === 0
  const install = spawnSync(
    asRoot ? "apt-get" : "sudo",
    asRoot ? ["install", "-y", "wrk"] : ["apt-get", "install", "-y", "wrk"],
    {
      stdio: "inherit"
    }
  )
  if (install.status !== 0) throw new Error("could not install wrk: install it (apt-get install wrk) and run again")
  const again = spawnSync("wrk", ["--version"], { encoding: "utf8" })
  return ((again.stdout || again.stderr).split("\n")[0] ?? "wrk").trim()
}

/** Pins to one CPU when the machine has two or more (else runs unpinned, and says so). */
export const pinned = os.availableParallelism() >= 2 && spawnSync("taskset", ["-V"]).error === undefined
const onCpu = (cpu: number, command: string, args: ReadonlyArray<string>): [string, Array<string>] =>
  pinned ? ["taskset", ["-c", String(cpu), command, ...args]] : [command, [...args]]

// One raw HTTP/1.1 request per pool entry, each prefixed by its length in bytes and a newline.
export const rawRequest = (request: SignedRequest): Buffer => {
  const head = [`POST ${request.path} HTTP/1.1`, "Host: 127.0.0.1"]
  for (const [name, value] of Object.entries(request.headers)) head.push(`${name}: ${value}`)
  head.push(`Content-Length: ${request.body.length}`, "", "")
  return Buffer.concat([Buffer.from(head.join("\r\n"), "latin1"), request.body])
}

// Delivery numbers: the warm-up pool takes [0, warmPoolSize), each measured pool a range of its
// own, the sanity request before each run one outside all of them.
const newBase = 100_000_000
const duplicatesBase = 200_000_000
const sanityId = 99_000_000
// How far back (in deliveries of the pool, three requests each) a duplicate repeats: far enough that
// the first delivery was answered (32 connections in flight), near enough to be a prompt retry.
export const repeatBack = [50, 100] as const

/**
 * The duplicate-heavy pool's delivery numbers, `count` of them: delivery `base + m`, then repeats of
 * `base + m - 50` and `base + m - 100` (two requests in three a duplicate); before a delivery that
 * far back exists, the repeat is of warm-up delivery `warmBase + m + back`, which the warm-up sent.
 */
export const duplicateHeavyNumbers = (base: number, count: number, warmBase: number): Array<number> => {
  const numbers: Array<number> = []
  for (let m = 0; numbers.length < count; m++) {
    numbers.push(base + m)
    for (const back of repeatBack) numbers.push(m >= back ? base + m - back : warmBase + m + back)
  }
  return numbers.slice(0, count)
}

/** The warm-up pool and the two measured pools. */
export type PoolFile = Pool | "warm"

// The pool's delivery numbers, in sending order.
export const deliveryNumbers = (
  pool: PoolFile,
  options: Pick<HttpOptions, "poolSize" | "warmPoolSize">
): Array<number> => {
  switch (pool) {
    case "warm":
      return Array.from({ length: options.warmPoolSize }, (_, i) => i)
    case "new":
      return Array.from({ length: options.poolSize }, (_, i) => newBase + i)
    case "duplicates":
      // The first repeats are of warm-up deliveries [0, 200), which the warm-up has sent: it runs
      // for at least `repeatBack[1] * 2` requests.
      return duplicateHeavyNumbers(duplicatesBase, options.poolSize, 0)
  }
}

/** The requests of a pool that repeat a delivery the server has handled, when `sent` were sent. */
export const duplicatesAmong = (pool: Pool, options: Pick<HttpOptions, "poolSize">, sent: number): number => {
  const firstPass = Math.min(sent, options.poolSize)
  const repeats = pool === "new" ? 0 : firstPass - Math.ceil(firstPass / 3)
  return repeats + Math.max(0, sent - options.poolSize)
}

const writePool = (file: string, scheme: Scheme, numbers: ReadonlyArray<number>): void => {
  const parts: Array<Buffer> = []
  // One signature per delivery: a repeat is the same request again, as a platform's retry would be.
  const signed = new Map<number, Buffer>()
  for (const i of numbers) {
    let raw = signed.get(i)
    if (raw === undefined) {
      raw = rawRequest(signedRequest(scheme, i))
      signed.set(i, raw)
    }
    parts.push(Buffer.from(`${raw.length}\n`, "latin1"), raw)
  }
  writeFileSync(file, Buffer.concat(parts))
}

/**
 * The pool files of a run, written on first use and re-signed when their timestamps would come near
 * the scheme's tolerance (the Standard Webhooks scheme accepts 5 minutes; a full run takes longer).
 */
const written = new Map<string, number>()
const poolFiles = (options: HttpOptions) => (scheme: Scheme, pool: PoolFile): string => {
  const file = path.join(options.workDir, `pool-${scheme}-${pool}.bin`)
  const tolerance = toleranceSecondsOf(scheme)
  const at = written.get(file)
  if (at !== undefined && (tolerance === undefined || performance.now() - at < (tolerance * 1000) / 2)) return file
  writePool(file, scheme, deliveryNumbers(pool, options))
  written.set(file, performance.now())
  return file
}

// The wrk script: loads the pool, starts at the offset given, cycles; counts the requests it sent
// and the non-2xx answers (wrk itself only counts status >= 400) and prints one JSON line at the end.
// Entries are read one by one (length line, then bytes), so a large pool is held once in memory.
export const luaScript = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
local pool, size, at = {}, 0, 0
non2xx = 0
sent = 0
function init(args)
  local file = assert(io.open(args[1], "rb"))
  while true do
    local len = file:read("*l")
    if len == nil then break end
    size = size + 1
    pool[size] = file:read(tonumber(len))
  end
  file:close()
  at = (tonumber(args[2]) or 0) % size
end
function request()
  at = at + 1
  if at > size then at = 1 end
  sent = sent + 1
  return pool[at]
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad, count = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    count = count + (thread:get("sent") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d,"sent":%d}\\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), count))
end
`

interface WrkResult {
  readonly requests: number
  readonly durationUs: number
  readonly non2xx: number
  readonly socketErrors: number
  readonly p50Us: number
  readonly p99Us: number
  /** Requests sent (answered or still in flight at the end). */
  readonly sent: number
}

const runWrk = (
  port: number,
  script: string,
  pool: string,
  offset: number,
  seconds: number,
  connections: number
): Promise<WrkResult> =>
  new Promise((resolve, reject) => {
    const [command, args] = onCpu(1, "wrk", [
      "-t1",
      `-c${connections}`,
      `-d${seconds}s`,
      "--timeout",
      "5s",
      "-s",
      script,
      `http://127.0.0.1:${port}/`,
      "--",
      pool,
      String(offset)
    ])
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.on("error", reject)
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("WRK_RESULT "))
      if (code !== 0 || line === undefined) return reject(new Error(`wrk failed (exit ${code}):\n${out}`))
      resolve(JSON.parse(line.slice("WRK_RESULT ".length)) as WrkResult)
    })
  })

/** A contender's server process. */
export interface ServerProcess {
  readonly port: number
  readonly pid: number
  readonly signal: (signal: NodeJS.Signals) => void
  readonly stop: () => Promise<void>
}

/** Starts a contender's server pinned to CPU 0; `nodeArgs` e.g. `--cpu-prof`. */
export const startServer = (
  name: ContenderName,
  nodeArgs: ReadonlyArray<string> = [],
  env: Readonly<Record<string, string>> = {}
): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const [command, args] = onCpu(0, process.execPath, [
      "--conditions=@hookline/source",
      ...nodeArgs,
      serverEntry,
      name
    ])
    const child: ChildProcess = spawn(command, args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env }
    })
    let out = ""
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.once("error", reject)
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split("\n").find((l) => l.startsWith("{\"port\""))
      if (line === undefined) return
      child.stdout!.removeAllListeners("data")
      child.stdout!.resume()
      resolve({
        port: (JSON.parse(line) as { port: number }).port,
        pid: child.pid!,
        signal: (signal) => child.kill(signal),
        stop: () => {
          child.kill("SIGTERM")
          return exited
        }
      })
    })
    void exited.then(() => reject(new Error(`server ${name} exited before listening: ${out}`)))
  })

/** Resident set size of a process, in MiB (Linux). */
export const rssMiB = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  return kb / 1024
}

/** Sends one request over a fresh connection; resolves with the status. */
export const sendOnce = (port: number, request: SignedRequest, agent?: http.Agent): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: request.path,
        headers: { ...request.headers, "content-length": String(request.body.length) },
        agent
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
      }
    )
    req.on("error", reject)
    req.end(request.body)
  })

/** The private redis-server of the Redis contenders: pinned beside wrk, emptied before each run. */
interface HttpRedis {
  readonly url: string
  readonly flush: () => Promise<void>
  readonly stop: () => Promise<void>
}

const startRedis = async (): Promise<HttpRedis> => {
  const server = await RedisServer.start()
  const admin = createClient({ url: server.url })
  await admin.connect()
  // On wrk's CPU, so the receiver's CPU serves only the receiver; Redis's own work still counts.
  const pid = /process_id:(\d+)/.exec(await admin.info("server"))?.[1]
  if (pinned && pid !== undefined) spawnSync("taskset", ["-pc", "1", pid], { stdio: "ignore" })
  return {
    url: server.url,
    flush: async () => {
      await admin.flushAll()
    },
    stop: async () => {
      await admin.close().catch(() => undefined)
      await server.stop()
    }
  }
}

const roundOf = (result: WrkResult, duplicates: number, extra?: WrkResult): HttpRound => ({
  requestsPerSecond: result.requests / (result.durationUs / 1e6),
  p50Ms: result.p50Us / 1000,
  p99Ms: result.p99Us / 1000,
  non2xx: result.non2xx + (extra?.non2xx ?? 0),
  socketErrors: result.socketErrors + (extra?.socketErrors ?? 0),
  requests: result.requests,
  duplicateShare: result.sent === 0 ? 0 : duplicates / result.sent,
  seconds: result.durationUs / 1e6
})

/** Runs the HTTP section: one row per contender and pool, the new-deliveries rows first. */
export const runHttp = async (options: HttpOptions, log: (line: string) => void): Promise<ReadonlyArray<HttpRow>> => {
  const script = path.join(options.workDir, "pool.lua")
  writeFileSync(script, luaScript)
  const poolFile = poolFiles(options)
  const schemes = [...new Set(options.contenders.map(schemeOf))]
  for (const scheme of schemes) for (const pool of ["warm", ...pools] as const) poolFile(scheme, pool)
  log(
    `  pools per scheme (${schemes.join(", ")}): ${options.poolSize.toLocaleString("en-US")} requests each ` +
      `(new deliveries; duplicate-heavy), warm-up ${options.warmPoolSize.toLocaleString("en-US")} cycled`
  )
  const redis = options.contenders.some(usesRedis) ? await startRedis() : undefined
  const key = (name: ContenderName, pool: Pool) => `${name} ${pool}`
  const rounds = new Map<string, Array<HttpRound>>()
  const rss = new Map<ContenderName, number>()
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = options.contenders.map((_, i) => options.contenders[(i + round) % options.contenders.length]!)
      for (const name of order) {
        if (usesRedis(name)) await redis!.flush()
        const server = await startServer(name, [], redis === undefined ? {} : { BENCH_REDIS_URL: redis.url })
        try {
          const scheme = schemeOf(name)
          // Sanity: a delivery outside every pool is answered 200 (the pools' own ids stay new).
          const status = await sendOnce(server.port, signedRequest(scheme, sanityId))
          if (status !== 200) throw new Error(`${name} answered ${status} to a signed delivery`)
          const warm = await runWrk(
            server.port,
            script,
            poolFile(scheme, "warm"),
            0,
            options.warmupSeconds,
            options.connections
          )
          if (warm.sent < 2 * repeatBack[1]) throw new Error(`${name}: the warm-up sent only ${warm.sent} requests`)
          // Each measured run as long as its pool lasts at 1.5× the warm-up's rate, up to `seconds`.
          const seconds = Math.max(
            1,
            Math.min(options.seconds, Math.floor(options.poolSize / (1.5 * warm.requests / (warm.durationUs / 1e6))))
          )
          for (const pool of pools) {
            const result = await runWrk(server.port, script, poolFile(scheme, pool), 0, seconds, options.connections)
            const measured = roundOf(
              result,
              duplicatesAmong(pool, options, result.sent),
              pool === "new" ? warm : undefined
            )
            const list = rounds.get(key(name, pool)) ?? []
            list.push(measured)
            rounds.set(key(name, pool), list)
            log(
              `  round ${round + 1}/${options.rounds} ${name.padEnd(19)} ${pool.padEnd(10)} ${
                Math.round(measured.requestsPerSecond).toLocaleString("en-US").padStart(7)
              } req/s  p50 ${measured.p50Ms.toFixed(2)} ms  p99 ${measured.p99Ms.toFixed(2)} ms  dup ${
                (100 * measured.duplicateShare).toFixed(0)
              } %  ${measured.seconds.toFixed(0)} s  non-2xx ${measured.non2xx}`
            )
          }
          rss.set(name, rssMiB(server.pid))
        } finally {
          await server.stop()
        }
      }
    }
  } finally {
    await redis?.stop()
  }
  const rows: Array<HttpRow> = []
  for (const pool of pools) {
    const inPool = options.contenders.map((name): HttpRow => {
      const all = rounds.get(key(name, pool))!
      return {
        name,
        pool,
        requestsPerSecond: median(all.map((r) => r.requestsPerSecond)),
        p50Ms: median(all.map((r) => r.p50Ms)),
        p99Ms: median(all.map((r) => r.p99Ms)),
        non2xx: all.reduce((n, r) => n + r.non2xx, 0),
        socketErrors: all.reduce((n, r) => n + r.socketErrors, 0),
        duplicateShare: median(all.map((r) => r.duplicateShare)),
        ratioToBare: undefined,
        rssMiB: rss.get(name) ?? Number.NaN,
        rounds: all
      }
    })
    const bare = inPool.find((row) => row.name === "bare")
    for (const row of inPool) {
      rows.push({
        ...row,
        ratioToBare: bare === undefined ? undefined : row.requestsPerSecond / bare.requestsPerSecond
      })
    }
  }
  return rows
}

/** The contenders of the equal-load section: the floor, the floor with the guarantees, hookline. */
export const cappedContenders: ReadonlyArray<ContenderName> = ["bare", "guarded", "hookline-hmac"]

/** Each connection's pause before its next request in the equal-load section. */
export const cappedDelayMs = 5

export interface CappedRound {
  readonly requestsPerSecond: number
  /** Answers other than 2xx, and socket errors (absent from the first run that measured this section). */
  readonly non2xx?: number | undefined
  /** The server process's CPU time per request (all its threads), in µs: user, system and both. */
  readonly userUs: number
  readonly systemUs: number
  readonly cpuUs: number
}

export interface CappedRow {
  readonly name: ContenderName
  /** Medians over the rounds. */
  readonly requestsPerSecond: number
  readonly userUs: number
  readonly systemUs: number
  readonly cpuUs: number
  /** Summed over the rounds (absent from the results of the first run that measured this section). */
  readonly non2xx?: number | undefined
  readonly rounds: ReadonlyArray<CappedRound>
}

/** utime and stime of a process in µs (Linux clock ticks of 10 ms). */
export const cpuTimeUs = (pid: number): { readonly user: number; readonly system: number } => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 }
}

/** The wrk script with a pause of `delayMs` before each request of a connection (wrk calls `delay()`). */
export const cappedLuaScript = (delayMs: number): string => `${luaScript}\nfunction delay() return ${delayMs} end\n`

/**
 * CPU per request at an equal, capped load: each of wrk's connections pauses `cappedDelayMs` before
 * its next request, so the offered load is capped (connections ÷ (pause + latency)) and contenders
 * that keep up serve the same rate. The server's CPU time per request then compares the work
 * itself: at saturation a slower server also leaves the load generator idle, and waking it on every
 * response costs that server more kernel time per request. New deliveries, after a full-rate warm-up.
 */
export const runCapped = async (
  options: HttpOptions,
  log: (line: string) => void
): Promise<ReadonlyArray<CappedRow>> => {
  const script = path.join(options.workDir, "capped.lua")
  writeFileSync(script, cappedLuaScript(cappedDelayMs))
  const warmScript = path.join(options.workDir, "pool.lua")
  writeFileSync(warmScript, luaScript)
  const poolFile = poolFiles(options)
  const names = cappedContenders.filter((name) => options.contenders.includes(name))
  const rounds = new Map<ContenderName, Array<CappedRound>>()
  for (let round = 0; round < options.rounds; round++) {
    for (const name of names.map((_, i) => names[(i + round) % names.length]!)) {
      const server = await startServer(name)
      try {
        const scheme = schemeOf(name)
        await runWrk(server.port, warmScript, poolFile(scheme, "warm"), 0, options.warmupSeconds, options.connections)
        const before = cpuTimeUs(server.pid)
        const result = await runWrk(
          server.port,
          script,
          poolFile(scheme, "new"),
          0,
          options.seconds,
          options.connections
        )
        const after = cpuTimeUs(server.pid)
        const userUs = (after.user - before.user) / result.requests
        const systemUs = (after.system - before.system) / result.requests
        const measured: CappedRound = {
          requestsPerSecond: result.requests / (result.durationUs / 1e6),
          non2xx: result.non2xx + result.socketErrors,
          userUs,
          systemUs,
          cpuUs: userUs + systemUs
        }
        rounds.set(name, [...(rounds.get(name) ?? []), measured])
        log(
          `  round ${round + 1}/${options.rounds} ${name.padEnd(19)} ${
            Math.round(measured.requestsPerSecond).toLocaleString("en-US").padStart(7)
          } req/s  ${measured.cpuUs.toFixed(1)} µs CPU/request (user ${userUs.toFixed(1)}, system ${
            systemUs.toFixed(1)
          })  non-2xx ${measured.non2xx}`
        )
      } finally {
        await server.stop()
      }
    }
  }
  return names.map((name): CappedRow => {
    const all = rounds.get(name)!
    return {
      name,
      requestsPerSecond: median(all.map((r) => r.requestsPerSecond)),
      userUs: median(all.map((r) => r.userUs)),
      systemUs: median(all.map((r) => r.systemUs)),
      cpuUs: median(all.map((r) => r.cpuUs)),
      non2xx: all.reduce((n, r) => n + (r.non2xx ?? 0), 0),
      rounds: all
    }
  })
}

/**
 * RSS of the hookline-hmac server after `count` distinct deliveries (signed on the fly by this
 * process, 32 in flight over keep-alive): the memory a long-running receiver settles at.
 */
export const serverRssAfter = async (
  count: number,
  log: (line: string) => void
): Promise<
  { readonly deliveries: number; readonly rssMiB: number; readonly startRssMiB: number; readonly seconds: number }
> => {
  const server = await startServer("hookline-hmac")
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  try {
    const startRss = rssMiB(server.pid)
    let next = 0
    let failed = 0
    const started = performance.now()
    const worker = async () => {
      while (next < count) {
        const i = next++
        if ((await sendOnce(server.port, signedRequest("github", 10_000_000 + i), agent)) !== 200) failed++
        if (i > 0 && i % 200_000 === 0) {
          log(`  ${i.toLocaleString("en-US")} deliveries, RSS ${rssMiB(server.pid).toFixed(0)} MiB`)
        }
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    if (failed > 0) throw new Error(`${failed} deliveries were not answered 200`)
    return {
      deliveries: count,
      rssMiB: rssMiB(server.pid),
      startRssMiB: startRss,
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    agent.destroy()
    await server.stop()
  }
}

export interface ProfileSummary {
  /** Top frames by self time, in % of the busy (non-idle) samples. */
  readonly frames: ReadonlyArray<Frame>
  /** The same time grouped by where the code lives. */
  readonly groups: ReadonlyArray<Frame>
}

export interface Frame {
  readonly frame: string
  readonly selfPercent: number
}

/**
 * Profiles one contender under wrk load: a warm-up on the warm-up pool, then the V8 CPU
 * profiler runs in the server process only while wrk sends the new-deliveries pool (start-up,
 * warm-up and JIT are left out).
 */
export const profile = async (name: ContenderName, options: HttpOptions): Promise<ProfileSummary> => {
  const script = path.join(options.workDir, "pool.lua")
  writeFileSync(script, luaScript)
  const poolFile = poolFiles(options)
  const file = path.join(options.workDir, `${name}.cpuprofile`)
  if (usesRedis(name)) throw new Error(`profile: ${name} needs a Redis server; profile a memory-store contender`)
  const server = await startServer(name, [], { BENCH_PROFILE: file })
  try {
    await runWrk(server.port, script, poolFile(schemeOf(name), "warm"), 0, options.warmupSeconds, options.connections)
    server.signal("SIGUSR2")
    await new Promise((resolve) => setTimeout(resolve, 100))
    await runWrk(server.port, script, poolFile(schemeOf(name), "new"), 0, options.seconds, options.connections)
  } finally {
    await server.stop()
  }
  return summarize(file)
}

export interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}

const groupOf = (frame: ProfileNode["callFrame"]): string => {
  const url = frame.url
  if (url === "") {
    if (frame.functionName === "(garbage collector)") return "garbage collector"
    if (frame.functionName === "(program)") return "V8 (program)"
    return "native (I/O, crypto bindings)"
  }
  if (url.startsWith("node:")) return "Node internals (http, streams, crypto)"
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]
  if (pkg !== undefined) return pkg === "effect" ? "effect runtime" : pkg
  const own = /\/packages\/([^/]+)\//.exec(url)?.[1]
  if (own !== undefined) return `@hookline/${own}`
  if (url.includes("/bench/")) return "bench code (contender, driver)"
  return url
}

/** The parts of a V8 CPU profile the summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** Self time per frame (function + file:line) and per group of a .cpuprofile file, idle excluded. */
export const summarize = (file: string, limit = 15): ProfileSummary =>
  summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, limit)

/** Self time per frame (function + file:line) and per group of a CPU profile, idle excluded. */
export const summarizeProfile = (data: CpuProfile, limit = 15): ProfileSummary => {
  const byId = new Map(data.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  const groups = new Map<string, number>()
  let total = 0
  data.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame
    // Idle time, and the profiler's own inspector session, are not the server's work.
    if (frame.functionName === "(idle)" || frame.url === "node:inspector") return
    const where = frame.url === ""
      ? ""
      : ` ${frame.url.replace(/^.*\/(node_modules|packages|bench)\//, "$1/")}:${frame.lineNumber + 1}`
    const label = `${frame.functionName || "(anonymous)"}${where}`
    const delta = data.timeDeltas[i] ?? 0
    self.set(label, (self.get(label) ?? 0) + delta)
    const group = groupOf(frame)
    groups.set(group, (groups.get(group) ?? 0) + delta)
    total += delta
  })
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([frame, t]) => ({
      frame,
      selfPercent: (100 * t) / total
    }))
  return { frames: top(self, limit), groups: top(groups, 12) }
}
