/**
 * An idempotency store on Redis: exactly-once handling per key across every process and host that
 * shares one Redis. Built on Effect's own `Redis` service (`effect/persistence/Redis`), so it runs on
 * whatever client provides that service; {@link layerNode} provides it with node-redis through
 * `@effect/platform-node/NodeRedis`.
 *
 * ```ts
 * import { toNodeListener } from "@hookline/core/node"
 * import { RedisStore } from "@hookline/store-redis"
 * declare const handler: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 * export const listener = toNodeListener(handler, RedisStore.layerNode({ url: "redis://127.0.0.1:6379" })) // for http.createServer
 * ```
 *
 * Data model: one Redis string per delivery key, `<prefix><key>` → `i:<token>:<fingerprint>` while
 * a holder's claim is in flight, `c:<fingerprint>` once completed. Its TTL is the lease while the
 * key is in flight and the retention once it is completed, so an expired lease is simply a missing
 * key, and completed keys are forgotten by Redis itself: nothing needs a sweeper. A delivery's data
 * is one key, hence one hash slot: {@link layerNodeCluster} runs the store on a Redis Cluster.
 *
 * Each operation is one round trip, atomic on the server. A claim is one native
 * `SET key "i:<token>:<fingerprint>" NX GET PX <lease>` (Redis ≥ 7.0; the old value, if any, says
 * whether the key is completed or in flight). Completing and releasing must check the holder's token
 * first, which no native command does before Redis 8.4: each is one `EVALSHA` of a Lua script,
 * loaded (`SCRIPT LOAD`) when the store is built and again after a `NOSCRIPT` reply (a restarted or
 * flushed server). On a server older than 7.0, which refuses `NX` with `GET`, claims go through the
 * same script.
 *
 * Every Redis error and every timeout is a `StoreUnavailable` failure, so the pipeline answers
 * "retry" and never acknowledges a delivery it could not record.
 *
 * @since 0.1.0
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { IdempotencyStore, type Misconfigured, StoreUnavailable } from "@hookline/core"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import type * as Redacted from "effect/Redacted"
import { createHash } from "node:crypto"
import * as Connection from "./internal/connection.ts"

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, so several applications (or environments) can share one Redis without
   * seeing each other's deliveries. Default `"hookline:"`.
   */
  readonly prefix?: string | undefined
  /**
   * Longest wait for one operation before it fails with `StoreUnavailable`. Default 2 seconds: well
   * under the shortest provider time budget (4 s), so a hanging Redis still lets the pipeline
   * answer "retry" in time.
   */
  readonly commandTimeout?: Duration.Input | undefined
}

