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
 * import { MemoryStore } from "@hookline/store-memory"
 * declare const handler: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 * declare const app: { post: (path: string, route: (c: { req: { raw: Request } }) => Promise<Response>) => void }
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
import * as Body from "./internal/body.ts"
import * as Runtime from "./internal/Runtime.ts"
import * as Serve from "./internal/serve.ts"
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

// `undefined`: the body could not be read.
const toResponse = (ack: Ack.Ack | undefined): Response =>
  ack === undefined
    ? new Response(null, { status: 400 })
    : new Response(ack.body, { status: ack.status, headers: ack.headers })

const read = async (stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Body.Read> => {
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const body = Body.chunks(limit)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return body.bytes()
    if (!body.add(value)) {
      await reader.cancel().catch(() => undefined)
      return "TooLarge"
    }
  }
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
  const handle = (request: Request): Promise<Response> =>
    new Promise((resolve, reject) =>
      Serve.answer(runtime, endpoint, {
        method: request.method,
        url: request.url,
        headers: request.headers,
        contentLength: request.headers.get("content-length"),
        body: request.bodyUsed
          ? bodyUsed
          : (limit, done) =>
            void read(request.body, limit).catch((): Body.Read => "Unreadable").then(done).catch(reject)
      }, (ack) => {
        try {
          resolve(toResponse(ack))
        } catch (error) {
          reject(error)
        }
      })
    )
  return Object.assign(handle, { start: runtime.start, dispose: runtime.dispose })
}
