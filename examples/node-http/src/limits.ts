/**
 * The limits a webhook receiver's own HTTP server must set, shared by every example that owns a
 * Node server. hookline bounds what it reads per request (the provider's body limit, 1 MiB by
 * default) but not how long a client may take to send it, nor how many clients may do so at once:
 * Node's defaults (5 min to receive a request, checked every 30 s; no connection cap) let 150 slow
 * 1 MiB uploads hold about 100 MB for as long as their senders like. See docs/mounting.md, "What
 * your server must set".
 *
 *   HOOKLINE_REQUEST_TIMEOUT_MS     whole request (headers + body), default 10000
 *   HOOKLINE_HEADERS_TIMEOUT_MS     headers, default 5000 (at most the request timeout)
 *   HOOKLINE_KEEP_ALIVE_TIMEOUT_MS  idle keep-alive connection, default 5000
 *   HOOKLINE_MAX_CONNECTIONS        open connections, default 128
 */
import * as Config from "effect/Config"
import * as Schema from "effect/Schema"
import type * as http from "node:http"
import type * as net from "node:net"

/** The server limits, in milliseconds and connections. */
export interface ServerLimits {
  /**
   * Receiving a whole request, headers and body. A platform sends a webhook of at most a few hundred
   * KB from a data centre in well under a second, and gives up on its own after 5–30 s (GoldenPay:
   * 5 s); a sender still uploading after 10 s is broken or hostile. Default 10 s.
   */
  readonly requestTimeout: number
  /** Receiving the headers (slowloris). Default 5 s, never above `requestTimeout` (Node requires it). */
  readonly headersTimeout: number
  /**
   * An idle keep-alive connection between requests. Node's default, 5 s; behind a load balancer,
   * set it above the balancer's idle timeout (AWS ALB: 60 s), or the balancer reuses a connection
   * the server is closing and answers 502.
   */
  readonly keepAliveTimeout: number
  /**
   * Open connections; further ones are closed on accept. Bounds the memory slow senders can hold:
   * at most this many bodies of up to the body limit (128 × 1 MiB), each for at most
   * `requestTimeout`. A platform delivers with a handful of parallel connections, so 128 leaves
   * room for bursts and retries. Default 128.
   */
  readonly maxConnections: number
}

/** The defaults (see each field). */
export const defaultLimits: ServerLimits = {
  requestTimeout: 10_000,
  headersTimeout: 5_000,
  keepAliveTimeout: 5_000,
  maxConnections: 128
}

const positiveInt = (name: string) => Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name)

/** The limits from `HOOKLINE_REQUEST_TIMEOUT_MS`, `…_HEADERS_…`, `…_KEEP_ALIVE_…`, `HOOKLINE_MAX_CONNECTIONS`. */
export const limitsConfig: Config.Config<ServerLimits> = Config.all({
  requestTimeout: positiveInt("HOOKLINE_REQUEST_TIMEOUT_MS").pipe(Config.withDefault(defaultLimits.requestTimeout)),
  headersTimeout: Config.option(positiveInt("HOOKLINE_HEADERS_TIMEOUT_MS")),
  keepAliveTimeout: positiveInt("HOOKLINE_KEEP_ALIVE_TIMEOUT_MS").pipe(
    Config.withDefault(defaultLimits.keepAliveTimeout)
  ),
  maxConnections: positiveInt("HOOKLINE_MAX_CONNECTIONS").pipe(Config.withDefault(defaultLimits.maxConnections))
}).pipe(Config.map(({ headersTimeout, ...limits }) => ({
  ...limits,
  // Unset, it follows a shorter request timeout down (a test's 1 s request timeout needs no second variable).
  headersTimeout: headersTimeout._tag === "Some"
    ? headersTimeout.value
    : Math.min(defaultLimits.headersTimeout, limits.requestTimeout)
})))

/** Why a set of limits cannot be used (Node throws on a headers timeout above the request timeout). */
export const limitsProblem = (limits: ServerLimits): string | undefined =>
  limits.headersTimeout > limits.requestTimeout
    ? `HOOKLINE_HEADERS_TIMEOUT_MS (${limits.headersTimeout}) must not exceed HOOKLINE_REQUEST_TIMEOUT_MS ` +
      `(${limits.requestTimeout})`
    : undefined

/**
 * The `node:http` server options carrying the timeouts (`http.createServer(options, listener)`,
 * Hono's `serverOptions`, Fastify's `http`). Node enforces the request and headers timeouts on a
 * timer (`connectionsCheckingInterval`, 30 s by default, so a 10 s timeout could fire after 40 s):
 * checking every second, or more often for shorter timeouts, keeps them close to their value.
 */
export const serverOptions = (limits: ServerLimits): http.ServerOptions => ({
  requestTimeout: limits.requestTimeout,
  headersTimeout: limits.headersTimeout,
  keepAliveTimeout: limits.keepAliveTimeout,
  connectionsCheckingInterval: Math.max(
    10,
    Math.min(1_000, Math.floor(Math.min(limits.requestTimeout, limits.headersTimeout) / 10))
  )
})

/** Sets the connection cap, a property of the server rather than an option: `capConnections(server, limits)`. */
export const capConnections = <S extends net.Server>(server: S, limits: ServerLimits): S => {
  server.maxConnections = limits.maxConnections
  return server
}
