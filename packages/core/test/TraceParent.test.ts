// An incoming W3C `traceparent` header parents the `hookline.delivery` span when a tracer is
// installed: read strictly (https://www.w3.org/TR/trace-context/#traceparent-header), ignored when
// invalid, never read without a tracer, and trusted for nothing but the span's place in a trace.
import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, type RawDelivery } from "@hookline/core"
import { HooklineHttp } from "@hookline/core/http"
import { listen, type TestServer } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("traceparent-test-secret")
const provider = Hmac.provider({ secret })
const sign = (headers: Record<string, string>) => {
  const raw = Hmac.testing.sign({ secret }, { body: `{"n":1}`, id: crypto.randomUUID() })
  return { ...raw, headers: { ...raw.headers, ...headers } }
}

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

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const spanId = "00f067aa0ba902b7"
const valid = `00-${traceId}-${spanId}-01`

// Runs one delivery with a recording tracer; returns the delivery span and the stages' spans.
const traced = (
  raw: RawDelivery.RawDelivery,
  wrap: <A, R>(effect: Effect.Effect<A, never, R>) => Effect.Effect<A, never, R> = (effect) => effect
) =>
  Effect.gen(function*() {
    const { spans, tracer } = recordingTracer()
    const handler = defineHandler(provider, () => Effect.void)
    const ack = yield* wrap(handler.run(raw)).pipe(Effect.withTracer(tracer))
    assert.strictEqual(ack.status, 200)
    const delivery = spans.find((span) => span.name === "hookline.delivery")!
    return { delivery, stages: spans.filter((span) => span.name.startsWith("hookline.") && span !== delivery) }
  }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer())))

