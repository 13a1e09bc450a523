// The receiver wired with @effect/opentelemetry, exporting to in-memory exporters, driven over real
// HTTP: what an OpenTelemetry backend receives — span names, attributes and parentage (under the
// sender's traceparent), the outcome counter and the latency histogram's buckets.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { WebhookHandler } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { allProviders, hmacDelivery } from "../../../test-support/MountedExample.ts"
import { receiverFromEnv } from "../../node-http/src/receiver.ts"
import * as Telemetry from "../src/telemetry.ts"

const handlerDelayMillis = 300
const traceId = "0af7651916cd43dd8448eb211c80319c"
const parentSpanId = "b7ad6b7169203331"

const spanExporter = new InMemorySpanExporter()
const spanProcessor = new SimpleSpanProcessor(spanExporter)
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
// Exports when the test flushes it, not on a timer.
const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })

const receiver = receiverFromEnv({
  HMAC_SECRET: allProviders["HMAC_SECRET"]!,
  PORT: "0",
  HOOKLINE_HANDLER_DELAY_MS: String(handlerDelayMillis)
})
const listener = toNodeListener(
  receiver.routes,
  Layer.merge(receiver.layer, Telemetry.layer({ serviceName: "hookline-test", spanProcessor, metricReader }))
)
const server = http.createServer(listener)
let url = ""

const post = async (raw: ReturnType<typeof hmacDelivery>, headers: Record<string, string> = {}) => {
  const response = await fetch(`${url}/hmac`, {
    method: "POST",
    headers: { ...raw.headers, ...headers },
    body: Buffer.from(raw.body)
  })
  return { status: response.status, text: await response.text() }
}

const exportedSpans = async (): Promise<ReadonlyArray<ReadableSpan>> => {
  await spanProcessor.forceFlush()
  return spanExporter.getFinishedSpans()
}

const exportedMetrics = async (): Promise<ResourceMetrics> => {
  await metricReader.forceFlush()
  const all = metricExporter.getMetrics()
  assert.isAbove(all.length, 0, "no metrics were exported")
  return all[all.length - 1]!
}

const metric = (resource: ResourceMetrics, name: string) => {
  const found = resource.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name)
  assert.isDefined(found, `metric ${name} not exported`)
  return found!
}

const pointWith = <T>(points: ReadonlyArray<DataPoint<T>>, attributes: Record<string, string>): DataPoint<T> => {
  const found = points.find((point) => Object.entries(attributes).every(([k, v]) => point.attributes[k] === v))
  assert.isDefined(found, `no data point with ${JSON.stringify(attributes)}`)
  return found!
}

const stageNames = [
  "hookline.verify",
  "hookline.key",
  "hookline.claim",
  "hookline.decode",
  "hookline.handle",
  "hookline.complete"
]

beforeAll(async () => {
  await listener.start()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await listener.dispose()
})

