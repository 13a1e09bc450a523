import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, type StoreUnavailable } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { RedisStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { inspect } from "node:util"
import * as Logs from "../../../test-support/Logs.ts"
import { within } from "../../../test-support/Wait.ts"
import * as RedisServer from "./RedisServer.ts"

// Redis is stopped and restarted mid-test: a private server, never the shared one.

const password = "outage-password-never-logged"
const fingerprint = "f".repeat(64)
const lease = Duration.seconds(30)

const assertUnavailable = (error: StoreUnavailable) => {
  assert.strictEqual(error._tag, "StoreUnavailable")
  for (const text of [error.message, String(error), inspect(error, { depth: 10 })]) {
    assert.notInclude(text, password)
  }
}

describe("RedisStore when Redis stops", () => {
  it.live("operations fail with StoreUnavailable while it is down and succeed again after a restart", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.scoped({ password })
      const store = Context.get(
        yield* Layer.build(Logs.capturing(
          RedisStore.layerNode({ url: Redacted.make(server.url), commandTimeout: Duration.millis(500) })
        )),
        IdempotencyStore.IdempotencyStore
      )
      const claimed = yield* store.claim("before", fingerprint, lease)
      if (claimed._tag !== "Claimed") return assert.fail("expected Claimed")

      yield* Effect.promise(server.stop)
      assertUnavailable(yield* Effect.flip(store.claim("during", fingerprint, lease)))
      assertUnavailable(yield* Effect.flip(store.complete("before", claimed.token, lease)))
      assertUnavailable(yield* Effect.flip(store.release("before", claimed.token)))

      yield* Effect.promise(server.restart)
      // The client reconnects by itself (with backoff); the store needs nothing but time.
      const after = yield* store.claim("after", fingerprint, lease).pipe(
        Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 150 })
      )
      assert.strictEqual(after._tag, "Claimed")
      // The restarted server is empty (no persistence): the old claim is gone, and its token with it.
      assert.isFalse(yield* store.complete("before", claimed.token, lease))
      assert.strictEqual((yield* store.claim("before", fingerprint, lease))._tag, "Claimed")
    }).pipe(Effect.scoped))
})

describe("the pipeline on RedisStore when Redis stops (real HTTP)", () => {
  const servers: Array<TestServer> = []
  const redisServers: Array<RedisServer.RedisServer> = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
    await Promise.all(redisServers.splice(0).map((server) => server.stop()))
  })

  it("never acknowledges while Redis is down, and processes the platform's retry once it is back", async () => {
    const redis = await RedisServer.start({ password })
    redisServers.push(redis)
    const secret = Redacted.make("outage-hmac-secret")
    const runs = new Map<string, number>()
    let entered!: () => void
    const slowEntered = new Promise<void>((resolve) => (entered = resolve))
    let finish!: () => void
    const slowMayFinish = new Promise<void>((resolve) => (finish = resolve))
    const handler = defineHandler(Hmac.provider({ secret }), (event) =>
      Effect.gen(function*() {
        runs.set(event.id, (runs.get(event.id) ?? 0) + 1)
        if (event.id === "slow" && runs.get("slow") === 1) {
          entered()
          yield* Effect.promise(() => slowMayFinish)
        }
      }))
    const server = await listen(
      handler,
      Logs.capturing(RedisStore.layerNode({ url: Redacted.make(redis.url), commandTimeout: Duration.millis(500) }))
    )
    servers.push(server)
    const delivery = (id: string) => Hmac.testing.sign({ secret }, { body: `{"id":"${id}"}`, id })
    const outcome = async (id: string) => {
      const response = await server.send(delivery(id))
      const body: unknown = JSON.parse(response.body)
      return { status: response.status, body }
    }

    assert.deepStrictEqual(await outcome("first"), { status: 200, body: { outcome: "Processed" } })

    // A handler is running when Redis goes away.
    const slow = outcome("slow")
    await within(slowEntered, 5000, "the slow handler did not start")
    await redis.stop()

    // A new delivery cannot be claimed: "retry", and the handler does not run.
    assert.deepStrictEqual(await outcome("during"), {
      status: 503,
      body: { outcome: "Failed", reason: "StoreUnavailable" }
    })
    assert.isFalse(runs.has("during"))

    // The running handler succeeds, but its completion cannot be recorded: no ack (rule zero). The
    // request is answered "retry" at the time budget; the completion is retried in the background.
    finish()
    assert.deepStrictEqual(await slow, { status: 503, body: { outcome: "Failed", reason: "TimedOut" } })

    await redis.restart()
    // The platform retries (every 100 ms: its cadence, the scenario) until it gets an ack; every
    // answer before that is a non-ack.
    let answer = await outcome("during")
    for (let attempt = 0; answer.status !== 200 && attempt < 150; attempt++) {
      assert.deepStrictEqual(answer, { status: 503, body: { outcome: "Failed", reason: "StoreUnavailable" } })
      await new Promise((resolve) => setTimeout(resolve, 100))
      answer = await outcome("during")
    }
    assert.deepStrictEqual(
      answer,
      { status: 200, body: { outcome: "Processed" } },
      "Redis is back, but the retries were not processed within 150 attempts"
    )
    assert.deepStrictEqual(await outcome("during"), { status: 200, body: { outcome: "Duplicate" } })
    assert.strictEqual(runs.get("during"), 1)

    // "slow" was never acknowledged, and the restarted Redis (no persistence here) lost its claim, so
    // its completion can never be recorded and the platform's retry runs the handler again: the one
    // case where a handler runs twice is a store that loses its data mid-delivery.
    assert.deepStrictEqual(await outcome("slow"), { status: 200, body: { outcome: "Processed" } })
    assert.strictEqual(runs.get("slow"), 2)
    assert.strictEqual(runs.get("first"), 1)
  }, 60_000)
})
