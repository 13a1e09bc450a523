/**
 * Allocation per delivery, by function: the `hookline-hmac` handler (memory store, `handler.runIn` as
 * the adapters call it) or the hand-written receiver with the same guarantees (`guarded`) over new
 * signed deliveries, under V8's sampling heap profiler (objects collected by the minor and major GC
 * included, so it counts what was allocated, not what survived).
 *
 *   node --conditions=@hookline/source bench/src/alloc.ts hookline|guarded [deliveries] [top]
 *
 * Prints the bytes allocated per delivery, then the functions that allocated them (an inlined
 * function's allocations count for its caller). Off-heap buffer memory is not counted.
 */
import { type Ack, RawDelivery } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { Session } from "node:inspector/promises"
import { handWrittenGuarded, hmacHandler, signedRequest } from "./contenders.ts"

const [which, countText, topText] = process.argv.slice(2)
if (which !== "hookline" && which !== "guarded") {
  console.error("usage: alloc.ts hookline|guarded [deliveries] [top]")
  process.exit(2)
}
const count = Number(countText ?? 50_000)
const top = Number(topText ?? 30)
const warmup = 20_000

const deliveries = Array.from({ length: warmup + count }, (_, i) => {
  const request = signedRequest("github", 700_000_000 + i)
  return RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })
})

const makeOne = async (): Promise<(raw: RawDelivery.RawDelivery) => void> => {
  if (which === "guarded") {
    const work = handWrittenGuarded()
    return (raw) => {
      const status = work(raw.headers["x-github-delivery"], raw.headers["x-hub-signature-256"], raw.body)
      if (status !== 200) throw new Error(`guarded answered ${status}`)
    }
  }
  const handler = hmacHandler()
  const context = await Effect.runPromise(Layer.build(MemoryStore.layer({ maxEntries: 4_000_000 })).pipe(Effect.scoped))
  return (raw) => {
    const result = handler.runIn(context, raw)
    // The memory store answers at once: every delivery finishes synchronously.
    if (!Exit.isExit(result)) throw new Error("handler.runIn did not finish synchronously")
    const exit = result as Exit.Exit<Ack.Ack>
    if (!Exit.isSuccess(exit) || exit.value.status !== 200) throw new Error("handler.runIn did not answer 200")
  }
}

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}

const one = await makeOne()
for (let i = 0; i < warmup; i++) one(deliveries[i]!)
const session = new Session()
session.connect()
await session.post("HeapProfiler.enable")
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 64,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true
})
for (let i = warmup; i < warmup + count; i++) one(deliveries[i]!)
const { profile } = await session.post("HeapProfiler.stopSampling")
session.disconnect()

const byFunction = new Map<string, number>()
let total = 0
const walk = (node: SamplingNode) => {
  total += node.selfSize
  if (node.selfSize > 0) {
    const { functionName, lineNumber, url } = node.callFrame
    const where = url.replace(/^.*\/(packages|node_modules|bench)\//, "$1/")
    const name = `${functionName === "" ? "(anonymous)" : functionName} ${where}:${lineNumber + 1}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize)
  }
  for (const child of node.children) walk(child)
}
walk(profile.head as unknown as SamplingNode)
console.log(`${which}: ${Math.round(total / count)} bytes allocated per new delivery (${count} deliveries)`)
for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${String(Math.round(bytes / count)).padStart(7)}  ${name}`)
}
