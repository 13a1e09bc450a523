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
import * as Exit from "effect/Exit"
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

// An in-flight claim: few at a time, so a plain object.
interface InFlightEntry {
  readonly token: string
  readonly fingerprint: string
  readonly expiresAt: number
}

// A completed key is what a long-running store holds by the million, so it is one flat one-byte
// string instead of an object (about 56 heap bytes instead of ~200):
//   char 0      layout: 1 = the fingerprint is 64 lower-case hex digits (a SHA-256, what the pipeline
//               records), stored as its 32 bytes; 0 = the fingerprint follows as is
//   chars 1..7  expiresAt, milliseconds, big-endian, 8 bits per char (up to 2^56 > MAX_SAFE_INTEGER)
//   chars 8..   the fingerprint
// The token is not kept: complete and release refuse a completed key whatever the token.
type Entry = InFlightEntry | string

// Where a completed entry is assembled before it becomes a string (one at a time: the store is
// synchronous).
const scratch = Buffer.allocUnsafeSlow(40)

// Whether a fingerprint is 64 lower-case hex digits, the packed layout (upper case would not
// survive the round trip through bytes).
const isPackedHex = (fingerprint: string): boolean => {
  if (fingerprint.length !== 64) return false
  for (let i = 0; i < 64; i++) {
    const code = fingerprint.charCodeAt(i)
    if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) return false
  }
  return true
}

const writeTime = (bytes: Buffer, expiresAt: number): void => {
  let t = expiresAt
  for (let i = 7; i >= 1; i--) {
    bytes[i] = t % 256
    t = Math.floor(t / 256)
  }
}

const completedEntry = (fingerprint: string, expiresAt: number): string => {
  if (isPackedHex(fingerprint)) {
    scratch[0] = 1
    writeTime(scratch, expiresAt)
    scratch.write(fingerprint, 8, 32, "hex")
    // Latin-1 maps each byte to one char: a flat one-byte string of 40 chars.
    return scratch.toString("latin1", 0, 40)
  }
  scratch[0] = 0
  writeTime(scratch, expiresAt)
  return scratch.toString("latin1", 0, 8) + fingerprint
}

const expiresAtOf = (entry: Entry): number => {
  if (typeof entry !== "string") return entry.expiresAt
  let t = 0
  for (let i = 1; i <= 7; i++) t = t * 256 + entry.charCodeAt(i)
  return t
}

const fingerprintOf = (entry: string): string => {
  if (entry.charCodeAt(0) === 0) return entry.slice(8)
  scratch.write(entry, 0, 40, "latin1")
  return scratch.toString("hex", 8, 40)
}

// The answers of `complete` and `release`, shared (an `Exit` is an immutable value).
const done = Exit.succeed(true)
const notHeld = Exit.succeed(false)

// Expiry times are kept as whole milliseconds, rounded up (a key is never forgotten early), and
// capped so an infinite retention still fits the packed layout.
const expiry = (now: number, duration: Duration.Duration): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(now + Duration.toMillis(duration)))

/**
 * Builds a memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: MemoryStoreOptions): IdempotencyStore.IdempotencyStore["Service"] => {
  const maxEntries = Math.max(1, options?.maxEntries ?? 100_000)
  // Map iteration follows insertion order; a key is inserted when claimed (an expired entry of it is
  // deleted first) and replaced in place when completed, so the first completed entries found are
  // the oldest (by claim time).
  const entries = new Map<string, Entry>()
  // No entry expires before this time, so a full store need not scan for expired entries until
  // then (without it every claim into a full store of live keys would scan the whole map).
  let earliestExpiry = Number.POSITIVE_INFINITY

  const evict = (now: number): void => {
    if (earliestExpiry <= now) {
      let earliest = Number.POSITIVE_INFINITY
      for (const [key, entry] of entries) {
        const expiresAt = expiresAtOf(entry)
        if (expiresAt <= now) entries.delete(key)
        else if (expiresAt < earliest) earliest = expiresAt
      }
      earliestExpiry = earliest
    }
    if (entries.size < maxEntries) return
    for (const [key, entry] of entries) {
      if (typeof entry === "string") {
        entries.delete(key)
        if (entries.size < maxEntries) return
      }
    }
  }

  // A live entry: present and not expired.
  const live = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key)
    return entry !== undefined && expiresAtOf(entry) > now ? entry : undefined
  }

  // The in-flight claim of `key` held by `token`, if live.
  const heldBy = (key: string, token: string, now: number): InFlightEntry | undefined => {
    const entry = live(key, now)
    return entry === undefined || typeof entry === "string" || entry.token !== token ? undefined : entry
  }

  // The operations at a given time: answered at once (the pipeline's synchronous path calls them
  // with its clock's reading), and as effects reading the fiber's clock.
  const immediate: IdempotencyStore.Immediate = {
    claim: (key, fingerprint, lease, now) => {
      const entry = entries.get(key)
      if (entry !== undefined) {
        if (expiresAtOf(entry) > now) {
          return Exit.succeed(
            typeof entry === "string"
              ? IdempotencyStore.Completed({ fingerprint: fingerprintOf(entry) })
              : IdempotencyStore.InFlight()
          )
        }
        // Expired: removed, so the new claim is inserted last (eviction goes by insertion order).
        entries.delete(key)
      }
      // The key is not in the map now: one more entry.
      if (entries.size >= maxEntries) {
        evict(now)
        if (entries.size >= maxEntries) {
          return Exit.fail(
            new StoreUnavailable({ message: `Memory store is full of in-flight claims (maxEntries ${maxEntries})` })
          )
        }
      }
      const token = crypto.randomUUID()
      const expiresAt = expiry(now, lease)
      entries.set(key, { token, fingerprint, expiresAt })
      if (expiresAt < earliestExpiry) earliestExpiry = expiresAt
      return Exit.succeed(IdempotencyStore.Claimed({ token }))
    },
    complete: (key, token, retain, now) => {
      const entry = heldBy(key, token, now)
      if (entry === undefined) return notHeld
      const expiresAt = expiry(now, retain)
      // Replaced in place, not re-inserted: a re-insertion leaves a hole in the Map's table that
      // costs as much as a live entry until the next rehash.
      entries.set(key, completedEntry(entry.fingerprint, expiresAt))
      if (expiresAt < earliestExpiry) earliestExpiry = expiresAt
      return done
    },
    release: (key, token, now) => {
      if (heldBy(key, token, now) === undefined) return notHeld
      entries.delete(key)
      return done
    }
  }

  const store = IdempotencyStore.IdempotencyStore.of({
    claim: (key, fingerprint, lease) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => immediate.claim(key, fingerprint, lease, now)),
    complete: (key, token, retain) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => immediate.complete(key, token, retain, now)),
    release: (key, token) => Effect.flatMap(Clock.currentTimeMillis, (now) => immediate.release(key, token, now))
  })
  // Not enumerable: a wrapper built by spreading this store (`{ ...store, claim }`) must not keep a
  // fast path that would bypass the operations it overrides.
  Object.defineProperty(store, "immediate", { value: immediate, enumerable: false })
  return store
}

/**
 * A layer providing a fresh memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: MemoryStoreOptions): Layer.Layer<IdempotencyStore.IdempotencyStore> =>
  Layer.sync(IdempotencyStore.IdempotencyStore, () => make(options))
