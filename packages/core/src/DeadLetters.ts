/**
 * Replay of dead letters: a recorded delivery runs through the same pipeline again — its signature
 * verified again, under the same idempotency key — so a replay racing the platform's own retry still
 * runs the handler once. Only the timestamp tolerance is measured from the time the delivery was
 * first received instead of now, and only for an explicit replay.
 *
 * ```ts
 * import { DeadLetters, defineHandler, Hmac, route } from "@hookline/core"
 * import { Effect, Redacted } from "effect"
 *
 * const routes = route({ "/hmac": defineHandler(Hmac.provider({ secret: Redacted.make("s3cret") }), () => Effect.void) })
 * const replayer = DeadLetters.layer(routes) // needs the DeadLetterStore and IdempotencyStore layers
 * const program = DeadLetters.replayAll({ provider: "hmac", since: Date.now() - 3_600_000 })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type DeadLetter, DeadLetterStore, type Filter } from "./DeadLetterStore.ts"
import type { StoreUnavailable } from "./DeliveryError.ts"
import type { IdempotencyStore } from "./IdempotencyStore.ts"
import type * as Outcome from "./Outcome.ts"
import type * as Routes from "./Routes.ts"
import { isWebhookHandler, type WebhookHandler } from "./WebhookHandler.ts"

/**
 * What one replay did: the dead letter as it was before, and the pipeline's outcome.
 *
 * - `Processed`: the handler ran and succeeded; the entry is resolved.
 * - `Duplicate`: the key was already processed (by the platform's retry or an earlier replay);
 *   the entry is resolved.
 * - `InFlight`: the key is being handled right now (the platform's retry is running).
 * - `Failed`: it failed again; the entry counts one more attempt.
 * - `Rejected`: the recorded delivery no longer verifies (the secret was rotated away, or it was
 *   tampered with in the store).
 *
 * @since 0.1.0
 * @category models
 */
export interface Replayed {
  readonly _tag: "Replayed"
  readonly entry: DeadLetter
  readonly outcome: Outcome.Outcome
}

/**
 * No dead letter has this key.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadLetterNotFound extends Data.TaggedError("DeadLetterNotFound")<{
  readonly key: string
  readonly message: string
}> {}

/**
 * The dead letter's provider is not among the handlers the replayer was given.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoHandler extends Data.TaggedError("NoHandler")<{
  readonly key: string
  readonly provider: string
  readonly message: string
}> {}

/**
 * Which dead letters {@link replayAll} replays: open ones (not resolved), optionally of one provider
 * and failed since a time (epoch milliseconds), at most `limit` (default 1,000).
 *
 * @since 0.1.0
 * @category models
 */
export interface ReplayFilter {
  readonly provider?: string | undefined
  readonly since?: number | undefined
  readonly limit?: number | undefined
}

/**
 * The replayer: the application's handlers, by provider name.
 *
 * @since 0.1.0
 * @category services
 */
export class DeadLetters extends Context.Service<DeadLetters, {
  /** Replays the dead letter of `key` (its namespaced key, as listed). */
  readonly replay: (key: string) => Effect.Effect<Replayed, DeadLetterNotFound | NoHandler | StoreUnavailable>
  /**
   * Replays every open dead letter matching `filter`, one after another, oldest failure first.
   * Each result is the replay's, or the reason it could not run (`NoHandler`).
   */
  readonly replayAll: (
    filter?: ReplayFilter
  ) => Effect.Effect<ReadonlyArray<Replayed | NoHandler>, StoreUnavailable>
}>()("@hookline/core/DeadLetters") {}

/**
 * Builds the replayer for the given handlers (a `route(...)` table or a single handler), on the
 * `DeadLetterStore` and `IdempotencyStore` in context (and whatever the handlers require).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R>(
  endpoint: Routes.Endpoint<R>
): Effect.Effect<DeadLetters["Service"], never, R | IdempotencyStore | DeadLetterStore> =>
  Effect.map(Effect.context<R | IdempotencyStore | DeadLetterStore>(), (context) => {
    const store = Context.get(context, DeadLetterStore)
    const handlers = new Map<string, WebhookHandler<R>>()
    for (const handler of isWebhookHandler(endpoint) ? [endpoint] : endpoint.handlers.values()) {
      handlers.set(handler.name, handler)
    }

    const run = (entry: DeadLetter): Effect.Effect<Replayed, NoHandler | StoreUnavailable> => {
      const handler = handlers.get(entry.provider)
      if (handler === undefined) {
        return Effect.fail(
          new NoHandler({
            key: entry.key,
            provider: entry.provider,
            message: `No handler for provider "${entry.provider}" was given to the replayer`
          })
        )
      }
      // The pipeline records a failed replay (one more attempt) and resolves a processed one; a
      // duplicate means the key was processed by someone else, so the entry is resolved here.
      const processed: Effect.Effect<Outcome.Outcome> = Effect.provideContext(
        handler.process(entry.delivery, { receivedAt: entry.receivedAt }),
        context
      )
      return Effect.flatMap(processed, (outcome): Effect.Effect<Replayed, StoreUnavailable> => {
        const replayed: Replayed = { _tag: "Replayed", entry, outcome }
        return outcome._tag === "Duplicate"
          ? Effect.as(Effect.flatMap(Clock.currentTimeMillis, (at) => store.resolve(entry.key, at)), replayed)
          : Effect.succeed(replayed)
      })
    }

    const replay = (key: string): Effect.Effect<Replayed, DeadLetterNotFound | NoHandler | StoreUnavailable> =>
      Effect.flatMap(
        store.get(key),
        (entry): Effect.Effect<Replayed, DeadLetterNotFound | NoHandler | StoreUnavailable> =>
          entry === undefined
            ? Effect.fail(new DeadLetterNotFound({ key, message: `No dead letter has the key ${key}` }))
            : run(entry)
      )

    const replayAll = (filter?: ReplayFilter) => {
      const selection: Filter = {
        status: "open",
        provider: filter?.provider,
        since: filter?.since,
        limit: filter?.limit
      }
      return Effect.flatMap(store.list(selection), (entries) =>
        Effect.forEach(
          [...entries].reverse(),
          (entry) => Effect.catchTag(run(entry), "NoHandler", (error) => Effect.succeed(error))
        ))
    }

    return DeadLetters.of({ replay, replayAll })
  })

/**
 * The replayer as a layer (see {@link make}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R>(
  endpoint: Routes.Endpoint<R>
): Layer.Layer<DeadLetters, never, R | IdempotencyStore | DeadLetterStore> => Layer.effect(DeadLetters, make(endpoint))

/**
 * Replays the dead letter of `key` with the `DeadLetters` service in context.
 *
 * @since 0.1.0
 * @category replay
 */
export const replay = (
  key: string
): Effect.Effect<Replayed, DeadLetterNotFound | NoHandler | StoreUnavailable, DeadLetters> =>
  DeadLetters.use((service) => service.replay(key))

/**
 * Replays every open dead letter matching `filter` with the `DeadLetters` service in context.
 *
 * @since 0.1.0
 * @category replay
 */
export const replayAll = (
  filter?: ReplayFilter
): Effect.Effect<ReadonlyArray<Replayed | NoHandler>, StoreUnavailable, DeadLetters> =>
  DeadLetters.use((service) => service.replayAll(filter))
