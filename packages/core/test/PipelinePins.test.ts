/**
 * Pins on the pipeline (`WebhookHandler.ts`) that mutation testing showed no other test held: each
 * test here fails when one specific part of the pipeline is changed (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, Outcome, type RawDelivery, StoreUnavailable } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("pipeline-pins-secret")
const provider = Hmac.provider({ secret })
const sign = (body: unknown, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { body: JSON.stringify(body), id })
const label = Outcome.label

/**
 * A real memory store whose claims last an hour longer than the pipeline asks for, and which
 * reports each release. The pipeline's deadline ends before the lease it passed; a store that
 * expired the claim exactly at that lease would hide a missing release. Here only a release can
 * free the key before an hour has passed.
 */
const longLeaseStore = Effect.gen(function*() {
  const store = MemoryStore.make()
  const released = yield* Deferred.make<void>()
  const layer = Logs.capturing(Layer.succeed(
    IdempotencyStore.IdempotencyStore,
    IdempotencyStore.IdempotencyStore.of({
      claim: (key, fingerprint, lease) => store.claim(key, fingerprint, Duration.sum(lease, Duration.hours(1))),
      complete: store.complete,
      release: (key, token) => Effect.tap(store.release(key, token), () => Deferred.succeed(released, undefined))
    })
  ))
  // Waits for the release with a bound: a second of test time (the lease outlives it by an hour).
  const awaitRelease = Effect.gen(function*() {
    const waiting = yield* Effect.forkChild(Effect.timeoutOption(Deferred.await(released), "1 second"))
    yield* TestClock.adjust("1 second")
    const done = yield* Fiber.join(waiting)
    assert.isTrue(Option.isSome(done), "the claim was released when the handler was interrupted at its deadline")
  })
  return { layer, awaitRelease }
})

// A handler stuck on its first run and quick on the next, counting its runs.
const stuckOnce = (runs: Ref.Ref<number>) => () =>
  Effect.flatMap(Ref.updateAndGet(runs, (n) => n + 1), (n) => n === 1 ? Effect.never : Effect.void)

describe("a handler interrupted at the claim's deadline gives the key back at once", () => {
  it.effect("deadline before the time budget ends: the request interrupts it; the retry is processed", () =>
    Effect.gen(function*() {
      const { awaitRelease, layer } = yield* longLeaseStore
      const runs = yield* Ref.make(0)
      // Lease 10 s: the deadline is 9 s (a 1 s margin), before the 30 s budget.
      const handler = defineHandler(provider, stuckOnce(runs), { lease: "10 seconds", timeBudget: "30 seconds" })
      const raw = sign({ order: "deadline-first" })
      yield* Effect.gen(function*() {
        const pending = yield* Effect.forkChild(handler.process(raw))
        yield* TestClock.adjust("9 seconds")
        const outcome = yield* Fiber.join(pending)
        assert.strictEqual(label(outcome), "Failed(TimedOut)")
        yield* awaitRelease
        assert.strictEqual(label(yield* handler.process(raw)), "Processed", "the key could be claimed again")
        assert.strictEqual(yield* Ref.get(runs), 2)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("time budget first: answered retry, then interrupted in the background at the deadline; the retry is processed", () =>
    Effect.gen(function*() {
      const { awaitRelease, layer } = yield* longLeaseStore
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, stuckOnce(runs), { lease: "10 seconds", timeBudget: "2 seconds" })
      const raw = sign({ order: "budget-first" })
      yield* Effect.gen(function*() {
        const pending = yield* Effect.forkChild(handler.process(raw))
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(label(yield* Fiber.join(pending)), "Failed(TimedOut)")
        assert.strictEqual(label(yield* handler.process(raw)), "InFlight", "still held before the deadline")
        yield* TestClock.adjust("7 seconds")
        yield* awaitRelease
        assert.strictEqual(label(yield* handler.process(raw)), "Processed", "the key could be claimed again")
        assert.strictEqual(yield* Ref.get(runs), 2)
      }).pipe(Effect.provide(layer))
    }))
})

describe("the completion a store could not record is retried until just before the deadline", () => {
  // A real memory store whose `complete` always fails, recording when each attempt was made.
  const refusingComplete = Effect.gen(function*() {
    const store = MemoryStore.make()
    const attempts: Array<number> = []
    const layer = Logs.capturing(Layer.succeed(
      IdempotencyStore.IdempotencyStore,
      IdempotencyStore.IdempotencyStore.of({
        ...store,
        complete: () =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            attempts.push(now)
            return Effect.fail(new StoreUnavailable({ message: "injected outage" }))
          })
      })
    ))
    return { attempts, layer }
  })

  it.effect("attempts back off exponentially from 25 ms, at most 1 s apart, the last one at nine tenths of the time left", () =>
    Effect.gen(function*() {
      const { attempts, layer } = yield* refusingComplete
      const runs = yield* Ref.make(0)
      // Lease 10 s: deadline 9 s; the handler ends at once, so the retries may use 0.9 × 9 s = 8.1 s.
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1), {
        lease: "10 seconds",
        timeBudget: "1 minute"
      })
      const raw = sign({ order: "retried" }, "retried")
      yield* Effect.gen(function*() {
        const pending = yield* Effect.forkChild(handler.process(raw))
        yield* TestClock.adjust("9 seconds")
        const outcome = yield* Fiber.join(pending)
        assert.strictEqual(label(outcome), "Failed(StoreUnavailable)")
        // The first attempt, then at once the first retry, then 25, 50, 100, … ms apart, capped at
        // 1 s, and one last attempt exactly at 8.1 s.
        assert.deepStrictEqual(attempts, [
          0,
          0,
          25,
          75,
          175,
          375,
          775,
          1575,
          2575,
          3575,
          4575,
          5575,
          6575,
          7575,
          8100
        ])
        // Given up: the claim was released, so the platform's retry can claim the key at once.
        const store = yield* IdempotencyStore.IdempotencyStore
        assert.strictEqual((yield* store.claim("hmac:retried", "f", Duration.minutes(1)))._tag, "Claimed")
        assert.strictEqual(yield* Ref.get(runs), 1)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("the retry window is measured from when the handler finished", () =>
    Effect.gen(function*() {
      const { attempts, layer } = yield* refusingComplete
      // Lease 2 s: margin 200 ms, deadline 1.8 s; the handler takes 800 ms: 0.9 × 1 s = 900 ms.
      const handler = defineHandler(provider, () => Effect.sleep("800 millis"), {
        lease: "2 seconds",
        timeBudget: "1 minute"
      })
      yield* Effect.gen(function*() {
        const pending = yield* Effect.forkChild(handler.process(sign({ order: "late" })))
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(label(yield* Fiber.join(pending)), "Failed(StoreUnavailable)")
        assert.deepStrictEqual(attempts, [800, 800, 825, 875, 975, 1175, 1575, 1700])
      }).pipe(Effect.provide(layer))
    }))
})
