/**
 * The Fetch-API adapter: `toWebHandler(endpoint, layer)` returns `(request: Request) =>
 * Promise<Response>` for Hono, Next.js route handlers, Bun, Deno and anything speaking `Request` /
 * `Response`.
 *
 * The handler reads the exact body bytes from the `Request` itself, stopping at the body limit. If
 * the body was already read (a middleware called `c.req.json()` / `request.json()` first), it answers
 * with a clear `BodyUnavailable` failure (500) naming the fix instead of a false signature failure.
 *
 * ```ts
 * import { toWebHandler } from "@hookline/core/web"
 *
 * const handle = toWebHandler(handler, MemoryStore.layer())
 * app.post("/webhooks/igv", (c) => handle(c.req.raw)) // Hono
 * ```
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import type * as Ack from "./Ack.ts"
import { BodyUnavailable } from "./DeliveryError.ts"
import type { IdempotencyStore } from "./IdempotencyStore.ts"
import * as Runtime from "./internal/Runtime.ts"
import { execute, parseLength, plan, tooLarge } from "./internal/serve.ts"
import * as RawDelivery from "./RawDelivery.ts"
import * as Routes from "./Routes.ts"

/**
 * Options of the adapter's runtime (`shutdownTimeout`).
 *
 * @since 0.1.0
 * @category models
 */
export type RuntimeOptions = Runtime.RuntimeOptions

/**
 * A Fetch-API handler that can be disposed (graceful shutdown).
 *
 * @since 0.1.0
 * @category models
 */
export interface WebHandler {
  (request: Request): Promise<Response>
  /**
   * Starts now instead of at the first request: connects the store and reads every handler's
   * configuration. Rejects with the typed error (`Misconfigured`, `StoreUnavailable`).
   */
  readonly start: () => Promise<void>
  /**
   * Graceful shutdown, within the `shutdownTimeout` (default 30 s): requests in progress, then
   * background handlers (their completions are recorded), then the store is closed.
   */
  readonly dispose: () => Promise<void>
}

const toResponse = (ack: Ack.Ack): Response => new Response(ack.body, { status: ack.status, headers: ack.headers })

// Reads the body up to `limit` bytes; `undefined` when it is larger (reading stops there).
const readLimited = async (request: Request, limit: number): Promise<Uint8Array | undefined> => {
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.length
  }
  return body
}

const bodyUsed = new BodyUnavailable({
  message: "The request body was already read (c.req.json(), request.json(), a validator middleware…), so the " +
    "exact bytes the platform signed are gone. Pass the untouched request to the hookline handler (Hono: " +
    "c.req.raw, before any body read), or a request.clone() taken before the body was read."
})

/**
 * Creates the handler. The runtime is built from `layer` once, at the first request.
 *
 * @since 0.1.0
 * @category adapters
 */
export const toWebHandler = <R, E>(
  endpoint: Routes.Endpoint<R>,
  layer: Layer.Layer<R | IdempotencyStore, E>,
  options?: RuntimeOptions
): WebHandler => {
  const runtime = Runtime.make(layer, { ...options, check: Routes.validate(endpoint) })
  const handle = async (request: Request): Promise<Response> => {
    const step = plan(endpoint, request.method, request.url, parseLength(request.headers.get("content-length")))
    if (step._tag === "Respond") return toResponse(await execute(runtime, step.handler, step.effect))
    const handler = step.handler
    if (request.bodyUsed) return toResponse(await execute(runtime, handler, handler.refuse(bodyUsed)))
    const body = await readLimited(request, handler.settings.bodyLimit).catch(() => null)
    if (body === null) return new Response(null, { status: 400 })
    if (body === undefined) return toResponse(await execute(runtime, handler, tooLarge(handler)))
    const raw = RawDelivery.make({ method: request.method, url: request.url, headers: request.headers, body })
    return toResponse(await execute(runtime, handler, handler.run(raw)))
  }
  return Object.assign(handle, { start: runtime.start, dispose: runtime.dispose })
}
