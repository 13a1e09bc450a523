import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it, layer } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { storeConformance } from "@hookline/core/testing/vitest"
import { RedisStore } from "@hookline/store-redis"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Redacted from "effect/Redacted"
import { inspect } from "node:util"
import * as Logs from "../../../test-support/Logs.ts"
import { eventuallyEffect } from "../../../test-support/Wait.ts"
import * as RedisServer from "./RedisServer.ts"

// Every run writes under its own prefix, so parallel runs on the shared Redis never collide.
const run = `hookline-test:${crypto.randomUUID()}:`

storeConformance(
  "RedisStore",
  Logs.capturing(RedisStore.layerNode({ url: RedisServer.sharedUrl, prefix: `${run}conformance:` })),
  {
    time: "live"
  }
)

// The same store on Effect's generic `Redis` service (any client), as `RedisStore.layer` builds it.
storeConformance(
  "RedisStore on the Redis service",
  Logs.capturing(
    RedisStore.layer({ prefix: `${run}conformance-service:` }).pipe(
      Layer.provide(NodeRedis.layer({ url: RedisServer.sharedUrl }))
    )
  ),
  { time: "live" }
)

const fingerprint = "f".repeat(64)
const lease = Duration.seconds(30)
const retention = Duration.days(7)

// Builds a store from a layer inside the test's scope; its client's logs go to `logs`.
const storeFrom = <E>(storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, E>, logs?: Logs.Capture) =>
  Effect.map(
    Layer.build((logs?.capturing ?? Logs.capturing)(storeLayer)),
    Context.get(IdempotencyStore.IdempotencyStore)
  )

const claimToken = (result: IdempotencyStore.ClaimResult): string =>
  result._tag === "Claimed" ? result.token : assert.fail(`expected Claimed, got ${result._tag}`)

