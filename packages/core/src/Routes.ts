/**
 * Serving several handlers on one listener, by path: `route({ "/igv": orders, "/goldenpay":
 * payments })`. Every adapter accepts either a single handler (served on any path) or routes
 * (unknown path → 404; a method the provider does not accept → 405).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Ack from "./Ack.ts"
import { Misconfigured } from "./DeliveryError.ts"
import { isWebhookHandler, type WebhookHandler } from "./WebhookHandler.ts"

const TypeId = "~@hookline/core/Routes" as const

/**
 * Handlers by path.
 *
 * @since 0.1.0
 * @category models
 */
export interface Routes<out R> {
  readonly [TypeId]: typeof TypeId
  readonly handlers: ReadonlyMap<string, WebhookHandler<R>>
}

/**
 * A single handler or routes: what the adapters serve.
 *
 * @since 0.1.0
 * @category models
 */
export type Endpoint<R> = WebhookHandler<R> | Routes<R>

type RoutesContext<T> = { [K in keyof T]: T[K] extends WebhookHandler<infer R> ? R : never }[keyof T]

const normalize = (path: string): string => {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/**
 * Mounts handlers by path (exact match; a trailing slash is ignored). Throws `Misconfigured` when two
 * paths serve handlers of the same provider name: they would share one idempotency-key namespace,
 * so a delivery to one path could be answered as a duplicate of the other's. Give each provider its
 * own `name`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { route } from "@hookline/core"
 * declare const orders: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 * declare const payments: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 *
 * export const routes = route({ "/igv": orders, "/goldenpay": payments })
 * ```
 */
export const route = <const T extends Record<string, WebhookHandler<unknown>>>(
  table: T
): Routes<RoutesContext<T>> => {
  const byName = new Map<string, string>()
  for (const [path, handler] of Object.entries(table)) {
    const other = byName.get(handler.name)
    if (other !== undefined) {
      throw new Misconfigured({
        message: `route: ${other} and ${path} both serve provider "${handler.name}", so they would share one ` +
          `idempotency-key namespace; give one of the providers another name (its \`name\` option)`
      })
    }
    byName.set(handler.name, path)
  }
  return {
    [TypeId]: TypeId,
    // Each handler needs at most the union of all handlers' requirements, which TypeScript cannot
    // prove for `T[keyof T]`; the type test in test/types.test.ts pins the result.
    handlers: new Map(
      Object.entries(table).map(([path, handler]) => [normalize(path), handler as WebhookHandler<RoutesContext<T>>])
    )
  }
}

/**
 * Checks whether a value is `Routes`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRoutes = (u: unknown): u is Routes<unknown> => typeof u === "object" && u !== null && TypeId in u

/**
 * The path of a request URL (`/igv?x=1` → `/igv`, trailing slash removed).
 *
 * @since 0.1.0
 * @category utils
 */
export const pathOf = (url: string): string => {
  const q = url.search(/[?#]/)
  const path = q === -1 ? url : url.slice(0, q)
  // Absolute URLs (web `Request.url`) carry scheme and host.
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(path)
  return normalize(match === null ? path : match[1] ?? "/")
}

/**
 * The handler serving a URL: the single handler itself, or the route matching its path.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = <R>(endpoint: Endpoint<R>, url: string): WebhookHandler<R> | undefined =>
  isWebhookHandler(endpoint) ? endpoint : endpoint.handlers.get(pathOf(url))

/**
 * Reads the configuration of every handler an endpoint serves, reporting every problem at once in
 * one `Misconfigured` (one line per path). The adapters run it when they start.
 *
 * @since 0.1.0
 * @category utils
 */
export const validate = <R>(endpoint: Endpoint<R>): Effect.Effect<void, Misconfigured> => {
  const entries: ReadonlyArray<readonly [string, WebhookHandler<R>]> = isWebhookHandler(endpoint)
    ? [["", endpoint]]
    : Array.from(endpoint.handlers)
  return Effect.flatMap(
    Effect.forEach(
      entries,
      ([path, handler]) =>
        Effect.map(
          Effect.result(handler.validate),
          (result) =>
            Result.isFailure(result) ? `${path === "" ? "" : `${path}: `}${result.failure.message}` : undefined
        )
    ),
    (problems) => {
      const found = problems.filter((problem) => problem !== undefined)
      return found.length === 0 ? Effect.void : Effect.fail(new Misconfigured({ message: found.join("; ") }))
    }
  )
}

/**
 * The answer for a path no route serves.
 *
 * @since 0.1.0
 * @category constants
 */
export const notFound: Ack.Ack = Ack.json(404, { outcome: "NotFound" })
