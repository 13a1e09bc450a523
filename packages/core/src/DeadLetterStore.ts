/**
 * Dead letters: every **authentic** delivery (its signature verified) that ended `Failed` — the
 * handler failed or timed out, the event did not decode, the store could not record it — kept with
 * its exact request, so it can be replayed after the platform gave up retrying (see `DeadLetters`).
 *
 * The pipeline records a dead letter when a `DeadLetterStore` is in its context, and marks it
 * resolved when a later delivery of the same key is processed. Nothing is recorded for a delivery
 * that was not verified (it has no key), and the request's own credentials (`authorization`,
 * `proxy-authorization`, `cookie` headers) are dropped: signatures are kept, secrets never are.
 *
 * Implementations: `MemoryDeadLetterStore` (`@hookline/store-memory`), `RedisDeadLetterStore`
 * (`@hookline/store-redis`), `SqlDeadLetterStore` (`@hookline/store-sql`); each runs
 * `deadLetterConformance` from `@hookline/core/testing/vitest`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { Failure, StoreUnavailable } from "./DeliveryError.ts"
import type { RawDelivery } from "./RawDelivery.ts"

/**
 * One failed authentic delivery, as kept.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeadLetter {
  /** The delivery's idempotency key, namespaced (`<provider>:<key>`). */
  readonly key: string
  /** The provider's name (a `WebhookHandler`'s `name`). */
  readonly provider: string
  /** The last failed request, exactly as received (minus credential headers, see {@link withoutCredentials}). */
  readonly delivery: RawDelivery
  /** When {@link delivery} was received, epoch milliseconds: a replay verifies it as of this time. */
  readonly receivedAt: number
  /** Why the last attempt failed: the failure's tag (`HandlerFailed`, `TimedOut`, …) and message. */
  readonly reason: Reason
  /** Failed attempts so far (the platform's retries and replays that failed). */
  readonly attempts: number
  /** When the first attempt failed, epoch milliseconds. */
  readonly firstFailedAt: number
  /** When the last attempt failed, epoch milliseconds. */
  readonly lastFailedAt: number
  /** When a later delivery of the key was processed (or found already processed); `undefined` while open. */
  readonly resolvedAt: number | undefined
}

/**
 * Why a delivery failed: the `Failure`'s tag and message, and for a failed handler a short
 * description of its error.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reason {
  readonly tag: string
  readonly message: string
}

/**
 * What the pipeline hands the store for one failed attempt.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailedAttempt {
  readonly key: string
  readonly provider: string
  readonly delivery: RawDelivery
  readonly receivedAt: number
  readonly reason: Reason
  /** When the attempt failed, epoch milliseconds. */
  readonly at: number
}

/**
 * Which dead letters `list` and `purge` select. Every field is optional; all given must match.
 *
 * @since 0.1.0
 * @category models
 */
export interface Filter {
  /** Only this provider's. */
  readonly provider?: string | undefined
  /** Only those whose last failure is at or after this time (epoch milliseconds). */
  readonly since?: number | undefined
  /** Only those whose last failure is before this time (epoch milliseconds). */
  readonly before?: number | undefined
  /** `"open"` (not resolved), `"resolved"`, or `"all"` (default). */
  readonly status?: "open" | "resolved" | "all" | undefined
  /** At most this many, newest failure first. `list` only; default 1,000. */
  readonly limit?: number | undefined
}

/**
 * The store of dead letters. Each operation is atomic for its key; implementations bound what they
 * keep (retention, and the memory store's `maxEntries`).
 *
 * @since 0.1.0
 * @category services
 */
