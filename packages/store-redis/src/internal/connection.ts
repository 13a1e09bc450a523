/**
 * What both Redis stores share: error texts without credentials, and the node-redis connection
 * built from a URL given as text, `Redacted` or `Config`.
 *
 * @internal
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { Misconfigured, StoreUnavailable } from "@hookline/core"
import type * as Config from "effect/Config"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

// Error texts from the client or the server never carry the URL's credentials as far as node-redis
// goes, but a custom `Redis` service could echo a connection string: scrub any `scheme://user:pass@`.
export const scrub = (text: string): string => text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@\s/]*@/gi, "$1***@")

export const describe = (error: unknown): string => {
  const cause = error instanceof Redis.RedisError ? error.cause : error
  return scrub(cause instanceof Error ? cause.message : String(cause))
}

export const unavailable = (what: string) => (error: unknown): StoreUnavailable =>
  new StoreUnavailable({ message: `Redis ${what} failed: ${describe(error)}`, cause: error })

export const resolveUrl = (
  url: string | Redacted.Redacted<string> | Config.Config<string | Redacted.Redacted<string>>
): Effect.Effect<Redacted.Redacted<string>, Misconfigured> => {
  if (typeof url === "string") return Effect.succeed(Redacted.make(url))
  if (Redacted.isRedacted(url)) return Effect.succeed(url)
  return Effect.map(
    Effect.mapError(
      url,
      (error) => new Misconfigured({ message: `Cannot read the Redis URL: ${scrub(error.message)}` })
    ),
    (value): Redacted.Redacted<string> => typeof value === "string" ? Redacted.make(value) : value
  )
}

// A URL that cannot work is a configuration error, reported when the store starts, not an outage
// to retry on every delivery. The message never quotes the URL (it may hold a password).
export const checkUrl = (url: Redacted.Redacted<string>): Effect.Effect<void, Misconfigured> => {
  const parsed = URL.parse(Redacted.value(url))
  if (parsed === null) {
    return Effect.fail(new Misconfigured({ message: "The Redis URL is not a URL (expected redis://host:port)" }))
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return Effect.fail(
      new Misconfigured({
        message: `The Redis URL's scheme is ${parsed.protocol.slice(0, 16)} (expected redis: or rediss:)`
      })
    )
  }
  return parsed.hostname === ""
    ? Effect.fail(new Misconfigured({ message: "The Redis URL names no host (expected redis://host:port)" }))
    : Effect.void
}

// Where the server is, without credentials, for error messages.
export const endpoint = (url: string): string => {
  const parsed = URL.parse(url)
  return parsed === null ? "the configured server" : `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

/** node-redis client options, except `url`. */
export type NodeClientOptions = Omit<NonNullable<Parameters<typeof NodeRedis.layer>[0]>, "url">

/**
 * Connects node-redis at `url` in the current scope (closed with it), with hookline's defaults:
 * `disableOfflineQueue: true` and a connect timeout equal to the command timeout (unless `client`
 * sets `socket`). `Misconfigured` for a URL that cannot work, `StoreUnavailable` when Redis cannot
 * be reached.
 */
export const connect = (
  url: string | Redacted.Redacted<string> | Config.Config<string | Redacted.Redacted<string>>,
  client: NodeClientOptions | undefined,
  timeoutMillis: number
): Effect.Effect<Context.Context<Redis.Redis | NodeRedis.NodeRedis>, StoreUnavailable | Misconfigured, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* resolveUrl(url)
    yield* checkUrl(resolved)
    const options: NodeClientOptions = {
      disableOfflineQueue: true,
      ...client,
      socket: client?.socket ?? { connectTimeout: timeoutMillis }
    }
    return yield* Layer.build(NodeRedis.layer({ ...options, url: Redacted.value(resolved) })).pipe(
      Effect.mapError((error) =>
        new StoreUnavailable({
          message: `Cannot connect to Redis at ${endpoint(Redacted.value(resolved))}: ${describe(error)}`,
          cause: error
        })
      )
    )
  })
