/**
 * The Node.js adapter: `toNodeListener(endpoint, layer)` returns a `(req, res) => void` listener for
 * `node:http` and everything built on it (Express, Koa, Fastify's raw server).
 *
 * The listener reads the exact body bytes itself, stopping at the body limit (413 without buffering
 * the rest). When a framework already buffered the raw body (Express `express.raw()`), it uses
 * `req.body`; frameworks that keep the raw bytes elsewhere (Fastify's `parseAs: "buffer"` parser)
 * hand them over with `listener.deliver(req, res, body)`. When a body parser already consumed the
 * stream (`express.json()`, `@koa/bodyparser`, Fastify's JSON parser), it answers with a clear
 * `BodyUnavailable` failure (500) naming the fix instead of a false signature failure.
 *
 * Routes match the path the request arrived on: `req.originalUrl` when the framework set it (an
 * Express sub-router, `app.use("/api", router)`, strips `/api` from `req.url`), else `req.url`.
 *
 * ```ts
 * import * as http from "node:http"
 * import { toNodeListener } from "@hookline/core/node"
 * import { MemoryStore } from "@hookline/store-memory"
 * declare const handler: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 *
 * const listener = toNodeListener(handler, MemoryStore.layer())
 * await listener.start() // fails fast on a missing secret or a malformed store URL
 * export const server = http.createServer(listener).listen(3000)
 * // on shutdown: server.close(); await listener.dispose()
 * ```
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import type * as http from "node:http"
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
 * A `node:http` request listener that can be disposed (graceful shutdown).
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeListener {
  (req: http.IncomingMessage, res: http.ServerResponse): void
  /**
   * Serves a request whose exact body bytes a framework already buffered: Fastify's
   * `addContentTypeParser("*", { parseAs: "buffer" }, …)` body, a raw-body middleware's buffer. The
   * bytes must be the ones received, never a re-serialised parse result. The body limit applies.
   */
  readonly deliver: (req: http.IncomingMessage, res: http.ServerResponse, body: Uint8Array) => void
  /**
   * Starts now instead of at the first request: connects the store and reads every handler's
   * configuration. Rejects with the typed error — `Misconfigured` (a missing secret, a malformed store
   * URL), `StoreUnavailable` — so a receiver can refuse to start: `await listener.start()` before
   * `server.listen(…)`.
   */
  readonly start: () => Promise<void>
  /**
   * Graceful shutdown, within the `shutdownTimeout` (default 30 s): waits for requests in progress,
   * then for handlers running in the background (their completions are recorded), then closes the
   * store. Call it after `server.close()`.
   */
  readonly dispose: () => Promise<void>
}

// A body left unread (refused before reading, cut off at the limit) must not be parsed as the next
// request on the connection: such answers close it.
const write = (req: http.IncomingMessage, res: http.ServerResponse, ack: Ack.Ack | undefined): void => {
  if (ack === undefined || res.headersSent) return
  res.writeHead(ack.status, req.readableEnded ? ack.headers : { ...ack.headers, connection: "close" })
  res.end(ack.body)
}

// What a framework may have left on the request: `req.body` (Express, Koa's raw-body users),
// body-parser's `req._body` flag, set when a parser consumed the stream, and the URL before a router
// rewrote it (Express and Connect set `req.originalUrl`).
interface FrameworkRequest {
  readonly body?: unknown
  readonly _body?: unknown
  readonly originalUrl?: unknown
}

// An Express sub-router (`app.use("/api", router)`) strips its mount path from `req.url`; routes are
// keyed by the path the request arrived on, which `originalUrl` keeps.
const urlOf = (req: http.IncomingMessage & FrameworkRequest): string =>
  typeof req.originalUrl === "string" ? req.originalUrl : req.url ?? "/"

const rawBodyOf = (req: http.IncomingMessage & FrameworkRequest): Uint8Array | undefined =>
  req.body instanceof Uint8Array ? req.body : undefined

const bodyConsumed = (req: http.IncomingMessage & FrameworkRequest): boolean => req.readableEnded || req._body === true

const consumed = new BodyUnavailable({
  message: "The request body was already consumed by a body parser (express.json(), @koa/bodyparser, Fastify's " +
    "JSON parser…), so the exact bytes the platform signed are gone. Mount the hookline listener before any body " +
    "parser, or hand it the raw bytes: express.raw({ type: \"*/*\" }) on its route (Express), a parseAs: " +
    "\"buffer\" content-type parser and listener.deliver(request.raw, reply.raw, request.body) (Fastify)."
})

// Reads the body under the limit and calls `done` once: with its bytes at the end, "TooLarge" at the
// chunk that passes the limit, or "Unreadable" when the client went away mid-body.
const read = (req: http.IncomingMessage, res: http.ServerResponse, limit: number, done: (read: Body.Read) => void) => {
  const body = Body.chunks(limit)
  let settled = false
  const settle = (read: Body.Read) => {
    if (settled) return
    settled = true
    done(read)
  }
  const onData = (chunk: Buffer) => {
    if (body.add(chunk)) return
    // Stop reading at the limit; the connection is closed after the 413.
    req.off("data", onData)
    req.pause()
    res.once("finish", () => req.destroy())
    settle("TooLarge")
  }
  req.on("data", onData)
  req.once("end", () => settle(body.bytes()))
  // The client went away mid-body: nobody to answer, nothing was processed.
  req.once("error", () => settle("Unreadable"))
}

/**
 * Creates the listener. The runtime is built from `layer` once, at the first request.
 *
 * @since 0.1.0
 * @category adapters
 */
export const toNodeListener = <R, E>(
  endpoint: Routes.Endpoint<R>,
  layer: Layer.Layer<R | IdempotencyStore, E>,
  options?: RuntimeOptions
): NodeListener => {
  const runtime = Runtime.make(layer, { ...options, check: Routes.validate(endpoint) })
  const serve = (req: http.IncomingMessage, res: http.ServerResponse, buffered: Uint8Array | undefined): void => {
    Serve.answer(runtime, endpoint, {
      method: req.method ?? "GET",
      url: urlOf(req),
      headers: req.headers,
      contentLength: req.headers["content-length"],
      body: buffered ?? (bodyConsumed(req) ? consumed : (limit, done) => read(req, res, limit, done))
    }, (ack) => write(req, res, ack))
  }
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => serve(req, res, rawBodyOf(req))
  const deliver = (req: http.IncomingMessage, res: http.ServerResponse, body: Uint8Array): void => serve(req, res, body)
  return Object.assign(listener, { deliver, start: runtime.start, dispose: runtime.dispose })
}