export class DeadLetterStore extends Context.Service<DeadLetterStore, {
  /**
   * Records a failed attempt: a new entry (attempts 1), or the existing one updated — attempts + 1,
   * the last request, reason and time, and open again if it was resolved. Its retention restarts.
   */
  readonly record: (attempt: FailedAttempt) => Effect.Effect<void, StoreUnavailable>
  /** Marks the key's entry resolved at `at`. Returns `true` when an open entry was resolved. */
  readonly resolve: (key: string, at: number) => Effect.Effect<boolean, StoreUnavailable>
  /** The key's entry, or `undefined`. */
  readonly get: (key: string) => Effect.Effect<DeadLetter | undefined, StoreUnavailable>
  /** The entries matching `filter`, newest last failure first. */
  readonly list: (filter?: Filter) => Effect.Effect<ReadonlyArray<DeadLetter>, StoreUnavailable>
  /** Deletes the key's entry, or (given a filter) every entry matching it; returns how many. */
  readonly purge: (target: string | Filter) => Effect.Effect<number, StoreUnavailable>
}>()("@hookline/core/DeadLetterStore") {}

/**
 * The counter of dead-letter events, with attributes `provider` and `event`: `recorded` (a failed
 * authentic delivery kept), `resolved` (a later success resolved an open entry), `unrecorded` (the
 * dead-letter store failed: the delivery rests on the platform's own retries). Alert when
 * `unrecorded` is not zero, and when `recorded` outgrows `resolved`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const events = Metric.counter("hookline_dead_letters_total", {
  description: "Dead letters recorded, resolved, or that could not be recorded, by provider",
  incremental: true
})

/**
 * How long a dead letter is kept after its last failure, when a store is not told otherwise: 14
 * days, longer than any bundled platform's retry window, so an outage over a weekend can be replayed.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRetention: Duration.Duration = Duration.days(14)

/**
 * The most entries `list` returns when the filter sets no `limit`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultListLimit = 1000

/**
 * Headers that carry the receiving application's own credentials, never a platform's signature:
 * they are not kept. A provider that authenticates with one of them cannot be replayed.
 *
 * @since 0.1.0
 * @category constants
 */
export const credentialHeaders: ReadonlyArray<string> = ["authorization", "proxy-authorization", "cookie"]

/**
 * The delivery without the {@link credentialHeaders}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withoutCredentials = (delivery: RawDelivery): RawDelivery => {
  if (!credentialHeaders.some((name) => name in delivery.headers)) return delivery
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(delivery.headers)) {
    if (!credentialHeaders.includes(name)) headers[name] = value
  }
  return { ...delivery, headers }
}

const reasonLimit = 500

/**
 * The reason kept for a failure: its tag and message, and for a failed handler the error's own
 * tag or message (at most 500 characters).
 *
 * @since 0.1.0
 * @category constructors
 */
export const reasonOf = (failure: Failure): Reason => {
  if (failure._tag !== "HandlerFailed") return { tag: failure._tag, message: failure.message }
  const error: unknown = failure.error
  const described = typeof error === "object" && error !== null
    ? [
      "_tag" in error && typeof error._tag === "string" ? error._tag : undefined,
      "message" in error && typeof error.message === "string" ? error.message : undefined
    ].filter((part) => part !== undefined && part !== "").join(": ")
    : String(error)
  const message = described === "" ? failure.message : `${failure.message}: ${described}`
  return { tag: failure._tag, message: message.length > reasonLimit ? `${message.slice(0, reasonLimit)}…` : message }
}

/**
 * Does the entry match the filter (for implementations that filter in process)?
 *
 * @since 0.1.0
 * @category filters
 */
export const matches = (entry: DeadLetter, filter: Filter | undefined): boolean => {
  if (filter === undefined) return true
  if (filter.provider !== undefined && entry.provider !== filter.provider) return false
  if (filter.since !== undefined && entry.lastFailedAt < filter.since) return false
  if (filter.before !== undefined && entry.lastFailedAt >= filter.before) return false
  const status = filter.status ?? "all"
  if (status === "open" && entry.resolvedAt !== undefined) return false
  if (status === "resolved" && entry.resolvedAt === undefined) return false
  return true
}