layer(Logs.capturing(NodeRedis.layer({ url: RedisServer.sharedUrl })), { excludeTestServices: true })(
  "RedisStore on Redis",
  (it) => {
    it.effect("keeps one string per delivery at <prefix><key>: the lease is its TTL in flight, the retention once completed", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const prefix = `${run}model:`
        const store = yield* RedisStore.make({ prefix })
        const token = claimToken(yield* store.claim("hmac:order-1", fingerprint, lease))

        const inFlight = yield* redis.send<string>("GET", `${prefix}hmac:order-1`)
        assert.strictEqual(inFlight, `i:${token}:${fingerprint}`)
        const leaseTtl = yield* redis.send<number>("PTTL", `${prefix}hmac:order-1`)
        assert.isTrue(leaseTtl > 25_000 && leaseTtl <= 30_000, `lease TTL ${leaseTtl}`)

        assert.isTrue(yield* store.complete("hmac:order-1", token, retention))
        // The token is dropped on completion: completed keys are what accumulates, so they stay small.
        const completed = yield* redis.send<string>("GET", `${prefix}hmac:order-1`)
        assert.strictEqual(completed, `c:${fingerprint}`)
        const retentionTtl = yield* redis.send<number>("PTTL", `${prefix}hmac:order-1`)
        assert.isTrue(retentionTtl > Duration.toMillis(Duration.days(6)), `retention TTL ${retentionTtl}`)
        assert.isTrue(retentionTtl <= Duration.toMillis(retention))
      }))

    it.effect("release deletes the key; a refused release or complete changes nothing", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const prefix = `${run}release:`
        const store = yield* RedisStore.make({ prefix })
        const token = claimToken(yield* store.claim("k", fingerprint, lease))
        assert.isFalse(yield* store.release("k", `${token}x`))
        assert.isFalse(yield* store.complete("k", token.slice(1), retention))
        assert.strictEqual(yield* redis.send("GET", `${prefix}k`), `i:${token}:${fingerprint}`)
        assert.isTrue(yield* store.release("k", token))
        assert.strictEqual(yield* redis.send("EXISTS", `${prefix}k`), 0)
        // The token is compared whole: one that runs into the fingerprint (`<token>:ab` against the
        // entry `i:<token>:ab:cd`) holds nothing.
        const held = claimToken(yield* store.claim("colons", "ab:cd", lease))
        assert.isFalse(yield* store.complete("colons", `${held}:ab`, retention))
        assert.isFalse(yield* store.release("colons", `${held}:ab`))
        assert.strictEqual(yield* redis.send("GET", `${prefix}colons`), `i:${held}:ab:cd`)
        assert.isTrue(yield* store.complete("colons", held, retention))
        assert.strictEqual(yield* redis.send("GET", `${prefix}colons`), "c:ab:cd")
      }))

    it.effect("an infinite lease or retention keeps the key without a TTL; sub-millisecond ones round up", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const prefix = `${run}ttl:`
        const store = yield* RedisStore.make({ prefix })
        const token = claimToken(yield* store.claim("forever", fingerprint, Duration.infinity))
        assert.strictEqual(yield* redis.send("PTTL", `${prefix}forever`), -1)
        assert.isTrue(yield* store.complete("forever", token, Duration.infinity))
        assert.strictEqual(yield* redis.send("PTTL", `${prefix}forever`), -1)
        assert.deepStrictEqual(
          yield* store.claim("forever", fingerprint, lease),
          IdempotencyStore.Completed({ fingerprint })
        )
        yield* redis.send("DEL", `${prefix}forever`)

        const finite = claimToken(yield* store.claim("finite", fingerprint, Duration.infinity))
        assert.isTrue(yield* store.complete("finite", finite, Duration.minutes(1)))
        const ttl = yield* redis.send<number>("PTTL", `${prefix}finite`)
        assert.isTrue(ttl > 0 && ttl <= 60_000, `TTL ${ttl}`)

        // A lease under a millisecond is one millisecond: the claim lapses instead of failing.
        claimToken(yield* store.claim("tiny", fingerprint, Duration.nanos(10n)))
        yield* eventuallyEffect(
          Effect.map(redis.send<number>("EXISTS", `${prefix}tiny`), (exists) => exists === 0),
          2000,
          "the sub-millisecond claim did not lapse in Redis"
        )
        claimToken(yield* store.claim("tiny", fingerprint, lease))
      }))

    it.effect("prefixes isolate applications sharing one Redis", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const shop = yield* RedisStore.make({ prefix: `${run}isolation:shop:` })
        const billing = yield* RedisStore.make({ prefix: `${run}isolation:billing:` })
        const shopToken = claimToken(yield* shop.claim("hmac:42", fingerprint, lease))
        const billingToken = claimToken(yield* billing.claim("hmac:42", "e".repeat(64), lease))

        // A token is only good under the prefix that issued it.
        assert.isFalse(yield* billing.complete("hmac:42", shopToken, retention))
        assert.isFalse(yield* shop.release("hmac:42", billingToken))
        assert.isTrue(yield* shop.complete("hmac:42", shopToken, retention))
        assert.deepStrictEqual(
          yield* shop.claim("hmac:42", fingerprint, lease),
          IdempotencyStore.Completed({ fingerprint })
        )
        assert.strictEqual((yield* billing.claim("hmac:42", fingerprint, lease))._tag, "InFlight")

        const keys = yield* redis.send<Array<string>>("KEYS", `${run}isolation:*`)
        assert.deepStrictEqual(keys.toSorted(), [`${run}isolation:billing:hmac:42`, `${run}isolation:shop:hmac:42`])
      }))

    it.effect("the default prefix is hookline:", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const store = yield* RedisStore.make()
        const key = `store-redis-test:${crypto.randomUUID()}`
        const token = claimToken(yield* store.claim(key, fingerprint, lease))
        assert.strictEqual(yield* redis.send("GET", `hookline:${key}`), `i:${token}:${fingerprint}`)
        assert.isTrue(yield* store.release(key, token))
        assert.strictEqual(RedisStore.defaultPrefix, "hookline:")
      }))

    it.effect("a key holding something else fails with StoreUnavailable, never a claim", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const prefix = `${run}wrongtype:`
        const store = yield* RedisStore.make({ prefix })
        // Another type: every operation fails with Redis's WRONGTYPE.
        yield* redis.send("HSET", `${prefix}hash`, "s", "c", "f", fingerprint)
        const error = yield* Effect.flip(store.claim("hash", fingerprint, lease))
        assert.strictEqual(error._tag, "StoreUnavailable")
        assert.include(error.message, "WRONGTYPE")
        assert.strictEqual((yield* Effect.flip(store.complete("hash", "t", retention)))._tag, "StoreUnavailable")
        assert.strictEqual((yield* Effect.flip(store.release("hash", "t")))._tag, "StoreUnavailable")
        assert.deepStrictEqual(yield* redis.send("HGETALL", `${prefix}hash`), ["s", "c", "f", fingerprint])
        // A string that is not an entry: the claim fails, and no token completes or releases it.
        yield* redis.send("SET", `${prefix}taken`, "not an entry", "PX", "60000")
        const unexpected = yield* Effect.flip(store.claim("taken", fingerprint, lease))
        assert.strictEqual(unexpected._tag, "StoreUnavailable")
        assert.include(unexpected.message, "unexpected reply")
        assert.isFalse(yield* store.complete("taken", "t", retention))
        assert.isFalse(yield* store.release("taken", "t"))
        assert.strictEqual(yield* redis.send("GET", `${prefix}taken`), "not an entry")
      }))

    it.effect("claims with one native SET NX GET; a server that refuses it (Redis < 7.0) claims through the script", () =>
      Effect.gen(function*() {
        const redis = yield* Redis.Redis
        const prefix = `${run}old-server:`
        // What Redis 6.2 answers to SET with both NX and GET; every other command goes through.
        const refused: Array<ReadonlyArray<string>> = []
        const sent: Array<string> = []
        const old = Redis.Redis.of({
          ...redis,
          send: <A>(command: string, ...args: ReadonlyArray<string>) => {
            sent.push(command)
            if (command === "SET" && args.includes("NX") && args.includes("GET")) {
              refused.push(args)
              return Effect.fail(new Redis.RedisError({ cause: new Error("ERR syntax error") }))
            }
            return redis.send<A>(command, ...args)
          }
        })
        const store = yield* Effect.provideService(RedisStore.make({ prefix }), Redis.Redis, old)
        const token = claimToken(yield* store.claim("k", fingerprint, lease))
        assert.strictEqual(refused.length, 1, "the native claim was tried once")
        assert.strictEqual(yield* redis.send("GET", `${prefix}k`), `i:${token}:${fingerprint}`)
        assert.deepStrictEqual(yield* store.claim("k", fingerprint, lease), IdempotencyStore.InFlight())
        assert.isTrue(yield* store.complete("k", token, retention))
        assert.deepStrictEqual(yield* store.claim("k", fingerprint, lease), IdempotencyStore.Completed({ fingerprint }))
        // Once refused, claims go straight to the script: no second refused SET.
        assert.strictEqual(refused.length, 1)
        assert.deepStrictEqual(sent.filter((command) => command !== "SCRIPT"), [
          "SET",
          "EVALSHA",
          "EVALSHA",
          "EVALSHA",
          "EVALSHA"
        ])
        // The same operations on a current server: the claims are SETs, and they read the same entries.
        const current = yield* RedisStore.make({ prefix })
        assert.deepStrictEqual(
          yield* current.claim("k", fingerprint, lease),
          IdempotencyStore.Completed({ fingerprint })
        )
        const other = claimToken(yield* current.claim("k2", fingerprint, lease))
        assert.deepStrictEqual(yield* store.claim("k2", fingerprint, lease), IdempotencyStore.InFlight())
        assert.isTrue(yield* store.release("k2", other))
      }))
  }
)

