/**
 * OpenTelemetry for a hookline receiver, with `@effect/opentelemetry` (`NodeSdk.layer`): merged into
 * the layer given to the adapter, it installs a tracer (so every delivery is a `hookline.delivery`
 * span with a child span per stage) and hands Effect's metrics — `hookline_deliveries_total` and
 * `hookline_delivery_duration_seconds` — to an OpenTelemetry metric reader. Which processor and
 * reader is the app's choice: OTLP over HTTP in `server.ts`, in-memory exporters in the test.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type * as Resource from "@effect/opentelemetry/Resource"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type * as Layer from "effect/Layer"

/** Where spans and metrics go. */
export interface Exporters {
  readonly spanProcessor: SpanProcessor
  readonly metricReader: MetricReader
}

/**
 * The telemetry layer: a tracer and a metric producer for `exporters`, under the service name
 * `serviceName`. When the adapter's runtime is disposed (shutdown), the span processor and the metric
 * reader are flushed and shut down (at most 3 s).
 */
export const layer = (options: Exporters & { readonly serviceName: string }): Layer.Layer<Resource.Resource> =>
  NodeSdk.layer(() => ({
    resource: { serviceName: options.serviceName },
    spanProcessor: options.spanProcessor,
    metricReader: options.metricReader,
    // Cumulative sums and histograms, as Prometheus (and most OTLP backends) expect.
    metricTemporality: "cumulative"
  }))

/**
 * OTLP over HTTP (JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4318`; the
 * exporters read the standard `OTEL_EXPORTER_OTLP_*` variables themselves): spans in batches,
 * metrics every `metricIntervalMillis`.
 */
export const otlp = (metricIntervalMillis: number): Exporters => ({
  spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
  metricReader: new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter(),
    exportIntervalMillis: metricIntervalMillis
  })
})
