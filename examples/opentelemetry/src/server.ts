/**
 * The reference receiver with OpenTelemetry: `npm start -w examples/opentelemetry`. The same
 * providers, store, logs and output as examples/node-http (`receiver.ts` there reads the
 * environment), plus spans and metrics exported over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (default `http://localhost:4318`) under `OTEL_SERVICE_NAME` (default `hookline-receiver`), metrics
 * every `OTEL_METRIC_EXPORT_INTERVAL` ms (default 60000). A delivery carrying a W3C `traceparent`
 * header joins the sender's trace.
 */
import { toNodeListener } from "@hookline/core/node"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import { onShutdown, receiverFromEnv, startOrExit } from "../../node-http/src/receiver.ts"
import * as Telemetry from "./telemetry.ts"

const receiver = receiverFromEnv()
const interval = Number(process.env["OTEL_METRIC_EXPORT_INTERVAL"] ?? 60_000)
if (!Number.isSafeInteger(interval) || interval <= 0) {
  process.stderr.write(`hookline: invalid configuration: OTEL_METRIC_EXPORT_INTERVAL must be a positive integer\n`)
  process.exit(2)
}
// The telemetry layer is merged into the adapter's layer: the tracer and the metric producer are in
// the runtime every delivery runs in, and disposing the listener flushes them.
const listener = toNodeListener(
  receiver.routes,
  Layer.merge(
    receiver.layer,
    Telemetry.layer({
      serviceName: process.env["OTEL_SERVICE_NAME"] ?? "hookline-receiver",
      ...Telemetry.otlp(interval)
    })
  )
)
await startOrExit(listener)
const server = receiver.capConnections(http.createServer(receiver.serverOptions, listener))
server.listen(receiver.port, () => receiver.listening("opentelemetry example", server.address()))

// Stop accepting connections, then wait for handlers, flush the telemetry and close the store.
onShutdown(() => server.close(), listener.dispose)
