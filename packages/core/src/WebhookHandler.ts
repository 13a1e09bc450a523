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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import type * as Ack from "./Ack.ts"
import { Background } from "./Background.ts"
import type { Failure, Rejection } from "./DeliveryError.ts"
import {
  BodyTooLarge,
  HandlerFailed,
  isRejection,
  MethodNotAllowed,
  PayloadMismatch,
  TimedOut
} from "./DeliveryError.ts"
import { IdempotencyStore } from "./IdempotencyStore.ts"
import * as Outcome from "./Outcome.ts"
import type * as Provider from "./Provider.ts"
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
}

/**
 * One function handling every event.
 *
 * @since 0.1.0
 * @category models
 */
export type Handle<A, E, R> = (event: A, context: DeliveryContext) => Effect.Effect<unknown, E, R>

/**
 * A record of functions keyed by event `_tag`, each typed for its tag. Must cover every tag.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<A extends { readonly _tag: string }> = {
  readonly [K in A["_tag"]]: (
    event: Extract<A, { readonly _tag: K }>,
    context: DeliveryContext
  ) => Effect.Effect<unknown, unknown, unknown>
}

type HandlersContext<H> = {
  [K in keyof H]: H[K] extends (...args: ReadonlyArray<never>) => Effect.Effect<unknown, unknown, infer R> ? R : never
}[keyof H]

/**
 * Per-handler overrides of the provider's defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandlerOptions {
  /** How long a claim stays exclusive. A handler still running when it runs out is interrupted. */
  readonly lease?: Duration.Input | undefined
  /** How long a completed key is remembered. */
  readonly retention?: Duration.Input | undefined
  /** Largest accepted body in bytes. */
  readonly bodyLimit?: number | undefined
  /** How long to wait for the handler before answering "retry" (it keeps running in the background). */
  readonly timeBudget?: Duration.Input | undefined
}

/**
 * The resolved settings of a handler.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly lease: Duration.Duration
  readonly retention: Duration.Duration
  readonly bodyLimit: number
  readonly timeBudget: Duration.Duration
}

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
  /** Runs the pipeline and returns the outcome (for tests, logs and custom adapters). */
  readonly process: (raw: RawDelivery) => Effect.Effect<Outcome.Outcome, never, R | IdempotencyStore>
  /** Runs the pipeline and returns the response to send. */
  readonly run: (raw: RawDelivery) => Effect.Effect<Ack.Ack, never, R | IdempotencyStore>
  /**
   * Answers a request an adapter refused before the pipeline could run (body too large, body
   * consumed by a parser): records the outcome like the pipeline does and returns the response.
   */
  readonly refuse: (reason: Rejection | Failure) => Effect.Effect<Ack.Ack>
  /** The provider's answer for an outcome (pure; does not log or count). */
  readonly respond: (outcome: Outcome.Outcome) => Ack.Ack
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

const outcomeOf = (key: string | undefined, reason: Rejection | Failure): Outcome.Outcome =>
  isRejection(reason) ? Outcome.Rejected({ key, reason }) : Outcome.Failed({ key, reason })

/**
 * Joins a provider and the code that handles its events.
 *
 * `handle` is one function of the event, or — for providers whose events are a tagged union — a
 * record with one function per `_tag`, each receiving its own event type. The record must be
 * exhaustive.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { defineHandler, Hmac } from "@hookline/core"
 *
 * const handler = defineHandler(
 *   Hmac.provider({ secret: Redacted.make("s3cret") }),
 *   (event) => Effect.log("received", event.id)
 * )
 * ```
 */
