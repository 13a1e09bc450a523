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
import { createCluster, type RedisClusterOptions } from "redis"

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

/** node-redis `createCluster` options, except `rootNodes`. */
export type NodeClusterOptions = Omit<RedisClusterOptions, "rootNodes">

/** A connected node-redis cluster client. */
export type NodeCluster = ReturnType<typeof createCluster>

/**
 * Connects a node-redis cluster client to the cluster that `rootNodes` belong to, in the current
 * scope (closed with it). Every node's client gets hookline's defaults (`disableOfflineQueue: true`,
 * a connect timeout equal to the command timeout unless `cluster.defaults` sets `socket`) and, unless
 * `cluster.defaults` sets a password, the credentials of the first root URL that has some: node-redis
 * uses only `defaults` for the nodes it discovers. `Misconfigured` for a URL that cannot work or no
 * URL at all, `StoreUnavailable` when the cluster cannot be reached within the timeout.
 */
export const connectCluster = (
  rootNodes: ReadonlyArray<string | Redacted.Redacted<string> | Config.Config<string | Redacted.Redacted<string>>>,
  cluster: NodeClusterOptions | undefined,
  timeoutMillis: number
): Effect.Effect<NodeCluster, StoreUnavailable | Misconfigured, Scope.Scope> =>
  Effect.gen(function*() {
    if (rootNodes.length === 0) {
      return yield* Effect.fail(new Misconfigured({ message: "A Redis Cluster needs at least one root node URL" }))
    }
    const urls: Array<string> = []
    for (const url of rootNodes) {
      const resolved = yield* resolveUrl(url)
      yield* checkUrl(resolved)
      urls.push(Redacted.value(resolved))
    }
    const credentials = urls.map((url) => URL.parse(url)).find((url): url is URL => url !== null && url.password !== "")
    const defaults = cluster?.defaults
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        createCluster({
          ...cluster,
          rootNodes: urls.map((url) => ({ url })),
          defaults: {
            disableOfflineQueue: true,
            ...(credentials !== undefined && defaults?.password === undefined
              ? {
                password: decodeURIComponent(credentials.password),
                ...(credentials.username === "" ? {} : { username: decodeURIComponent(credentials.username) })
              }
              : {}),
            ...defaults,
            socket: defaults?.socket ?? { connectTimeout: timeoutMillis }
          }
        })
      ),
      // Closed gracefully (replies still due are waited for, as long as one command may take),
      // then destroyed: a frozen node must not hold up the shutdown.
      (client) =>
        Effect.ensuring(
          Effect.ignoreCause(
            Effect.timeout(Effect.promise(() => client.isOpen ? client.close() : Promise.resolve()), timeoutMillis)
          ),
          Effect.sync(() => {
            if (client.isOpen) client.destroy()
          })
        )
    )
    // node-redis rethrows `error` events that have no listener, which would crash the process on a
    // transient failure; command failures still reach the store as rejected commands.
    const runSync = Effect.runSyncWith(yield* Effect.context<never>())
    client.on("error", (cause: unknown) => {
      runSync(Effect.logWarning(`Redis Cluster client error: ${describe(cause)}`))
    })
    const where = `Cannot connect to the Redis Cluster at ${urls.map(endpoint).join(", ")}`
    const connecting = Effect.tryPromise({
      try: () => client.connect(),
      catch: (error) => new StoreUnavailable({ message: `${where}: ${describe(error)}`, cause: error })
    })
    // Discovery tries the root nodes one after another; the nodes it finds then connect at once.
    const limit = timeoutMillis * (urls.length + 1)
    yield* Number.isFinite(limit)
      ? Effect.timeoutOrElse(connecting, {
        duration: limit,
        orElse: () => Effect.fail(new StoreUnavailable({ message: `${where}: timed out after ${limit} ms` }))
      })
      : connecting
    return client
  })

/**
 * Asks the cluster for its layout again, at most once per `intervalMillis` and one at a time, in the
 * background. node-redis rediscovers only on a `MOVED` or `ASK` reply: after a master died and its
 * replica was promoted, nothing ever answers `MOVED` for its slots (the dead master does not answer
 * at all), so without this every command for them would fail ("The client is offline") until the
 * dead node came back. A failure (the cluster is still electing) is ignored: the next failed command
 * tries again.
 */
const rediscoverer = (cluster: NodeCluster, intervalMillis: number): () => void => {
  let last = -Infinity
  let running = false
  return () => {
    const now = performance.now()
    if (running || now - last < intervalMillis || !cluster.isOpen) return
    last = now
    running = true
    const masters = cluster.masters
    const start = masters[Math.floor(Math.random() * masters.length)]
    // Rediscovery starts from one known node's client and falls back to the root nodes.
    Promise.resolve(start === undefined ? undefined : cluster.nodeClient(start))
      .then((client) => client === undefined ? undefined : cluster._slots.rediscover(client))
      .catch(() => {})
      .finally(() => {
        running = false
      })
  }
}

/**
 * Wraps a cluster's commands so that any failure — except a `NOSCRIPT` reply, which a live master
 * sent — asks for the layout again ({@link rediscoverer}, at most every 250 ms). Every store on a
 * cluster client sends through it: a dead master's slots fail for all of them alike.
 */
export const withRediscovery = (
  cluster: NodeCluster
): <A>(command: Effect.Effect<A, unknown>) => Effect.Effect<A, unknown> => {
  const rediscover = rediscoverer(cluster, 250)
  return (command) =>
    Effect.tapError(command, (error) =>
      Effect.sync(() => {
        if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) rediscover()
      }))
}

/** The failure of a command that {@link timedSend}'s timer gave up on. */
export const commandTimedOut: unique symbol = Symbol("hookline/store-redis/commandTimedOut")

/** Whether `error` is {@link timedSend}'s timeout. */
export const isTimeout = (error: unknown): boolean => error === commandTimedOut

// One command on a node-redis client, bounded by a plain timer (`millis`, infinite for none): the
// timer fails it with `commandTimedOut`, and is cleared when the reply comes or the fiber is
// interrupted.
export const timedSend = (millis: number, send: () => Promise<unknown>): Effect.Effect<unknown, unknown> =>
  Effect.callback<unknown, unknown>((resume) => {
    const timer = Number.isFinite(millis)
      ? setTimeout(() => resume(Effect.fail(commandTimedOut)), millis)
      : undefined
    send().then(
      (reply) => {
        clearTimeout(timer)
        resume(Effect.succeed(reply))
      },
      (error: unknown) => {
        clearTimeout(timer)
        resume(Effect.fail(error))
      }
    )
    return Effect.sync(() => clearTimeout(timer))
  })
