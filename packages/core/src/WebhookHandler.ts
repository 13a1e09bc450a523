/**
 * `defineHandler` joins a provider and the user's code into a `WebhookHandler`: the pipeline
 *
 * ```
 * verify → key → claim → decode → handle → complete / release → respond
 * ```
 *
 * Every stage is a span (`hookline.verify`, `hookline.key`, …) under one `hookline.delivery` span,
 * every outcome is counted in the `hookline_deliveries_total` metric, and every path ends in a typed
 * `Outcome` that the provider's `AckPolicy` answers. The pipeline never fails and never throws.
 *
 * Rule zero: a delivery is acknowledged only after its handler succeeded and the completion was
 * recorded (or it was already completed).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import type * as Ack from "./Ack.ts"
import { DeadLetterStore, events as deadLetterEvents, reasonOf } from "./DeadLetterStore.ts"
import type { Failure, Rejection } from "./DeliveryError.ts"
import type { MalformedDelivery } from "./DeliveryError.ts"
import {
  BodyTooLarge,
  DecodeFailed,
  HandlerFailed,
  isRejection,
  MethodNotAllowed,
  Misconfigured,
  PayloadMismatch,
  StoreUnavailable,
  TimedOut
} from "./DeliveryError.ts"
import { type ClaimResult, IdempotencyStore, type Transaction } from "./IdempotencyStore.ts"
import { Background, type BackgroundService } from "./internal/Background.ts"
import * as TraceParent from "./internal/TraceParent.ts"
import * as Outcome from "./Outcome.ts"
import * as Provider from "./Provider.ts"
import type { RawDelivery } from "./RawDelivery.ts"
import * as Signing from "./Signing.ts"

const TypeId = "~@hookline/core/WebhookHandler" as const

/**
 * What the user's handler receives besides the event.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryContext {
  /** The provider's name. */
  readonly provider: string
  /** The delivery's idempotency key (namespaced: `<provider>:<key>`). */
  readonly key: string
  /** The request as received. */
  readonly delivery: RawDelivery
  /**
   * The claim's token: while this handler holds the claim, the store's record of `key` carries it.
   * A write that must not happen twice can be fenced with it — made conditional, in one
   * transaction, on the store still holding `key` under this token (see docs/concepts.md).
   */
  readonly token: string
  /**
   * When this handler's claim stops being exclusive, in epoch milliseconds: the lease measured from
   * *before* the claim was sent, minus a safety margin (a tenth of the lease, at most 1 s). At this
   * moment `signal` is aborted and the handler is interrupted; another delivery of the key may be
   * claimed soon after. Work that cannot finish by then should not start.
   */
  readonly deadline: number
  /**
   * Aborted at `deadline`, and when the handler is interrupted for any other reason (shutdown). Pass
   * it to promise-based work (`fetch`, database drivers) that Effect's interruption cannot stop.
   */
  readonly signal: AbortSignal
}

/**
 * One function handling every event.
 *
 * @since 0.1.0
 * @category models
 */
export type Handle<A, E, R> = (event: A, context: DeliveryContext) => Effect.Effect<unknown, E, R>

/**
 * The values the events' discriminator `D` takes: the keys of a handler map.
 *
 * @since 0.1.0
 * @category models
 */
export type EventTypes<A, D extends string = "_tag"> = A extends { readonly [K in D]: infer V extends string } ? V
  : never

/**
 * A record of functions keyed by the value of the events' discriminator `D` (the provider's
 * `discriminator`: `_tag` by default, e.g. `type` for most platforms), each typed for its event.
 * Must cover every value.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<A, D extends string = "_tag"> = {
  readonly [V in EventTypes<A, D>]: (
    event: Extract<A, { readonly [K in D]: V }>,
    context: DeliveryContext
  ) => Effect.Effect<unknown, unknown, unknown>
}

// A key of a handler map that names no event type: the error shown at that key.
type UnknownEventTypes<H, A, D extends string> = H extends (...args: ReadonlyArray<never>) => unknown ? unknown
  : {
    readonly [K in Exclude<keyof H, EventTypes<A, D>>]: `"${K & string}" is not the ${D} of any event of this provider`
  }

type ContextOf<F> = F extends (...args: ReadonlyArray<never>) => Effect.Effect<unknown, unknown, infer R> ? R : never

// What a handler (one function, or a map of them) requires.
type HandlersContext<H> = H extends (...args: ReadonlyArray<never>) => unknown ? ContextOf<H>
  : { [K in keyof H]: ContextOf<H[K]> }[keyof H]

/**
 * Per-handler options: overrides of the provider's defaults — `bodyLimit`, `timeBudget`, `lease`,
 * `retention` (see `Provider.Settings`; this is the one place a user sets them) — and
 * `transactional`.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerOptions = Provider.SettingsInput & {
  /**
   * Run the handler and the completion of its claim in one database transaction: every statement
   * the handler runs through the application's `SqlClient` commits together with the completion, or
   * not at all (a failure, a crash, a lost claim roll it back). Needs a store that offers
   * transactions — `SqlStore` from `@hookline/store-sql`, on the same `SqlClient` as the handler.
   * With any other store the adapters' `start()` fails with `Misconfigured`, and (without `start()`)
   * every delivery fails with `StoreUnavailable` ("retry") before its claim.
   * Default `false`. See docs/concepts.md, "Exactly-once side effects".
   */
  readonly transactional?: boolean | undefined
}

/**
 * The resolved settings of a handler.
 *
 * @since 0.1.0
 * @category models
 */
export type Settings = Provider.Settings

