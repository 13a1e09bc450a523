/**
 * Pins on `MemoryStore.ts` that mutation testing showed no other test held: which entry a full
 * store evicts (claim order, a completion's own expiry), the smallest bound, and durations the
 * packed layout must still hold (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

const long = Duration.minutes(10)

const claimed = (result: IdempotencyStore.ClaimResult): string => {
  if (result._tag !== "Claimed") return assert.fail(`expected Claimed, got ${result._tag}`)
  return result.token
}

describe("MemoryStore eviction order", () => {
  it.effect("a key claimed again after its lease lapsed counts as claimed then: older completions go first", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 3 })
      const a = claimed(yield* store.claim("a", "fa", Duration.seconds(1)))
      const b = claimed(yield* store.claim("b", "fb", long))
      assert.isTrue(yield* store.complete("b", b, long))
      yield* TestClock.adjust(Duration.seconds(2))
      assert.isFalse(yield* store.complete("a", a, long), "a's lease lapsed")
      // "a" again: now the newest claim.
      const again = claimed(yield* store.claim("a", "fa", long))
      assert.isTrue(yield* store.complete("a", again, long))
      claimed(yield* store.claim("c", "fc", long))
      // Full (a, b completed; c in flight): "d" evicts the older completion, b.
      claimed(yield* store.claim("d", "fd", long))
      assert.deepStrictEqual(yield* store.claim("a", "fa", long), IdempotencyStore.Completed({ fingerprint: "fa" }))
      assert.strictEqual((yield* store.claim("b", "fb", long))._tag, "Claimed", "b was the one evicted")
    }))

  it.effect("a completion whose retention ran out is swept before any live completion is evicted", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 3 })
      const p = claimed(yield* store.claim("p", "fp", long))
      assert.isTrue(yield* store.complete("p", p, long))
      const q = claimed(yield* store.claim("q", "fq", long))
      // Remembered for one second only: the earliest expiry in the store is now this completion's.
      assert.isTrue(yield* store.complete("q", q, Duration.seconds(1)))
      claimed(yield* store.claim("r", "fr", long))
      yield* TestClock.adjust(Duration.seconds(2))
      claimed(yield* store.claim("s", "fs", long))
      assert.deepStrictEqual(yield* store.claim("p", "fp", long), IdempotencyStore.Completed({ fingerprint: "fp" }))
    }))

  it.effect("an entry expiring exactly now is swept, not a live completion", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 2 })
      const done = claimed(yield* store.claim("done", "fd", long))
      assert.isTrue(yield* store.complete("done", done, long))
      claimed(yield* store.claim("lapsing", "fl", Duration.seconds(1)))
      yield* TestClock.adjust(Duration.seconds(1))
      claimed(yield* store.claim("new", "fn", long))
      assert.deepStrictEqual(yield* store.claim("done", "fd", long), IdempotencyStore.Completed({ fingerprint: "fd" }))
    }))

  it.effect("after a sweep the store knows its next expiry (the earliest left, not the last seen)", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 3 })
      claimed(yield* store.claim("gone", "f", Duration.seconds(1)))
      claimed(yield* store.claim("a", "f", Duration.seconds(10)))
      claimed(yield* store.claim("b", "f", Duration.hours(1)))
      yield* TestClock.adjust(Duration.seconds(2))
      // Full: "gone" is swept; "a" (10 s) is the next to expire.
      claimed(yield* store.claim("c", "f", Duration.hours(1)))
      yield* TestClock.adjust(Duration.seconds(9))
      // Full of in-flight claims, but "a" lapsed: swept again, "d" takes its place.
      claimed(yield* store.claim("d", "f", Duration.hours(1)))
    }))

  it.effect("a long completion does not postpone the sweep of an earlier lease", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 2 })
      claimed(yield* store.claim("short", "fs", Duration.seconds(1)))
      const done = claimed(yield* store.claim("done", "fd", long))
      assert.isTrue(yield* store.complete("done", done, Duration.hours(1)))
      yield* TestClock.adjust(Duration.seconds(2))
      claimed(yield* store.claim("new", "fn", long))
      assert.deepStrictEqual(yield* store.claim("done", "fd", long), IdempotencyStore.Completed({ fingerprint: "fd" }))
    }))

  it.effect("maxEntries below 1 still keeps one key", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 0 })
      claimed(yield* store.claim("only", "f", long))
      assert.strictEqual((yield* store.claim("only", "f", long))._tag, "InFlight")
      const error = yield* Effect.flip(store.claim("second", "f", long))
      assert.strictEqual(error.message, "Memory store is full of in-flight claims (maxEntries 1)")
    }))
})

describe("MemoryStore durations", () => {
  it.effect("an infinite lease holds and an infinite retention remembers, past any finite time", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      claimed(yield* store.claim("held", "f", Duration.infinity))
      const done = claimed(yield* store.claim("done", "ab".repeat(32), long))
      assert.isTrue(yield* store.complete("done", done, Duration.infinity))
      // Past 2^48 ms (~8,900 years): every byte of the packed expiry matters.
      yield* TestClock.adjust(Duration.days(365 * 10_000))
      assert.strictEqual((yield* store.claim("held", "f", long))._tag, "InFlight")
      assert.deepStrictEqual(
        yield* store.claim("done", "ab".repeat(32), long),
        IdempotencyStore.Completed({ fingerprint: "ab".repeat(32) })
      )
    }))

  it.effect("only a whole 64-digit lower-case hex fingerprint is packed: anything near it comes back exactly", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      const hex = "0123456789abcdef".repeat(4)
      for (const fingerprint of [`g${hex}`, `${hex}z`, "z".repeat(64), hex.slice(1), hex]) {
        const key = `fp-${fingerprint}`
        const token = claimed(yield* store.claim(key, fingerprint, long))
        assert.isTrue(yield* store.complete(key, token, long))
        assert.deepStrictEqual(yield* store.claim(key, fingerprint, long), IdempotencyStore.Completed({ fingerprint }))
      }
    }))

  it.effect("a fractional lease is rounded up to the next millisecond, never down", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      claimed(yield* store.claim("k", "f", Duration.micros(1500n)))
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual((yield* store.claim("k", "f", long))._tag, "InFlight", "1.5 ms lease at 1 ms")
      yield* TestClock.adjust(Duration.millis(1))
      claimed(yield* store.claim("k", "f", long))
    }))

  it.effect("release frees only the holder's live claim", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      const token = claimed(yield* store.claim("k", "f", Duration.seconds(1)))
      assert.isFalse(yield* store.release("k", "not-the-token"))
      assert.strictEqual((yield* store.claim("k", "f", long))._tag, "InFlight")
      assert.isTrue(yield* store.release("k", token))
      assert.isFalse(yield* store.release("k", token), "already released")
      claimed(yield* store.claim("k", "f", long))
    }))
})