/**
 * The entry after one more failed attempt (`previous` undefined: the first).
 *
 * @since 0.1.0
 * @category constructors
 */
export const next = (previous: DeadLetter | undefined, attempt: FailedAttempt): DeadLetter => ({
  key: attempt.key,
  provider: attempt.provider,
  delivery: withoutCredentials(attempt.delivery),
  receivedAt: attempt.receivedAt,
  reason: attempt.reason,
  attempts: (previous?.attempts ?? 0) + 1,
  firstFailedAt: previous?.firstFailedAt ?? attempt.at,
  lastFailedAt: attempt.at,
  resolvedAt: undefined
})

/**
 * A dead letter as JSON-safe data (the body base64), for stores that keep text.
 *
 * @since 0.1.0
 * @category serialization
 */
export interface Encoded {
  readonly key: string
  readonly provider: string
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly receivedAt: number
  readonly reasonTag: string
  readonly reasonMessage: string
  readonly attempts: number
  readonly firstFailedAt: number
  readonly lastFailedAt: number
  readonly resolvedAt: number | null
}

/**
 * Encodes a dead letter as JSON-safe data.
 *
 * @since 0.1.0
 * @category serialization
 */
export const encode = (entry: DeadLetter): Encoded => ({
  key: entry.key,
  provider: entry.provider,
  method: entry.delivery.method,
  url: entry.delivery.url,
  headers: entry.delivery.headers,
  body: Buffer.from(entry.delivery.body.buffer, entry.delivery.body.byteOffset, entry.delivery.body.byteLength)
    .toString("base64"),
  receivedAt: entry.receivedAt,
  reasonTag: entry.reason.tag,
  reasonMessage: entry.reason.message,
  attempts: entry.attempts,
  firstFailedAt: entry.firstFailedAt,
  lastFailedAt: entry.lastFailedAt,
  resolvedAt: entry.resolvedAt ?? null
})

/**
 * A stored dead letter that does not have the shape {@link encode} gives.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEntry extends Data.TaggedError("InvalidEntry")<{ readonly message: string }> {}

const isTime = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u)
const isHeaders = (u: unknown): u is Record<string, string> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.values(u).every((v) => typeof v === "string")

/**
 * Decodes what {@link encode} gave (read back from a store), checking every field.
 *
 * @since 0.1.0
 * @category serialization
 */
export const decode = (u: unknown): DeadLetter | InvalidEntry => {
  if (typeof u !== "object" || u === null) return new InvalidEntry({ message: "a dead letter is not an object" })
  const e = u as Record<keyof Encoded, unknown>
  const strings = [e.key, e.provider, e.method, e.url, e.body, e.reasonTag, e.reasonMessage]
  if (!strings.every((s) => typeof s === "string")) {
    return new InvalidEntry({ message: "a dead letter lacks a text field" })
  }
  if (!isHeaders(e.headers)) return new InvalidEntry({ message: "a dead letter's headers are not text" })
  if (![e.receivedAt, e.attempts, e.firstFailedAt, e.lastFailedAt].every(isTime)) {
    return new InvalidEntry({ message: "a dead letter lacks a time or its attempts" })
  }
  if (e.resolvedAt !== null && e.resolvedAt !== undefined && !isTime(e.resolvedAt)) {
    return new InvalidEntry({ message: "a dead letter's resolvedAt is not a time" })
  }
  return {
    key: e.key as string,
    provider: e.provider as string,
    delivery: {
      method: e.method as string,
      url: e.url as string,
      headers: e.headers,
      body: new Uint8Array(Buffer.from(e.body as string, "base64"))
    },
    receivedAt: e.receivedAt as number,
    reason: { tag: e.reasonTag as string, message: e.reasonMessage as string },
    attempts: e.attempts as number,
    firstFailedAt: e.firstFailedAt as number,
    lastFailedAt: e.lastFailedAt as number,
    resolvedAt: typeof e.resolvedAt === "number" ? e.resolvedAt : undefined
  }
}