/**
 * A provider joined with user code: `run` takes a received request to the response to send.
 * `R` is what the user's handler requires; `IdempotencyStore` is always required.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookHandler<out R = never> {
  readonly [TypeId]: typeof TypeId
  /** The provider's name (also the key namespace). */
  readonly name: string
  /** HTTP methods the provider accepts. */
  readonly methods: ReadonlyArray<string>
  readonly settings: Settings
  /** Reads the provider's configuration; fails with `Misconfigured` (run by the adapters at start). */
  readonly validate: Effect.Effect<void, Misconfigured>
  /** Runs the pipeline and returns the outcome (for tests, logs, custom adapters and replays). */
  readonly process: (
    raw: RawDelivery,
    options?: ProcessOptions
  ) => Effect.Effect<Outcome.Outcome, never, R | IdempotencyStore>
  /** Runs the pipeline and returns the response to send. */
  readonly run: (raw: RawDelivery) => Effect.Effect<Ack.Ack, never, R | IdempotencyStore>
  /**
   * `run` for adapters, with the services of `context` (the adapter's runtime): the pipeline runs
   * at once, without a fiber, for as long as its steps finish synchronously (a memory store, a
   * handler that returns `Effect.void` or another `Exit`). The result is an `Exit` when the whole
   * delivery finished that way; otherwise the effect that completes it, to be run in the runtime of
   * `context`.
   */
  readonly runIn: (
    context: Context.Context<R | IdempotencyStore>,
    raw: RawDelivery
  ) => Effect.Effect<Ack.Ack, never, R | IdempotencyStore>
  /**
   * Answers a request an adapter refused before the pipeline could run (body too large, body
   * consumed by a parser): records the outcome like the pipeline does and returns the response.
   */
  readonly refuse: (reason: Rejection | Failure) => Effect.Effect<Ack.Ack>
  /** The provider's answer for an outcome (pure; does not log or count). */
  readonly respond: (outcome: Outcome.Outcome) => Ack.Ack
}

/**
 * Options of {@link WebhookHandler.process}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessOptions {
  /**
   * Verify the delivery as of this time (epoch milliseconds) instead of now: the time a recorded
   * delivery was first received, for an explicit replay (`DeadLetters.replay`). The signature is
   * checked as always; only the timestamp tolerance is measured from this time.
   */
  readonly receivedAt?: number | undefined
}

/**
 * Checks whether a value is a `WebhookHandler`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isWebhookHandler = (u: unknown): u is WebhookHandler<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * The counter of delivery outcomes, with attributes `provider`, `outcome` and `reason` (the
 * rejection or failure tag, `none` otherwise).
 *
 * @since 0.1.0
 * @category metrics
 */
export const deliveries = Metric.counter("hookline_deliveries_total", {
  description: "Webhook deliveries by provider, outcome and reason",
  incremental: true
})

// One series of `deliveries`, its attributes part of the metric: the same series as
// `Metric.withAttributes(deliveries, attributes)` (same id, description and attributes), without
// that wrapper's cost on every update — a copy of the context, and the series key recomputed
// whenever another series of the same metric was updated last.
const deliveriesSeries = (attributes: Readonly<Record<string, string>>) =>
  Metric.counter(deliveries.id, { description: deliveries.description, incremental: true, attributes })

/**
 * The bucket upper bounds of {@link deliveryDuration}, in seconds: 1, 2.5, 5, 10, 25, 50, 100, 250
 * and 500 ms, then 1, 2.5, 5, 10, 30 and 60 s, and `+Infinity`. A delivery answered from memory
 * takes well under a millisecond, one that waits for Redis or PostgreSQL a few milliseconds; the
 * default time budget is 10 s (GoldenPay's platform gives up at 5 s) and the default lease 60 s,
 * which bounds a handler that went on in the background.
 *
 * @since 0.1.0
 * @category metrics
 */
export const deliveryDurationBoundaries: ReadonlyArray<number> = Metric.boundariesFromIterable([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60
])

/**
 * The latency histogram of delivery outcomes, in seconds, with attributes `provider` and `outcome`:
 * one observation each time an outcome is counted in {@link deliveries}, of the time from the start
 * of the delivery (the `Clock` reading the time budget is measured from) to that outcome. Buckets:
 * {@link deliveryDurationBoundaries}.
 *
 * A handler still running at the end of the time budget makes two observations, as it makes two
 * counts: `Failed` (`TimedOut`) at about the budget — what the platform saw — and later, from the
 * background, its final outcome at the delivery's whole duration (at most the lease).
 *
 * @since 0.1.0
 * @category metrics
 */
export const deliveryDuration = Metric.histogram("hookline_delivery_duration_seconds", {
  description: "Time from receiving a webhook delivery to its outcome, in seconds, by provider and outcome",
  boundaries: deliveryDurationBoundaries
})

// One series of `deliveryDuration` (see `deliveriesSeries`).
const deliveryDurationSeries = (attributes: Readonly<Record<string, string>>) =>
  Metric.histogram(deliveryDuration.id, {
    description: deliveryDuration.description,
    boundaries: deliveryDurationBoundaries,
    attributes
  })

const outcomeOf = (key: string | undefined, reason: Rejection | Failure): Outcome.Outcome =>
  isRejection(reason) ? Outcome.Rejected({ key, reason }) : Outcome.Failed({ key, reason })

// A rejection's message may be built before the delivery was verified; whatever request data it
// might carry goes into an annotation, escaped (no raw newline can forge a log line) and truncated,
// never into the log message itself.
const detailLimit = 200
const detail = (message: string): string => {
  const escaped = JSON.stringify(message).slice(1, -1)
  return escaped.length > detailLimit ? `${escaped.slice(0, detailLimit)}…` : escaped
}

/**
 * The safety margin taken off a lease for {@link DeliveryContext.deadline}: a tenth of the lease, at
 * most one second. It covers what the local clock cannot see — the claim's reply latency is already
 * excluded by measuring from before the claim — such as event-loop lag before the deadline fires.
 *
 * @since 0.1.0
 * @category constants
 */
export const leaseMargin = (lease: Duration.Duration): number => Math.min(1000, Duration.toMillis(lease) / 10)

