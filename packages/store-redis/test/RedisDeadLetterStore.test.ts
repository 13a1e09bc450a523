import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it } from "@effect/vitest"
import { DeadLetterStore } from "@hookline/core"
import { deadLetterConformance } from "@hookline/core/testing/vitest"
import { RedisDeadLetterStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Logs from "../../../test-support/Logs.ts"
import * as RedisServer from "./RedisServer.ts"

// Every run writes under its own prefix, so parallel runs on the shared Redis never collide.
const run = `hookline-test:${crypto.randomUUID()}:`

deadLetterConformance(
  "RedisDeadLetterStore",
  (retention) =>
    Logs.capturing(
      RedisDeadLetterStore.layerNode({
        url: RedisServer.sharedUrl,
        prefix: `${run}dl-${crypto.randomUUID()}:`,
        retention
      })
    ),
  { time: "live" }
)

deadLetterConformance(
  "RedisDeadLetterStore on the Redis service",
  (retention) =>
    Logs.capturing(
      RedisDeadLetterStore.layer({ prefix: `${run}dl-service-${crypto.randomUUID()}:`, retention }).pipe(
        Layer.provide(NodeRedis.layer({ url: RedisServer.sharedUrl }))
      )
    ),
  { time: "live" }
)

describe("RedisDeadLetterStore data model", () => {
  it.live("one hash per dead letter and the index share one hash tag (one Redis Cluster slot), with a TTL", () =>
    Effect.gen(function*() {
      const prefix = `${run}model:`
      const store = yield* RedisDeadLetterStore.make({ prefix, retention: "1 hour" })
      const at = Date.now()
      yield* store.record({
        key: "acme:1",
        provider: "acme",
        delivery: { method: "POST", url: "/", headers: {}, body: new Uint8Array([1, 2, 3]) },
        receivedAt: at,
        reason: { tag: "TimedOut", message: "slow" },
        at
      })
      const redis = yield* Redis.Redis
      const keys = yield* redis.send<ReadonlyArray<string>>("KEYS", `{${prefix}dl}:*`)
      assert.deepStrictEqual([...keys].sort(), [`{${prefix}dl}:acme:1`, `{${prefix}dl}:index`])
      const ttl = yield* redis.send<number>("PTTL", `{${prefix}dl}:acme:1`)
      assert.isTrue(ttl > 3_500_000 && ttl <= 3_600_000, `ttl ${ttl}`)
      yield* redis.send("DEL", ...keys)
    }).pipe(Effect.provide(NodeRedis.layer({ url: RedisServer.sharedUrl }))))

  it.live("an unreachable Redis fails the layer with StoreUnavailable (the receiver does not start half-configured)", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.scoped(
          Layer.build(RedisDeadLetterStore.layerNode({ url: "redis://127.0.0.1:1", commandTimeout: "300 millis" }))
        )
      )
      assert.strictEqual(exit._tag, "Failure")
      if (exit._tag === "Failure") assert.include(String(exit.cause), "StoreUnavailable")
    }))
})

describe("RedisDeadLetterStore failures", () => {
  // layerNode bounds each command with its own timer; `layer` (any `Redis` service) races it.
  it.live.each(["layerNode", "layer on the Redis service"] as const)(
    "a server that stops answering fails each operation with StoreUnavailable after commandTimeout (%s)",
    (how) =>
      Effect.gen(function*() {
        const server = yield* RedisServer.scoped()
        yield* Effect.gen(function*() {
          const commandTimeout = Duration.millis(300)
          const storeLayer: Layer.Layer<DeadLetterStore.DeadLetterStore, unknown> = how === "layerNode"
            ? RedisDeadLetterStore.layerNode({ url: server.url, commandTimeout })
            : RedisDeadLetterStore.layer({ commandTimeout }).pipe(Layer.provide(NodeRedis.layer({ url: server.url })))
          const store = Context.get(yield* Layer.build(Logs.capturing(storeLayer)), DeadLetterStore.DeadLetterStore)
          const at = Date.now()
          const attempt = {
            key: "acme:1",
            provider: "acme",
            delivery: { method: "POST", url: "/", headers: {}, body: new Uint8Array([1]) },
            receivedAt: at,
            reason: { tag: "TimedOut", message: "slow" },
            at
          }
          yield* store.record(attempt)
          server.freeze()
          const record = yield* Effect.flip(store.record(attempt))
          const resolve = yield* Effect.flip(store.resolve("acme:1", at))
          const get = yield* Effect.flip(store.get("acme:1"))
          server.thaw()
          for (const error of [record, resolve, get]) {
            assert.strictEqual(error._tag, "StoreUnavailable")
            assert.match(error.message, /^Redis dead letter (record|resolve|read) timed out after 300 ms$/)
          }
          // Thawed, the same store answers again. The timed-out record had been written to the socket:
          // the server ran it once thawed (a late command, as docs/stores.md says), one attempt more.
          assert.strictEqual((yield* store.get("acme:1"))?.attempts, 2)
        }).pipe(Effect.scoped)
      })
  )
})
