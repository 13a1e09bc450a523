/**
 * Where a new delivery's time goes, per provider: each stage of the pipeline timed on its own, by
 * calling the provider's functions directly in a loop — `provider.verify` (with the receipt time, as
 * the pipeline calls it), `provider.key`, the
 * fingerprint (`provider.fingerprint` + `Signing.sha256Parts`), the memory store's `claim`,
 * `provider.decode`, the trivial handler, the store's `complete`, `provider.ack` — with
 * `Effect.runSync` where the function returns an Effect. The same deliveries then go through
 * `handler.run` (the whole pipeline, `Effect.runPromise` per delivery as the adapters do): what it
 * costs beyond the sum of the stages is the pipeline's own machinery (fibers, the time budget and
 * lease, logs and metrics, the outcome).
 *
 * Each stage runs over the whole batch before the next starts, so its code is hot in a way it is not
 * when stages interleave: the sum is a lower bound of what the stages cost inside the pipeline.
 */
import { defineHandler, Outcome, RawDelivery, type WebhookHandler } from "@hookline/core"
import { Signing } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import {
  emProvider,
  githubHandle,
  githubProvider,
  goldenpayProvider,
  hmacHandle,
  hmacProvider,
  igvProvider,
  type Scheme,
  signedRequest,
  stripeHandle,
  stripeProvider
} from "./contenders.ts"
import { median } from "./stats.ts"

/** The stages, in pipeline order. */
export const stageNames = [
  "verify",
  "key",
  "fingerprint",
  "claim",
  "decode",
  "handle",
  "complete",
  "respond"
] as const

export type StageName = typeof stageNames[number]

export interface StageRow {
  readonly provider: string
  /** µs per new delivery for each stage (medians over rounds). */
  readonly stages: Readonly<Record<StageName, number>>
  /** Sum of the stages. */
  readonly sumUs: number
  /** µs per new delivery through `handler.run` on the same kind of deliveries. */
  readonly pipelineUs: number
}

export interface StagesResult {
  readonly deliveries: number
  readonly rounds: number
  /**
   * µs of `Effect.runSync(Effect.sync(…))`: entering the fiber runtime, included in every stage timed
   * through `runSync` (an already-completed effect such as `Effect.void` skips it).
   */
  readonly runSyncUs: number
  readonly rows: ReadonlyArray<StageRow>
}

// What the stage loop reads of a provider (structural, so any provider's event and payload types fit).
interface Measured<A, P> {
  readonly name: string
  readonly verify: (raw: RawDelivery.RawDelivery, now?: number) => Effect.Effect<P, unknown>
  readonly key: (payload: P, raw: RawDelivery.RawDelivery) => Result.Result<string, unknown>
  readonly fingerprint: (payload: P, raw: RawDelivery.RawDelivery) => ReadonlyArray<Signing.Data>
  readonly decode: (payload: P, raw: RawDelivery.RawDelivery) => Effect.Effect<A, unknown>
  readonly ack: (outcome: Outcome.Outcome) => { readonly status: number }
  readonly defaults: { readonly lease: Duration.Duration; readonly retention: Duration.Duration }
}

type Store = ReturnType<typeof MemoryStore.make>

// A provider under measurement, its types closed over.
interface Subject {
  readonly name: string
  readonly scheme: Scheme
  readonly pass: (store: Store, raws: ReadonlyArray<RawDelivery.RawDelivery>) => Record<StageName, number>
  /** `handler.run` on a memory store of its own: the status of each delivery. */
  readonly run: () => (raw: RawDelivery.RawDelivery) => Promise<number>
}

const rawOf = (scheme: Scheme, i: number): RawDelivery.RawDelivery => {
  const request = signedRequest(scheme, i)
  return RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })
}

const subject = <A, P>(
  name: string,
  scheme: Scheme,
  provider: Measured<A, P>,
  handle: (event: A) => Effect.Effect<void>,
  handler: WebhookHandler.WebhookHandler<never>
): Subject => ({
  name,
  scheme,
  pass: (store, raws) => pass(provider, handle, store, raws),
  run: () => {
    const context = Effect.runSync(Layer.build(MemoryStore.layer({ maxEntries: 4_000_000 })).pipe(Effect.scoped))
    const run = Effect.runPromiseWith(context)
    return async (raw) => (await run(handler.run(raw))).status
  }
})

const subjects = (): ReadonlyArray<Subject> => {
  const hmac = hmacProvider()
  const igv = igvProvider()
  const goldenpay = goldenpayProvider()
  const em = emProvider()
  const github = githubProvider()
  const stripe = stripeProvider()
  const none = () => Effect.void
  return [
    subject("hmac", "github", hmac, hmacHandle, defineHandler(hmac, hmacHandle)),
    subject("igv", "igv", igv, none, defineHandler(igv, none)),
    subject("goldenpay", "goldenpay", goldenpay, none, defineHandler(goldenpay, none)),
    subject("em", "em", em, none, defineHandler(em, none)),
    subject("github", "github", github, githubHandle, defineHandler(github, githubHandle)),
    subject("stripe", "stripe", stripe, stripeHandle, defineHandler(stripe, stripeHandle))
  ]
}