/**
 * Joins a provider and the code that handles its events.
 *
 * `handle` is one function of the event, or a record with one function per event type — keyed by
 * the value of the provider's `discriminator` (`_tag` by default; `type` for most platforms), each
 * receiving its own event type. The record must be exhaustive; a key that names no event type is
 * a type error at that key.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { defineHandler, Hmac } from "@hookline/core"
 *
 * export const handler = defineHandler(
 *   Hmac.provider({ secret: Redacted.make("s3cret") }),
 *   (event) => Effect.log("received", event.id)
 * )
 * ```
 */
export const defineHandler = <
  A,
  P,
  D extends string,
  const H extends
    | Handle<A, unknown, unknown>
    | ([EventTypes<A, D>] extends [never] ? never : Handlers<A, D>)
>(
  provider: Provider.Provider<A, P, D>,
  // NoInfer: the unknown-key check must not take part in inferring H (the handlers' parameters
  // would lose their types).
  handle: H & NoInfer<UnknownEventTypes<H, A, D>>,
  options?: HandlerOptions
): WebhookHandler<HandlersContext<H>> => {
  const discriminator = provider.discriminator
  const handlers = handle as Handle<A, unknown, unknown> | Record<string, Handle<A, unknown, unknown>>
  const one: Handle<A, unknown, unknown> = typeof handlers === "function"
    ? handlers
    : (event, context) => {
      const tag = tagOf(event, discriminator)
      // The record is exhaustive by type; an unknown value can only come from an unsafe cast. Own
      // keys only: an event type named "constructor" must not find Object.prototype's.
      const fn = tag !== undefined && Object.hasOwn(handlers, tag) ? handlers[tag] : undefined
      return fn === undefined
        ? Effect.die(new Error(`No handler for event ${discriminator} ${String(tag)}`))
        : fn(event, context)
    }
  return make(provider, one, options) as WebhookHandler<HandlersContext<H>>
}

const tagOf = (event: unknown, discriminator: string): string | undefined => {
  if (typeof event !== "object" || event === null) return undefined
  const value = (event as Record<string, unknown>)[discriminator]
  return typeof value === "string" ? value : undefined
}

// What a delivery runs with, read from a context: the running fiber's for `process` and `run`, the
// adapter's runtime's for `runIn` (so a delivery can run without a fiber).
interface Env {
  /** `undefined` when no store is provided (the type forbids it; the claim then dies saying so). */
  readonly store: StoreOperations | undefined
  readonly clock: Clock.Clock
  /** The store's transaction, for `transactional` handlers (`undefined` when it has none). */
  readonly transaction: Transaction | undefined
  readonly minimumLogLevel: LogLevel.LogLevel
  /** A tracer is installed: every stage is a span. */
  readonly tracing: boolean
  readonly background: BackgroundService
  /** Where failed authentic deliveries are kept, when the application provides one. */
  readonly deadLetters: DeadLetterStore["Service"] | undefined
  /** Where the metric is recorded. */
  readonly context: Context.Context<never>
}

const envOf = (context: Context.Context<never>): Env => {
  const store = Context.getOrUndefined(context, IdempotencyStore)
  return {
    store: operationsOf(store),
    transaction: store?.transaction,
    clock: Context.get(context, Clock.Clock),
    minimumLogLevel: Context.get(context, References.MinimumLogLevel),
    tracing: Context.getOrUndefined(context, Tracer.Tracer) !== undefined &&
      Context.get(context, References.TracerEnabled),
    background: Context.get(context, Background),
    deadLetters: Context.getOrUndefined(context, DeadLetterStore),
    context
  }
}

// The store's operations at a clock reading `now`: answered at once through `immediate` when the
// store offers it, else its effects (which read the fiber's clock themselves).
interface StoreOperations {
  readonly claim: (
    key: string,
    fingerprint: string,
    lease: Duration.Duration,
    now: number
  ) => Effect.Effect<ClaimResult, StoreUnavailable>
  readonly complete: (
    key: string,
    token: string,
    retain: Duration.Duration,
    now: number
  ) => Effect.Effect<boolean, StoreUnavailable>
  readonly release: (key: string, token: string, now: number) => Effect.Effect<boolean, StoreUnavailable>
}

const operationsOf = (store: IdempotencyStore["Service"] | undefined): StoreOperations | undefined =>
  store === undefined ? undefined : store.immediate ?? {
    claim: (key, fingerprint, lease) => store.claim(key, fingerprint, lease),
    complete: (key, token, retain) => store.complete(key, token, retain),
    release: (key, token) => store.release(key, token)
  }

// Calls a provider's or the user's function: a throw is a defect, like in `Effect.suspend`.
const attempt = <X, E, R>(f: () => Effect.Effect<X, E, R>): Effect.Effect<X, E, R> => {
  try {
    return f()
  } catch (error) {
    return Exit.die(error)
  }
}

