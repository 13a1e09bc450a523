/**
 * A/B over HTTP: one contender served from several checkouts of this repository (each with its own
 * `npm ci`), alternated round by round on the same machine, reporting req/s and the server's CPU
 * time per request (`/proc/<pid>/stat`, steadier than req/s on a shared VM). The server is pinned to
 * CPU 0 and wrk to CPU 1, as in `npm run bench`.
 *
 *   node --conditions=@hookline/source bench/src/ab.ts hookline-hmac new /path/to/old /path/to/new
 *
 * Several contenders of one scheme, comma-separated, are alternated the same way on each checkout:
 *
 *   node --conditions=@hookline/source bench/src/ab.ts guarded,hookline-hmac new .
 *
 * The pool is `new` (every request a delivery of its own), `dup` (100 deliveries repeated) or `mixed`
 * (the bench's duplicate-heavy mix, `duplicateHeavyNumbers`: delivery m, then repeats of m - 50 and
 * m - 100, the first ones of warm-up deliveries). The CPU
 * time is split into user (JavaScript, V8, Node's C++) and system (the kernel: the socket reads and
 * writes, and on loopback the TCP work they do for the client). Settings, from the environment:
 *
 * * `AB_ROUNDS` (4): alternating rounds;
 * * `AB_WARMUP_SECONDS` (2): warm-up per server before the measured run;
 * * `AB_DELAY_MS`: each connection waits that long before its next request, which caps the offered
 *   load (32 connections ÷ (delay + latency)): contenders that all keep up serve the same rate, so
 *   their CPU per request compares their work at equal load rather than at saturation;
 * * `AB_PERF=<dir>`: `perf record` each measured run (kernel and JavaScript frames, the server started
 *   with `--perf-basic-prof-only-functions`) into `<dir>/<contender>-<checkout>-<round>.data`, for
 *   `perf report -i … --no-children --sort dso,sym -n`; `AB_PERF_FREQUENCY` (999) samples per second,
 *   `AB_PERF_CALLGRAPH=1` adds call graphs (which slow the server down further);
 * * `AB_NODE_FLAGS`: extra flags for the servers' `node` (e.g. `--max-semi-space-size=64`).
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type ContenderName, contenderNames, schemeOf, signedRequest } from "./contenders.ts"
import { cappedLuaScript, cpuTimeUs, duplicateHeavyNumbers, ensureWrk, luaScript, rawRequest } from "./http.ts"
import { median } from "./stats.ts"

const [names, pool, ...checkouts] = process.argv.slice(2)
if (names === undefined || (pool !== "new" && pool !== "dup" && pool !== "mixed") || checkouts.length === 0) {
  console.error("usage: ab.ts <contender>[,<contender> ...] <new|dup|mixed> <checkout> [<checkout> ...]")
  process.exit(2)
}
const contenders = names.split(",") as Array<ContenderName>
// An unknown name would make its server exit at once and the run wait for its port forever.
const unknown = contenders.filter((name) => !contenderNames.includes(name))
if (unknown.length > 0) {
  console.error(`ab.ts: unknown contender(s) ${unknown.join(", ")}; known: ${contenderNames.join(", ")}`)
  process.exit(2)
}
const [scheme, ...otherSchemes] = new Set(contenders.map(schemeOf))
if (scheme === undefined || otherSchemes.length > 0) {
  console.error(`ab.ts: the contenders must share a request scheme (${contenders.join(", ")})`)
  process.exit(2)
}
const rounds = Number(process.env["AB_ROUNDS"] ?? 4)
// A pool of 10,000 deliveries per second of warm-up.
const warmupSeconds = Number(process.env["AB_WARMUP_SECONDS"] ?? 2)
const nodeFlags = (process.env["AB_NODE_FLAGS"] ?? "").split(" ").filter((flag) => flag !== "")
const perfDir = process.env["AB_PERF"]
if (perfDir !== undefined && spawnSync("perf", ["--version"]).status !== 0) {
  console.error("ab.ts: AB_PERF needs `perf` (Debian: linux-perf)")
  process.exit(2)
}
ensureWrk()
// Every checkout with every contender, alternated round by round.
// Absolute, as the servers run in each checkout's bench/ directory (`.` works too).
const variants = checkouts.map((checkout) => path.resolve(checkout)).flatMap((checkout) =>
  contenders.map((contender) => ({ checkout, contender }))
)
const labelOf = (variant: { readonly checkout: string; readonly contender: string }) =>
  contenders.length === 1 ? variant.checkout : `${variant.checkout} ${variant.contender}`
const dir = mkdtempSync(path.join(os.tmpdir(), "hookline-ab-"))
const script = path.join(dir, "pool.lua")
const delayMs = process.env["AB_DELAY_MS"]
if (delayMs !== undefined && !/^\d+$/.test(delayMs)) {
  console.error(`ab.ts: AB_DELAY_MS must be a whole number of milliseconds (got ${delayMs})`)
  process.exit(2)
}
writeFileSync(
  script,
  delayMs === undefined ? luaScript : cappedLuaScript(Number(delayMs))
)

let next = 500_000_000
// The base of the last warm-up pool: the `mixed` pool's first repeats are of its deliveries.
let warmBase = next

// The delivery numbers of `count` requests: each its own (`new`), 100 repeated (`dup`), or the
// bench's duplicate-heavy mix (`mixed`).
const numbersOf = (kind: "new" | "dup" | "mixed", base: number, count: number): Array<number> =>
  kind === "mixed"
    ? duplicateHeavyNumbers(base, count, warmBase)
    : Array.from({ length: count }, (_, i) => kind === "dup" ? base + (i % 100) : base + i)

const writePool = (file: string, count: number, kind: "new" | "dup" | "mixed" | "warm"): string => {
  const base = next
  next += count
  if (kind === "warm") warmBase = base
  const parts: Array<Buffer> = []
  // One signature per delivery: a repeat is the same request again, as a platform's retry would be.
  const signed = new Map<number, Buffer>()
  for (const i of numbersOf(kind === "warm" ? "new" : kind, base, count)) {
    let raw = signed.get(i)
    if (raw === undefined) {
      raw = rawRequest(signedRequest(scheme, i))
      signed.set(i, raw)
    }
    parts.push(Buffer.from(`${raw.length}\n`, "latin1"), raw)
  }
  writeFileSync(file, Buffer.concat(parts))
  return file
}

const start = (checkout: string, contender: string) =>
  new Promise<{ readonly pid: number; readonly port: number; readonly stop: () => Promise<void> }>((resolve) => {
    const child = spawn("taskset", [
      "-c",
      "0",
      path.join(checkout, "node_modules/.bin/node"),
      // The perf map lets `perf report` name JavaScript frames; V8's own log that comes with it goes
      // into the perf directory rather than the checkout.
      ...(perfDir === undefined ? [] : [
        "--perf-basic-prof-only-functions",
        "--interpreted-frames-native-stack",
        "--no-logfile-per-isolate",
        `--logfile=${path.join(perfDir, "v8.log")}`
      ]),
      ...nodeFlags,
      "--conditions=@hookline/source",
      path.join(checkout, "bench/src/server.ts"),
      contender
    ], { cwd: path.join(checkout, "bench"), stdio: ["ignore", "pipe", "inherit"] })
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.stdout.on("data", (chunk: Buffer) => {
      const port = /"port":(\d+)/.exec(chunk.toString())?.[1]
      if (port !== undefined) {
        resolve({ pid: child.pid!, port: Number(port), stop: () => (child.kill("SIGTERM"), exited) })
      }
    })
  })

const wrk = (port: number, file: string, seconds: number) => {
  const out = spawnSync("taskset", [
    "-c",
    "1",
    "wrk",
    "-t1",
    "-c32",
    `-d${seconds}s`,
    "-s",
    script,
    `http://127.0.0.1:${port}/`,
    "--",
    file,
    "0"
  ], { encoding: "utf8" }).stdout
  return JSON.parse(/WRK_RESULT (.*)/.exec(out)![1]!) as { requests: number; durationUs: number; non2xx: number }
}

const results = new Map<
  string,
  Array<{ readonly rps: number; readonly cpu: number; readonly user: number; readonly system: number }>
>()
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const label = labelOf(variant)
    const server = await start(variant.checkout, variant.contender)
    wrk(server.port, writePool(path.join(dir, "warm.bin"), warmupSeconds * 10_000, "warm"), warmupSeconds)
    const file = writePool(path.join(dir, "pool.bin"), 60_000, pool)
    const perf = perfDir === undefined ? undefined : spawn("perf", [
      "record",
      "-q",
      "-F",
      process.env["AB_PERF_FREQUENCY"] ?? "999",
      ...(process.env["AB_PERF_CALLGRAPH"] === undefined ? [] : ["-g"]),
      "-p",
      String(server.pid),
      "-o",
      path.join(perfDir, `${variant.contender}-${path.basename(variant.checkout)}-${round + 1}.data`)
    ], { stdio: "ignore" })
    // Listened for at once: a perf that could not attach exits before the run ends.
    const perfExited = perf === undefined ? undefined : new Promise((done) => perf.once("close", done))
    const before = cpuTimeUs(server.pid)
    const run = wrk(server.port, file, 4)
    if (perf !== undefined) {
      perf.kill("SIGINT")
      await perfExited
    }
    const after = cpuTimeUs(server.pid)
    const user = (after.user - before.user) / run.requests
    const system = (after.system - before.system) / run.requests
    const cpu = user + system
    await server.stop()
    const rps = run.requests / (run.durationUs / 1e6)
    results.set(label, [...(results.get(label) ?? []), { rps, cpu, user, system }])
    console.log(
      `${label} round ${round + 1}: ${Math.round(rps)} req/s, ${cpu.toFixed(1)} µs CPU/request ` +
        `(user ${user.toFixed(1)}, system ${system.toFixed(1)}), non-2xx ${run.non2xx}`
    )
  }
}
// On a VM whose neighbours come and go, rounds fall into a fast and a slow mode; the lowest CPU
// per request is each variant's figure in the fast mode, which the median may miss.
for (const [label, runs] of results) {
  console.log(
    `median ${label}: ${Math.round(median(runs.map((r) => r.rps)))} req/s, ${
      median(runs.map((r) => r.cpu)).toFixed(1)
    } µs CPU/request (lowest ${Math.min(...runs.map((r) => r.cpu)).toFixed(1)}; user ${
      median(runs.map((r) => r.user)).toFixed(1)
    }, system ${median(runs.map((r) => r.system)).toFixed(1)})`
  )
}
rmSync(dir, { recursive: true, force: true })
