/**
 * The **store conformance suite** every `IdempotencyStore` implementation runs against its real
 * backend, for Vitest: atomic claims, lease expiry and takeover, token fencing, retention.
 *
 * ```ts
 * // packages/store-foo/test/FooStore.test.ts
 * import { storeConformance } from "@hookline/core/testing/vitest"
 * declare const FooStore: { layer: () => import("effect/Layer").Layer<import("@hookline/core").IdempotencyStore.IdempotencyStore> }
 *
 * storeConformance("FooStore", FooStore.layer(), { time: "live" })
 * ```
 *
 * Requires `vitest` and `@effect/vitest` (dev dependencies of the store package). The helpers that
 * need no test framework (`listen`) are in `@hookline/core/testing`.
 *
 * @since 0.1.0
 */
import { assert, it, layer as effectLayer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import * as IdempotencyStore from "../IdempotencyStore.ts"

/**
 * Options of {@link storeConformance}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface ConformanceOptions {
  /**
   * How time passes for the store:
   * - `"clock"` (default): the store reads Effect's `Clock`; the suite moves `TestClock`.
   * - `"live"`: the store uses real (server) time, e.g. Redis TTLs or PostgreSQL `now()`; the suite
   *   uses short leases and waits for them to pass.
   */
  readonly time?: "clock" | "live" | undefined
  /** Lease used for expiry tests in `"live"` mode. Default 400 ms. */
  readonly liveLease?: Duration.Input | undefined
  /** Timeout of each test. Default 30 seconds. */
  readonly timeout?: Duration.Input | undefined
}

const fingerprintA = "a".repeat(64)
const fingerprintB = "b".repeat(64)

/**
 * Registers the conformance suite for a store layer: atomic claims (1,000 concurrent claims of one
 * key → exactly one `Claimed`), lease expiry and takeover with a new token, token fencing (a stale
 * token cannot complete or release), retention expiry, fingerprint reporting, key independence.
 *
 * @since 0.1.0
 * @category testing
 */
