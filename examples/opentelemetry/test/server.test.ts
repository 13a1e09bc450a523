// `src/server.ts` as a real process exporting over OTLP/HTTP to a collector stand-in on this machine:
// what it sends on shutdown (spans, then the metrics' last export), in the OTLP JSON encoding.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { type ExampleProcess, startExample } from "../../../test-support/ExampleProcess.ts"
import { allProviders, hmacDelivery } from "../../../test-support/MountedExample.ts"
import { eventually } from "../../../test-support/Wait.ts"

const dir = fileURLToPath(new URL("..", import.meta.url))
const traceId = "5e5b0c2b6a3f4e0f9d1c8b7a6f5e4d3c"
const parentSpanId = "1a2b3c4d5e6f7081"

// OTLP/JSON, reduced to what the test reads.
interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: number | string
}
interface OtlpAttribute {
  readonly key: string
  readonly value: OtlpValue
}
interface OtlpSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly attributes: ReadonlyArray<OtlpAttribute>
}
interface OtlpHistogramPoint {
  readonly attributes: ReadonlyArray<OtlpAttribute>
  readonly count: number | string
  readonly explicitBounds: ReadonlyArray<number>
  readonly bucketCounts: ReadonlyArray<number | string>
}
interface OtlpMetric {
  readonly name: string
  readonly histogram?: { readonly dataPoints: ReadonlyArray<OtlpHistogramPoint> }
  readonly sum?: { readonly dataPoints: ReadonlyArray<{ readonly attributes: ReadonlyArray<OtlpAttribute> }> }
}

const attribute = (attributes: ReadonlyArray<OtlpAttribute>, key: string) => {
  const value = attributes.find((a) => a.key === key)?.value
  return value?.stringValue ?? value?.intValue
}

describe("examples/opentelemetry as a real process, exporting over OTLP/HTTP", () => {
  const received: Array<{ readonly path: string; readonly body: unknown }> = []
  const collector = http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString()
      received.push({
        path: request.url ?? "",
        body: request.headers["content-type"]?.includes("json") ? JSON.parse(text) : text
      })
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  let server: ExampleProcess | undefined

  beforeAll(async () => {
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve))
    const port = (collector.address() as AddressInfo).port
    server = await startExample(dir, {
      HMAC_SECRET: allProviders["HMAC_SECRET"]!,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: "hookline-otlp-test"
    })
  })
  afterAll(async () => {
    // Already exited in the test, unless it failed before stopping it.
    await server?.stop()
    await new Promise<void>((resolve) => collector.close(() => resolve()))
  })

  it("a delivery's spans (under its traceparent) and both metrics reach the collector; the event line alone is on stdout", async () => {
    const id = `otlp-${crypto.randomUUID()}`
    const raw = hmacDelivery(id)
    const reply = await server!.send({
      ...raw,
      headers: { ...raw.headers, traceparent: `00-${traceId}-${parentSpanId}-01` }
    })
    assert.strictEqual(reply.status, 200)
    await server!.printed(`hmac:${id}`)
    // SIGTERM: the listener's disposal flushes the span processor and the metric reader.
    const exit = await server!.stop()
    assert.deepStrictEqual(exit, { code: 0, signal: null })
    assert.deepStrictEqual(server!.handled().map((line) => line.key), [`hmac:${id}`])
    assert.strictEqual(server!.stdout().length, 1, "stdout carries the event line and nothing else")

    const traces = await eventually(
      () => received.filter((r) => r.path === "/v1/traces"),
      5000,
      "spans were exported to /v1/traces"
    )
    const spans = traces.flatMap((r) =>
      (r.body as {
        resourceSpans: ReadonlyArray<
          {
            resource: { attributes: ReadonlyArray<OtlpAttribute> }
            scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<OtlpSpan> }>
          }
        >
      }).resourceSpans.flatMap((rs) => {
        assert.strictEqual(attribute(rs.resource.attributes, "service.name"), "hookline-otlp-test")
        return rs.scopeSpans.flatMap((ss) => ss.spans)
      })
    )
    const delivery = spans.find((span) => span.name === "hookline.delivery")
    assert.isDefined(delivery, `spans: ${spans.map((span) => span.name).join(", ")}`)
    assert.strictEqual(delivery!.traceId, traceId)
    assert.strictEqual(delivery!.parentSpanId, parentSpanId)
    assert.strictEqual(attribute(delivery!.attributes, "hookline.outcome"), "Processed")
    assert.strictEqual(attribute(delivery!.attributes, "hookline.provider"), "hmac")
    const stages = spans.filter((span) => span.parentSpanId === delivery!.spanId).map((span) => span.name)
    assert.deepStrictEqual(stages.sort(), [
      "hookline.claim",
      "hookline.complete",
      "hookline.decode",
      "hookline.handle",
      "hookline.key",
      "hookline.verify"
    ])

    const metrics = received.filter((r) => r.path === "/v1/metrics").flatMap((r) =>
      (r.body as {
        resourceMetrics: ReadonlyArray<{ scopeMetrics: ReadonlyArray<{ metrics: ReadonlyArray<OtlpMetric> }> }>
      })
        .resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
    )
    const counter = metrics.find((m) => m.name === "hookline_deliveries_total")
    assert.isDefined(counter, `metrics: ${metrics.map((m) => m.name).join(", ")}`)
    assert.isTrue(
      counter!.sum!.dataPoints.some((p) =>
        attribute(p.attributes, "provider") === "hmac" && attribute(p.attributes, "outcome") === "Processed"
      )
    )
    const histogram = metrics.find((m) => m.name === "hookline_delivery_duration_seconds")
    assert.isDefined(histogram)
    const point = histogram!.histogram!.dataPoints.find((p) => attribute(p.attributes, "outcome") === "Processed")
    assert.strictEqual(Number(point!.count), 1)
    assert.deepStrictEqual(point!.explicitBounds, [
      0.001,
      0.0025,
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ])
    assert.strictEqual(point!.bucketCounts.reduce<number>((sum, n) => sum + Number(n), 0), 1)
  })
})