describe("examples/opentelemetry", () => {
  const processed = hmacDelivery(`otel-${crypto.randomUUID()}`)
  let spans: ReadonlyArray<ReadableSpan> = []

  beforeAll(async () => {
    const first = await post(processed, { traceparent: `00-${traceId}-${parentSpanId}-01` })
    assert.strictEqual(first.status, 200)
    const forged = hmacDelivery(`otel-${crypto.randomUUID()}`)
    const rejected = await post(forged, { "x-signature": `sha256=${"0".repeat(64)}` })
    assert.strictEqual(rejected.status, 401)
    const again = await post(processed)
    assert.strictEqual(again.status, 200)
    spans = await exportedSpans()
  })

  it("a delivery is one hookline.delivery span with a child span per stage, under the sender's traceparent", () => {
    const inTrace = spans.filter((span) => span.spanContext().traceId === traceId)
    const delivery = inTrace.find((span) => span.name === "hookline.delivery")
    assert.isDefined(delivery)
    assert.deepStrictEqual(
      inTrace.filter((span) => span !== delivery).map((span) => span.name).sort(),
      [...stageNames].sort()
    )
    // The delivery span's parent is the sender's span, in the sender's trace.
    assert.strictEqual(delivery!.parentSpanContext?.spanId, parentSpanId)
    assert.strictEqual(delivery!.parentSpanContext?.traceId, traceId)
    assert.strictEqual(delivery!.parentSpanContext?.isRemote, true)
    for (const stage of inTrace.filter((span) => span !== delivery)) {
      assert.strictEqual(stage.parentSpanContext?.spanId, delivery!.spanContext().spanId, stage.name)
      assert.strictEqual(stage.attributes["hookline.provider"], "hmac", stage.name)
    }
    assert.strictEqual(delivery!.attributes["hookline.provider"], "hmac")
    assert.strictEqual(delivery!.attributes["hookline.outcome"], "Processed")
    assert.strictEqual(delivery!.attributes["hookline.reason"], "none")
    assert.strictEqual(delivery!.attributes["http.response.status_code"], 200)
    const claim = inTrace.find((span) => span.name === "hookline.claim")
    assert.strictEqual(claim!.attributes["hookline.outcome"], "Claimed")
    assert.strictEqual(delivery!.resource.attributes["service.name"], "hookline-test")
  })

  it("a rejected delivery without traceparent is a trace of its own that says why; a duplicate says so too", () => {
    const deliveries = spans.filter((span) => span.name === "hookline.delivery")
    assert.strictEqual(deliveries.length, 3)
    const rejected = deliveries.find((span) => span.attributes["hookline.outcome"] === "Rejected")
    assert.strictEqual(rejected!.attributes["hookline.reason"], "SignatureInvalid")
    assert.strictEqual(rejected!.attributes["http.response.status_code"], 401)
    assert.isUndefined(rejected!.parentSpanContext)
    assert.notStrictEqual(rejected!.spanContext().traceId, traceId)
    const stagesOfRejected = spans.filter((span) =>
      span.spanContext().traceId === rejected!.spanContext().traceId && span !== rejected
    )
    assert.deepStrictEqual(stagesOfRejected.map((span) => span.name), ["hookline.verify"])
    assert.strictEqual(stagesOfRejected[0]!.attributes["hookline.outcome"], "SignatureInvalid")
    const duplicate = deliveries.find((span) => span.attributes["hookline.outcome"] === "Duplicate")
    assert.isDefined(duplicate)
  })

  it("hookline_deliveries_total counts each outcome by provider, outcome and reason", async () => {
    const counter = metric(await exportedMetrics(), "hookline_deliveries_total")
    const points = counter.dataPoints as ReadonlyArray<DataPoint<number>>
    assert.strictEqual(pointWith(points, { provider: "hmac", outcome: "Processed", reason: "none" }).value, 1)
    assert.strictEqual(pointWith(points, { provider: "hmac", outcome: "Duplicate", reason: "none" }).value, 1)
    assert.strictEqual(
      pointWith(points, { provider: "hmac", outcome: "Rejected", reason: "SignatureInvalid" }).value,
      1
    )
  })

  it("hookline_delivery_duration_seconds: the documented buckets, the 300 ms handler in the bucket of its duration", async () => {
    const histogram = metric(await exportedMetrics(), "hookline_delivery_duration_seconds")
    assert.strictEqual(histogram.descriptor.description, WebhookHandler.deliveryDuration.description)
    const points = histogram.dataPoints as ReadonlyArray<DataPoint<Histogram>>
    const bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    for (const point of points.filter((p) => p.attributes["provider"] === "hmac")) {
      assert.deepStrictEqual(point.value.buckets.boundaries, bounds)
      assert.strictEqual(point.value.buckets.counts.length, bounds.length + 1)
      assert.strictEqual(point.attributes["reason"], undefined, "the histogram has no reason attribute")
    }
    const slow = pointWith(points, { provider: "hmac", outcome: "Processed" }).value
    assert.strictEqual(slow.count, 1)
    // The handler slept 300 ms: at least that, so past the 0.25 s bucket — in the bucket its
    // measured duration belongs to.
    assert.isAtLeast(slow.sum!, handlerDelayMillis / 1000)
    const index = slow.buckets.counts.findIndex((count) => count === 1)
    assert.strictEqual(index, bounds.findIndex((bound) => slow.sum! <= bound))
    assert.isAbove(index, bounds.indexOf(0.25))
    // The duplicate and the rejection never reached the handler: one observation each, well below it.
    for (const outcome of ["Duplicate", "Rejected"]) {
      const fast = pointWith(points, { provider: "hmac", outcome }).value
      assert.strictEqual(fast.count, 1, outcome)
      assert.isBelow(fast.sum!, handlerDelayMillis / 1000, outcome)
      assert.strictEqual(
        fast.buckets.counts.findIndex((count) => count === 1),
        bounds.findIndex((bound) => fast.sum! <= bound),
        outcome
      )
    }
  })
})