export const defineHandler: {
  <A extends { readonly _tag: string }, P, const H extends Handlers<A>>(
    provider: Provider.Provider<A, P>,
    handlers: H & { readonly [K in Exclude<keyof H, A["_tag"]>]: never },
    options?: HandlerOptions
  ): WebhookHandler<HandlersContext<H>>
  <A, P, E, R>(
    provider: Provider.Provider<A, P>,
    handle: Handle<A, E, R>,
    options?: HandlerOptions
  ): WebhookHandler<R>
} = <A, P>(
  provider: Provider.Provider<A, P>,
  handleOrHandlers: Handle<A, unknown, unknown> | Record<string, Handle<A, unknown, unknown>>,
  options?: HandlerOptions
): WebhookHandler<unknown> => {
  const handle: Handle<A, unknown, unknown> = typeof handleOrHandlers === "function"
    ? handleOrHandlers
    : (event, context) => {
      const fn = handleOrHandlers[tagOf(event) ?? ""]
      // The record is exhaustive by type; an unknown tag can only come from an unsafe cast.
      return fn === undefined
        ? Effect.die(new Error(`No handler for event tag ${String(tagOf(event))}`))
        : fn(event, context)
    }
  return make(provider, handle, options)
}

const tagOf = (event: unknown): string | undefined =>
  typeof event === "object" && event !== null && "_tag" in event && typeof event._tag === "string"
    ? event._tag
    : undefined