const orThrow = <A>(what: string, result: Result.Result<A, unknown>): A => {
  if (Result.isFailure(result)) throw new Error(`${what}: ${String(result.failure)}`)
  return result.success
}

// One timed pass of every stage over `raws` (all new deliveries): µs per delivery per stage.
const pass = <A, P>(
  p: Measured<A, P>,
  handle: (event: A) => Effect.Effect<void>,
  store: Store,
  raws: ReadonlyArray<RawDelivery.RawDelivery>
): Record<StageName, number> => {
  const n = raws.length
  const payloads = new Array<P>(n)
  const keys = new Array<string>(n)
  const fingerprints = new Array<string>(n)
  const tokens = new Array<string>(n)
  const events = new Array<A>(n)
  const out = {} as Record<StageName, number>
  const time = (stage: StageName, body: (i: number) => void) => {
    const start = performance.now()
    for (let i = 0; i < n; i++) body(i)
    out[stage] = ((performance.now() - start) * 1000) / n
  }
  // With the receipt time, as the pipeline calls it: a timestamp check then needs no Clock.
  const receivedAt = Date.now()
  time("verify", (i) => {
    payloads[i] = orThrow("verify", Effect.runSync(Effect.result(p.verify(raws[i]!, receivedAt))))
  })
  time("key", (i) => {
    keys[i] = `${p.name}:${orThrow("key", p.key(payloads[i]!, raws[i]!))}`
  })
  time("fingerprint", (i) => {
    fingerprints[i] = Signing.sha256Parts(p.fingerprint(payloads[i]!, raws[i]!))
  })
  time("claim", (i) => {
    const claim = Effect.runSync(store.claim(keys[i]!, fingerprints[i]!, p.defaults.lease))
    if (claim._tag !== "Claimed") throw new Error(`claim: ${claim._tag} for a new key`)
    tokens[i] = claim.token
  })
  time("decode", (i) => {
    events[i] = orThrow("decode", Effect.runSync(Effect.result(p.decode(payloads[i]!, raws[i]!))))
  })
  time("handle", (i) => {
    Effect.runSync(handle(events[i]!))
  })
  time("complete", (i) => {
    if (!Effect.runSync(store.complete(keys[i]!, tokens[i]!, p.defaults.retention))) {
      throw new Error("complete refused")
    }
  })
  time("respond", (i) => {
    const tag = (events[i] as { readonly _tag?: unknown })._tag
    const ack = p.ack(Outcome.Processed({ key: keys[i]!, eventTag: typeof tag === "string" ? tag : undefined }))
    if (ack.status !== 200) throw new Error(`respond: ${ack.status}`)
  })
  return out
}

const pipelinePass = async (
  run: (raw: RawDelivery.RawDelivery) => Promise<number>,
  raws: ReadonlyArray<RawDelivery.RawDelivery>
): Promise<number> => {
  const start = performance.now()
  for (const raw of raws) {
    const status = await run(raw)
    if (status !== 200) throw new Error(`handler.run answered ${status}`)
  }
  return ((performance.now() - start) * 1000) / raws.length
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()

/** Runs the per-stage table: `deliveries` new deliveries per provider and round, after a warm-up round. */
export const runStages = async (
  options: { readonly deliveries: number; readonly rounds: number },
  log: (line: string) => void
): Promise<StagesResult> => {
  const batch = (s: Subject, from: number) =>
    Array.from({ length: options.deliveries }, (_, i) => rawOf(s.scheme, from + i))
  const baseline: Array<number> = []
  for (let round = 0; round <= options.rounds; round++) {
    const start = performance.now()
    for (let i = 0; i < 200_000; i++) Effect.runSync(Effect.sync(() => i))
    if (round > 0) baseline.push(((performance.now() - start) * 1000) / 200_000)
  }
  const rows: Array<StageRow> = []
  for (const s of subjects()) {
    const store = MemoryStore.make({ maxEntries: 4_000_000 })
    const run = s.run()
    const stages: Array<Record<StageName, number>> = []
    const pipeline: Array<number> = []
    // Round 0 warms both paths up (JIT) and is not counted.
    for (let round = 0; round <= options.rounds; round++) {
      const raws = batch(s, 70_000_000 + 2 * round * options.deliveries)
      const again = batch(s, 70_000_000 + (2 * round + 1) * options.deliveries)
      gc()
      const staged = s.pass(store, raws)
      gc()
      const whole = await pipelinePass(run, again)
      if (round === 0) continue
      stages.push(staged)
      pipeline.push(whole)
    }
    const medians = Object.fromEntries(
      stageNames.map((stage) => [stage, median(stages.map((r) => r[stage]))])
    ) as Record<
      StageName,
      number
    >
    const row: StageRow = {
      provider: s.name,
      stages: medians,
      sumUs: stageNames.reduce((sum, stage) => sum + medians[stage], 0),
      pipelineUs: median(pipeline)
    }
    rows.push(row)
    log(
      `  ${s.name.padEnd(10)} ${stageNames.map((stage) => `${stage} ${row.stages[stage].toFixed(2)}`).join(", ")}; ` +
        `sum ${row.sumUs.toFixed(1)} µs, handler.run ${row.pipelineUs.toFixed(1)} µs`
    )
  }
  return { deliveries: options.deliveries, rounds: options.rounds, runSyncUs: median(baseline), rows }
}
