/**
 * The W3C trace-context `traceparent` header (https://www.w3.org/TR/trace-context/), read strictly:
 * version `00`, a 32-hex trace id and a 16-hex parent id, neither all zeros, and two hex flags, all
 * lower case, nothing else (two `traceparent` headers, joined by `", "`, are invalid too). Anything
 * else is ignored, as the specification asks.
 *
 * The header is not signed by the platform: it only places the delivery's span in a trace. Its
 * sampled flag is not trusted either — the span is sampled as it would be without the header — and
 * `tracestate` is not read.
 *
 * @internal
 */
import * as Tracer from "effect/Tracer"

const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/
const zeroTraceId = "0".repeat(32)
const zeroSpanId = "0".repeat(16)

/** The remote span a valid `traceparent` names, else `undefined`. */
export const parse = (header: string | undefined): Tracer.ExternalSpan | undefined => {
  if (header === undefined || header.length !== 55) return undefined
  const match = pattern.exec(header)
  if (match === null) return undefined
  const traceId = match[1]!
  const spanId = match[2]!
  if (traceId === zeroTraceId || spanId === zeroSpanId) return undefined
  return Tracer.externalSpan({ traceId, spanId, sampled: true })
}
