/**
 * An in-process dead-letter store: for tests, development and single-process deployments. Dead
 * letters are lost with the process; for anything that must survive a restart use
 * `RedisDeadLetterStore` (`@hookline/store-redis`) or `SqlDeadLetterStore` (`@hookline/store-sql`).
 *
 * Bounded: an entry is kept for `retention` after its last failure, and at most `maxEntries` are
 * kept (the oldest resolved entries go first, then the oldest open ones). Time comes from Effect's
 * `Clock`.
 *
 * ```ts
 * import { MemoryDeadLetterStore } from "@hookline/store-memory"
 *
 * const deadLetters = MemoryDeadLetterStore.layer({ retention: "3 days" })
 * ```
 *
 * @since 0.1.0
 */
import { DeadLetterStore, Misconfigured } from "@hookline/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryDeadLetterStoreOptions {
  /** How long an entry is kept after its last failure. Default 14 days. */
  readonly retention?: Duration.Input | undefined
  /** Most entries kept at once. Default 10,000. */
  readonly maxEntries?: number | undefined
}

/**
 * Builds the store. Throws `Misconfigured` for a `maxEntries` that is not a positive integer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: MemoryDeadLetterStoreOptions): DeadLetterStore.DeadLetterStore["Service"] => {
  const retention = Duration.toMillis(
    Duration.fromInputUnsafe(options?.retention ?? DeadLetterStore.defaultRetention)
  )
  const maxEntries = options?.maxEntries ?? 10_000
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw new Misconfigured({
      message: `MemoryDeadLetterStore: maxEntries must be a positive integer, got ${maxEntries}`
    })
  }
  // Insertion order is last-failure order: a recorded entry is deleted and set again.
  const entries = new Map<string, DeadLetterStore.DeadLetter>()

  const live = (entry: DeadLetterStore.DeadLetter, now: number) => entry.lastFailedAt + retention > now

  const evict = (now: number) => {
    for (const [key, entry] of entries) if (!live(entry, now)) entries.delete(key)
    if (entries.size < maxEntries) return
    for (const [key, entry] of entries) {
      if (entry.resolvedAt !== undefined) entries.delete(key)
      if (entries.size < maxEntries) return
    }
    for (const key of entries.keys()) {
      entries.delete(key)
      if (entries.size < maxEntries) return
    }
  }

  const current = (key: string, now: number) => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (live(entry, now)) return entry
    entries.delete(key)
    return undefined
  }

  const selected = (filter: DeadLetterStore.Filter | undefined, now: number) =>
    [...entries.values()].filter((entry) => live(entry, now) && DeadLetterStore.matches(entry, filter))

  return DeadLetterStore.DeadLetterStore.of({
    record: (attempt) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const previous = current(attempt.key, now)
        entries.delete(attempt.key)
        if (previous === undefined) evict(now)
        entries.set(attempt.key, DeadLetterStore.next(previous, attempt))
      }),
    resolve: (key, at) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = current(key, now)
        if (entry === undefined || entry.resolvedAt !== undefined) return false
        entries.set(key, { ...entry, resolvedAt: at })
        return true
      }),
    get: (key) => Effect.map(Clock.currentTimeMillis, (now) => current(key, now)),
    list: (filter) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now) =>
          selected(filter, now)
            .sort((a, b) => b.lastFailedAt - a.lastFailedAt)
            .slice(0, filter?.limit ?? DeadLetterStore.defaultListLimit)
      ),
    purge: (target) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const keys = typeof target === "string"
          ? (current(target, now) === undefined ? [] : [target])
          : selected(target, now).map((entry) => entry.key)
        for (const key of keys) entries.delete(key)
        return keys.length
      })
  })
}

/**
 * A layer providing the store (see {@link make}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: MemoryDeadLetterStoreOptions): Layer.Layer<DeadLetterStore.DeadLetterStore> =>
  Layer.sync(DeadLetterStore.DeadLetterStore, () => make(options))
