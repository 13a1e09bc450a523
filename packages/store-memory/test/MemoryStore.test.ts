import { assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { storeConformance } from "@hookline/core/testing/vitest"
import { MemoryStore } from "@hookline/store-memory"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

storeConformance("MemoryStore", MemoryStore.layer())

describe("MemoryStore bounds", () => {
  const long = Duration.minutes(10)

  it.effect("evicts expired entries first when full", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 3 })
      const a = yield* store.claim("a", "f", Duration.seconds(1))
      assert.strictEqual(a._tag, "Claimed")
      yield* store.claim("b", "f", long)
      yield* store.claim("c", "f", long)
      yield* TestClock.adjust(Duration.seconds(2))
      // "a" expired: it makes room, the live claims survive.
      assert.strictEqual((yield* store.claim("d", "f", long))._tag, "Claimed")
      assert.strictEqual((yield* store.claim("b", "f", long))._tag, "InFlight")
      assert.strictEqual((yield* store.claim("c", "f", long))._tag, "InFlight")
    }))

  it.effect("then evicts the oldest completed entries, never an in-flight claim", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 3 })
      const done1 = yield* store.claim("done1", "f1", long)
      const done2 = yield* store.claim("done2", "f2", long)
      yield* store.claim("live", "f", long)
      if (done1._tag !== "Claimed" || done2._tag !== "Claimed") return assert.fail("expected claims")
      assert.isTrue(yield* store.complete("done1", done1.token, long))
      assert.isTrue(yield* store.complete("done2", done2.token, long))
      assert.strictEqual((yield* store.claim("new", "f", long))._tag, "Claimed")
      // The oldest completion (done1) was evicted; done2 and the live claim remain.
      assert.strictEqual((yield* store.claim("live", "f", long))._tag, "InFlight")
      assert.deepStrictEqual(yield* store.claim("done2", "f2", long), IdempotencyStore.Completed({ fingerprint: "f2" }))
    }))

  it.effect("a store full of in-flight claims refuses new keys with StoreUnavailable", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 2 })
      yield* store.claim("x", "f", long)
      yield* store.claim("y", "f", long)
      const error = yield* Effect.flip(store.claim("z", "f", long))
      assert.strictEqual(error._tag, "StoreUnavailable")
      // Existing keys still answer.
      assert.strictEqual((yield* store.claim("x", "f", long))._tag, "InFlight")
    }))

  it.effect("a completed key answers its exact fingerprint, packed SHA-256 hex or any other text", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      const fingerprints = [
        "00ff10a9b8c7d6e5f4030201" + "0123456789abcdef".repeat(2) + "deadbeef", // 64 lower-case hex: packed
        "00FF10A9B8C7D6E5F4030201" + "0123456789ABCDEF".repeat(2) + "DEADBEEF", // upper case: kept as is
        "f",
        "",
        "ünïcødé ✓ fingerprint"
      ]
      for (const [i, fingerprint] of fingerprints.entries()) {
        const claim = yield* store.claim(`k${i}`, fingerprint, long)
        if (claim._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.complete(`k${i}`, claim.token, Duration.infinity))
        assert.deepStrictEqual(
          yield* store.claim(`k${i}`, fingerprint, long),
          IdempotencyStore.Completed({ fingerprint })
        )
        // Completed: neither the old token nor any other completes or releases it.
        assert.isFalse(yield* store.complete(`k${i}`, claim.token, long))
        assert.isFalse(yield* store.release(`k${i}`, claim.token))
      }
    }))

  it.effect("a completed key is kept for its retention to the millisecond, then forgotten", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      const fingerprint = "ab".repeat(32)
      const claim = yield* store.claim("r", fingerprint, long)
      if (claim._tag !== "Claimed") return assert.fail("expected Claimed")
      assert.isTrue(yield* store.complete("r", claim.token, Duration.days(400)))
      yield* TestClock.adjust(Duration.subtract(Duration.days(400), Duration.millis(1)))
      assert.deepStrictEqual(yield* store.claim("r", fingerprint, long), IdempotencyStore.Completed({ fingerprint }))
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual((yield* store.claim("r", fingerprint, long))._tag, "Claimed")
    }))

  it.effect("a full store evicts entries that expired after an earlier eviction pass", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make({ maxEntries: 2 })
      const a = yield* store.claim("a", "f", long)
      if (a._tag !== "Claimed") return assert.fail("expected Claimed")
      assert.isTrue(yield* store.complete("a", a.token, long))
      yield* store.claim("b", "f", Duration.seconds(5))
      // Full: "a" (completed, oldest) makes room for "c".
      assert.strictEqual((yield* store.claim("c", "f", Duration.seconds(1)))._tag, "Claimed")
      yield* TestClock.adjust(Duration.seconds(2))
      // Full of in-flight claims, but "c"'s lease lapsed: it is swept, "d" gets its place.
      assert.strictEqual((yield* store.claim("d", "f", long))._tag, "Claimed")
      assert.strictEqual((yield* store.claim("b", "f", long))._tag, "InFlight")
      yield* TestClock.adjust(Duration.seconds(4))
      assert.strictEqual((yield* store.claim("e", "f", long))._tag, "Claimed")
      assert.strictEqual((yield* store.claim("d", "f", long))._tag, "InFlight")
    }))
})
