import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import { createHash } from "node:crypto"
import * as RedisServer from "./RedisServer.ts"

// Commands are counted with MONITOR on a private server, so no other test's traffic is counted.
// Commands a script runs inside Redis are not round trips and MONITOR marks them `[0 lua]`; the
// monitor leaves them out.

const fingerprint = "f".repeat(64)
const lease = Duration.seconds(30)

const names = (commands: ReadonlyArray<ReadonlyArray<string>>) =>
  commands.map((args) => args.slice(0, args[0]?.toUpperCase() === "SCRIPT" ? 2 : 1).join(" ").toUpperCase())

describe("RedisStore round trips", () => {
  it.live("every operation is one command: a claim one SET NX GET, complete and release one EVALSHA of the script loaded when the store was built", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped()
      const monitor = yield* Effect.acquireRelease(
        Effect.promise(() => RedisServer.monitor(server.port)),
        (monitor) => Effect.sync(monitor.close)
      )
      const take = Effect.promise(monitor.take)

      const context = yield* Layer.build(RedisStore.layerNode({ url: server.url, prefix: "rt:" }))
      const store = Context.get(context, IdempotencyStore.IdempotencyStore)

      // Building: the client's handshake, then one SCRIPT LOAD (the store knows the script's SHA-1
      // and sends EVALSHA from the first operation on).
      const built = yield* take
      const scripting = built.filter((args) => /^(SCRIPT|EVAL)/i.test(args[0] ?? ""))
      assert.deepStrictEqual(names(scripting), ["SCRIPT LOAD"])
      const sha = createHash("sha1").update(scripting[0]![2]!).digest("hex")

      const one = <A, E>(label: string, operation: Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const result = yield* operation
          const sent = yield* take
          assert.deepStrictEqual(names(sent), ["EVALSHA"], `${label}: ${JSON.stringify(sent)}`)
          assert.strictEqual(sent[0]![1], sha, label)
          return { result, args: sent[0]!.slice(2) }
        })
      const set = <A, E>(label: string, operation: Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const result = yield* operation
          const sent = yield* take
          assert.deepStrictEqual(names(sent), ["SET"], `${label}: ${JSON.stringify(sent)}`)
          return { result, args: sent[0]!.slice(1) }
        })

      const claimed = yield* set("claim (new)", store.claim("hmac:1", fingerprint, lease))
      if (claimed.result._tag !== "Claimed") return assert.fail("expected Claimed")
      assert.deepStrictEqual(claimed.args, [
        "rt:hmac:1",
        `i:${claimed.result.token}:${fingerprint}`,
        "NX",
        "GET",
        "PX",
        "30000"
      ])

      const inFlight = yield* set("claim (in flight)", store.claim("hmac:1", fingerprint, lease))
      assert.strictEqual(inFlight.result._tag, "InFlight")
      const completed = yield* one("complete", store.complete("hmac:1", claimed.result.token, Duration.days(7)))
      assert.isTrue(completed.result)
      assert.deepStrictEqual(completed.args, ["1", "rt:hmac:1", "complete", claimed.result.token, "604800000"])
      const duplicate = yield* set("claim (completed)", store.claim("hmac:1", fingerprint, lease))
      assert.deepStrictEqual(duplicate.result, IdempotencyStore.Completed({ fingerprint }))
      const refused = yield* one("complete (refused)", store.complete("hmac:1", claimed.result.token, lease))
      assert.isFalse(refused.result)

      const second = yield* set("claim (another key)", store.claim("hmac:2", fingerprint, lease))
      if (second.result._tag !== "Claimed") return assert.fail("expected Claimed")
      const released = yield* one("release", store.release("hmac:2", second.result.token))
      assert.isTrue(released.result)
      assert.deepStrictEqual(released.args, ["1", "rt:hmac:2", "release", second.result.token])

      // Concurrent operations: still one command each.
      const results = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => `hmac:bulk-${i % 25}`),
        (key) => store.claim(key, fingerprint, lease),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r._tag === "Claimed").length, 25)
      const bulk = yield* take
      assert.deepStrictEqual(names(bulk), Array.from({ length: 50 }, () => "SET"))
    }).pipe(Effect.scoped))

  it.live("after the server lost its scripts (restart, SCRIPT FLUSH) the store reloads the script once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped()
      const monitor = yield* Effect.acquireRelease(
        Effect.promise(() => RedisServer.monitor(server.port)),
        (monitor) => Effect.sync(monitor.close)
      )
      const take = Effect.promise(monitor.take)
      const admin = Context.get(yield* Layer.build(NodeRedis.layer({ url: server.url })), Redis.Redis)
      const store = Context.get(
        yield* Layer.build(RedisStore.layerNode({ url: server.url })),
        IdempotencyStore.IdempotencyStore
      )
      yield* take

      yield* admin.send("SCRIPT", "FLUSH")
      assert.deepStrictEqual(names(yield* take), ["SCRIPT FLUSH"])

      const claimed = yield* store.claim("k", fingerprint, lease)
      if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")
      // A claim needs no script.
      assert.deepStrictEqual(names(yield* take), ["SET"])
      assert.isTrue(yield* store.complete("k", claimed.token, lease))
      // The EVALSHA answered NOSCRIPT; the store loaded the script again and retried.
      assert.deepStrictEqual(names(yield* take), ["EVALSHA", "SCRIPT LOAD", "EVALSHA"])
      assert.deepStrictEqual(yield* store.claim("k", fingerprint, lease), IdempotencyStore.Completed({ fingerprint }))
      assert.isFalse(yield* store.release("k", claimed.token))
      assert.deepStrictEqual(names(yield* take), ["SET", "EVALSHA"])
    }).pipe(Effect.scoped))
})