/**
 * The default key prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPrefix = "hookline:"

/**
 * The default command timeout.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultCommandTimeout: Duration.Duration = Duration.seconds(2)

// One script for the three operations, so one `SCRIPT LOAD` warms them all. KEYS[1] is the
// delivery's key; ARGV[1] the operation. A TTL argument of "never" means no expiry (an infinite
// lease or retention). The value is `i:<token>:<fingerprint>` in flight, `c:<fingerprint>` completed
// (tokens are UUIDs: no ":" in them).
//
// claim    ARGV: token, fingerprint, lease ms → {"claimed"} | {"completed", fingerprint} | {"inflight"}
//          (only on servers older than 7.0: newer ones claim with SET NX GET)
// complete ARGV: token, retention ms          → 1 | 0
// release  ARGV: token                        → 1 | 0
//
// Redis expires keys by its own clock, and freezes that clock for the duration of a script, so a
// lease that ran out is a missing key for every operation: a holder whose lease expired can
// neither complete nor release, whether or not someone took the key over.
const lua = `
local key = KEYS[1]
local op = ARGV[1]
local function put(value, ttl)
  if ttl == "never" then
    redis.call("SET", key, value)
  else
    redis.call("SET", key, value, "PX", ttl)
  end
end
local entry = redis.call("GET", key)
if op == "claim" then
  if entry then
    if string.sub(entry, 1, 2) == "c:" then return {"completed", string.sub(entry, 3)} end
    return {"inflight"}
  end
  put("i:" .. ARGV[2] .. ":" .. ARGV[3], ARGV[4])
  return {"claimed"}
end
local token = entry and string.match(entry, "^i:([^:]*):")
if token ~= ARGV[2] then return 0 end
if op == "complete" then
  put("c:" .. string.sub(entry, #token + 4), ARGV[3])
  return 1
end
if op == "release" then
  redis.call("DEL", key)
  return 1
end
return redis.error_reply("hookline: unknown operation")
`

type Operation =
  | readonly [op: "claim", token: string, fingerprint: string, lease: string]
  | readonly [op: "complete", token: string, retain: string]
  | readonly [op: "release", token: string]

// The script's SHA-1, as `SCRIPT LOAD` returns it: `EVALSHA` needs no round trip to learn it.
const sha = createHash("sha1").update(lua).digest("hex")

// What the store needs from a client: send one command and its arguments. `timed` says whether the
// client itself bounds each command by the command timeout (node-redis does, with a timer per
// command); otherwise the store races each command against the timeout, which costs a fiber per
// operation (measured: ~6 µs of CPU per operation, a third of the store's client-side cost).
// `key` is the key the command is about (a Redis Cluster client routes by it); a `SCRIPT LOAD`
// without one is meant for every server.
interface Commands {
  readonly send: (args: ReadonlyArray<string>, key?: string) => Effect.Effect<unknown, unknown>
  readonly timed: boolean
}

// Redis TTLs are whole milliseconds and must be positive; anything below 1 ms is 1 ms.
const ttl = (duration: Duration.Duration): string => {
  const millis = Duration.toMillis(duration)
  return Number.isFinite(millis) ? String(Math.max(1, Math.ceil(millis))) : "never"
}

const unexpected = (what: string, reply: unknown): StoreUnavailable =>
  new StoreUnavailable({
    message: `Redis ${what} returned an unexpected reply: ${Connection.scrub(JSON.stringify(reply) ?? String(reply))}`
  })

// The script's claim reply, for a key that was there.
const decodeScriptClaim = (reply: unknown): IdempotencyStore.ClaimResult | undefined => {
  if (!Array.isArray(reply)) return undefined
  const [tag, fingerprint]: ReadonlyArray<unknown> = reply
  if (tag === "inflight") return IdempotencyStore.InFlight()
  if (tag === "completed" && typeof fingerprint === "string") return IdempotencyStore.Completed({ fingerprint })
  return undefined
}

// The value `SET … NX GET` found, for a key that was there.
const decodeEntry = (entry: unknown): IdempotencyStore.ClaimResult | undefined => {
  if (typeof entry !== "string") return undefined
  if (entry.startsWith("c:")) return IdempotencyStore.Completed({ fingerprint: entry.slice(2) })
  if (entry.startsWith("i:")) return IdempotencyStore.InFlight()
  return undefined
}

const decodeFlag = (reply: unknown): boolean | undefined => reply === 1 ? true : reply === 0 ? false : undefined

// A reply decoded, or `StoreUnavailable` naming a reply the store does not know.
const known = <A>(what: string, reply: unknown, decoded: A | undefined): Effect.Effect<A, StoreUnavailable> =>
  decoded === undefined ? Effect.fail(unexpected(what, reply)) : Effect.succeed(decoded)

/**
 * Builds the store on the `Redis` service in context, and loads its script so that every later
 * completion and release is a single `EVALSHA`. A failed load is ignored: the first operation loads
 * it again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: RedisStoreOptions
): Effect.Effect<IdempotencyStore.IdempotencyStore["Service"], never, Redis.Redis> =>
  Effect.flatMap(
    Redis.Redis,
    (redis) => makeWith({ send: (args) => redis.send(args[0]!, ...args.slice(1)), timed: false }, options)
  )

const causeOf = (error: unknown): unknown => error instanceof Redis.RedisError ? error.cause : error

// Whether Redis answered with an error whose text starts with `text`.
const errorStartsWith = (error: unknown, text: string): boolean => {
  const cause = causeOf(error)
  return String(cause instanceof Error ? cause.message : cause).startsWith(text)
}

const isNoScript = (error: unknown): boolean => errorStartsWith(error, "NOSCRIPT")

// Redis before 7.0 refuses `NX` together with `GET` ("ERR syntax error").
const isSyntaxError = (error: unknown): boolean => errorStartsWith(error, "ERR syntax error")

const makeWith = (
  commands: Commands,
  options: RedisStoreOptions | undefined
): Effect.Effect<IdempotencyStore.IdempotencyStore["Service"]> =>
  Effect.gen(function*() {
    const prefix = options?.prefix ?? defaultPrefix
    const timeout = Duration.fromInputUnsafe(options?.commandTimeout ?? defaultCommandTimeout)
    const timeoutMillis = Duration.toMillis(timeout)
    const timedOut = (what: string) =>
      new StoreUnavailable({ message: `Redis ${what} timed out after ${timeoutMillis} ms` })
    const bounded = commands.timed
      ? <A>(_what: string, effect: Effect.Effect<A, unknown>) => effect
      : <A>(what: string, effect: Effect.Effect<A, unknown>) =>
        Effect.timeoutOrElse(effect, { duration: timeout, orElse: () => Effect.fail(timedOut(what)) })
    const failed = (what: string) => (error: unknown): Effect.Effect<never, StoreUnavailable> =>
      Effect.fail(
        error instanceof StoreUnavailable
          ? error
          : Connection.isTimeout(error)
          ? timedOut(what)
          : Connection.unavailable(what)(error)
      )

    // One command, bounded by the command timeout; every failure is `StoreUnavailable`.
    const run = <A>(what: string, effect: Effect.Effect<A, unknown>): Effect.Effect<A, StoreUnavailable> =>
      Effect.catch(bounded(what, effect), failed(what))

    // One EVALSHA; after a `NOSCRIPT` reply (a restarted or flushed server, or a cluster node that
    // never saw the script) the script is loaded on the key's server and the call made once more.
    const script = (redisKey: string, operation: Operation): Effect.Effect<unknown, unknown> => {
      const evalsha = commands.send(["EVALSHA", sha, "1", redisKey, ...operation], redisKey)
      return Effect.catch(evalsha, (error) =>
        isNoScript(error)
          ? Effect.andThen(commands.send(["SCRIPT", "LOAD", lua], redisKey), evalsha)
          : Effect.fail(error))
    }

    // Whether claims are one native `SET … NX GET`; turned off for good by the first server that
    // refuses it (older than 7.0), whose claims then go through the script.
    let nativeClaim = true
    const claimWith = (redisKey: string, token: string, fingerprint: string, lease: string) => {
      const claimed = IdempotencyStore.Claimed({ token })
      const viaScript = () =>
        Effect.flatMap(script(redisKey, ["claim", token, fingerprint, lease]), (reply) =>
          known(
            "claim",
            reply,
            Array.isArray(reply) && reply[0] === "claimed" ? claimed : decodeScriptClaim(reply)
          ))
      if (!nativeClaim) return viaScript()
      // Sets the entry unless the key exists, and returns what was there: nothing (the key is now
      // ours), or the entry that decides the answer.
      const value = `i:${token}:${fingerprint}`
      const set = commands.send(
        lease === "never" ? ["SET", redisKey, value, "NX", "GET"] : ["SET", redisKey, value, "NX", "GET", "PX", lease],
        redisKey
      )
      return Effect.catch(
        Effect.flatMap(set, (reply) => known("claim", reply, reply === null ? claimed : decodeEntry(reply))),
        (error) => {
          if (!isSyntaxError(error)) return Effect.fail(error)
          nativeClaim = false
          return viaScript()
        }
      )
    }

    const flag = (what: string) => (reply: unknown): Effect.Effect<boolean, StoreUnavailable> =>
      known(what, reply, decodeFlag(reply))

    // Plain functions, not `Effect.fn`: the pipeline already wraps each store call in its own
    // span when a tracer is installed, and `Effect.fn` captures a stack trace on every call (it
    // was the largest cost of the client side).
    const claim = (key: string, fingerprint: string, lease: Duration.Duration) =>
      Effect.suspend(() =>
        // The token is made here rather than in Lua: Lua's `math.random` is not a secure source,
        // and a token that another holder could guess would defeat the fencing. A fresh one per run.
        run("claim", claimWith(`${prefix}${key}`, crypto.randomUUID(), fingerprint, ttl(lease)))
      )

    const complete = (key: string, token: string, retain: Duration.Duration) =>
      Effect.flatMap(
        run("complete", script(`${prefix}${key}`, ["complete", token, ttl(retain)])),
        flag("complete")
      )

    const release = (key: string, token: string) =>
      Effect.flatMap(run("release", script(`${prefix}${key}`, ["release", token])), flag("release"))

    // Warm-up: load the script now (on every server of a cluster), so the first delivery's
    // operations are single round trips. A failed load is ignored: the first operation loads it
    // again.
    yield* Effect.ignore(bounded("load", commands.send(["SCRIPT", "LOAD", lua])))

    return IdempotencyStore.IdempotencyStore.of({ claim, complete, release })
  })

/**
 * A layer providing the store on the `Redis` service it requires (for example
 * `NodeRedis.layer(...)` from `@effect/platform-node`, or your own `Redis.make` over another
 * client).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: RedisStoreOptions
): Layer.Layer<IdempotencyStore.IdempotencyStore, never, Redis.Redis> =>
  Layer.effect(IdempotencyStore.IdempotencyStore, make(options))

/**
 * Client options passed to node-redis `createClient` (and Effect's reserved-connection pool
 * options), except `url`.
 *
 * @since 0.1.0
 * @category models
 */
