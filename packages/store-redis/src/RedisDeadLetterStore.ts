/**
 * A dead-letter store on Redis: failed authentic deliveries kept with their exact request, shared by
 * every process on one Redis, for replay (`DeadLetters` in `@hookline/core`).
 *
 * ```ts
 * import { RedisDeadLetterStore } from "@hookline/store-redis"
 *
 * const deadLetters = RedisDeadLetterStore.layerNode({ url: "redis://127.0.0.1:6379", retention: "7 days" })
 * ```
 *
 * Data model: one hash per dead letter, `{<prefix>dl}:<key>` → `{ data, attempts, first, last,
 * resolved }` (`data` is the request, reason and receipt time as JSON, the body base64), expiring
 * `retention` after the last failure; and one sorted set `{<prefix>dl}:index` of keys scored by
 * their last failure, for `list`. The hash tag `{<prefix>dl}` keeps every dead letter in one slot,
 * so the recording script is atomic on Redis Cluster too (dead letters are few: one slot is enough).
 *
 * Recording is one `EVAL` (attempts counted atomically); every Redis error and timeout is a
 * `StoreUnavailable`.
 *
 * @since 0.1.0
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { DeadLetterStore, type Misconfigured, StoreUnavailable } from "@hookline/core"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Connection from "./internal/connection.ts"
import { type ClusterOptions, defaultCommandTimeout, defaultPrefix, type NodeOptions } from "./RedisStore.ts"

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisDeadLetterStoreOptions {
  /** Prepended (inside the hash tag) to every key. Default `"hookline:"`, like `RedisStore`. */
  readonly prefix?: string | undefined
  /** How long an entry is kept after its last failure. Default 14 days. */
  readonly retention?: Duration.Input | undefined
  /** Longest wait for one operation before it fails with `StoreUnavailable`. Default 2 seconds. */
  readonly commandTimeout?: Duration.Input | undefined
}

// KEYS: entry, index. ARGV: data, at (ms), ttl (ms), member.
// A new entry starts at one attempt; an existing one counts one more, keeps its first failure and
// is open again. The index forgets keys whose retention has certainly passed.
const record = `
local attempts = 1
local first = ARGV[2]
local existing = redis.call("HMGET", KEYS[1], "attempts", "first")
if existing[1] then
  attempts = tonumber(existing[1]) + 1
  first = existing[2]
end
redis.call("HSET", KEYS[1], "data", ARGV[1], "attempts", attempts, "first", first, "last", ARGV[2], "resolved", "")
redis.call("PEXPIRE", KEYS[1], ARGV[3])
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[4])
return attempts
`

// KEYS: entry. ARGV: at (ms). 1 when an open entry was resolved.
const resolve = `
local resolved = redis.call("HGET", KEYS[1], "resolved")
if resolved ~= "" then return 0 end
redis.call("HSET", KEYS[1], "resolved", ARGV[1])
return 1
`

const fields = ["data", "attempts", "first", "last", "resolved"] as const

