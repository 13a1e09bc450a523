/**
 * The Effect HTTP adapter: mounts handlers into an Effect `HttpRouter` (`effect/http/HttpRouter`),
 * for applications that already serve HTTP with Effect. The store and the handlers' requirements
 * come from the application's own layers.
 *
 * ```ts
 * import { HttpRouter } from "effect/http"
 * import { HooklineHttp } from "@hookline/core/http"
 *
 * const Webhooks = HooklineHttp.layer(route({ "/igv": orders }))
 * HttpRouter.serve(Webhooks).pipe(Layer.provide(MemoryStore.layer()), ...)
 * ```
 *
 * @since 0.1.0
 */
import * as ByteSize from "effect/ByteSize"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import type * as Ack from "./Ack.ts"
import type { Misconfigured } from "./DeliveryError.ts"
import type { IdempotencyStore } from "./IdempotencyStore.ts"
import * as Background from "./internal/Background.ts"
import { parseLength, plan, tooLarge } from "./internal/serve.ts"
import * as RawDelivery from "./RawDelivery.ts"
import * as Routes from "./Routes.ts"
import { isWebhookHandler } from "./WebhookHandler.ts"

const toResponse = (ack: Ack.Ack): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(ack.body, {
    status: ack.status,
    headers: ack.headers,
    ...(ack.headers["content-type"] === undefined ? {} : { contentType: ack.headers["content-type"] })
  })

/**
 * Serves the current `HttpServerRequest` with the endpoint: reads the exact body (stopping at the
 * body limit), runs the pipeline and returns the response. Never fails.
 *
 * @since 0.1.0
 * @category adapters
 */
export const toHttpEffect = <R>(
  endpoint: Routes.Endpoint<R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | R | IdempotencyStore
> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const step = plan(endpoint, request.method, request.url, parseLength(request.headers["content-length"]))
    if (step._tag === "Respond") return toResponse(yield* step.effect)
    const handler = step.handler
    const body = yield* request.arrayBuffer.pipe(
      Effect.map((buffer) => new Uint8Array(buffer)),
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(handler.settings.bodyLimit)),
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

/**
 * A layer mounting the endpoint into the application's `HttpRouter`: each route at its path (a
 * single handler at `path`, default `/`), any method (the provider answers 405 for the ones it does
 * not accept). Handlers that outlive their time budget run in a background set that the layer
 * waits for (up to `shutdownTimeout`, default 30 seconds) when the application shuts down. Building
 * the layer reads every handler's configuration and fails with `Misconfigured` when a secret is
 * missing, so the application does not start half-configured.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R>(
  endpoint: Routes.Endpoint<R>,
  options?: { readonly path?: string | undefined; readonly shutdownTimeout?: Duration.Input | undefined }
): Layer.Layer<never, Misconfigured, HttpRouter.HttpRouter | R | IdempotencyStore> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const router = yield* HttpRouter.HttpRouter
    // A missing secret fails the application's start, not every delivery.
    yield* Routes.validate(endpoint)
    const background = yield* Background.makeGraceful({
      shutdownTimeout: options?.shutdownTimeout ?? Duration.seconds(30)
    })
    // Route handlers run in the server's request context; the store and the handlers' own
    // services are the ones provided to this layer, captured here. The request's own context
    // (request, span, references) wins where both have a value.
    const captured = yield* Effect.context<R | IdempotencyStore>()
    const paths = isWebhookHandler(endpoint) ? [options?.path ?? "/"] : Array.from(endpoint.handlers.keys())
    const serve = toHttpEffect(endpoint).pipe(
      Effect.provideService(Background.Background, background),
      Effect.updateContext((current: Context.Context<HttpServerRequest.HttpServerRequest>) =>
        Context.merge(captured, current)
      )
    )
    for (const path of paths) {
      yield* router.add("*", path as HttpRouter.PathInput, serve)
    }
  }))

/**
 * Namespace-style access: `HooklineHttp.layer(...)`, `HooklineHttp.toHttpEffect(...)`.
 *
 * @since 0.1.0
 * @category adapters
 */
export const HooklineHttp = { layer, toHttpEffect } as const
