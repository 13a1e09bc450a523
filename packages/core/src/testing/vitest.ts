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
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import * as DeadLetterStore from "../DeadLetterStore.ts"
import * as IdempotencyStore from "../IdempotencyStore.ts"
import type { RawDelivery } from "../RawDelivery.ts"

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

/**
 * Options of {@link deadLetterConformance}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface DeadLetterConformanceOptions {
  /**
   * How time passes for the store: `"clock"` (default; the suite moves `TestClock`) or `"live"`
   * (real time, e.g. Redis TTLs; the retention test waits for a short retention to pass).
   */
  readonly time?: "clock" | "live" | undefined
  /** Retention of the store the retention test builds in `"live"` mode. Default 500 ms. */
  readonly liveRetention?: Duration.Input | undefined
  /** Timeout of each test. Default 30 seconds. */
  readonly timeout?: Duration.Input | undefined
}

/**
 * Registers the conformance suite for a `DeadLetterStore`: exact request bytes and headers kept
 * (credential headers dropped), attempts counted atomically under concurrency, resolve and reopen,
 * `list` filters and order, `purge`, and retention. `makeLayer` builds the store with the given
 * retention (the suite uses a long one, and a short one for the retention test).
 *
 * @since 0.1.0
 * @category testing
 */
export const deadLetterConformance = <E>(
  name: string,
  makeLayer: (retention: Duration.Duration) => Layer.Layer<DeadLetterStore.DeadLetterStore, E>,
  options?: DeadLetterConformanceOptions
): void => {
  const live = options?.time === "live"
  const timeout = options?.timeout ?? Duration.seconds(30)
  const shortRetention = live
    ? Duration.fromInputUnsafe(options?.liveRetention ?? Duration.millis(500))
    : Duration.hours(1)
  // Keys and providers unique to this run: a shared backend may hold other runs' entries.
  const run = crypto.randomUUID().slice(0, 8)
  const provider = (label: string) => `conformance-${label}-${run}`
  const key = (label: string) => `${provider(label)}:${crypto.randomUUID()}`
  const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i)
  const delivery = (body: Uint8Array = everyByte, extra: Record<string, string> = {}): RawDelivery => ({
    method: "POST",
    url: "/hooks/acme?attempt=1",
    headers: { "content-type": "application/json", "x-signature": "sha256=abc", ...extra },
    body
  })
  const reason = { tag: "HandlerFailed", message: "The handler failed: database is down" }
  const attempt = (k: string, at: number, more?: Partial<DeadLetterStore.FailedAttempt>) => ({
    key: k,
    provider: k.slice(0, k.indexOf(":")),
    delivery: delivery(),
    receivedAt: at - 5,
    reason,
    at,
    ...more
  })
  const now = Clock.currentTimeMillis

  it.live(`${name}: the dead-letter store's layer builds (is the backend reachable?)`, () =>
    Effect.scoped(Layer.build(makeLayer(Duration.hours(1)))).pipe(
      Effect.timeout(timeout),
      Effect.exit,
      Effect.map((exit) => {
        if (exit._tag === "Failure") assert.fail(`${name} layer failed to build: ${Cause.pretty(exit.cause)}`)
      })
    ))

  effectLayer(makeLayer(Duration.hours(1)), { excludeTestServices: live, timeout })(
    `${name} (DeadLetterStore conformance)`,
    (it) => {
      it.effect("keeps the exact request: every byte value, headers, method and URL; no credential headers", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("exact")
          const at = yield* now
          const sent = delivery(everyByte, { authorization: "Bearer app-secret", cookie: "session=1" })
          yield* store.record(attempt(k, at, { delivery: sent }))
          const entry = yield* store.get(k)
          if (entry === undefined) return assert.fail("the entry was not kept")
          assert.deepStrictEqual(Array.from(entry.delivery.body), Array.from(everyByte))
          assert.deepStrictEqual(entry.delivery.headers, {
            "content-type": "application/json",
            "x-signature": "sha256=abc"
          })
          assert.strictEqual(entry.delivery.method, "POST")
          assert.strictEqual(entry.delivery.url, "/hooks/acme?attempt=1")
          assert.strictEqual(entry.provider, provider("exact"))
          assert.strictEqual(entry.receivedAt, at - 5)
          assert.deepStrictEqual(entry.reason, reason)
          assert.strictEqual(entry.attempts, 1)
          assert.strictEqual(entry.firstFailedAt, at)
          assert.strictEqual(entry.lastFailedAt, at)
          assert.isUndefined(entry.resolvedAt)
        }))

      it.effect("an empty body is kept as empty; an unknown key is undefined", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("empty")
          yield* store.record(attempt(k, yield* now, { delivery: delivery(new Uint8Array(0)) }))
          assert.strictEqual((yield* store.get(k))?.delivery.body.length, 0)
          assert.isUndefined(yield* store.get(key("missing")))
        }))

      it.effect("a second failure counts an attempt, keeps the first time and takes the last request", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("again")
          const at = yield* now
          yield* store.record(attempt(k, at))
          const later = delivery(new TextEncoder().encode("{\"retry\":2}"))
          const timedOut = { tag: "TimedOut", message: "The handler did not finish" }
          yield* store.record(attempt(k, at + 60_000, { delivery: later, receivedAt: at + 59_000, reason: timedOut }))
          const entry = yield* store.get(k)
          if (entry === undefined) return assert.fail("the entry was not kept")
          assert.strictEqual(entry.attempts, 2)
          assert.strictEqual(entry.firstFailedAt, at)
          assert.strictEqual(entry.lastFailedAt, at + 60_000)
          assert.strictEqual(entry.receivedAt, at + 59_000)
          assert.strictEqual(new TextDecoder().decode(entry.delivery.body), "{\"retry\":2}")
          assert.deepStrictEqual(entry.reason, timedOut)
        }))

      it.effect("50 concurrent failures of one key count 50 attempts", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("concurrent")
          const at = yield* now
          yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) => store.record(attempt(k, at + i)), {
            concurrency: 50,
            discard: true
          })
          const entry = yield* store.get(k)
          assert.strictEqual(entry?.attempts, 50)
          assert.strictEqual(entry?.firstFailedAt !== undefined && entry.firstFailedAt <= entry.lastFailedAt, true)
        }))

      it.effect("resolve marks an open entry once; a new failure opens it again", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("resolve")
          const at = yield* now
          yield* store.record(attempt(k, at))
          assert.isTrue(yield* store.resolve(k, at + 10))
          assert.isFalse(yield* store.resolve(k, at + 20))
          assert.strictEqual((yield* store.get(k))?.resolvedAt, at + 10)
          assert.isFalse(yield* store.resolve(key("never-failed"), at))
          assert.isUndefined(yield* store.get(key("never-failed")))
          yield* store.record(attempt(k, at + 30))
          const reopened = yield* store.get(k)
          assert.isUndefined(reopened?.resolvedAt)
          assert.strictEqual(reopened?.attempts, 2)
        }))

      it.effect("list filters by provider, time and status, newest failure first, up to the limit", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const at = yield* now
          const mine = provider("list")
          const keys = [0, 1, 2, 3].map((i) => `${mine}:${i}-${crypto.randomUUID()}`)
          for (const [i, k] of keys.entries()) yield* store.record(attempt(k, at + i * 1000))
          yield* store.record(attempt(key("list-other"), at + 500))
          assert.isTrue(yield* store.resolve(keys[1]!, at + 5000))
          const all = yield* store.list({ provider: mine })
          assert.deepStrictEqual(all.map((e) => e.key), [...keys].reverse())
          const open = yield* store.list({ provider: mine, status: "open" })
          assert.deepStrictEqual(open.map((e) => e.key), [keys[3], keys[2], keys[0]])
          const resolved = yield* store.list({ provider: mine, status: "resolved" })
          assert.deepStrictEqual(resolved.map((e) => e.key), [keys[1]])
          const since = yield* store.list({ provider: mine, since: at + 2000 })
          assert.deepStrictEqual(since.map((e) => e.key), [keys[3], keys[2]])
          const before = yield* store.list({ provider: mine, before: at + 2000 })
          assert.deepStrictEqual(before.map((e) => e.key), [keys[1], keys[0]])
          const limited = yield* store.list({ provider: mine, limit: 2 })
          assert.deepStrictEqual(limited.map((e) => e.key), [keys[3], keys[2]])
          const everything = yield* store.list()
          assert.isTrue(keys.every((k) => everything.some((e) => e.key === k)))
        }))

      it.effect("purge deletes one key, or every entry a filter selects, and says how many", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const at = yield* now
          const mine = provider("purge")
          const keys = [0, 1, 2].map((i) => `${mine}:${i}-${crypto.randomUUID()}`)
          for (const [i, k] of keys.entries()) yield* store.record(attempt(k, at + i))
          assert.strictEqual(yield* store.purge(keys[0]!), 1)
          assert.strictEqual(yield* store.purge(keys[0]!), 0)
          assert.isUndefined(yield* store.get(keys[0]!))
          assert.isTrue(yield* store.resolve(keys[1]!, at + 10))
          assert.strictEqual(yield* store.purge({ provider: mine, status: "resolved" }), 1)
          assert.deepStrictEqual((yield* store.list({ provider: mine })).map((e) => e.key), [keys[2]])
          assert.strictEqual(yield* store.purge({ provider: mine }), 1)
          assert.deepStrictEqual(yield* store.list({ provider: mine }), [])
        }))
    }
  )

  effectLayer(makeLayer(shortRetention), { excludeTestServices: live, timeout })(
    `${name} (DeadLetterStore retention)`,
    (it) => {
      it.effect("an entry is forgotten once its retention has passed since its last failure", () =>
        Effect.gen(function*() {
          const store = yield* DeadLetterStore.DeadLetterStore
          const k = key("retention")
          yield* store.record(attempt(k, yield* now))
          assert.strictEqual((yield* store.get(k))?.attempts, 1)
          const wait = Duration.sum(Duration.times(shortRetention, 1.5), Duration.millis(100))
          yield* live ? Effect.sleep(wait) : TestClock.adjust(wait)
          assert.isUndefined(yield* store.get(k))
          assert.deepStrictEqual(yield* store.list({ provider: provider("retention") }), [])
          yield* store.record(attempt(k, yield* now))
          assert.strictEqual((yield* store.get(k))?.attempts, 1)
        }))
    }
  )
}