const time = (text: unknown): number | undefined => {
  if (typeof text !== "string" || !/^-?\d{1,16}$/.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

// An `HMGET` of `fields` back into a dead letter; `null` when the hash is gone (expired).
const decodeEntry = (reply: unknown): DeadLetterStore.DeadLetter | null | undefined => {
  if (!Array.isArray(reply) || reply.length !== fields.length) return undefined
  const [data, attempts, first, last, resolved] = reply as ReadonlyArray<unknown>
  if (data === null || data === undefined) return null
  if (typeof data !== "string") return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return undefined
  }
  const decoded = DeadLetterStore.decode({
    ...(parsed as object),
    attempts: time(attempts),
    firstFailedAt: time(first),
    lastFailedAt: time(last),
    resolvedAt: resolved === "" ? null : time(resolved)
  })
  return decoded instanceof DeadLetterStore.InvalidEntry ? undefined : decoded
}

/**
 * Builds the store on the `Redis` service in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: RedisDeadLetterStoreOptions
): Effect.Effect<DeadLetterStore.DeadLetterStore["Service"], never, Redis.Redis> =>
  Effect.map(
    Redis.Redis,
    (redis) => makeWith({ send: (command, args) => redis.send(command, ...args), timed: false }, options)
  )

// The hash tag every key of the store shares: one slot of a Redis Cluster.
const tagOf = (options: RedisDeadLetterStoreOptions | undefined) => `{${options?.prefix ?? defaultPrefix}dl}`

// The store on any way of sending one command (every command names only keys under the store's
// tag). `timed`: the client bounds each command by the command timeout itself (a plain timer per
// command, `Connection.timedSend`); otherwise each command is raced against it here, which costs a
// fiber per operation — and `resolve` runs for every processed delivery.
const makeWith = (
  commands: {
    readonly send: (command: string, args: ReadonlyArray<string>) => Effect.Effect<unknown, unknown>
    readonly timed: boolean
  },
  options: RedisDeadLetterStoreOptions | undefined
): DeadLetterStore.DeadLetterStore["Service"] => {
  const tag = tagOf(options)
  const entryKey = (key: string) => `${tag}:${key}`
  const index = `${tag}:index`
  const retention = Duration.toMillis(
    Duration.fromInputUnsafe(options?.retention ?? DeadLetterStore.defaultRetention)
  )
  const timeout = Duration.fromInputUnsafe(options?.commandTimeout ?? defaultCommandTimeout)

  const timedOut = (what: string) =>
    new StoreUnavailable({ message: `Redis ${what} timed out after ${Duration.toMillis(timeout)} ms` })
  const send = <A = unknown>(what: string, command: string, ...args: ReadonlyArray<string>) => {
    const sent = commands.send(command, args) as Effect.Effect<A, unknown>
    return commands.timed
      ? Effect.mapError(
        sent,
        (error) => Connection.isTimeout(error) ? timedOut(what) : Connection.unavailable(what)(error)
      )
      : Effect.timeoutOrElse(Effect.mapError(sent, Connection.unavailable(what)), {
        duration: timeout,
        orElse: () => Effect.fail(timedOut(what))
      })
  }

  const unexpected = (what: string) =>
    new StoreUnavailable({ message: `Redis ${what} returned an unexpected reply for a dead letter` })

  const read = (key: string): Effect.Effect<DeadLetterStore.DeadLetter | null, StoreUnavailable> =>
    Effect.flatMap(send("dead letter read", "HMGET", entryKey(key), ...fields), (reply) => {
      const entry = decodeEntry(reply)
      return entry === undefined ? Effect.fail(unexpected("dead letter read")) : Effect.succeed(entry)
    })

  // The index's keys in the filter's time range, newest first; each entry read, and keys whose
  // entry expired dropped from the index.
  const select = (filter: DeadLetterStore.Filter | undefined) =>
    Effect.flatMap(
      send<ReadonlyArray<string>>(
        "dead letter list",
        "ZREVRANGEBYSCORE",
        index,
        filter?.before === undefined ? "+inf" : `(${filter.before}`,
        filter?.since === undefined ? "-inf" : String(filter.since)
      ),
      (keys) =>
        Effect.flatMap(
          Effect.forEach(keys, (key) => Effect.map(read(key), (entry) => [key, entry] as const), {
            concurrency: 16
          }),
          (read) => {
            const gone = read.filter(([, entry]) => entry === null).map(([key]) => key)
            const entries = read.flatMap(([, entry]) =>
              entry !== null && DeadLetterStore.matches(entry, filter) ? [entry] : []
            )
            return gone.length === 0
              ? Effect.succeed(entries)
              : Effect.as(send("dead letter list", "ZREM", index, ...gone), entries)
          }
        )
    )

  const remove = (keys: ReadonlyArray<string>) =>
    keys.length === 0 ? Effect.succeed(0) : Effect.flatMap(
      send<number>("dead letter purge", "DEL", ...keys.map(entryKey)),
      (deleted) => Effect.as(send("dead letter purge", "ZREM", index, ...keys), deleted)
    )

  return DeadLetterStore.DeadLetterStore.of({
    record: (attempt) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const entry = DeadLetterStore.encode(DeadLetterStore.next(undefined, attempt))
        const { attempts: _a, firstFailedAt: _f, lastFailedAt: _l, resolvedAt: _r, ...data } = entry
        const ttl = Math.max(1, Math.ceil(attempt.at + retention - now))
        return Effect.asVoid(
          Effect.andThen(
            send(
              "dead letter record",
              "EVAL",
              record,
              "2",
              entryKey(attempt.key),
              index,
              JSON.stringify(data),
              String(attempt.at),
              String(ttl),
              attempt.key
            ),
            // Keys whose retention has passed for certain leave the index.
            send("dead letter record", "ZREMRANGEBYSCORE", index, "-inf", `(${now - retention}`)
          )
        )
      }),
    resolve: (key, at) =>
      Effect.flatMap(
        send("dead letter resolve", "EVAL", resolve, "1", entryKey(key), String(at)),
        (reply) =>
          reply === 1
            ? Effect.succeed(true)
            : reply === 0
            ? Effect.succeed(false)
            : Effect.fail(unexpected("dead letter resolve"))
      ),
    get: (key) => Effect.map(read(key), (entry) => entry ?? undefined),
    list: (filter) =>
      Effect.map(select(filter), (entries) => entries.slice(0, filter?.limit ?? DeadLetterStore.defaultListLimit)),
    purge: (target) =>
      typeof target === "string"
        ? remove([target])
        : Effect.flatMap(select(target), (entries) => remove(entries.map((entry) => entry.key)))
  })
}

/**
 * A layer providing the store on the `Redis` service it requires.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: RedisDeadLetterStoreOptions
): Layer.Layer<DeadLetterStore.DeadLetterStore, never, Redis.Redis> =>
  Layer.effect(DeadLetterStore.DeadLetterStore, make(options))

/**
 * Options of {@link layerNode}: the store's, and the connection's (as for `RedisStore.layerNode`).
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeDeadLetterOptions extends RedisDeadLetterStoreOptions {
  readonly url: NodeOptions["url"]
  readonly client?: NodeOptions["client"]
}

/**
 * A layer providing the store and its own node-redis connection, connected when the layer is built
 * and closed with it. Fails with `StoreUnavailable` when Redis cannot be reached and `Misconfigured`
 * for a URL that cannot work.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNode = (
  options: NodeDeadLetterOptions
): Layer.Layer<DeadLetterStore.DeadLetterStore, StoreUnavailable | Misconfigured> =>
  Layer.effect(
    DeadLetterStore.DeadLetterStore,
    Effect.gen(function*() {
      const millis = Duration.toMillis(Duration.fromInputUnsafe(options.commandTimeout ?? defaultCommandTimeout))
      const connection = yield* Connection.connect(options.url, options.client, millis)
      const node = Context.get(connection, NodeRedis.NodeRedis).client
      return makeWith({
        send: (command, args) => Connection.timedSend(millis, () => node.sendCommand([command, ...args])),
        timed: true
      }, options)
    })
  )

/**
 * Options of {@link layerNodeCluster}: the store's, and the cluster client's (as for
 * `RedisStore.layerNodeCluster`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterDeadLetterOptions extends RedisDeadLetterStoreOptions {
  readonly rootNodes: ClusterOptions["rootNodes"]
  readonly cluster?: ClusterOptions["cluster"]
}

/**
 * The store on a Redis Cluster, with its own node-redis cluster client (connected when the layer is
 * built, closed with it). Every key of the store shares the hash tag `{<prefix>dl}`, so every command
 * goes to the one master that owns that slot — which also keeps the recording script atomic. After
 * a failed command the client re-reads the cluster's layout (at most every 250 ms), as
 * `RedisStore.layerNodeCluster` does, so after that master's failover the promoted replica is found.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { RedisDeadLetterStore } from "@hookline/store-redis"
 *
 * export const deadLetters = RedisDeadLetterStore.layerNodeCluster({
 *   rootNodes: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"]
 * })
 * ```
 */
export const layerNodeCluster = (
  options: ClusterDeadLetterOptions
): Layer.Layer<DeadLetterStore.DeadLetterStore, StoreUnavailable | Misconfigured> =>
  Layer.effect(
    DeadLetterStore.DeadLetterStore,
    Effect.gen(function*() {
      const millis = Duration.toMillis(Duration.fromInputUnsafe(options.commandTimeout ?? defaultCommandTimeout))
      const cluster = yield* Connection.connectCluster(options.rootNodes, options.cluster, millis)
      const route = `${tagOf(options)}:index`
      // As the idempotency store's: after a failover, the next command reaches the promoted replica.
      const rediscovering = Connection.withRediscovery(cluster)
      return makeWith({
        send: (command, args) =>
          rediscovering(Connection.timedSend(millis, () => cluster.sendCommand(route, false, [command, ...args]))),
        timed: true
      }, options)
    })
  )
