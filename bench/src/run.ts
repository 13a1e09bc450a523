/**
 * `npm run bench`: throughput and memory of the hot paths, with the targets they are held to.
 * Targets live here, never in unit tests. `npm run bench -- --check` exits 1 when one is missed.
 *
 *   signature   HMAC-SHA256 verify of a 1 KiB body: node:crypto (what core uses) vs Effect's
 *               WebCrypto Mac service and its node:crypto layer — the measurement behind the choice
 *   pipeline    handler.run in-process with the memory store: new deliveries and duplicates
 *   http        end to end through toNodeListener on 127.0.0.1 (keep-alive, 32 in flight)
 *   memory      heap per completed key in the memory store
 */
import { NodeCrypto } from "@effect/platform-node"
import { defineHandler, Hmac } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Mac from "effect/crypto/Mac"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createHmac, timingSafeEqual } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { providerBenches } from "./providers.ts"

interface Result {
  readonly name: string
  readonly value: number
  readonly unit: string
  readonly target?: { readonly min?: number; readonly max?: number } | undefined
}
const results: Array<Result> = []

// Runs `fn` repeatedly for ~`ms` milliseconds after a warm-up; returns operations per second.
const opsPerSecond = async (fn: () => unknown | Promise<unknown>, ms = 1000, batch = 100): Promise<number> => {
  for (let i = 0; i < 2 * batch; i++) await fn()
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let i = 0; i < batch; i++) await fn()
    n += batch
  }
  return n / ((performance.now() - start) / 1000)
}

const body = new Uint8Array(1024).fill(97)
const key = "bench-secret-bench-secret-123456"
const tag = createHmac("sha256", key).update(body).digest()

// --- signature -------------------------------------------------------------------------------
results.push({
  name: "verify hmac-sha256 1KiB (node:crypto, sync)",
  value: await opsPerSecond(() => timingSafeEqual(createHmac("sha256", key).update(body).digest(), tag)),
  unit: "ops/s",
  target: { min: 50_000 }
})
for (
  const [label, layer] of [
    ["Effect Mac, WebCrypto", Mac.layerWebCrypto.pipe(Layer.provide(SecureRandom.layerWebCrypto))],
    ["Effect Mac, NodeCrypto.layerMac", NodeCrypto.layerMac]
  ] as const
) {
  const verify = await Effect.runPromise(
    Effect.gen(function*() {
      const mac = yield* Mac.Mac
      const k = yield* Mac.key(Mac.hmacSha256, new TextEncoder().encode(key))
      // 100 verifications per run, so the per-run overhead of runPromise is not what we measure.
      const batch = Effect.forEach(Array.from({ length: 100 }), () => mac.verify(k, tag, body), { discard: true })
      return () => Effect.runPromise(batch)
    }).pipe(Effect.provide(layer))
  )
  results.push({
    name: `verify hmac-sha256 1KiB (${label})`,
    value: 100 * await opsPerSecond(verify, 1000, 2),
    unit: "ops/s"
  })
}

// --- pipeline --------------------------------------------------------------------------------
const secret = Redacted.make(key)
const options = { secret }
const handler = defineHandler(Hmac.provider(options), () => Effect.void)
const store = MemoryStore.layer({ maxEntries: 2_000_000 })
const runtimeContext = await Effect.runPromise(Layer.build(store).pipe(Effect.scoped))
let counter = 0
const fresh = () => Hmac.testing.sign(options, { body: `{"n":${counter}}`, id: `bench-${counter++}` })
const prepared = Array.from({ length: 50_000 }, fresh)
let next = 0
results.push({
  name: "pipeline new delivery (memory store)",
  value: await opsPerSecond(() =>
    Effect.runPromiseWith(runtimeContext)(handler.run(prepared[next++ % prepared.length]!))
  ),
  unit: "deliveries/s",
  target: { min: 2_500 }
})
const duplicate = prepared[0]!
results.push({
  name: "pipeline duplicate (memory store)",
  value: await opsPerSecond(() => Effect.runPromiseWith(runtimeContext)(handler.run(duplicate))),
  unit: "deliveries/s",
  target: { min: 5_000 }
})

for (const bench of await providerBenches()) {
  results.push({
    name: `pipeline new delivery, ${bench.name}`,
    value: await opsPerSecond(bench.run),
    unit: "deliveries/s",
    target: { min: 2_000 }
  })
}

// --- http ------------------------------------------------------------------------------------
{
  const listener = toNodeListener(handler, MemoryStore.layer({ maxEntries: 2_000_000 }))
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  const post = (raw: ReturnType<typeof fresh>) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, method: "POST", path: "/", headers: raw.headers, agent },
        (response) => {
          response.resume()
          response.on("end", () => resolve(response.statusCode ?? 0))
        }
      )
      request.on("error", reject)
      request.end(raw.body)
    })
  const deliveries = Array.from({ length: 20_000 }, fresh)
  let sent = 0
  const worker = async (deadline: number) => {
    let ok = 0
    while (performance.now() < deadline) {
      if ((await post(deliveries[sent++ % deliveries.length]!)) === 200) ok++
    }
    return ok
  }
  await Promise.all(Array.from({ length: 32 }, () => worker(performance.now() + 300)))
  const start = performance.now()
  const ok = (await Promise.all(Array.from({ length: 32 }, () => worker(start + 2000)))).reduce((a, b) => a + b, 0)
  results.push({
    name: "http end to end (node listener, 32 in flight)",
    value: ok / ((performance.now() - start) / 1000),
    unit: "req/s",
    target: { min: 1_000 }
  })
  agent.destroy()
  server.close()
  await listener.dispose()
}

// --- memory ----------------------------------------------------------------------------------
{
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage().heapUsed
  const memory = MemoryStore.make({ maxEntries: 200_000 })
  await Effect.runPromise(
    Effect.forEach(
      Array.from({ length: 100_000 }, (_, i) => i),
      (i) =>
        Effect.flatMap(
          memory.claim(`hmac:bench-key-${i}`, "f".repeat(64), Duration.minutes(1)),
          (claim) =>
            claim._tag === "Claimed"
              ? memory.complete(`hmac:bench-key-${i}`, claim.token, Duration.days(1))
              : Effect.void
        ),
      {
        discard: true
      }
    )
  )
  gc?.()
  const perKey = (process.memoryUsage().heapUsed - before) / 100_000
  results.push({ name: "memory store heap per completed key", value: perKey, unit: "bytes", target: { max: 1_024 } })
}

// --- report ----------------------------------------------------------------------------------
const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1)
let missed = 0
console.log(`hookline bench — node ${process.version}, ${process.platform}/${process.arch}\n`)
for (const result of results) {
  const target = result.target
  const met = target === undefined ||
    ((target.min === undefined || result.value >= target.min) &&
      (target.max === undefined || result.value <= target.max))
  if (!met) missed++
  const goal = target === undefined
    ? ""
    : target.min !== undefined
    ? `target ≥ ${fmt(target.min)}`
    : `target ≤ ${fmt(target.max!)}`
  console.log(
    `${result.name.padEnd(58)} ${fmt(result.value).padStart(12)} ${result.unit.padEnd(13)} ${goal.padEnd(18)} ${
      target === undefined ? "" : met ? "ok" : "MISSED"
    }`
  )
}
if (missed > 0 && process.argv.includes("--check")) process.exit(1)