describe("RedisStore failures", () => {
  // layerNode bounds each command with its own timer; `layer` (any `Redis` service) races it.
  it.live.each(["layerNode", "layer on the Redis service"] as const)(
    "a server that stops answering fails each operation with StoreUnavailable after commandTimeout (%s)",
    (how) =>
      Effect.gen(function*() {
        const server = yield* RedisServer.scoped()
        yield* Effect.gen(function*() {
          const commandTimeout = Duration.millis(300)
          const store = yield* how === "layerNode"
            ? storeFrom(RedisStore.layerNode({ url: server.url, commandTimeout }))
            : storeFrom(RedisStore.layer({ commandTimeout }).pipe(Layer.provide(NodeRedis.layer({ url: server.url }))))
          const token = claimToken(yield* store.claim("k", fingerprint, lease))
          server.freeze()
          const claim = yield* Effect.flip(store.claim("other", fingerprint, lease))
          const complete = yield* Effect.flip(store.complete("k", token, retention))
          const release = yield* Effect.flip(store.release("k", token))
          server.thaw()
          for (const error of [claim, complete, release]) {
            assert.strictEqual(error._tag, "StoreUnavailable")
            assert.match(error.message, /^Redis (claim|complete|release) timed out after 300 ms$/)
          }
          // Thawed, the same store answers again.
          claimToken(yield* store.claim("after", fingerprint, lease))
        }).pipe(Effect.scoped)
      })
  )

  it.live("layerNode fails with StoreUnavailable when Redis cannot be reached, without the URL's credentials", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped()
      yield* Effect.promise(server.stop)
      const password = "hunter2-do-not-log"
      const logs = Logs.make()
      const error = yield* Effect.flip(
        storeFrom(
          RedisStore.layerNode({ url: Redacted.make(`redis://app:${password}@127.0.0.1:${server.port}/3`) }),
          logs
        )
      )
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, `Cannot connect to Redis at redis://127.0.0.1:${server.port}/3`)
      // The client's own error is logged (positive control), without the credentials either.
      const logged = logs.entries.map(Logs.render)
      assert.isTrue(logged.some((entry) => entry.includes("ECONNREFUSED")), "the connection error was not logged")
      for (
        const text of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error), ...logged]
      ) {
        assert.notInclude(text, password)
        assert.notInclude(text, "app:")
      }
    }).pipe(Effect.scoped))

  it.live("layerNode fails with StoreUnavailable on a wrong password, without the password", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped({ password: "right-password" })
      const wrong = "wrong-password-do-not-log"
      const logs = Logs.make()
      const error = yield* Effect.flip(
        storeFrom(RedisStore.layerNode({ url: `redis://:${wrong}@127.0.0.1:${server.port}` }), logs)
      )
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, "WRONGPASS")
      const logged = logs.entries.map(Logs.render)
      assert.isTrue(logged.some((entry) => entry.includes("WRONGPASS")), "the refused login was not logged")
      for (
        const text of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error), ...logged]
      ) {
        assert.notInclude(text, wrong)
      }
      // With the right one, the store works.
      const store = yield* storeFrom(RedisStore.layerNode({ url: Redacted.make(server.url) }))
      claimToken(yield* store.claim("k", fingerprint, lease))
    }).pipe(Effect.scoped))

  it.live("layerNode reads its URL from Config; a missing one is Misconfigured", () =>
    Effect.gen(function*() {
      const store = yield* storeFrom(
        RedisStore.layerNode({ url: Config.succeed(Redacted.make(RedisServer.sharedUrl)), prefix: `${run}config:` })
      )
      claimToken(yield* store.claim("k", fingerprint, lease))
      const error = yield* Effect.flip(
        storeFrom(RedisStore.layerNode({ url: Config.Redacted("HOOKLINE_TEST_UNSET_REDIS_URL") }))
      )
      assert.strictEqual(error._tag, "Misconfigured")
      assert.include(error.message, "Redis URL")
    }).pipe(Effect.scoped))

  it.live("a malformed URL is Misconfigured at start (not an outage to retry), without quoting it", () =>
    Effect.gen(function*() {
      for (
        const [url, expected] of [
          ["127.0.0.1:6379 with a secret-password", "is not a URL"],
          ["http://user:secret-password@127.0.0.1:6379", "scheme is http:"],
          ["redis://", "names no host"]
        ] as const
      ) {
        const error = yield* Effect.flip(storeFrom(RedisStore.layerNode({ url: Redacted.make(url) })))
        assert.strictEqual(error._tag, "Misconfigured", url)
        assert.include(error.message, expected)
        assert.notInclude(error.message, "secret-password")
      }
    }).pipe(Effect.scoped))
})
