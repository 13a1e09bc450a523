import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, Outcome, StoreUnavailable, WebhookHandler } from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import type { Provider } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"
import { withinEffect } from "../../../test-support/Wait.ts"

const secret = Redacted.make("pipeline-test-secret")
const provider = Hmac.provider({ secret })
const sign = (body: unknown, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { body: JSON.stringify(body), id })

const withStore = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, Logs.capturing(MemoryStore.layer()))

// A real memory store whose operations can be made to fail: fault injection for the pipeline's
// reaction to an unavailable store (the Redis and SQL packages test the real outages).
const faultyStore = (fail: { claim?: boolean; complete?: boolean; release?: boolean }) => {
  const store = MemoryStore.make()
  const down = Effect.fail(new StoreUnavailable({ message: "injected outage" }))
  return Logs.capturing(Layer.succeed(
    IdempotencyStore.IdempotencyStore,
    IdempotencyStore.IdempotencyStore.of({
      claim: (...args) => fail.claim ? down : store.claim(...args),
      complete: (...args) => fail.complete ? down : store.complete(...args),
      release: (...args) => fail.release ? down : store.release(...args)
    })
  ))
}

const tagOf = (outcome: Outcome.Outcome) => Outcome.label(outcome)

describe("WebhookHandler pipeline", () => {
  it.effect("processes a valid delivery once; a repeat is a Duplicate", () =>
    withStore(Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
      const raw = sign({ order: 1 })
      const first = yield* handler.process(raw)
      assert.strictEqual(first._tag, "Processed")
      if (first._tag === "Processed") assert.strictEqual(first.key, `hmac:${raw.headers["x-webhook-id"]}`)
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Duplicate")
      assert.strictEqual(yield* Ref.get(runs), 1)
    })))

  it.effect("the handler receives the decoded event and the delivery context", () =>
    withStore(Effect.gen(function*() {
      const seen: Array<unknown> = []
      const handler = defineHandler(provider, (event, context) =>
        Effect.sync(() => seen.push(event, context.key, context.provider)))
      const raw = Hmac.testing.sign({ secret }, { body: `{"id":9007199254740993}`, id: "d-1" })
      yield* handler.process(raw)
      assert.deepStrictEqual(seen, [
        { _tag: "HmacEvent", id: "d-1", payload: { id: 9007199254740993n } },
        "hmac:d-1",
        "hmac"
      ])
    })))

  it.effect("a tampered body is Rejected(SignatureInvalid) and the handler never runs", () =>
    withStore(Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
      const raw = sign({ amount: "100.00" })
      const tampered = { ...raw, body: new TextEncoder().encode(JSON.stringify({ amount: "999.00" })) }
      assert.strictEqual(tagOf(yield* handler.process(tampered)), "Rejected(SignatureInvalid)")
      const unsigned = { ...raw, headers: { ...raw.headers, "x-signature": "" } }
      assert.strictEqual(tagOf(yield* handler.process(unsigned)), "Rejected(SignatureInvalid)")
      assert.strictEqual(yield* Ref.get(runs), 0)
    })))

  it.effect("missing id header → MalformedDelivery; non-JSON body → MalformedDelivery", () =>
    withStore(Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      const raw = sign({ a: 1 })
      const { "x-webhook-id": _, ...headers } = raw.headers
      assert.strictEqual(tagOf(yield* handler.process({ ...raw, headers })), "Rejected(MalformedDelivery)")
      const notJson = Hmac.testing.sign({ secret }, { body: "not json" })
      assert.strictEqual(tagOf(yield* handler.process(notJson)), "Rejected(MalformedDelivery)")
    })))

  it.effect("methods other than POST and bodies over the limit are rejected before verification", () =>
    withStore(Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void, { bodyLimit: 16 })
      assert.strictEqual(tagOf(yield* handler.process({ ...sign({}), method: "GET" })), "Rejected(MethodNotAllowed)")
      assert.strictEqual(tagOf(yield* handler.process(sign({ long: "x".repeat(32) }))), "Rejected(BodyTooLarge)")
    })))

  it.effect("the same key with a different payload after completion is PayloadMismatch", () =>
    withStore(Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      assert.strictEqual(tagOf(yield* handler.process(sign({ v: 1 }, "same-id"))), "Processed")
      assert.strictEqual(tagOf(yield* handler.process(sign({ v: 2 }, "same-id"))), "Rejected(PayloadMismatch)")
      assert.strictEqual(tagOf(yield* handler.process(sign({ v: 1 }, "same-id"))), "Duplicate")
    })))

  it.effect("a concurrent duplicate is InFlight while the first is being handled", () =>
    withStore(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () =>
        Ref.update(runs, (n) => n + 1).pipe(
          Effect.andThen(Deferred.succeed(started, undefined)),
          Effect.andThen(Deferred.await(gate))
        ))
      const raw = sign({ x: 1 })
      const first = yield* Effect.forkChild(handler.process(raw))
      yield* withinEffect(Deferred.await(started), 5000, "the first delivery's handler did not start")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "InFlight")
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(tagOf(yield* Fiber.join(first)), "Processed")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Duplicate")
      assert.strictEqual(yield* Ref.get(runs), 1)
    })))

  it.effect("a failing handler is not acknowledged; the retry is processed exactly once", () =>
    withStore(Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const successes = yield* Ref.make(0)
      const handler = defineHandler(provider, () =>
        Effect.gen(function*() {
          const n = yield* Ref.updateAndGet(attempts, (k) => k + 1)
          if (n === 1) return yield* Effect.fail("database blip" as const)
          yield* Ref.update(successes, (k) => k + 1)
        }))
      const raw = sign({ pay: 1 })
      const failed = yield* handler.process(raw)
      assert.strictEqual(tagOf(failed), "Failed(HandlerFailed)")
      if (failed._tag === "Failed" && failed.reason._tag === "HandlerFailed") {
        assert.strictEqual(failed.reason.error, "database blip")
        assert.isFalse(failed.reason.defect)
      }
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Processed")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Duplicate")
      assert.deepStrictEqual([yield* Ref.get(attempts), yield* Ref.get(successes)], [2, 1])
    })))

  it.effect("a handler defect is HandlerFailed(defect) and releases the claim", () =>
    withStore(Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.die(new Error("bug")))
      const raw = sign({})
      const outcome = yield* handler.process(raw)
      assert.isTrue(outcome._tag === "Failed" && outcome.reason._tag === "HandlerFailed" && outcome.reason.defect)
      // Released, so the retry runs again (and fails again) instead of being InFlight.
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Failed(HandlerFailed)")
    })))

  it.effect("a payload the schema rejects is Failed(DecodeFailed), released, never acknowledged", () =>
    withStore(Effect.gen(function*() {
      const strict = Hmac.provider({
        secret,
        schema: Schema.Struct({ amount: Schema.String })
      })
      const runs = yield* Ref.make(0)
      const handler = defineHandler(strict, () => Ref.update(runs, (n) => n + 1))
      const raw = sign({ amount: 100 })
      const outcome = yield* handler.process(raw)
      assert.strictEqual(tagOf(outcome), "Failed(DecodeFailed)")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Failed(DecodeFailed)")
      assert.strictEqual(yield* Ref.get(runs), 0)
      assert.strictEqual(tagOf(yield* handler.process(sign({ amount: "100" }))), "Processed")
    })))

  it.effect("store unavailable at claim: Failed(StoreUnavailable), handler not run, never acked", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
      const outcome = yield* handler.process(sign({})).pipe(Effect.provide(faultyStore({ claim: true })))
      assert.strictEqual(tagOf(outcome), "Failed(StoreUnavailable)")
      assert.isFalse(Outcome.isAcknowledged(outcome))
      assert.strictEqual(handler.respond(outcome).status, 503)
      assert.strictEqual(yield* Ref.get(runs), 0)
    }))

  // Live clock: `complete` is retried on a real schedule (up to nine tenths of the lease).
  it.live("store unavailable at completion: the handler ran but the delivery is not acknowledged", () =>
    Effect.gen(function*() {
      // Budget longer than the lease's retry window: the request sees the store's failure itself.
      const handler = defineHandler(provider, () => Effect.void, { timeBudget: "1 second", lease: "300 millis" })
      const outcome = yield* handler.process(sign({})).pipe(Effect.provide(faultyStore({ complete: true })))
      assert.strictEqual(tagOf(outcome), "Failed(StoreUnavailable)")
      assert.notStrictEqual(handler.respond(outcome).status, 200)
    }))

  it.live("a store outage longer than the budget but shorter than the lease: completed in the background, handled once", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      // The scenario: a 700 ms outage in live time, past the 200 ms budget, within the 5 s lease.
      const outageEnds = Date.now() + 700
      const recorded = yield* Deferred.make<boolean>()
      const flaky = Logs.capturing(Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({
          ...store,
          complete: (...args) =>
            Date.now() < outageEnds
              ? Effect.fail(new StoreUnavailable({ message: "Redis restarting" }))
              : Effect.tap(store.complete(...args), (done) => Deferred.succeed(recorded, done))
        })
      ))
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1), {
        timeBudget: "200 millis",
        lease: "5 seconds"
      })
      const raw = sign({ outage: true })
      const first = yield* handler.process(raw).pipe(Effect.provide(flaky))
      assert.strictEqual(tagOf(first), "Failed(TimedOut)")
      assert.strictEqual(handler.respond(first).status, 503)
      // The platform retries during the outage: the claim still holds the key.
      assert.strictEqual(tagOf(yield* handler.process(raw).pipe(Effect.provide(flaky))), "InFlight")
      // After the outage the background completion is recorded: the next retry is a Duplicate.
      assert.isTrue(
        yield* withinEffect(Deferred.await(recorded), 5000, "the completion was not retried after the outage"),
        "the store refused the retried completion"
      )
      const later = yield* handler.process(raw).pipe(Effect.provide(flaky))
      assert.strictEqual(tagOf(later), "Duplicate")
      assert.strictEqual(handler.respond(later).status, 200)
      assert.strictEqual(yield* Ref.get(runs), 1)
    }))

  it.live("a completion the store could not record at first is retried: acknowledged, handled once", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      let failures = 3
      const flaky = Logs.capturing(Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({
          ...store,
          complete: (...args) =>
            failures-- > 0 ? Effect.fail(new StoreUnavailable({ message: "blip" })) : store.complete(...args)
        })
      ))
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1), { timeBudget: "2 seconds" })
      const raw = sign({ blip: true })
      assert.strictEqual(tagOf(yield* handler.process(raw).pipe(Effect.provide(flaky))), "Processed")
      assert.strictEqual(tagOf(yield* handler.process(raw).pipe(Effect.provide(flaky))), "Duplicate")
      assert.strictEqual(yield* Ref.get(runs), 1)
      assert.strictEqual(failures, -1)
    }))

  it.effect("time budget: answers TimedOut now, completes in the background, the retry is a Duplicate", () =>
    withStore(Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const runs = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Ref.update(runs, (n) => n + 1).pipe(Effect.andThen(Deferred.await(gate))),
        { timeBudget: "5 seconds" }
      )
      const raw = sign({ slow: true })
      const pending = yield* Effect.forkChild(handler.process(raw))
      yield* TestClock.adjust("5 seconds")
      const outcome = yield* Fiber.join(pending)
      assert.strictEqual(tagOf(outcome), "Failed(TimedOut)")
      assert.notStrictEqual(handler.respond(outcome).status, 200)
      // The platform retries while the handler is still running: not processed twice.
      assert.strictEqual(tagOf(yield* handler.process(raw)), "InFlight")
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Duplicate")
      assert.strictEqual(yield* Ref.get(runs), 1)
    })))

  it.effect("a handler running past its lease is interrupted and released; the retry runs again", () =>
    withStore(Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const interrupted = yield* Deferred.make<void>()
      const handler = defineHandler(
        provider,
        () =>
          Ref.updateAndGet(runs, (n) => n + 1).pipe(
            Effect.flatMap((n) =>
              n === 1
                ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
                : Effect.void
            )
          ),
        { timeBudget: "1 second", lease: "10 seconds" }
      )
      const raw = sign({ stuck: true })
      const pending = yield* Effect.forkChild(handler.process(raw))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(tagOf(yield* Fiber.join(pending)), "Failed(TimedOut)")
      yield* TestClock.adjust("10 seconds")
      yield* withinEffect(Deferred.await(interrupted), 5000, "the handler was not interrupted at its lease")
      assert.strictEqual(tagOf(yield* handler.process(raw)), "Processed")
      assert.strictEqual(yield* Ref.get(runs), 2)
    })))

  it.effect("a record of handlers dispatches each event to the function for its tag", () =>
    withStore(Effect.gen(function*() {
      const Event = Schema.Union([
        Schema.TaggedStruct("Paid", { amount: Schema.String }),
        Schema.TaggedStruct("Refunded", { reason: Schema.String })
      ])
      const seen: Array<string> = []
      const byTag: Provider.Provider<typeof Event.Type, Hmac.Payload> = Hmac.provider({ secret, schema: Event })
      const handler = defineHandler(byTag, {
        Paid: (event) => Effect.sync(() => seen.push(`paid ${event.amount}`)),
        Refunded: (event) => Effect.sync(() => seen.push(`refunded ${event.reason}`))
      })
      const paid = yield* handler.process(sign({ _tag: "Paid", amount: "10.00" }))
      assert.isTrue(paid._tag === "Processed" && paid.eventTag === "Paid")
      yield* handler.process(sign({ _tag: "Refunded", reason: "customer" }))
      assert.deepStrictEqual(seen, ["paid 10.00", "refunded customer"])
    })))

  it.effect("outcomes are counted per provider, outcome and reason", () =>
    withStore(Effect.gen(function*() {
      const name = `metrics-${crypto.randomUUID().slice(0, 8)}`
      const counted = Hmac.provider({ secret, name })
      const handler = defineHandler(counted, () => Effect.void)
      const raw = Hmac.testing.sign({ secret, name }, { body: "{}" })
      yield* handler.run(raw)
      yield* handler.run(raw)
      yield* handler.run({ ...raw, body: new TextEncoder().encode("{\"x\":1}") })
      const count = (outcome: string, reason: string) =>
        Metric.value(Metric.withAttributes(WebhookHandler.deliveries, { provider: name, outcome, reason })).pipe(
          Effect.map((state) => state.count)
        )
      assert.strictEqual(yield* count("Processed", "none"), 1)
      assert.strictEqual(yield* count("Duplicate", "none"), 1)
      assert.strictEqual(yield* count("Rejected", "SignatureInvalid"), 1)
    })))
})
