/**
 * The store behind Redis Sentinel, through `RedisStore.layer` on an Effect `Redis` service made over
 * node-redis `createSentinel` — the configuration docs/stores.md shows ("Cluster, Sentinel, managed
 * Redis"). A private master, replica and Sentinel; a missing `redis-server` fails, never skips.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { storeConformance } from "@hookline/core/testing/vitest"
import { RedisStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import { createSentinel } from "redis"
import * as Logs from "../../../test-support/Logs.ts"
import * as RedisSentinel from "../../../test-support/RedisSentinel.ts"

const starting = RedisSentinel.start()
starting.catch(() => {})
afterAll(async () => {
  await starting.then((sentinel) => sentinel.stop())
})

// As in docs/stores.md: the `Redis` service over a Sentinel-aware node-redis client, which asks the
// Sentinels for the master and follows it after a failover. The store only sends commands.
const sentinelRedis = (name: string, sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>) =>
  Layer.effect(
    Redis.Redis,
    Effect.gen(function*() {
      const client = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () =>
            createSentinel({
              name,
              sentinelRootNodes: sentinels.map((node) => ({ ...node })),
              // Fail at once while the master is unreachable, instead of queueing (see layerNode).
              nodeClientOptions: { disableOfflineQueue: true }
            }).on("error", () => {}).connect(),
          catch: (cause) => new Redis.RedisError({ cause })
        }),
        (client) => Effect.promise(() => client.close())
      )
      const unsupported = Effect.fail(new Redis.RedisError({ cause: new Error("not used by the store") }))
      return yield* Redis.make({
        send: <A>(command: string, ...args: ReadonlyArray<string>) =>
          Effect.tryPromise({
            try: () => client.sendCommand<A>(false, [command, ...args]),
            catch: (cause) => new Redis.RedisError({ cause })
          }),
        subscribe: () => unsupported,
        connect: unsupported
      })
    })
  )

const storeLayer = (prefix: string) =>
  Layer.unwrap(Effect.map(
    Effect.promise(() => starting),
    (sentinel) =>
      // 20 s, not the default 2 s: node-redis 5.12's Sentinel client is far slower per command than
      // a plain client (1,000 concurrent SETs: 0.7–1.6 s against 9–30 ms, measured on this shared
      // 2-core machine), and the conformance suite's 1,000 concurrent claims took over 12 s here.
      // docs/stores.md says so; the test proves correctness, not speed.
      RedisStore.layer({ prefix, commandTimeout: Duration.seconds(20) }).pipe(
        Layer.provide(sentinelRedis(sentinel.name, [{ host: "127.0.0.1", port: sentinel.sentinelPort }]))
      )
  ))

const run = `hookline-test:${crypto.randomUUID()}:`

storeConformance("RedisStore through Redis Sentinel", Logs.capturing(storeLayer(`${run}conformance:`)), {
  time: "live"
})

describe("RedisStore through Redis Sentinel", () => {
  it.live(
    "follows the master across a Sentinel failover: a completed key is still completed",
    () =>
      Effect.gen(function*() {
        const sentinel = yield* Effect.promise(() => starting)
        const store = yield* Effect.map(
          Layer.build(Logs.capturing(storeLayer(`${run}failover:`))),
          Context.get(IdempotencyStore.IdempotencyStore)
        )
        const lease = Duration.seconds(30)
        const claimed = yield* store.claim("k", "f".repeat(64), lease)
        assert.strictEqual(claimed._tag, "Claimed")
        if (claimed._tag !== "Claimed") return
        assert.isTrue(yield* store.complete("k", claimed.token, lease))
        const before = yield* Effect.promise(() => sentinel.masterPort())
        // A manual failover waits for the replica to catch up: nothing acknowledged is lost.
        const after = yield* Effect.promise(() => sentinel.failover())
        assert.notStrictEqual(after, before)
        // The client learns the new master from the Sentinel; until then the store fails (retry).
        const until = Date.now() + 15_000
        let result = yield* Effect.result(store.claim("k", "f".repeat(64), lease))
        while (result._tag === "Failure" && Date.now() < until) {
          yield* Effect.sleep(Duration.millis(100))
          result = yield* Effect.result(store.claim("k", "f".repeat(64), lease))
        }
        assert.strictEqual(result._tag, "Success", "the store did not reach the new master within 15 s")
        if (result._tag === "Success") assert.strictEqual(result.success._tag, "Completed")
        // And it writes there: a new key is claimed on the promoted master.
        assert.strictEqual((yield* store.claim("new", "f".repeat(64), lease))._tag, "Claimed")
      }).pipe(Effect.scoped),
    60_000
  )
})
