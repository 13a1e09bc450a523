/**
 * The Effect HTTP adapter: mounts handlers into an Effect `HttpRouter` (`effect/http/HttpRouter`),
 * for applications that already serve HTTP with Effect. The router matches the paths; the
 * idempotency store and the handlers' own services are the routes' request requirements, given the
 * router's way: `HttpRouter.provideRequest(store)` for the webhook routes alone, or provided to the
 * served application (`HttpRouter.serve(app).pipe(Layer.provide(store))`).
 *
 * ```ts
 * import { HttpRouter } from "effect/http"
 * import { route } from "@hookline/core"
 * import { HooklineHttp } from "@hookline/core/http"
 * import { MemoryStore } from "@hookline/store-memory"
 * declare const orders: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 *
 * const Webhooks = HooklineHttp.layer(route({ "/igv": orders })).pipe(HttpRouter.provideRequest(MemoryStore.layer()))
 * export const server = HttpRouter.serve(Webhooks) // .pipe(Layer.provide(NodeHttpServer.layer(…)), Layer.launch)
 * ```
 *
 * @since 0.1.0
 */
import * as ByteSize from "effect/ByteSize"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Layer from "effect/Layer"
import type * as Ack from "./Ack.ts"
import type { Misconfigured } from "./DeliveryError.ts"
import type { IdempotencyStore } from "./IdempotencyStore.ts"
import * as Background from "./internal/Background.ts"
import { refuseUnread, tooLarge } from "./internal/serve.ts"
import * as RawDelivery from "./RawDelivery.ts"
import * as Routes from "./Routes.ts"
import { isWebhookHandler, type WebhookHandler } from "./WebhookHandler.ts"

const toResponse = (ack: Ack.Ack): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(ack.body, {
    status: ack.status,
    headers: ack.headers,
    ...(ack.headers["content-type"] === undefined ? {} : { contentType: ack.headers["content-type"] })
  })

/**
 * Serves the current `HttpServerRequest` with the handler: reads the exact body (stopping at the
 * body limit), runs the pipeline and returns the response. Never fails. Mount it with
 * `HttpRouter.add("*", path, toHttpEffect(handler))` (the provider answers 405 for the methods it
 * does not accept); {@link layer} does that and more.
 *
 * @since 0.1.0
 * @category adapters
 */
export const toHttpEffect = <R>(
  handler: WebhookHandler<R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | R | IdempotencyStore
> => {
  const maxBodySize = ByteSize.bytes(handler.settings.bodyLimit)
  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const refused = refuseUnread(handler, request.method, request.headers["content-length"])
    if (refused !== undefined) return toResponse(yield* refused)
    const body = yield* request.arrayBuffer.pipe(
      Effect.map((buffer) => new Uint8Array(buffer)),
      Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBodySize),
      Effect.catchTag("HttpServerError", (error) =>
        Effect.succeed(
          error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
            ? "too-large"
            : "unreadable"
        ))
    )
    if (body === "too-large") return toResponse(yield* tooLarge(handler))
    if (body === "unreadable") return HttpServerResponse.empty({ status: 400 })
    const raw = RawDelivery.make({ method: request.method, url: request.url, headers: request.headers, body })
    return toResponse(yield* handler.run(raw))
  })
}

// `route()` and the `path` option give paths with a leading "/"; the router wants that in the type.
const pathInput = (path: string): HttpRouter.PathInput => `/${path.replace(/^\//, "")}`

/**
 * A layer mounting the endpoint into the application's `HttpRouter`: each route at its path (a
 * single handler at `path`, default `/`), any method. Handlers that outlive their time budget run
 * in a background set that the layer waits for (up to `shutdownTimeout`, default 30 seconds) when
 * the application shuts down. Building the layer reads every handler's configuration and fails
 * with `Misconfigured` when a secret is missing, so the application does not start
 * half-configured. The store and the handlers' services are the routes' request requirements:
 * `HttpRouter.provideRequest(store)`, or provide them to the served application.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R>(
  endpoint: Routes.Endpoint<R>,
  options?: { readonly path?: string | undefined; readonly shutdownTimeout?: Duration.Input | undefined }
): Layer.Layer<
  never,
  Misconfigured,
  HttpRouter.HttpRouter | HttpRouter.Request.From<"Requires", R | IdempotencyStore>
> =>
  HttpRouter.addAll(Effect.gen(function*() {
    // A missing secret fails the application's start, not every delivery.
    yield* Routes.validate(endpoint)
    const background = yield* Background.makeGraceful({ shutdownTimeout: options?.shutdownTimeout })
    const mounts = isWebhookHandler(endpoint) ? [[options?.path ?? "/", endpoint] as const] : endpoint.handlers
    return Array.from(mounts, ([path, handler]) =>
      HttpRouter.route(
        "*",
        pathInput(path),
        toHttpEffect(handler).pipe(Effect.provideService(Background.Background, background))
      ))
  }))

/**
 * Namespace-style access: `HooklineHttp.layer(...)`, `HooklineHttp.toHttpEffect(...)`.
 *
 * @since 0.1.0
 * @category adapters
 */
export const HooklineHttp = { layer, toHttpEffect } as const