const make = <A, P, D extends string, E, R>(
  provider: Provider.Provider<A, P, D>,
  handle: Handle<A, E, R>,
  options: HandlerOptions | undefined
): WebhookHandler<R> => {
  const settings = Provider.resolveSettings(provider.defaults, options)
  const refused = provider.checkSettings(settings)
  if (refused !== undefined) throw new Misconfigured({ message: `${provider.name}: ${refused}` })
  const name = provider.name
  const budgetMillis = Duration.toMillis(settings.timeBudget)
  const leaseMillis = Duration.toMillis(settings.lease)
  const margin = leaseMargin(settings.lease)
  const transactional = options?.transactional === true
  const respond = (outcome: Outcome.Outcome): Ack.Ack => provider.ack(outcome)

  // ---- the pipeline, top-down: verify → key → claim → decode → handle → complete / release ----

  // Each stage is an `Effect.matchCauseEffectEager`: a stage that finished at once is an `Exit` (that
  // is what `Effect.succeed` and `Effect.fail` are) and the next one runs right away, with no fiber.
  // The first stage that is really asynchronous (a network store, a handler doing I/O) makes the
  // rest an effect, run in the fiber runtime.
  // `receivedAt` is the time the delivery is verified as of: now, or a replayed delivery's receipt.
  const pipeline = (
    env: Env,
    startedAt: number,
    receivedAt: number,
    raw: RawDelivery
  ): Effect.Effect<Outcome.Outcome, never, R> => {
    if (!provider.methods.includes(raw.method.toUpperCase())) {
      return Exit.succeed(Outcome.Rejected({
        key: undefined,
        reason: new MethodNotAllowed({ message: `Method ${raw.method} is not allowed`, method: raw.method })
      }))
    }
    if (raw.body.length > settings.bodyLimit) {
      return Exit.succeed(Outcome.Rejected({
        key: undefined,
        reason: new BodyTooLarge({
          message: `Body exceeds the limit of ${settings.bodyLimit} bytes`,
          limit: settings.bodyLimit
        })
      }))
    }
    // 1. Verify the exact received bytes; nothing unverified is read before this.
    return Effect.matchCauseEffectEager(stage(env, "verify", () => provider.verify(raw, receivedAt)), {
      onFailure: (cause) => refusedWith(undefined, cause),
      onSuccess: (payload) => keyed(env, startedAt, receivedAt, raw, payload)
    })
  }

  // 2. The idempotency key, from the verified payload.
  const keyed = (env: Env, startedAt: number, receivedAt: number, raw: RawDelivery, payload: P) =>
    Effect.matchCauseEffectEager(stage(env, "key", () => keyOf(payload, raw)), {
      onFailure: (cause) => refusedWith(undefined, cause),
      onSuccess: (key) => claimed(env, startedAt, receivedAt, raw, payload, `${name}:${key}`)
    })

  // 3. Claim the key: new, completed (a duplicate) or in flight elsewhere.
  const claimed = (
    env: Env,
    startedAt: number,
    receivedAt: number,
    raw: RawDelivery,
    payload: P,
    key: string
  ): Effect.Effect<Outcome.Outcome, never, R> => {
    const store = env.store
    if (store === undefined) return Exit.die(new Error("hookline: no IdempotencyStore provided"))
    if (transactional && env.transaction === undefined) {
      return Exit.succeed(Outcome.Failed({ key, reason: noTransaction }))
    }
    const fingerprint = Signing.sha256Parts(provider.fingerprint(payload, raw))
    // The lease runs from when the store receives the claim, which is after this moment: a deadline
    // measured from here ends before the store's lease, whatever the reply's latency.
    const now = env.clock.currentTimeMillisUnsafe()
    const claim = () => store.claim(key, fingerprint, settings.lease, now)
    return Effect.matchCauseEffectEager(stage(env, "claim", claim), {
      onFailure: (cause) => refusedWith(key, cause),
      onSuccess: (result): Effect.Effect<Outcome.Outcome, never, R> => {
        switch (result._tag) {
          case "InFlight":
            return Exit.succeed(Outcome.InFlight({ key }))
          case "Completed":
            return Exit.succeed(
              result.fingerprint === fingerprint
                ? Outcome.Duplicate({ key })
                : Outcome.Rejected({
                  key,
                  reason: new PayloadMismatch({
                    message: "This key was already completed with a different payload",
                    key
                  })
                })
            )
          case "Claimed": {
            const controller = new AbortController()
            const held: Held = {
              store,
              key,
              token: result.token,
              deadline: now + leaseMillis - margin,
              controller,
              delivery: raw,
              receivedAt
            }
            const context: DeliveryContext = {
              provider: name,
              key,
              delivery: raw,
              token: held.token,
              deadline: held.deadline,
              signal: controller.signal
            }
            // 4–6: at once when every stage finishes synchronously; else the rest runs in a
            // background fiber that the request waits for (`awaitWork`). An interruption (the
            // claim's deadline, shutdown) aborts the handler's signal and releases the claim.
            // A defect outside the stages (an event whose discriminator getter throws) is the
            // handler's death, as it would be in the fiber.
            const work = attempt(() => decoded(env, held, context, payload))
            if (Exit.isExit(work)) return Exit.succeed(fromExit(key, work as Exit.Exit<Outcome.Outcome>))
            return awaitWork(
              env,
              startedAt,
              held,
              Effect.onInterrupt(work, () => Effect.andThen(Effect.sync(() => abort(controller)), release(env, held)))
            )
          }
        }
      }
    })
  }

  // 4. Decode the verified payload into the typed event; on any failure from here on (a defect
  // included) the claim is released.
  const decoded = (env: Env, held: Held, context: DeliveryContext, payload: P) =>
    Effect.matchCauseEffectEager(stage(env, "decode", () => provider.decode(payload, context.delivery)), {
      onFailure: (cause) => {
        const error = Cause.findErrorOption(cause)
        return failed(
          env,
          held,
          Option.isSome(error) ? error.value : new DecodeFailed({ message: "The decoder threw an exception" })
        )
      },
      onSuccess: (event) => handled(env, held, context, event)
    })

  // 5. The user's handler (5–6 in one transaction for a `transactional` handler).
  const handled = (
    env: Env,
    held: Held,
    context: DeliveryContext,
    event: A
  ): Effect.Effect<Outcome.Outcome, never, R> =>
    transactional ?
      transacted(env, held, context, event) :
      Effect.matchCauseEffectEager(stage(env, "handle", () => handle(event, context)), {
        onFailure: (cause) =>
          handlerFailed(env, held, cause, (error) =>
            new HandlerFailed({ message: "The handler failed", error, defect: false })),
        onSuccess: () =>
          completed(env, held, event)
      })

  // 6. Record the completion. The handler's work is done: recording it must not be cut off by the
  // deadline or a shutdown, or the claim would be released and the platform's retry would run the
  // handler again. The store fences `complete` by token and live lease (which outlasts the deadline
  // by the margin), and the completion retry is bounded by the deadline.
  const completed = (env: Env, held: Held, event: A): Effect.Effect<Outcome.Outcome> => {
    const recorded = Effect.matchCauseEffectEager(complete(env, held), {
      onFailure: (cause) => {
        const error = Cause.findErrorOption(cause)
        return failed(env, held, Option.isSome(error) ? error.value : storeThrew)
      },
      onSuccess: (done) =>
        done
          ? Exit.succeed(Outcome.Processed({ key: held.key, eventTag: tagOf(event, provider.discriminator) }))
          : failed(
            env,
            held,
            new TimedOut({
              message: "The claim's lease expired before completion; another delivery took it over",
              budgetMillis: leaseMillis
            })
          )
    })
    return Exit.isExit(recorded) ? recorded : Effect.uninterruptible(recorded)
  }

  // 5–6 of a `transactional` handler: the handler and the completion in one database transaction
  // (the store's `transaction`), so the handler's writes commit with the completion or not at all.
  // Nothing here is retried: once a statement failed the transaction is lost, and a completion
  // recorded outside it would acknowledge writes that were rolled back. Every failure releases the
  // claim (fenced by token and state: a no-op when a COMMIT whose reply was lost did commit).
  const transacted = (
    env: Env,
    held: Held,
    context: DeliveryContext,
    event: A
  ): Effect.Effect<Outcome.Outcome, never, R> =>
    Effect.matchCauseEffect(
      env.transaction!(held.key, held.token, (complete) =>
        Effect.flatMap(
          Effect.mapError(
            stage(env, "handle", () => handle(event, context)),
            (error) => new HandlerFailed({ message: "The handler failed", error, defect: false })
          ),
          () =>
            Effect.flatMap(
              stage(env, "complete", () => complete(settings.retention)),
              (done) => done ? Effect.void : Effect.fail(lostInTransaction)
            )
        )),
      {
        onFailure: (cause) => handlerFailed(env, held, cause, (error) => error),
        onSuccess: () =>
          Exit.succeed(Outcome.Processed({ key: held.key, eventTag: tagOf(event, provider.discriminator) }))
      }
    )

  // The handler (or, in a transaction, its completion) failed. An interruption stays one: the
  // claim's deadline or a shutdown, whose caller releases the claim. A typed error (`typed` makes it
  // the outcome's reason) or a defect releases the claim here.
  const handlerFailed = <E>(
    env: Env,
    held: Held,
    cause: Cause.Cause<E>,
    typed: (error: E) => Failure
  ): Effect.Effect<Outcome.Outcome> => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
    const error = Cause.findErrorOption(cause)
    return failed(
      env,
      held,
      Option.isSome(error)
        ? typed(error.value)
        : new HandlerFailed({ message: "The handler died", error: Cause.squash(cause), defect: true })
    )
  }

  const lostInTransaction = new TimedOut({
    message: "The claim's lease expired before completion; another delivery took it over. " +
      "The handler's transaction was rolled back",
    budgetMillis: leaseMillis
  })

  // A failure after the claim: the claim is released, so the platform's retry runs at once.
  const failed = (env: Env, held: Held, reason: Failure): Effect.Effect<Outcome.Outcome> =>
    Effect.mapEager(release(env, held), () => Outcome.Failed({ key: held.key, reason }))

  const keyOf = (payload: P, raw: RawDelivery): Exit.Exit<string, MalformedDelivery> => {
    const keyed = provider.key(payload, raw)
    return Result.isSuccess(keyed) ? Exit.succeed(keyed.success) : Exit.fail(keyed.failure)
  }

  // The handler succeeded; if the store cannot record it (a Redis restart, a dropped PostgreSQL
  // connection), the platform's retry would run it again. Retrying `complete` closes that window
  // for any outage shorter than the lease: the claim holds the key meanwhile (the platform's
  // retries are answered InFlight, "retry"), and past the time budget the retry goes on in the
  // background. It is safe: `complete` is fenced by the claim token, so a retry after a lost reply
  // or after the lease ran out changes nothing. A store that throws is not retried: its answer
  // cannot be trusted either way, and releasing lets the platform's retry run at once.
  const complete = (env: Env, held: Held): Effect.Effect<boolean, StoreUnavailable> =>
    stage(env, "complete", () => {
      const { key, store, token } = held
      const at = () => store.complete(key, token, settings.retention, env.clock.currentTimeMillisUnsafe())
      const first = at()
      // Recorded at once (a memory store): nothing to retry, nothing more to allocate.
      if (Exit.isExit(first) && Exit.isSuccess(first)) return first
      return Effect.matchCauseEffectEager(first, {
        onFailure: (cause) =>
          Cause.hasDies(cause) ? Exit.fail(storeThrew) : Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => Effect.retry(Effect.suspend(at), completeRetry(held.deadline - now))
          ).pipe(Effect.catchDefect(() => Effect.fail(storeThrew))),
        onSuccess: Exit.succeed
      })
    })

  const release = (env: Env, held: Held): Effect.Effect<void> => {
    const { key, store, token } = held
    const released = stage(env, "release", () => store.release(key, token, env.clock.currentTimeMillisUnsafe()))
    return Effect.matchCauseEffectEager(released, {
      onFailure: (cause) => Effect.logWarning("webhook claim release failed; the lease will expire instead", cause),
      onSuccess: () => Exit.void
    })
  }

  // Exponential from 25 ms, at most 1 s apart, and it stops at nine tenths of what is left of the
  // lease, so the outcome is the store's failure rather than the lease watcher's interruption.
  const completeRetry = (leftMillis: number) => {
    const window = Math.max(0, leftMillis * 0.9)
    return Schedule.exponential(Duration.millis(25)).pipe(
      // The last attempt lands on the window's end rather than past it.
      Schedule.modifyDelay(({ duration, elapsed }) =>
        Effect.succeed(Duration.millis(Math.min(Duration.toMillis(duration), 1000, Math.max(0, window - elapsed))))
      ),
      // Strictly before the window's end: `upTo` would also recur at the end itself, with no delay
      // left, so the last attempt repeated until the clock moved on (a busy loop on a live clock;
      // under TestClock until the lease watcher interrupted it, turning the outcome into TimedOut).
      Schedule.while(({ elapsed }) => elapsed < window)
    )
  }

  // ---- waiting for a handler that did not finish at once ----

  // The handler runs in a background fiber (so it can outlive the request's time budget); the
  // request waits for it up to the budget, bounded by the claim's deadline.
  const awaitWork = (
    env: Env,
    startedAt: number,
    held: Held,
    work: Effect.Effect<Outcome.Outcome, never, R>
  ): Effect.Effect<Outcome.Outcome, never, R> => {
    const key = held.key
    return Effect.flatMap(env.background.fork(work), (worker) => {
      if (worker === undefined) {
        // Shutting down: the handler was not started; give the key back at once.
        return Effect.as(
          Effect.ignore(held.store.release(key, held.token, env.clock.currentTimeMillisUnsafe())),
          Outcome.Failed({
            key,
            reason: new TimedOut({ message: "The receiver is shutting down; the claim was released", budgetMillis })
          })
        )
      }
      const now = env.clock.currentTimeMillisUnsafe()
      const budgetEnd = startedAt + budgetMillis
      // The request waits for the earlier of the time budget's end and the claim's deadline.
      const untilDeadline = budgetEnd >= held.deadline
      const wait = Math.min(budgetEnd, held.deadline) - now
      return Effect.flatMap(awaitWithin(worker, wait), (exit) => {
        if (Option.isSome(exit)) return Effect.succeed(fromExit(key, exit.value))
        if (untilDeadline) return Effect.as(stop(held, worker), leaseExpired(key))
        // Past the time budget: answer "retry" now; the handler goes on, bounded by its deadline.
        const reason = new TimedOut({
          message: `The handler did not finish within ${budgetMillis} ms; it continues in the background`,
          budgetMillis
        })
        continuing.add(reason)
        return Effect.as(
          env.background.fork(watchLease(env, startedAt, held, worker)),
          Outcome.Failed({ key, reason })
        )
      })
    })
  }

  // The deadline bounds the handler wherever it runs: past the time budget it is watched in the
  // background, and the outcome recorded there (the request answered "retry" already).
  const watchLease = (env: Env, startedAt: number, held: Held, fiber: Fiber.Fiber<Outcome.Outcome>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => awaitWithin(fiber, held.deadline - now)).pipe(
      Effect.flatMap((exit) =>
        Option.isSome(exit)
          ? Effect.succeed(fromExit(held.key, exit.value))
          : Effect.as(stop(held, fiber), leaseExpired(held.key))
      ),
      Effect.flatMap((outcome) =>
        Effect.andThen(settle(env, held.delivery, held.receivedAt, outcome), record(env, outcome, startedAt))
      )
    )

  // At the deadline the signal is aborted first, so promise-based work stops with the handler.
  // The interruption is not awaited: a handler stuck in an uninterruptible section must not hold
  // the request (or the watcher) past the deadline; its claim is released when it does end.
  const stop = (held: Held, fiber: Fiber.Fiber<Outcome.Outcome>) =>
    Effect.andThen(
      Effect.sync(() => abort(held.controller)),
      Effect.forkDetach(Fiber.interrupt(fiber), { startImmediately: true })
    )

  const leaseExpired = (key: string) =>
    Outcome.Failed({
      key,
      reason: new TimedOut({
        message: "The handler ran past its claim's deadline and was interrupted; the claim was released",
        budgetMillis: leaseMillis
      })
    })

  const fromExit = (key: string, exit: Exit.Exit<Outcome.Outcome>): Outcome.Outcome =>
    exit._tag === "Success"
      ? exit.value
      : Outcome.Failed({
        key,
        reason: Cause.hasInterruptsOnly(exit.cause)
          ? new TimedOut({ message: "The handler was interrupted (shutdown)", budgetMillis })
          : new HandlerFailed({ message: "The handler died", error: Cause.squash(exit.cause), defect: true })
      })

  // ---- dead letters ----

  // The "retry" answered while the handler goes on in the background: not the delivery's final
  // outcome, which the background records when the handler ends.
  const continuing = new WeakSet<object>()

  // Once an outcome is final: an authentic delivery that failed is kept as a dead letter (it has a
  // key only once verified), and a processed one resolves its key's dead letter. Neither changes the
  // outcome or the answer ("retry" stays "retry"); a dead-letter store that fails is logged.
  const settle = (
    env: Env,
    raw: RawDelivery,
    receivedAt: number,
    outcome: Outcome.Outcome
  ): Effect.Effect<void> => {
    const deadLetters = env.deadLetters
    const key = outcome.key
    if (deadLetters === undefined || key === undefined) return Exit.void
    const at = env.clock.currentTimeMillisUnsafe()
    if (outcome._tag === "Failed" && !continuing.has(outcome.reason)) {
      const recorded = attempt(() =>
        deadLetters.record({ key, provider: name, delivery: raw, receivedAt, reason: reasonOf(outcome.reason), at })
      )
      return Effect.matchCauseEffectEager(recorded, {
        onFailure: (cause) => {
          deadLetterCounters.unrecorded.updateUnsafe(1, env.context)
          return Effect.annotateLogs(
            Effect.logError("webhook dead letter could not be recorded", cause),
            { "hookline.provider": name, "hookline.key": key }
          )
        },
        onSuccess: () => {
          deadLetterCounters.recorded.updateUnsafe(1, env.context)
          return Exit.void
        }
      })
    }
    if (outcome._tag === "Processed") {
      return Effect.matchCauseEffectEager(attempt(() => deadLetters.resolve(key, at)), {
        onFailure: (cause) =>
          Effect.annotateLogs(
            Effect.logWarning("webhook dead letter could not be marked resolved", cause),
            { "hookline.provider": name, "hookline.key": key }
          ),
        onSuccess: (resolved) => {
          if (resolved) deadLetterCounters.resolved.updateUnsafe(1, env.context)
          return Exit.void
        }
      })
    }
    return Exit.void
  }

  const deadLetterCounters = {
    recorded: Metric.withAttributes(deadLetterEvents, { provider: name, event: "recorded" }),
    resolved: Metric.withAttributes(deadLetterEvents, { provider: name, event: "resolved" }),
    unrecorded: Metric.withAttributes(deadLetterEvents, { provider: name, event: "unrecorded" })
  }

  // ---- tracing, logs and the metric ----

  const spanOptions = { attributes: { "hookline.provider": name } } as const
  // Spans point at hookline's own source, which tells users nothing: skip the stack capture.
  const traceOptions = { captureStackTrace: false } as const

  // A stage of the pipeline. Spans cost about 5 µs each even when nothing exports them, so they are
  // only recorded when a tracer is installed (e.g. OpenTelemetry); without one they would go nowhere.
  function stage<X, E2, R2>(
    env: Env,
    stageName: string,
    step: () => Effect.Effect<X, E2, R2>
  ): Effect.Effect<X, E2, R2> {
    if (!env.tracing) return attempt(step)
    return Effect.suspend(step).pipe(
      Effect.onExit((exit) => Effect.annotateCurrentSpan("hookline.outcome", describe(stageName, exit))),
      Effect.withSpan(`hookline.${stageName}`, spanOptions, traceOptions)
    )
  }

  // The whole delivery, from `startedAt` (the time budget and the duration histogram are measured
  // from it). With a tracer, it is the `hookline.delivery` span; an incoming W3C `traceparent` is its
  // parent, unless the delivery already runs under a span (an Effect HttpRouter's server span, which
  // reads `traceparent` itself, or the user's own). The header is unsigned: it only places the span
  // in a trace (see TraceParent.ts).
  const delivery = <X, R2>(
    env: Env,
    raw: RawDelivery | undefined,
    effect: (startedAt: number) => Effect.Effect<X, never, R2>
  ): Effect.Effect<X, never, R2> =>
    env.tracing
      ? Effect.withFiber((fiber) => {
        const parent = fiber.cache.span === undefined && raw !== undefined
          ? TraceParent.parse(raw.headers["traceparent"])
          : undefined
        return Effect.withSpan(
          Effect.suspend(() => effect(env.clock.currentTimeMillisUnsafe())),
          "hookline.delivery",
          parent === undefined ? { ...spanOptions, ...traceOptions } : { ...spanOptions, ...traceOptions, parent }
        )
      })
      : effect(env.clock.currentTimeMillisUnsafe())

  // One counter series per (outcome, reason) pair, built once.
  const counters = new Map<string, Map<string, typeof deliveries>>()
  const count = (env: Env, outcome: string, reason: string): void => {
    let byReason = counters.get(outcome)
    if (byReason === undefined) {
      byReason = new Map()
      counters.set(outcome, byReason)
    }
    let counter = byReason.get(reason)
    if (counter === undefined) {
      counter = deliveriesSeries({ provider: name, outcome, reason })
      byReason.set(reason, counter)
    }
    counter.updateUnsafe(1, env.context)
  }

  // One histogram series per outcome, built once.
  const histograms = new Map<string, typeof deliveryDuration>()
  const observe = (env: Env, outcome: string, startedAt: number): void => {
    let histogram = histograms.get(outcome)
    if (histogram === undefined) {
      histogram = deliveryDurationSeries({ provider: name, outcome })
      histograms.set(outcome, histogram)
    }
    histogram.updateUnsafe((env.clock.currentTimeMillisUnsafe() - startedAt) / 1000, env.context)
  }

  // Counts an outcome, observes its duration, logs it and annotates the delivery span with it.
  const record = (env: Env, outcome: Outcome.Outcome, startedAt: number): Effect.Effect<void> => {
    const reason = Outcome.reasonTag(outcome)
    count(env, outcome._tag, reason ?? "none")
    observe(env, outcome._tag, startedAt)
    const level: LogLevel.LogLevel = outcome._tag === "Rejected"
      ? "Warn"
      : outcome._tag === "Failed"
      ? "Error"
      : outcome._tag === "InFlight"
      ? "Info"
      : "Debug"
    const silent = LogLevel.isGreaterThan(env.minimumLogLevel, level)
    if (silent && !env.tracing) return Exit.void
    const annotations = {
      "hookline.provider": name,
      "hookline.outcome": outcome._tag,
      "hookline.reason": reason ?? "none",
      ...(outcome.key === undefined ? {} : { "hookline.key": outcome.key })
    }
    const log = silent ? Effect.void : Effect.annotateLogs(
      outcome._tag === "Rejected"
        ? Effect.annotateLogs(
          Effect.logWarning(`webhook rejected: ${outcome.reason._tag}`),
          "hookline.detail",
          detail(outcome.reason.message)
        )
        : outcome._tag === "Failed"
        ? outcome.reason._tag === "HandlerFailed"
          ? Effect.logError("webhook handler failed", outcome.reason.error)
          : Effect.logError(`webhook failed: ${outcome.reason.message}`)
        : outcome._tag === "InFlight"
        ? Effect.logInfo("webhook in flight elsewhere")
        : Effect.logDebug(`webhook ${outcome._tag === "Processed" ? "processed" : "duplicate"}`),
      annotations
    )
    return env.tracing ? Effect.andThen(Effect.annotateCurrentSpan(annotations), log) : log
  }

  const answer = (env: Env, outcome: Outcome.Outcome, startedAt: number): Effect.Effect<Ack.Ack> => {
    const ack = respond(outcome)
    return Effect.flatMapEager(record(env, outcome, startedAt), () =>
      env.tracing
        ? Effect.as(Effect.annotateCurrentSpan("http.response.status_code", ack.status), ack)
        : Exit.succeed(ack))
  }

  let lastContext: Context.Context<never> | undefined
  let lastEnv: Env | undefined
  // The pipeline to its final outcome, dead letters settled. A throw while the pipeline runs
  // synchronously is a defect, as it would be in a fiber.
  const settled = (
    env: Env,
    raw: RawDelivery,
    startedAt: number,
    receivedAt?: number
  ): Effect.Effect<Outcome.Outcome, never, R> => {
    const at = receivedAt ?? startedAt
    const outcome = attempt(() => pipeline(env, startedAt, at, raw))
    return env.deadLetters === undefined
      ? outcome
      : Effect.flatMapEager(outcome, (outcome) => Effect.mapEager(settle(env, raw, at, outcome), () => outcome))
  }

  const run = (env: Env, raw: RawDelivery): Effect.Effect<Ack.Ack, never, R> =>
    delivery(
      env,
      raw,
      (startedAt) => Effect.flatMapEager(settled(env, raw, startedAt), (outcome) => answer(env, outcome, startedAt))
    )

  return {
    [TypeId]: TypeId,
    name,
    methods: provider.methods,
    settings,
    validate: transactional ? Effect.andThen(provider.validate, transactionalStore(name)) : provider.validate,
    process: (raw, options) =>
      Effect.withFiber((fiber) => {
        const env = envOf(fiber.context)
        return delivery(env, raw, (startedAt) =>
          Effect.flatMapEager(
            settled(env, raw, startedAt, options?.receivedAt),
            (outcome) => Effect.mapEager(record(env, outcome, startedAt), () => outcome)
          ))
      }),
    run: (raw) => Effect.withFiber((fiber) => run(envOf(fiber.context), raw)),
    runIn: (context, raw) => {
      // An adapter passes the same context every time: its services are read once.
      if (context !== lastContext) {
        lastContext = context
        lastEnv = envOf(context)
      }
      return run(lastEnv!, raw)
    },
    refuse: (reason) =>
      Effect.withFiber((fiber) => {
        const env = envOf(fiber.context)
        return delivery(env, undefined, (startedAt) => answer(env, outcomeOf(undefined, reason), startedAt))
      }),
    respond
  }
}