describe("traceparent", () => {
  it.effect("a valid header makes the delivery span a child of the platform's span, in its trace; the stages follow", () =>
    Effect.gen(function*() {
      const { delivery, stages } = yield* traced(sign({ traceparent: valid }))
      const parent = Option.getOrUndefined(delivery.parent)
      assert.strictEqual(parent?._tag, "ExternalSpan")
      assert.strictEqual(parent?.spanId, spanId)
      assert.strictEqual(parent?.traceId, traceId)
      assert.strictEqual(delivery.traceId, traceId)
      assert.strictEqual(stages.length, 6)
      for (const stage of stages) {
        assert.strictEqual(Option.getOrUndefined(stage.parent)?.spanId, delivery.spanId, stage.name)
        assert.strictEqual(stage.traceId, traceId, stage.name)
      }
    }))

  it.effect("the sampled flag is not trusted: a platform's 00 flags do not stop hookline's spans from being sampled", () =>
    Effect.gen(function*() {
      const { delivery, stages } = yield* traced(sign({ traceparent: `00-${traceId}-${spanId}-00` }))
      assert.strictEqual(Option.getOrUndefined(delivery.parent)?.spanId, spanId)
      assert.strictEqual(delivery.sampled, true)
      for (const stage of stages) assert.strictEqual(stage.sampled, true, stage.name)
    }))

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ["an unknown version", `01-${traceId}-${spanId}-01`],
    ["the forbidden version ff", `ff-${traceId}-${spanId}-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${spanId}-01`],
    ["an all-zero parent id", `00-${traceId}-${"0".repeat(16)}-01`],
    ["upper-case hex", `00-${traceId.toUpperCase()}-${spanId}-01`],
    ["a short trace id", `00-${traceId.slice(1)}-${spanId}-01`],
    ["a long parent id", `00-${traceId}-${spanId}0-01`],
    ["non-hex flags", `00-${traceId}-${spanId}-0g`],
    ["a field after the flags", `${valid}-00`],
    ["two traceparent headers (joined)", `${valid}, 00-${"1".repeat(32)}-${"2".repeat(16)}-01`],
    ["another separator", valid.replaceAll("-", "_")],
    ["an empty value", ""]
  ]
  for (const [what, header] of invalid) {
    it.effect(`a header with ${what} is ignored: the delivery span starts its own trace`, () =>
      Effect.gen(function*() {
        const { delivery, stages } = yield* traced(sign({ traceparent: header }))
        assert.isTrue(Option.isNone(delivery.parent), JSON.stringify(header))
        assert.notStrictEqual(delivery.traceId, traceId)
        assert.strictEqual(stages.length, 6)
      }))
  }

  it.effect("a delivery already under a span (an HTTP server's, which read traceparent itself) stays under it", () =>
    Effect.gen(function*() {
      let outer: Tracer.Span | undefined
      const { delivery } = yield* traced(
        sign({ traceparent: valid }),
        (effect) =>
          Effect.withSpan(
            Effect.flatMap(Effect.currentSpan, (span) => {
              outer = span
              return effect
            }).pipe(Effect.orDie),
            "http.server POST"
          )
      )
      assert.strictEqual(Option.getOrUndefined(delivery.parent)?.spanId, outer?.spanId)
    }))

  it.effect("without a tracer the header is never read", () =>
    Effect.gen(function*() {
      let reads = 0
      const raw = sign({})
      const headers = Object.defineProperty({ ...raw.headers }, "traceparent", {
        enumerable: true,
        get: () => {
          reads++
          return valid
        }
      })
      const handler = defineHandler(provider, () => Effect.void)
      const ack = yield* handler.run({ ...raw, headers })
      assert.strictEqual(ack.status, 200)
      assert.strictEqual(reads, 0)
      // The same delivery with a tracer reads it, once.
      const { tracer } = recordingTracer()
      yield* handler.run({
        ...sign({}),
        headers: Object.defineProperty({ ...sign({}).headers }, "traceparent", {
          enumerable: true,
          get: () => {
            reads++
            return valid
          }
        })
      }).pipe(Effect.withTracer(tracer))
      assert.strictEqual(reads, 1)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})

describe("traceparent through HTTP", () => {
  const servers: Array<TestServer> = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })

  it("a tracer in the receiver's layer: the request's traceparent parents its delivery span", async () => {
    const { spans, tracer } = recordingTracer()
    const handler = defineHandler(provider, () => Effect.void)
    const server = await listen(
      handler,
      Logs.capturing(Layer.mergeAll(MemoryStore.layer(), Layer.succeed(Tracer.Tracer, tracer)))
    )
    servers.push(server)
    const response = await server.send(sign({ traceparent: valid }))
    assert.strictEqual(response.status, 200)
    const delivery = spans.find((span) => span.name === "hookline.delivery")
    assert.strictEqual(Option.getOrUndefined(delivery!.parent)?.spanId, spanId)
    assert.strictEqual(delivery!.traceId, traceId)
    assert.strictEqual(delivery!.attributes.get("hookline.outcome"), "Processed")
  })
})

describe("traceparent in an Effect HttpRouter app", () => {
  it("the router's server span takes the traceparent; hookline.delivery stays under the server span", async () => {
    const { spans, tracer } = recordingTracer()
    const app = HooklineHttp.layer(defineHandler(provider, () => Effect.void), { path: "/in" }).pipe(
      HttpRouter.provideRequest(MemoryStore.layer())
    )
    const { dispose, handler } = HttpRouter.toWebHandler(
      Logs.capturing(Layer.merge(app, Layer.succeed(Tracer.Tracer, tracer)))
    )
    try {
      const raw = sign({ traceparent: valid })
      const response = await handler(
        new Request("http://app.test/in", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
      )
      assert.strictEqual(response.status, 200)
      const server = spans.find((span) => span.kind === "server")
      const delivery = spans.find((span) => span.name === "hookline.delivery")
      assert.isDefined(server)
      assert.strictEqual(Option.getOrUndefined(server!.parent)?.spanId, spanId)
      assert.strictEqual(Option.getOrUndefined(delivery!.parent)?.spanId, server!.spanId)
      assert.strictEqual(delivery!.traceId, traceId)
    } finally {
      await dispose()
    }
  })
})