export type NodeClientOptions = Omit<NonNullable<Parameters<typeof NodeRedis.layer>[0]>, "url">

/**
 * Options of {@link layerNode}.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeOptions extends RedisStoreOptions {
  /**
   * The server, e.g. `redis://127.0.0.1:6379` or `rediss://user:password@host:6380/2`. A URL with
   * credentials is best passed `Redacted` or as `Config.Redacted("REDIS_URL")`; it never appears in
   * errors or logs either way.
   */
  readonly url: string | Redacted.Redacted<string> | Config.Config<string | Redacted.Redacted<string>>
  /**
   * node-redis client options. Defaults that suit a webhook receiver: `disableOfflineQueue: true`
   * (while disconnected, operations fail at once instead of queueing and running late, when a
   * stale claim would block the platform's retry) and `socket.connectTimeout` equal to the command
   * timeout. Passing `socket` replaces the latter default.
   */
  readonly client?: NodeClientOptions | undefined
}

/**
 * A layer providing the store and its node-redis connection (`@effect/platform-node/NodeRedis`),
 * connected when the layer is built and closed with it. Fails with `StoreUnavailable` when Redis
 * cannot be reached (the adapters answer "retry" and try again on the next request), and with
 * `Misconfigured` when a `Config` URL cannot be read or is not a `redis:`/`rediss:` URL with a host.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import { RedisStore } from "@hookline/store-redis"
 *
 * export const store = RedisStore.layerNode({ url: Config.Redacted("REDIS_URL"), prefix: "shop:" })
 * ```
 */