// A refused stage's outcome: its typed error becomes a rejection or failure; a defect stays a
// defect (the adapter answers "retry").
const refusedWith = (
  key: string | undefined,
  cause: Cause.Cause<Rejection | Failure | Misconfigured>
): Effect.Effect<Outcome.Outcome> => {
  const error = Cause.findErrorOption(cause)
  return Option.isSome(error) ? Exit.succeed(outcomeOf(key, error.value)) : Exit.failCause(cause as Cause.Cause<never>)
}

// At start (the adapters run `validate` with the application's services): a transactional handler
// on a store that runs no transactions is a configuration error, reported before the first delivery.
const transactionalStore = (name: string): Effect.Effect<void, Misconfigured> =>
  Effect.flatMap(
    Effect.serviceOption(IdempotencyStore),
    (store) =>
      Option.isSome(store) && store.value.transaction === undefined
        ? Effect.fail(
          new Misconfigured({
            message: `${name}: the handler is transactional, but the IdempotencyStore runs no transactions ` +
              "(use SqlStore from @hookline/store-sql on the handler's SqlClient, or drop `transactional: true`)"
          })
        )
        : Effect.void
  )

const noTransaction = new StoreUnavailable({
  message: "This handler is transactional, but the IdempotencyStore runs no transactions: use SqlStore " +
    "(@hookline/store-sql) on the handler's SqlClient, or drop `transactional: true`"
})

