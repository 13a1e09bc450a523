/**
 * An in-process idempotency store: for tests, development, and single-process deployments where
 * losing the dedupe memory on restart is acceptable. Bounded: when `maxEntries` is reached it evicts
 * expired entries first, then the oldest completed ones — never a live in-flight claim (a full store
 * of in-flight claims answers `StoreUnavailable`, so the platform retries later).
 *
 * Time comes from Effect's `Clock` (tests drive leases and retention with `TestClock`).
 *
 * For several processes, use `@hookline/store-redis` or `@hookline/store-sql`.
 *
 * @since 0.1.0
 */
import { IdempotencyStore, StoreUnavailable } from "@hookline/core"
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
export interface MemoryStoreOptions {
  /** Most keys kept at once. Default 100,000. */
  readonly maxEntries?: number | undefined
}

interface Entry {
  readonly completed: boolean
  readonly token: string
  readonly fingerprint: string
  readonly expiresAt: number
}

/**
 * Builds a memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: MemoryStoreOptions): IdempotencyStore.IdempotencyStore["Service"] => {
  const maxEntries = Math.max(1, options?.maxEntries ?? 100_000)
  // Map iteration follows insertion order; entries are re-inserted on every state change, so the
  // first completed entries found are the oldest.
  const entries = new Map<string, Entry>()

  const evict = (now: number): void => {
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) entries.delete(key)
    }
    if (entries.size < maxEntries) return
    for (const [key, entry] of entries) {
      if (entry.completed) {
        entries.delete(key)
        if (entries.size < maxEntries) return
      }
    }
  }

  const put = (key: string, entry: Entry): void => {
    entries.delete(key)
    entries.set(key, entry)
  }

  // A live entry: present and not expired.
  const live = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key)
    return entry !== undefined && entry.expiresAt > now ? entry : undefined
  }

  return IdempotencyStore.IdempotencyStore.of({
    claim: (key, fingerprint, lease) =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<IdempotencyStore.ClaimResult, StoreUnavailable> => {
        const entry = live(key, now)
        if (entry !== undefined) {
          return Effect.succeed(
            entry.completed
              ? IdempotencyStore.Completed({ fingerprint: entry.fingerprint })
              : IdempotencyStore.InFlight()
          )
        }
        if (!entries.has(key) && entries.size >= maxEntries) evict(now)
        if (!entries.has(key) && entries.size >= maxEntries) {
          return Effect.fail(
            new StoreUnavailable({ message: `Memory store is full of in-flight claims (maxEntries ${maxEntries})` })
          )
        }
        const token = crypto.randomUUID()
        put(key, { completed: false, token, fingerprint, expiresAt: now + Duration.toMillis(lease) })
        return Effect.succeed(IdempotencyStore.Claimed({ token }))
      }),
    complete: (key, token, retain) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = live(key, now)
        if (entry === undefined || entry.completed || entry.token !== token) return false
        put(key, { completed: true, token, fingerprint: entry.fingerprint, expiresAt: now + Duration.toMillis(retain) })
        return true
      }),
    release: (key, token) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = live(key, now)
        if (entry === undefined || entry.completed || entry.token !== token) return false
        entries.delete(key)
        return true
      })
  })
}

/**
 * A layer providing a fresh memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: MemoryStoreOptions): Layer.Layer<IdempotencyStore.IdempotencyStore> =>
  Layer.sync(IdempotencyStore.IdempotencyStore, () => make(options))