export const layerNode = (
  options: NodeOptions
): Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured> =>
  Layer.effect(
    IdempotencyStore.IdempotencyStore,
    Effect.gen(function*() {
      const timeout = Duration.fromInputUnsafe(options.commandTimeout ?? defaultCommandTimeout)
      const connection = yield* Connection.connect(options.url, options.client, Duration.toMillis(timeout))
      // Commands go straight to the node-redis client, bounded by a plain timer per command,
      // instead of through the `Redis` service raced against a timeout fiber: the same round trip
      // for a third less client CPU. (node-redis's own `timeout` option only bounds the wait to be
      // written, not the wait for the reply, so it does not catch a server that stopped answering.)
      const millis = Duration.toMillis(timeout)
      const node = Context.get(connection, NodeRedis.NodeRedis).client
      return yield* makeWith({
        send: (args) => Connection.timedSend(millis, () => node.sendCommand(args as Array<string>)),
        timed: true
      }, options)
    })
  )

/**
 * node-redis `createCluster` options, except `rootNodes` (see {@link ClusterOptions}).
 *
 * @since 0.1.0
 * @category models
 */
export type NodeClusterOptions = Connection.NodeClusterOptions

/**
 * Options of {@link layerNodeCluster}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterOptions extends RedisStoreOptions {
  /**
   * Some nodes of the cluster, e.g. `["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"]`: the client
   * asks the first one that answers for the cluster's layout and then connects to every master
   * itself. Each one is text, `Redacted` or a `Config`; credentials in a URL never appear in errors
   * or logs, and the first URL's credentials are used on every node unless `cluster.defaults` sets
   * a password.
   */
  readonly rootNodes: ReadonlyArray<
    string | Redacted.Redacted<string> | Config.Config<string | Redacted.Redacted<string>>
  >
  /**
   * node-redis cluster options (`defaults` for every node's client: TLS, ACL user, socket;
   * `maxCommandRedirections`, `nodeAddressMap`, …). hookline's defaults for every node are the same
   * as {@link layerNode}'s: `disableOfflineQueue: true` and a connect timeout equal to the command
   * timeout (passing `defaults.socket` replaces the latter).
   */
  readonly cluster?: NodeClusterOptions | undefined
}

