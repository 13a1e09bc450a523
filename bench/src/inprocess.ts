/**
 * In-process: the hookline-hmac handler (GitHub scheme, schema decode, memory store) run the way the
 * adapters run it — `handler.runIn(context, raw)`, awaiting the runtime only when the delivery did
 * not finish synchronously — against a hand-written function doing the same work on the same
 * deliveries: verify the HMAC in constant time, parse the JSON, dedupe by delivery id, run a trivial
 * handler. The difference of the time per delivery is the framework's overhead. `handler.run` under
 * `Effect.runPromise` (a custom adapter written in Effect) is timed too, and the hand-written work
 * with hookline's guarantees (`handWrittenGuarded`: lossless parse, fingerprint, claim token and
 * lease, schema decode, fenced completion), which splits the overhead into what the guarantees cost
 * by hand and what is left to the framework.
 */
import { type Ack, RawDelivery } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { handWritten, handWrittenGuarded, hmacHandler, signedRequest } from "./contenders.ts"
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
  /** µs per new and per duplicate delivery through `Effect.runPromise(handler.run(raw))`. */
  readonly effectNewUs?: number | undefined
  readonly effectDuplicateUs?: number | undefined
  /** µs per new and per duplicate delivery of the hand-written work with hookline's guarantees. */
  readonly guardedNewUs?: number | undefined
  readonly guardedDuplicateUs?: number | undefined
}

const deliveriesFrom = (from: number, count: number): Array<RawDelivery.RawDelivery> =>
  Array.from({ length: count }, (_, i) => {
    const request = signedRequest("github", from + i)
    return RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })
  })

const hooklinePass = async (
  deliveries: ReadonlyArray<RawDelivery.RawDelivery>,
  how: "runIn" | "runPromise"
): Promise<{ fresh: number; dup: number }> => {
  const handler = hmacHandler()
  const context = await Effect.runPromise(Layer.build(MemoryStore.layer({ maxEntries: 4_000_000 })).pipe(Effect.scoped))
  const run = Effect.runPromiseWith(context)
  const one = how === "runPromise"
    ? (raw: RawDelivery.RawDelivery) => run(handler.run(raw))
    : (raw: RawDelivery.RawDelivery) => {
      const result = handler.runIn(context, raw)
      if (!Exit.isExit(result)) return run(result)
      const exit = result as Exit.Exit<Ack.Ack>
      if (Exit.isSuccess(exit)) return exit.value
      throw new Error("handler.runIn died")
    }
  const timed = async (list: ReadonlyArray<RawDelivery.RawDelivery>) => {
    const start = performance.now()
    for (const raw of list) {
      const answered = one(raw)
      const ack = answered instanceof Promise ? await answered : answered
      if (ack.status !== 200) throw new Error(`handler.${how === "runIn" ? "runIn" : "run"} answered ${ack.status}`)
    }
    return ((performance.now() - start) * 1000) / list.length
  }
  const fresh = await timed(deliveries)
  const dup = await timed(deliveries.slice(0, Math.ceil(deliveries.length / 4)))
  return { fresh, dup }
}

const handWrittenPass = (
  deliveries: ReadonlyArray<RawDelivery.RawDelivery>,
  make: () => ReturnType<typeof handWritten> = handWritten
): { fresh: number; dup: number } => {
  const work = make()
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
  await hooklinePass(warm, "runIn")
  await hooklinePass(warm, "runPromise")
  handWrittenPass(warm)
  handWrittenPass(warm, handWrittenGuarded)
  const hookline: Array<{ fresh: number; dup: number }> = []
  const effect: Array<{ fresh: number; dup: number }> = []
  const bare: Array<{ fresh: number; dup: number }> = []
  const guarded: Array<{ fresh: number; dup: number }> = []
  const gc = () => (globalThis as { gc?: () => void }).gc?.()
  for (let round = 0; round < options.rounds; round++) {
    const deliveries = deliveriesFrom(60_000_000 + round * options.deliveries, options.deliveries)
    gc()
    hookline.push(await hooklinePass(deliveries, "runIn"))
    gc()
    effect.push(await hooklinePass(deliveries, "runPromise"))
    gc()
    bare.push(handWrittenPass(deliveries))
    gc()
    guarded.push(handWrittenPass(deliveries, handWrittenGuarded))
    log(
      `  round ${round + 1}/${options.rounds}: handler.runIn ${hookline.at(-1)!.fresh.toFixed(2)} µs/new, ` +
        `${hookline.at(-1)!.dup.toFixed(2)} µs/duplicate; runPromise(handler.run) ${
          effect.at(-1)!.fresh.toFixed(2)
        } µs/new, ${effect.at(-1)!.dup.toFixed(2)} µs/duplicate; hand-written ${
          bare.at(-1)!.fresh.toFixed(2)
        } µs/new, ${bare.at(-1)!.dup.toFixed(2)} µs/duplicate; with the guarantees by hand ${
          guarded.at(-1)!.fresh.toFixed(2)
        } µs/new, ${guarded.at(-1)!.dup.toFixed(2)} µs/duplicate`
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
    overheadDuplicateUs: hooklineDuplicateUs - bareDuplicateUs,
    effectNewUs: median(effect.map((r) => r.fresh)),
    effectDuplicateUs: median(effect.map((r) => r.dup)),
    guardedNewUs: median(guarded.map((r) => r.fresh)),
    guardedDuplicateUs: median(guarded.map((r) => r.dup))
  }
}
