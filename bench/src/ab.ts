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
 * The pool is `new` (every request a delivery of its own) or `dup` (100 deliveries repeated).
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type ContenderName, contenderNames, schemeOf, signedRequest } from "./contenders.ts"
import { ensureWrk, luaScript, rawRequest } from "./http.ts"
import { median } from "./stats.ts"

const [names, pool, ...checkouts] = process.argv.slice(2)
if (names === undefined || (pool !== "new" && pool !== "dup") || checkouts.length === 0) {
  console.error("usage: ab.ts <contender>[,<contender> ...] <new|dup> <checkout> [<checkout> ...]")
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
writeFileSync(script, luaScript)

let next = 500_000_000
const writePool = (file: string, count: number, repeat: boolean): string => {
  const base = next
  next += count
  const parts: Array<Buffer> = []
  for (let i = 0; i < count; i++) {
    const raw = rawRequest(signedRequest(scheme, repeat ? base + (i % 100) : base + i))
    parts.push(Buffer.from(`${raw.length}\n`, "latin1"), raw)
  }
  writeFileSync(file, Buffer.concat(parts))
  return file
}

// utime + stime of a process, in µs (clock ticks of 10 ms).
const cpuMicros = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

const start = (checkout: string, contender: string) =>
  new Promise<{ readonly pid: number; readonly port: number; readonly stop: () => Promise<void> }>((resolve) => {
    const child = spawn("taskset", [
      "-c",
      "0",
      path.join(checkout, "node_modules/.bin/node"),
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

const results = new Map<string, Array<{ readonly rps: number; readonly cpu: number }>>()
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const label = labelOf(variant)
    const server = await start(variant.checkout, variant.contender)
    wrk(server.port, writePool(path.join(dir, "warm.bin"), 20_000, false), 2)
    const file = writePool(path.join(dir, "pool.bin"), 60_000, pool === "dup")
    const before = cpuMicros(server.pid)
    const run = wrk(server.port, file, 4)
    const cpu = (cpuMicros(server.pid) - before) / run.requests
    await server.stop()
    const rps = run.requests / (run.durationUs / 1e6)
    results.set(label, [...(results.get(label) ?? []), { rps, cpu }])
    console.log(
      `${label} round ${round + 1}: ${Math.round(rps)} req/s, ${cpu.toFixed(1)} µs CPU/request, non-2xx ${run.non2xx}`
    )
  }
}
// On a VM whose neighbours come and go, rounds fall into a fast and a slow mode; the lowest CPU
// per request is each variant's figure in the fast mode, which the median may miss.
for (const [label, runs] of results) {
  console.log(
    `median ${label}: ${Math.round(median(runs.map((r) => r.rps)))} req/s, ${
      median(runs.map((r) => r.cpu)).toFixed(1)
    } µs CPU/request (lowest ${Math.min(...runs.map((r) => r.cpu)).toFixed(1)})`
  )
}
rmSync(dir, { recursive: true, force: true })
