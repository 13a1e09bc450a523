/**
 * In-process: `handler.run` with the memory store (the hookline-hmac handler: GitHub scheme, schema
 * decode) against a hand-written function doing the same work on the same deliveries — verify the
 * HMAC in constant time, parse the JSON, dedupe by delivery id, run a trivial handler. The
 * difference of the time per delivery is the framework's overhead.
 */
import { RawDelivery } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { handWritten, hmacHandler, signedRequest } from "./contenders.ts"
import { median } from "./stats.ts"

export interface InProcessResult {
  readonly deliveries: number
  readonly rounds: number
  /** µs per new delivery (medians over rounds). */
  readonly hooklineNewUs: number
  readonly bareNewUs: number
  /** µs per duplicate delivery. */
  readonly hooklineDuplicateUs: number
  readonly bareDuplicateUs: number
  readonly overheadNewUs: number
  readonly overheadDuplicateUs: number
}

const deliveriesFrom = (from: number, count: number): Array<RawDelivery.RawDelivery> =>
  Array.from({ length: count }, (_, i) => {
    const request = signedRequest("github", from + i)
    return RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })
  })

const hooklinePass = async (
  deliveries: ReadonlyArray<RawDelivery.RawDelivery>
): Promise<{ fresh: number; dup: number }> => {
  const handler = hmacHandler()
  const context = await Effect.runPromise(Layer.build(MemoryStore.layer({ maxEntries: 4_000_000 })).pipe(Effect.scoped))
  const run = Effect.runPromiseWith(context)
  const timed = async (list: ReadonlyArray<RawDelivery.RawDelivery>) => {
    const start = performance.now()
    for (const raw of list) {
      const ack = await run(handler.run(raw))
      if (ack.status !== 200) throw new Error(`handler.run answered ${ack.status}`)
    }
    return ((performance.now() - start) * 1000) / list.length
  }
  const fresh = await timed(deliveries)
  const dup = await timed(deliveries.slice(0, Math.ceil(deliveries.length / 4)))
  return { fresh, dup }
}

const barePass = (deliveries: ReadonlyArray<RawDelivery.RawDelivery>): { fresh: number; dup: number } => {
  const work = handWritten()
  const timed = (list: ReadonlyArray<RawDelivery.RawDelivery>) => {
    const start = performance.now()
    for (const raw of list) {
      const status = work(raw.headers["x-github-delivery"], raw.headers["x-hub-signature-256"], raw.body)
      if (status !== 200) throw new Error(`hand-written answered ${status}`)
    }
    return ((performance.now() - start) * 1000) / list.length
  }
  const fresh = timed(deliveries)
  const dup = timed(deliveries.slice(0, Math.ceil(deliveries.length / 4)))
  return { fresh, dup }
}

export const runInProcess = async (
  options: { readonly deliveries: number; readonly rounds: number },
  log: (line: string) => void
): Promise<InProcessResult> => {
  // Warm both paths up (JIT) on deliveries of their own.
  const warm = deliveriesFrom(50_000_000, Math.min(20_000, options.deliveries))
  await hooklinePass(warm)
  barePass(warm)
  const hookline: Array<{ fresh: number; dup: number }> = []
  const bare: Array<{ fresh: number; dup: number }> = []
  for (let round = 0; round < options.rounds; round++) {
    const deliveries = deliveriesFrom(60_000_000 + round * options.deliveries, options.deliveries)
    ;(globalThis as { gc?: () => void }).gc?.()
    hookline.push(await hooklinePass(deliveries))
    ;(globalThis as { gc?: () => void }).gc?.()
    bare.push(barePass(deliveries))
    log(
      `  round ${round + 1}/${options.rounds}: handler.run ${hookline.at(-1)!.fresh.toFixed(2)} µs/new, ` +
        `${hookline.at(-1)!.dup.toFixed(2)} µs/duplicate; hand-written ${bare.at(-1)!.fresh.toFixed(2)} µs/new, ` +
        `${bare.at(-1)!.dup.toFixed(2)} µs/duplicate`
    )
  }
  const hooklineNewUs = median(hookline.map((r) => r.fresh))
  const bareNewUs = median(bare.map((r) => r.fresh))
  const hooklineDuplicateUs = median(hookline.map((r) => r.dup))
  const bareDuplicateUs = median(bare.map((r) => r.dup))
  return {
    deliveries: options.deliveries,
    rounds: options.rounds,
    hooklineNewUs,
    bareNewUs,
    hooklineDuplicateUs,
    bareDuplicateUs,
    overheadNewUs: hooklineNewUs - bareNewUs,
    overheadDuplicateUs: hooklineDuplicateUs - bareDuplicateUs
  }
}
