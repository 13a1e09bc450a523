/**
 * The idempotency store: decides, atomically and across every process sharing it, whether a
 * delivery's key is new (`Claimed`), already processed (`Completed`) or being processed right now
 * (`InFlight`). Implementations live in their own packages (`@hookline/store-memory`,
 * `@hookline/store-redis`, `@hookline/store-sql`) and all pass the conformance suite in
 * `@hookline/core/testing/vitest`.
 *
 * Semantics every implementation guarantees:
 * - `claim` is one atomic step. A new key, or a key whose claim's lease has expired (its holder
 *   crashed), is claimed with a fresh random token; a completed key reports the fingerprint it was
 *   completed with; a key claimed under a live lease is in flight.
 * - `complete` and `release` are fenced by the token: only the current holder may complete or
 *   release. A holder whose lease expired and was taken over changes nothing.
 * - Completed keys are kept for the retention given to `complete`, then forgotten.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { StoreUnavailable } from "./DeliveryError.ts"

/**
 * The answer to a claim.
 *
 * @since 0.1.0
 * @category models
 */
export type ClaimResult = Data.TaggedEnum<{
  /** The caller now holds the key until `complete`, `release` or lease expiry. */
  Claimed: { readonly token: string }
  /** The key was completed, with this fingerprint. */
  Completed: { readonly fingerprint: string }
  /** Another holder's lease on the key is live. */
  InFlight: {}
}>

const { Claimed, Completed, InFlight } = Data.taggedEnum<ClaimResult>()

export {
  /**
   * @since 0.1.0
   * @category constructors
   */
  Claimed,
  /**
   * @since 0.1.0
   * @category constructors
   */
  Completed,
  /**
   * @since 0.1.0
   * @category constructors
   */
  InFlight
}

/**
 * The store service.
 *
 * @since 0.1.0
 * @category services
 */
export class IdempotencyStore extends Context.Service<IdempotencyStore, {
  /**
   * Claims `key` for `lease`, recording `fingerprint` (a hash of the delivery). One atomic step.
   */
  readonly claim: (
    key: string,
    fingerprint: string,
    lease: Duration.Duration
  ) => Effect.Effect<ClaimResult, StoreUnavailable>
  /**
   * Marks the key completed for `retain`. Returns `false` (and changes nothing) when `token` is not
   * the current holder's.
   */
  readonly complete: (key: string, token: string, retain: Duration.Duration) => Effect.Effect<boolean, StoreUnavailable>
  /**
   * Forgets the claim so the next delivery of the key is processed. Returns `false` (and changes
   * nothing) when `token` is not the current holder's.
   */
  readonly release: (key: string, token: string) => Effect.Effect<boolean, StoreUnavailable>
  /**
   * Optional, for a store that needs no I/O (the memory store): the same three operations answered
   * at once, at the time `now` (epoch milliseconds) the caller read from its clock. With them the
   * pipeline runs a delivery whose handler finished synchronously without entering the fiber runtime.
   * They must behave exactly like `claim`, `complete` and `release` at that time. Define it as a
   * non-enumerable property (`Object.defineProperty`), as the memory store does: a wrapper built by
   * spreading the store (`{ ...store, claim }`, for instrumentation or fault injection) then does not
   * keep a fast path that would bypass the operations it overrides.
   */
  readonly immediate?: Immediate | undefined
  /**
   * Optional, for a store kept in the application's own database (`SqlStore`): runs a handler and
   * the completion of its claim in **one** database transaction, for handlers defined with
   * `transactional: true`. See {@link Transaction}.
   */
  readonly transaction?: Transaction | undefined
}>()("@hookline/core/IdempotencyStore") {}

/**
 * A store's transaction (see `IdempotencyStore.transaction`): begins a transaction, runs `body` in
 * it — every statement `body` runs through the application's `SqlClient` joins that transaction —
 * and commits when `body` succeeds, rolls back when it fails, dies or is interrupted.
 *
 * `body` receives `complete`, which records the completion of the claim held under `token`, *inside*
 * the transaction, fenced like {@link IdempotencyStore}'s `complete` (it answers `false` and changes
 * nothing when the token no longer holds a live lease). So the handler's writes and the completion
 * commit together or not at all.
 *
 * Fails with `StoreUnavailable` when the transaction cannot begin, or when `COMMIT` fails — then the
 * outcome is unknown: the completion may have been committed (the platform's retry is then a
 * duplicate) or not (the retry runs the handler again, none of whose writes survived). A failure of
 * `body` is returned as it is, even when the rollback failed too (the server then rolls back itself).
 *
 * @since 0.1.0
 * @category models
 */
export type Transaction = <X, E, R>(
  key: string,
  token: string,
  body: (complete: (retain: Duration.Duration) => Effect.Effect<boolean, StoreUnavailable>) => Effect.Effect<X, E, R>
) => Effect.Effect<X, E | StoreUnavailable, R>

/**
 * A store's synchronous operations (see `IdempotencyStore.immediate`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Immediate {
  readonly claim: (
    key: string,
    fingerprint: string,
    lease: Duration.Duration,
    now: number
  ) => Exit.Exit<ClaimResult, StoreUnavailable>
  readonly complete: (
    key: string,
    token: string,
    retain: Duration.Duration,
    now: number
  ) => Exit.Exit<boolean, StoreUnavailable>
  readonly release: (key: string, token: string, now: number) => Exit.Exit<boolean, StoreUnavailable>
}