export const storeConformance = <E>(
  name: string,
  storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, E>,
  options?: ConformanceOptions
): void => {
  const live = options?.time === "live"
  const lease = live ? Duration.fromInputUnsafe(options?.liveLease ?? Duration.millis(400)) : Duration.seconds(30)
  const long = Duration.minutes(10)
  // Waits until a lease of `lease` has certainly expired.
  const pass = (d: Duration.Duration): Effect.Effect<void> =>
    live
      ? Effect.sleep(Duration.sum(Duration.times(d, 1.5), Duration.millis(100)))
      : TestClock.adjust(Duration.sum(d, Duration.millis(1)))
  const key = (label: string) => `conformance:${label}:${crypto.randomUUID()}`

  // When the backend is down, the shared layer below fails in a hook and vitest reports its tests
  // as skipped; this test makes the outage an explicit failure with the reason.
  it.live(`${name}: the store's layer builds (is the backend reachable?)`, () =>
    Effect.scoped(Layer.build(storeLayer)).pipe(
      Effect.timeout(options?.timeout ?? Duration.seconds(30)),
      Effect.exit,
      Effect.map((exit) => {
        if (exit._tag === "Failure") assert.fail(`${name} layer failed to build: ${Cause.pretty(exit.cause)}`)
      })
    ))

  effectLayer(storeLayer, {
    excludeTestServices: live,
    timeout: options?.timeout ?? Duration.seconds(30)
  })(`${name} (IdempotencyStore conformance)`, (it) => {
    it.effect("claims a new key with a non-empty token", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const result = yield* store.claim(key("new"), fingerprintA, long)
        assert.strictEqual(result._tag, "Claimed")
        if (result._tag === "Claimed") assert.isTrue(result.token.length > 0)
      }))

    it.effect("a second claim while the first is in flight is InFlight", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("inflight")
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Claimed")
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "InFlight")
        assert.strictEqual((yield* store.claim(k, fingerprintB, long))._tag, "InFlight")
      }))

    it.effect("complete records the fingerprint; later claims report Completed with it", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("complete")
        const claimed = yield* store.claim(k, fingerprintA, long)
        assert.strictEqual(claimed._tag, "Claimed")
        if (claimed._tag !== "Claimed") return
        assert.isTrue(yield* store.complete(k, claimed.token, long))
        assert.deepStrictEqual(
          yield* store.claim(k, fingerprintA, long),
          IdempotencyStore.Completed({ fingerprint: fingerprintA })
        )
      }))

    it.effect("a claim with a different fingerprint reports the completed one (mismatch is detectable)", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("mismatch")
        const claimed = yield* store.claim(k, fingerprintA, long)
        if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.complete(k, claimed.token, long))
        const again = yield* store.claim(k, fingerprintB, long)
        assert.strictEqual(again._tag, "Completed")
        if (again._tag === "Completed") assert.strictEqual(again.fingerprint, fingerprintA)
      }))

    it.effect("release lets the next claim process the key again, with a new token", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("release")
        const first = yield* store.claim(k, fingerprintA, long)
        if (first._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.release(k, first.token))
        const second = yield* store.claim(k, fingerprintA, long)
        if (second._tag !== "Claimed") return assert.fail("expected Claimed after release")
        assert.notStrictEqual(second.token, first.token)
      }))

    it.effect("1,000 concurrent claims of one key: exactly one Claimed, the rest InFlight", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("race")
        const results = yield* Effect.all(
          Array.from({ length: 1000 }, () => store.claim(k, fingerprintA, long)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter((r) => r._tag === "Claimed").length, 1)
        assert.strictEqual(results.filter((r) => r._tag === "InFlight").length, 999)
      }))

    it.effect("an expired lease is taken over with a new token", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("takeover")
        const first = yield* store.claim(k, fingerprintA, lease)
        if (first._tag !== "Claimed") return assert.fail("expected Claimed")
        yield* pass(lease)
        const second = yield* store.claim(k, fingerprintA, long)
        if (second._tag !== "Claimed") return assert.fail(`expected takeover, got ${second._tag}`)
        assert.notStrictEqual(second.token, first.token)
      }))

    it.effect("a stale token cannot complete: the new holder keeps the key", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("stale-complete")
        const stale = yield* store.claim(k, fingerprintA, lease)
        if (stale._tag !== "Claimed") return assert.fail("expected Claimed")
        yield* pass(lease)
        const current = yield* store.claim(k, fingerprintB, long)
        if (current._tag !== "Claimed") return assert.fail("expected takeover")
        assert.isFalse(yield* store.complete(k, stale.token, long))
        assert.strictEqual((yield* store.claim(k, fingerprintB, long))._tag, "InFlight")
        assert.isTrue(yield* store.complete(k, current.token, long))
        assert.deepStrictEqual(
          yield* store.claim(k, fingerprintB, long),
          IdempotencyStore.Completed({ fingerprint: fingerprintB })
        )
      }))

    it.effect("a stale token cannot release: the new holder keeps the key", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("stale-release")
        const stale = yield* store.claim(k, fingerprintA, lease)
        if (stale._tag !== "Claimed") return assert.fail("expected Claimed")
        yield* pass(lease)
        const current = yield* store.claim(k, fingerprintA, long)
        if (current._tag !== "Claimed") return assert.fail("expected takeover")
        assert.isFalse(yield* store.release(k, stale.token))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "InFlight")
      }))

    it.effect("a holder whose lease expired cannot complete, even when nobody took over", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("expired-complete")
        const claimed = yield* store.claim(k, fingerprintA, lease)
        if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
        yield* pass(lease)
        assert.isFalse(yield* store.complete(k, claimed.token, long))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Claimed")
      }))

    it.effect("a token never issued for the key cannot complete or release it", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("foreign")
        const other = yield* store.claim(key("other"), fingerprintA, long)
        if (other._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isFalse(yield* store.complete(k, other.token, long))
        assert.isFalse(yield* store.release(k, other.token))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Claimed")
        assert.isFalse(yield* store.complete(k, other.token, long))
        assert.isFalse(yield* store.release(k, "not-a-token"))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "InFlight")
      }))

    it.effect("completed keys are remembered within retention and forgotten after it", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("retention")
        const claimed = yield* store.claim(k, fingerprintA, long)
        if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.complete(k, claimed.token, lease))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Completed")
        yield* pass(lease)
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Claimed")
      }))

    it.effect("completion outlives the claim's lease (retention, not lease, applies)", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("retain-over-lease")
        const claimed = yield* store.claim(k, fingerprintA, lease)
        if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.complete(k, claimed.token, long))
        yield* pass(lease)
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Completed")
      }))

    it.effect("release after complete does not reopen the key; complete twice is refused", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const k = key("release-after-complete")
        const claimed = yield* store.claim(k, fingerprintA, long)
        if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
        assert.isTrue(yield* store.complete(k, claimed.token, long))
        assert.isFalse(yield* store.release(k, claimed.token))
        assert.isFalse(yield* store.complete(k, claimed.token, long))
        assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "Completed")
      }))

    it.effect("keys are independent, and unusual keys round-trip", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const base = key("keys")
        const keys = [
          `${base}:a`,
          `${base}:b`,
          `${base}:unicode:订单审核:✓`,
          `${base}:spaces and 'quotes' "double" {braces} %s`,
          `${base}:${"x".repeat(500)}`
        ]
        const tokens = new Set<string>()
        for (const k of keys) {
          const claimed = yield* store.claim(k, fingerprintA, long)
          if (claimed._tag !== "Claimed") return assert.fail(`expected Claimed for ${k.slice(0, 60)}`)
          tokens.add(claimed.token)
        }
        assert.strictEqual(tokens.size, keys.length)
        const first = keys[0]!
        assert.strictEqual((yield* store.claim(first, fingerprintA, long))._tag, "InFlight")
        for (const k of keys.slice(1)) assert.strictEqual((yield* store.claim(k, fingerprintA, long))._tag, "InFlight")
      }))

    it.effect("concurrent completions of many keys are all recorded", () =>
      Effect.gen(function*() {
        const store = yield* IdempotencyStore.IdempotencyStore
        const keys = Array.from({ length: 100 }, (_, i) => key(`bulk-${i}`))
        yield* Effect.forEach(keys, (k) =>
          Effect.gen(function*() {
            const claimed = yield* store.claim(k, fingerprintA, long)
            if (claimed._tag !== "Claimed") return yield* Effect.die(new Error("expected Claimed"))
            const done = yield* store.complete(k, claimed.token, long)
            if (!done) return yield* Effect.die(new Error("complete refused"))
          }), { concurrency: 20, discard: true })
        const results = yield* Effect.forEach(keys, (k) => store.claim(k, fingerprintA, long), { concurrency: 20 })
        assert.isTrue(results.every((r) => r._tag === "Completed"))
      }))
  })
}