const storeThrew = new StoreUnavailable({ message: "The store failed unexpectedly while recording the completion" })

// Waits for the work fiber up to `millis`. A fiber that already finished is read at once, without
// arming a timer.
const awaitWithin = (fiber: Fiber.Fiber<Outcome.Outcome>, millis: number) =>
  Effect.suspend(() => {
    const exit = fiber.pollUnsafe()
    return exit === undefined
      ? Effect.timeoutOption(Fiber.await(fiber), Math.max(0, millis))
      : Effect.succeed(Option.some(exit))
  })

// A claim held by this delivery.
interface Held {
  readonly store: StoreOperations
  readonly key: string
  readonly token: string
  /** Epoch milliseconds: see `DeliveryContext.deadline`. */
  readonly deadline: number
  /** Aborts the handler's `signal`. */
  readonly controller: AbortController
  /** The request, and the time it is verified as of (for a dead letter recorded in the background). */
  readonly delivery: RawDelivery
  readonly receivedAt: number
}

const abort = (controller: AbortController): void => {
  if (!controller.signal.aborted) controller.abort(new Error("hookline: the claim's deadline passed, or shutdown"))
}

// The `hookline.outcome` annotation of a stage's span.
const describe = (stageName: string, exit: Exit.Exit<unknown, unknown>): string => {
  if (exit._tag === "Success") {
    const value = exit.value as { readonly _tag?: unknown } | undefined
    return stageName === "claim" && typeof value?._tag === "string" ? value._tag : "ok"
  }
  if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted"
  if (stageName === "handle") return "failed"
  return Option.match(Cause.findErrorOption(exit.cause), {
    onNone: () => "defect",
    onSome: (error) => typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "failed"
  })
}