/**
 * A layer providing the store on a Redis Cluster, with a node-redis cluster client connected when
 * the layer is built and closed with it. Each operation touches one key, `<prefix><key>`, hence one
 * hash slot: it is sent to the master that owns the key's slot (following `MOVED`/`ASK` redirects
 * while slots move), one `EVALSHA` per operation as on a single server, bounded by the command
 * timeout. The script is loaded on every master when the layer is built, and on a key's master
 * again whenever that master answers `NOSCRIPT` (a restarted, new or promoted node). After a failed
 * command the client re-reads the cluster's layout (at most every 250 ms), so once a dead master's
 * replica was promoted, the platform's next retry reaches it.
 *
 * Fails with `StoreUnavailable` when no root node can be reached, and with `Misconfigured` when a
 * `Config` URL cannot be read, a URL is not a `redis:`/`rediss:` URL with a host, or there is none.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import { RedisStore } from "@hookline/store-redis"
 *
 * export const store = RedisStore.layerNodeCluster({
 *   rootNodes: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379", Config.Redacted("REDIS_NODE_URL")],
 *   prefix: "shop:"
 * })
 * ```
 */
export const layerNodeCluster = (
  options: ClusterOptions
): Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured> =>
  Layer.effect(
    IdempotencyStore.IdempotencyStore,
    Effect.gen(function*() {
      const millis = Duration.toMillis(Duration.fromInputUnsafe(options.commandTimeout ?? defaultCommandTimeout))
      const cluster = yield* Connection.connectCluster(options.rootNodes, options.cluster, millis)
      // Any failed command may mean a master died and was replaced: ask for the layout again, so the
      // platform's retry finds the promoted replica.
      const rediscovering = Connection.withRediscovery(cluster)
      return yield* makeWith({
        send: (args, key) =>
          rediscovering(Connection.timedSend(
            millis,
            key === undefined
              // A command for no key in particular (the warm-up `SCRIPT LOAD`) goes to every master.
              ? () =>
                Promise.all(
                  cluster.masters.map(async (master) =>
                    (await cluster.nodeClient(master)).sendCommand(args as Array<string>)
                  )
                )
              : () => cluster.sendCommand(key, false, args as Array<string>)
          )),
        timed: true
      }, options)
    })
  )
