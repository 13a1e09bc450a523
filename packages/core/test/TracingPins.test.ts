/**
 * Pins on the pipeline's spans (`WebhookHandler.ts`) that mutation testing showed no other test
 * held: what each stage's span says on the paths other than success (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import {
  DecodeFailed,
  defineHandler,
  Hmac,
  IdempotencyStore,
  MalformedDelivery,
  StoreUnavailable
} from "@hookline/core"
import { Provider } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Tracer from "effect/Tracer"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("tracing-pins-secret")
const provider = Hmac.provider({ secret })
const sign = (body: string) => Hmac.testing.sign({ secret }, { body, id: crypto.randomUUID() })

const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  // Each span's name and its `hookline.outcome`, in the order they started.
  const outcomes = () => spans.map((span) => [span.name, span.attributes.get("hookline.outcome")])
  return { spans, tracer, outcomes }
}

describe("stage spans off the happy path", () => {
  it.effect("on the happy path every stage says ok, the claim Claimed", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      yield* defineHandler(provider, () => Effect.void).run(sign(`{"n":0}`)).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes(), [
        ["hookline.delivery", "Processed"],
        ["hookline.verify", "ok"],
        ["hookline.key", "ok"],
        ["hookline.claim", "Claimed"],
        ["hookline.decode", "ok"],
        ["hookline.handle", "ok"],
        ["hookline.complete", "ok"]
      ])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a delivery interrupted while its claim is pending: the claim span says interrupted", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      const inner = MemoryStore.make()
      const started = yield* Deferred.make<void>()
      const hanging = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({
          ...inner,
          claim: () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
        })
      )
      const fiber = yield* Effect.forkChild(
        defineHandler(provider, () => Effect.void).run(sign(`{"n":7}`)).pipe(
          Effect.provide(hanging),
          Effect.withTracer(tracer)
        )
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(outcomes().find(([name]) => name === "hookline.claim"), ["hookline.claim", "interrupted"])
    }).pipe(Effect.provide(Logs.layer)))

  it.effect("a failing handler: handle failed, the claim released; the delivery Failed(HandlerFailed)", () =>
    Effect.gen(function*() {
      const { outcomes, spans, tracer } = recording()
      const ack = yield* defineHandler(provider, () => Effect.fail("no")).run(sign(`{"n":1}`)).pipe(
        Effect.withTracer(tracer)
      )
      assert.strictEqual(ack.status, 500)
      assert.deepStrictEqual(outcomes(), [
        ["hookline.delivery", "Failed"],
        ["hookline.verify", "ok"],
        ["hookline.key", "ok"],
        ["hookline.claim", "Claimed"],
        ["hookline.decode", "ok"],
        ["hookline.handle", "failed"],
        ["hookline.release", "ok"]
      ])
      for (const span of spans) assert.strictEqual(span.attributes.get("hookline.provider"), "hmac", span.name)
      assert.strictEqual(spans[0]!.attributes.get("hookline.reason"), "HandlerFailed")
      assert.strictEqual(spans[0]!.attributes.get("http.response.status_code"), 500)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a decoder that throws: decode is a defect", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      const throwing = Provider.make({
        name: "throwing",
        verify: provider.verify,
        key: (payload) => payload.id,
        decode: () => Effect.sync(() => JSON.parse("{"))
      })
      yield* defineHandler(throwing, () => Effect.void).run(sign(`{"n":2}`)).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes().find(([name]) => name === "hookline.decode"), ["hookline.decode", "defect"])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a key the provider cannot read: the key span says MalformedDelivery and no claim is made", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      const keyless = Provider.make({
        name: "keyless",
        verify: provider.verify,
        key: () => Result.fail(new MalformedDelivery({ message: "no key" })),
        decode: () => Effect.fail(new DecodeFailed({ message: "never" }))
      })
      yield* defineHandler(keyless, () => Effect.void).run(sign(`{"n":3}`)).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes(), [
        ["hookline.delivery", "Rejected"],
        ["hookline.verify", "ok"],
        ["hookline.key", "MalformedDelivery"]
      ])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a store that is down: the claim span names the failure; in flight elsewhere: InFlight", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      const inner = MemoryStore.make()
      const down = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({
          ...inner,
          claim: () => Effect.fail(new StoreUnavailable({ message: "down" }))
        })
      )
      const handler = defineHandler(provider, () => Effect.void)
      yield* handler.run(sign(`{"n":4}`)).pipe(Effect.provide(down), Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes().at(-1), ["hookline.claim", "StoreUnavailable"])
      const raw = sign(`{"n":5}`)
      const held = yield* IdempotencyStore.IdempotencyStore
      yield* held.claim(`hmac:${raw.headers["x-webhook-id"]}`, "f", Duration.minutes(1))
      yield* handler.run(raw).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes().at(-1), ["hookline.claim", "InFlight"])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a store whose complete dies: the complete span says which failure it became", () =>
    Effect.gen(function*() {
      const { outcomes, tracer } = recording()
      const inner = MemoryStore.make()
      const dying = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({ ...inner, complete: () => Effect.die(new Error("bug")) })
      )
      yield* defineHandler(provider, () => Effect.void).run(sign(`{"n":6}`)).pipe(
        Effect.provide(dying),
        Effect.withTracer(tracer)
      )
      assert.deepStrictEqual(outcomes().slice(-2), [["hookline.complete", "StoreUnavailable"], [
        "hookline.release",
        "ok"
      ]])
    }).pipe(Effect.provide(Logs.layer)))
})
