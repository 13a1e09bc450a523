import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/testing/TestClock"
import * as Tracer from "effect/Tracer"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("tracing-test-secret")
const provider = Hmac.provider({ secret })
const sign = (body: string) => Hmac.testing.sign({ secret }, { body, id: crypto.randomUUID() })

const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

describe("tracing", () => {
  it.effect("with a tracer installed, a delivery is one hookline.delivery span with a child per stage", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      let parentOfHandler: string | undefined
      const handler = defineHandler(provider, () =>
        Effect.map(Effect.currentSpan, (span) => {
          parentOfHandler = span.name
        }))
      const ack = yield* handler.run(sign(`{"n":1}`)).pipe(Effect.withTracer(tracer))
      assert.strictEqual(ack.status, 200)
      const names = spans.map((span) => span.name)
      assert.deepStrictEqual(names, [
        "hookline.delivery",
        "hookline.verify",
        "hookline.key",
        "hookline.claim",
        "hookline.decode",
        "hookline.handle",
        "hookline.complete"
      ])
      const root = spans[0]!
      for (const span of spans.slice(1)) {
        assert.strictEqual(Option.getOrUndefined(span.parent)?.spanId, root.spanId, `${span.name} under the delivery`)
        assert.strictEqual(span.attributes.get("hookline.outcome") !== undefined, true, `${span.name} outcome`)
        assert.strictEqual(span.status._tag, "Ended")
      }
      assert.strictEqual(root.attributes.get("hookline.outcome"), "Processed")
      assert.strictEqual(root.attributes.get("hookline.provider"), "hmac")
      assert.strictEqual(root.attributes.get("http.response.status_code"), 200)
      assert.strictEqual(
        spans.find((span) => span.name === "hookline.claim")!.attributes.get("hookline.outcome"),
        "Claimed"
      )
      assert.strictEqual(parentOfHandler, "hookline.handle")
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a rejected delivery's span says why", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const handler = defineHandler(provider, () => Effect.void)
      const raw = sign(`{"n":2}`)
      const forged = { ...raw, headers: { ...raw.headers, "x-signature": "00".repeat(32) } }
      const ack = yield* handler.run(forged).pipe(Effect.withTracer(tracer))
      assert.strictEqual(ack.status, 401)
      assert.deepStrictEqual(spans.map((span) => span.name), ["hookline.delivery", "hookline.verify"])
      assert.strictEqual(spans[1]!.attributes.get("hookline.outcome"), "SignatureInvalid")
      assert.strictEqual(spans[0]!.attributes.get("hookline.reason"), "SignatureInvalid")
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("without a tracer no spans are made (they would go nowhere) and the handler sees no hookline span", () =>
    Effect.gen(function*() {
      let current: Option.Option<string> = Option.some("unset")
      const handler = defineHandler(provider, () =>
        Effect.map(Effect.option(Effect.currentSpan), (span) => {
          current = Option.map(span, (s) => s.name)
        }))
      const ack = yield* handler.run(sign(`{"n":3}`))
      assert.strictEqual(ack.status, 200)
      assert.isTrue(Option.isNone(current))
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})

describe("lease shorter than the time budget", () => {
  it.effect("the request itself interrupts the handler at the lease, releases the claim, and the retry runs", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Effect.flatMap(Ref.updateAndGet(runs, (n) => n + 1), (n) => n === 1 ? Effect.never : Effect.void),
        { timeBudget: "30 seconds", lease: "2 seconds" }
      )
      const raw = sign(`{"n":4}`)
      const pending = yield* Effect.forkChild(handler.process(raw))
      yield* TestClock.adjust("2 seconds")
      const outcome = yield* Fiber.join(pending)
      assert.strictEqual(outcome._tag, "Failed")
      if (outcome._tag === "Failed") {
        assert.strictEqual(outcome.reason._tag, "TimedOut")
        assert.include(outcome.reason.message, "lease")
      }
      assert.strictEqual((yield* handler.process(raw))._tag, "Processed")
      assert.strictEqual(yield* Ref.get(runs), 2)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})