const make = <A, P, E, R>(
  provider: Provider.Provider<A, P>,
  handle: Handle<A, E, R>,
  options: HandlerOptions | undefined
): WebhookHandler<R> => {
  const settings: Settings = {
    lease: options?.lease === undefined ? provider.defaults.lease : Duration.fromInputUnsafe(options.lease),
    retention: options?.retention === undefined
      ? provider.defaults.retention
      : Duration.fromInputUnsafe(options.retention),
    bodyLimit: options?.bodyLimit ?? provider.defaults.bodyLimit,
    timeBudget: options?.timeBudget === undefined
      ? provider.defaults.timeBudget
      : Duration.fromInputUnsafe(options.timeBudget)
  }
  const name = provider.name
  // One counter increment per (outcome, reason) pair, built once (an effect can be run many times).
  const increments = new Map<string, Effect.Effect<void>>()
  const countOutcome = (outcome: string, reason: string): Effect.Effect<void> => {
    const id = `${outcome}/${reason}`
    let increment = increments.get(id)
    if (increment === undefined) {
      increment = Metric.update(Metric.withAttributes(deliveries, { provider: name, outcome, reason }), 1)
      increments.set(id, increment)
    }
    return increment
  }
  const budgetMillis = Duration.toMillis(settings.timeBudget)
  const leaseMillis = Duration.toMillis(settings.lease)
  // The handler succeeded; if the store cannot record it (a Redis restart, a dropped PostgreSQL
  // connection), the platform's retry would run it again. Retrying `complete` closes that window
  // for any outage shorter than the lease: the claim holds the key meanwhile (the platform's
  // retries are answered InFlight, "retry"), and past the time budget the retry goes on in the
  // background. It is safe: `complete` is fenced by the claim token, so a retry after a lost reply
  // or after the lease ran out changes nothing. Exponential from 25 ms, at most 1 s apart, and it
  // stops at nine tenths of what is left of the lease, so the outcome is the store's failure rather
  // than the lease watcher's interruption.
  const completeRetry = (leftMillis: number) => {
    const window = Math.max(0, leftMillis * 0.9)
    return Schedule.exponential(Duration.millis(25)).pipe(
      // The last attempt lands on the window's end rather than past it.
      Schedule.modifyDelay(({ duration, elapsed }) =>
        Effect.succeed(Duration.millis(Math.min(Duration.toMillis(duration), 1000, Math.max(0, window - elapsed))))
      ),
      Schedule.upTo({ duration: Duration.millis(window) })
    )
  }
  const respond = (outcome: Outcome.Outcome): Ack.Ack => provider.ack(outcome)
  const traced = pipeline(true)
  const plain = pipeline(false)

  // Spans cost about 5 µs each even when nothing exports them, so the stage spans are only
  // recorded when a tracer is installed (e.g. OpenTelemetry); without one they would go nowhere.
  function pipeline(tracing: boolean) {
    const spanOptions = { attributes: { "hookline.provider": name } } as const
    // Spans point at hookline's own source, which tells users nothing: skip the stack capture.
    const traceOptions = { captureStackTrace: false } as const

    const stage = <X, E2, R2>(
      stageName: string,
      effect: Effect.Effect<X, E2, R2>,
      describe: (exit: Exit.Exit<X, E2>) => string
    ): Effect.Effect<X, E2, R2> =>
      tracing
        ? effect.pipe(
          Effect.onExit((exit) => Effect.annotateCurrentSpan("hookline.outcome", describe(exit))),
          Effect.withSpan(`hookline.${stageName}`, spanOptions, traceOptions)
        )
        : effect

    const delivery = <X, R2>(effect: Effect.Effect<X, never, R2>): Effect.Effect<X, never, R2> =>
      tracing ? Effect.withSpan(effect, "hookline.delivery", { ...spanOptions, ...traceOptions }) : effect

    // Logs and counts an outcome and annotates the delivery span with it.
    const record = (outcome: Outcome.Outcome): Effect.Effect<void> =>
      Effect.withFiber((fiber) => {
        const reason = Outcome.reasonTag(outcome)
        const counted = countOutcome(outcome._tag, reason ?? "none")
        const level: LogLevel.LogLevel = outcome._tag === "Rejected"
          ? "Warn"
          : outcome._tag === "Failed"
          ? "Error"
          : outcome._tag === "InFlight"
          ? "Info"
          : "Debug"
        const silent = LogLevel.isGreaterThan(fiber.cache.minimumLogLevel, level)
        if (silent && !tracing) return counted
        const annotations = {
          "hookline.provider": name,
          "hookline.outcome": outcome._tag,
          "hookline.reason": reason ?? "none",
          ...(outcome.key === undefined ? {} : { "hookline.key": outcome.key })
        }
        const log = silent ? Effect.void : Effect.annotateLogs(
          outcome._tag === "Rejected"
            ? Effect.logWarning(`webhook rejected: ${outcome.reason.message}`)
            : outcome._tag === "Failed"
            ? outcome.reason._tag === "HandlerFailed"
              ? Effect.logError("webhook handler failed", outcome.reason.error)
              : Effect.logError(`webhook failed: ${outcome.reason.message}`)
            : outcome._tag === "InFlight"
            ? Effect.logInfo("webhook in flight elsewhere")
            : Effect.logDebug(`webhook ${outcome._tag === "Processed" ? "processed" : "duplicate"}`),
          annotations
        )
        return Effect.andThen(
          tracing ? Effect.andThen(Effect.annotateCurrentSpan(annotations), log) : log,
          counted
        )
      })

    const answer = (outcome: Outcome.Outcome): Effect.Effect<Ack.Ack> =>
      Effect.map(record(outcome), () => respond(outcome)).pipe(
        (effect) =>
          tracing
            ? Effect.tap(effect, (ack) => Effect.annotateCurrentSpan("http.response.status_code", ack.status))
            : effect
      )

    // Everything after a successful claim: decode → handle → complete, or release on any failure.
    // Runs in its own fiber, which the pipeline interrupts when the lease runs out (so a second
    // holder can never run concurrently with it); interruption releases the claim.
    const work = (
      { key, payload, raw, store, token }: Held<P>,
      leaseEnd: number
    ): Effect.Effect<Outcome.Outcome, never, R> => {
      const release = stage("release", store.release(key, token), okOrTag).pipe(
        Effect.catchCause((cause) =>
          Effect.logWarning("webhook claim release failed; the lease will expire instead", cause)
        ),
        Effect.asVoid
      )
      const failed = (reason: Failure) => Effect.as(release, Outcome.Failed({ key, reason }))
      const complete = Effect.suspend(() => store.complete(key, token, settings.retention))
      const completed = (event: A) =>
        Effect.matchEffect(
          stage(
            "complete",
            Effect.catch(complete, () =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.retry(complete, completeRetry(leaseEnd - now)))),
            okOrTag
          ),
          {
            onFailure: failed,
            onSuccess: (done) =>
              Effect.succeed(
                done
                  ? Outcome.Processed({ key, eventTag: tagOf(event) })
                  : Outcome.Failed({
                    key,
                    reason: new TimedOut({
                      message: "The claim's lease expired before completion; another delivery took it over",
                      budgetMillis: leaseMillis
                    })
                  })
              )
          }
        )
      const handled = (event: A) =>
        Effect.matchCauseEffect(
          stage(
            "handle",
            Effect.suspend(() => handle(event, { provider: name, key, delivery: raw })),
            (exit) => exit._tag === "Success" ? "ok" : "failed"
          ),
          {
            onFailure: (cause): Effect.Effect<Outcome.Outcome> => {
              if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
              const error = Cause.findErrorOption(cause)
              return failed(
                Option.isSome(error)
                  ? new HandlerFailed({ message: "The handler failed", error: error.value, defect: false })
                  : new HandlerFailed({ message: "The handler died", error: Cause.squash(cause), defect: true })
              )
            },
            onSuccess: () => completed(event)
          }
        )
      return Effect.matchEffect(stage("decode", provider.decode(payload, raw), okOrTag), {
        onFailure: failed,
        onSuccess: handled
      }).pipe(Effect.onInterrupt(() => release))
    }

    const leaseExpired = (key: string) =>
      Outcome.Failed({
        key,
        reason: new TimedOut({
          message: "The handler ran past its lease and was interrupted; the claim was released",
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

    // Waits for the work fiber up to `millis`. A fiber that already finished (a synchronous store
    // and handler) is read at once, without arming a timer.
    const awaitWithin = (fiber: Fiber.Fiber<Outcome.Outcome>, millis: number) =>
      Effect.suspend(() => {
        const exit = fiber.pollUnsafe()
        return exit === undefined
          ? Effect.timeoutOption(Fiber.await(fiber), Math.max(0, millis))
          : Effect.succeed(Option.some(exit))
      })

    // The lease bounds the handler wherever it runs. `waited` is how long the request already
    // waited; what is left of the lease is watched in the background, and the outcome recorded
    // there (the request answered "retry" already).
    const watchLease = (key: string, fiber: Fiber.Fiber<Outcome.Outcome>, waited: number) =>
      awaitWithin(fiber, leaseMillis - waited).pipe(
        Effect.flatMap((exit) =>
          Option.isSome(exit)
            ? Effect.succeed(fromExit(key, exit.value))
            : Effect.as(Fiber.interrupt(fiber), leaseExpired(key))
        ),
        Effect.flatMap(record)
      )

    // After a successful claim: the handler runs in a background fiber (so it can outlive the
    // request's time budget); the request waits for it up to the budget, bounded by the lease.
    const claimed = (
      fiber: Fiber.Fiber<unknown, unknown>,
      startedAt: number,
      held: Held<P>
    ): Effect.Effect<Outcome.Outcome, never, R> => {
      const background = fiber.getRef(Background)
      const key = held.key
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      return Effect.flatMap(background.fork(work(held, now + leaseMillis)), (worker) => {
        const elapsed = now - startedAt
        // The request waits for the shorter of what is left of the time budget and the lease.
        const wait = Math.min(budgetMillis - elapsed, leaseMillis)
        return Effect.flatMap(awaitWithin(worker, wait), (exit) => {
          if (Option.isSome(exit)) return Effect.succeed(fromExit(key, exit.value))
          if (wait >= leaseMillis) return Effect.as(Fiber.interrupt(worker), leaseExpired(key))
          // Past the time budget: answer "retry" now; the handler goes on, bounded by its lease.
          return Effect.as(
            background.fork(watchLease(key, worker, Math.max(0, wait))),
            Outcome.Failed({
              key,
              reason: new TimedOut({
                message: `The handler did not finish within ${budgetMillis} ms; it continues in the background`,
                budgetMillis
              })
            })
          )
        })
      })
    }

    const verified = (
      fiber: Fiber.Fiber<unknown, unknown>,
      startedAt: number,
      payload: P,
      raw: RawDelivery
    ): Effect.Effect<Outcome.Outcome, never, R | IdempotencyStore> => {
      const keyed = provider.key(payload, raw)
      if (Result.isFailure(keyed)) {
        const outcome = Effect.succeed(outcomeOf(undefined, keyed.failure))
        return tracing ? Effect.andThen(stage("key", Effect.void, () => "MalformedDelivery"), outcome) : outcome
      }
      const key = `${name}:${keyed.success}`
      const fingerprint = Signing.sha256Parts(provider.fingerprint(payload, raw))
      const claim = Effect.flatMap(Effect.service(IdempotencyStore), (store) =>
        Effect.matchEffect(
          stage(
            "claim",
            store.claim(key, fingerprint, settings.lease),
            (exit) => exit._tag === "Success" ? exit.value._tag : okOrTag(exit)
          ),
          {
            onFailure: (reason) => Effect.succeed(outcomeOf(key, reason)),
            onSuccess: (claim): Effect.Effect<Outcome.Outcome, never, R> => {
              switch (claim._tag) {
                case "InFlight":
                  return Effect.succeed(Outcome.InFlight({ key }))
                case "Completed":
                  return Effect.succeed(
                    claim.fingerprint === fingerprint
                      ? Outcome.Duplicate({ key })
                      : Outcome.Rejected({
                        key,
                        reason: new PayloadMismatch({
                          message: "This key was already completed with a different payload",
                          key
                        })
                      })
                  )
                case "Claimed":
                  return claimed(fiber, startedAt, { store, key, token: claim.token, payload, raw })
              }
            }
          }
        ))
      return tracing ? Effect.andThen(stage("key", Effect.void, () => "ok"), claim) : claim
    }

    const process = (raw: RawDelivery): Effect.Effect<Outcome.Outcome, never, R | IdempotencyStore> =>
      Effect.withFiber((fiber) => {
        const startedAt = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
        if (!provider.methods.includes(raw.method.toUpperCase())) {
          return Effect.succeed(Outcome.Rejected({
            key: undefined,
            reason: new MethodNotAllowed({ message: `Method ${raw.method} is not allowed`, method: raw.method })
          }))
        }
        if (raw.body.length > settings.bodyLimit) {
          return Effect.succeed(Outcome.Rejected({
            key: undefined,
            reason: new BodyTooLarge({
              message: `Body exceeds the limit of ${settings.bodyLimit} bytes`,
              limit: settings.bodyLimit
            })
          }))
        }
        return Effect.matchEffect(stage("verify", provider.verify(raw), okOrTag), {
          onFailure: (reason) => Effect.succeed(outcomeOf(undefined, reason)),
          onSuccess: (payload) => verified(fiber, startedAt, payload, raw)
        })
      })

    return {
      process: (raw: RawDelivery) => delivery(Effect.tap(process(raw), record)),
      run: (raw: RawDelivery) => delivery(Effect.flatMap(process(raw), answer)),
      refuse: (reason: Rejection | Failure) => delivery(answer(outcomeOf(undefined, reason)))
    }
  }

  const select = (fiber: Fiber.Fiber<unknown, unknown>) =>
    fiber.cache.tracer !== undefined && fiber.cache.tracerEnabled ? traced : plain

  return {
    [TypeId]: TypeId,
    name,
    methods: provider.methods,
    settings,
    process: (raw) => Effect.withFiber((fiber) => select(fiber).process(raw)),
    run: (raw) => Effect.withFiber((fiber) => select(fiber).run(raw)),
    refuse: (reason) => Effect.withFiber((fiber) => select(fiber).refuse(reason)),
    respond
  }
}

// A claim held by this delivery, with what the handler needs.
interface Held<P> {
  readonly store: IdempotencyStore["Service"]
  readonly key: string
  readonly token: string
  readonly payload: P
  readonly raw: RawDelivery
}

const okOrTag = <X, E2 extends { readonly _tag: string }>(exit: Exit.Exit<X, E2>): string =>
  exit._tag === "Success" ? "ok" : Cause.hasInterruptsOnly(exit.cause)
    ? "interrupted"
    : Option.match(Cause.findErrorOption(exit.cause), { onNone: () => "defect", onSome: (error) => error._tag })
