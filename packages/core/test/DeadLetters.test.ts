/**
 * Dead letters through real HTTP: what the pipeline keeps (only authentic failures, the exact
 * request), what resolves an entry, and replay — verified again, tolerance measured from the first
 * receipt, the handler run once even when a replay races the platform's retry.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  DeadLetters,
  DeadLetterStore,
  defineHandler,
  Hmac,
  IdempotencyStore,
  type RawDelivery,
  route,
  StoreUnavailable
} from "@hookline/core"
import { listen } from "@hookline/core/testing"
import { MemoryDeadLetterStore, MemoryStore } from "@hookline/store-memory"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("dead-letters-test-secret")
// A signed millisecond timestamp with a 1 s tolerance: a retry a little later is already stale.
const options = {
  secret,
  signedContent: "timestamp.body",
  timestampHeader: "x-timestamp",
  timestampUnit: "milliseconds",
  tolerance: "1 second"
} as const
const provider = Hmac.provider(options)
const sign = (body: string, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign(options, { body, id, url: "/hooks" })

class Down extends Error {
  readonly _tag = "DatabaseDown"
}

// A handler whose database can be down, listing the deliveries (their ids) it handled.
const makeApp = () => {
  const state = { down: true, handled: [] as Array<string> }
  const handler = defineHandler(provider, (event) =>
    state.down
      ? Effect.fail(new Down("connection refused"))
      : Effect.sync(() => {
        state.handled.push(event.id)
      }))
  return { state, handler, routes: route({ "/hooks": handler }) }
}

// The stores the server and the replayer share (one process here; the store is the shared state).
const stores = () => {
  const deadLetters = MemoryDeadLetterStore.make()
  const store = MemoryStore.make()
  const layer = Layer.mergeAll(
    Layer.succeed(DeadLetterStore.DeadLetterStore, deadLetters),
    Layer.succeed(IdempotencyStore.IdempotencyStore, store)
  )
  return { deadLetters, layer: Logs.capturing(layer) }
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

describe("dead letters through HTTP", () => {
  it("a failed authentic delivery is kept byte for byte; its retry counts an attempt; a forgery is not kept", async () => {
    const app = makeApp()
    const { deadLetters, layer } = stores()
    const server = await listen(app.routes, layer)
    try {
      const body = `{"id":"evt_1","amount":9007199254740993,"note":"caf\u00e9"}`
      const delivery = sign(body, "delivery-1")
      assert.strictEqual((await server.send(delivery)).status, 500)
      const entry = await run(deadLetters.get("hmac:delivery-1"))
      if (entry === undefined) return assert.fail("the failed delivery was not kept")
      assert.strictEqual(new TextDecoder().decode(entry.delivery.body), body)
      assert.strictEqual(entry.delivery.headers["x-signature"], delivery.headers["x-signature"])
      assert.strictEqual(entry.delivery.url, "/hooks")
      assert.strictEqual(entry.provider, "hmac")
      assert.strictEqual(entry.attempts, 1)
      assert.strictEqual(entry.reason.tag, "HandlerFailed")
      assert.include(entry.reason.message, "DatabaseDown: connection refused")
      assert.isUndefined(entry.resolvedAt)

      assert.strictEqual((await server.send(delivery)).status, 500)
      assert.strictEqual((await run(deadLetters.get("hmac:delivery-1")))?.attempts, 2)

      const forged = { ...sign(body, "forged-1"), body: new TextEncoder().encode(body.replace("evt_1", "evt_2")) }
      assert.strictEqual((await server.send(forged)).status, 401)
      const all = await run(deadLetters.list())
      assert.deepStrictEqual(all.map((e) => e.key), ["hmac:delivery-1"])
    } finally {
      await server.close()
    }
  })

  it("the platform's later successful retry resolves the entry", async () => {
    const app = makeApp()
    const { deadLetters, layer } = stores()
    const server = await listen(app.routes, layer)
    try {
      const delivery = sign(`{"id":"evt_retry"}`, "delivery-retry")
      assert.strictEqual((await server.send(delivery)).status, 500)
      app.state.down = false
      assert.strictEqual((await server.send(delivery)).status, 200)
      const entry = await run(deadLetters.get("hmac:delivery-retry"))
      assert.isNumber(entry?.resolvedAt)
      assert.deepStrictEqual(await run(deadLetters.list({ status: "open" })), [])
      assert.deepStrictEqual(app.state.handled, ["delivery-retry"])
    } finally {
      await server.close()
    }
  })

  it("replay after the platform gave up: verified again, stale only for the platform, the handler runs once", async () => {
    const app = makeApp()
    const { deadLetters, layer } = stores()
    const server = await listen(app.routes, layer)
    try {
      const delivery = sign(`{"id":"evt_late"}`, "delivery-late")
      assert.strictEqual((await server.send(delivery)).status, 500)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      app.state.down = false
      // The platform's own retry of the same bytes is now outside the tolerance: refused, not kept.
      assert.strictEqual((await server.send(delivery)).status, 401)
      assert.strictEqual((await run(deadLetters.get("hmac:delivery-late")))?.attempts, 1)

      const replayer = DeadLetters.layer(app.routes).pipe(Layer.provide(layer))
      const replayed = await run(Effect.provide(DeadLetters.replay("hmac:delivery-late"), replayer))
      assert.strictEqual(replayed.outcome._tag, "Processed")
      assert.deepStrictEqual(app.state.handled, ["delivery-late"])
      assert.isNumber((await run(deadLetters.get("hmac:delivery-late")))?.resolvedAt)

      // Again: a duplicate, the handler is not run twice.
      const again = await run(Effect.provide(DeadLetters.replay("hmac:delivery-late"), replayer))
      assert.strictEqual(again.outcome._tag, "Duplicate")
      assert.deepStrictEqual(app.state.handled, ["delivery-late"])
    } finally {
      await server.close()
    }
  })

  it("a replay still verifies the signature: an entry altered in the store is Rejected and never handled", async () => {
    const app = makeApp()
    const { deadLetters, layer } = stores()
    const server = await listen(app.routes, layer)
    try {
      assert.strictEqual((await server.send(sign(`{"id":"evt_t"}`, "delivery-t"))).status, 500)
      app.state.down = false
      const entry = await run(deadLetters.get("hmac:delivery-t"))
      if (entry === undefined) return assert.fail("not kept")
      // Someone with access to the store changes the body.
      await run(deadLetters.purge(entry.key))
      await run(deadLetters.record({
        key: entry.key,
        provider: entry.provider,
        delivery: { ...entry.delivery, body: new TextEncoder().encode(`{"id":"evt_evil"}`) },
        receivedAt: entry.receivedAt,
        reason: entry.reason,
        at: entry.lastFailedAt
      }))
      const replayer = DeadLetters.layer(app.routes).pipe(Layer.provide(layer))
      const replayed = await run(Effect.provide(DeadLetters.replay(entry.key), replayer))
      assert.strictEqual(replayed.outcome._tag, "Rejected")
      assert.deepStrictEqual(app.state.handled, [])
    } finally {
      await server.close()
    }
  })

  it("a replay racing the platform's retry runs the handler once", async () => {
    const { deadLetters, layer } = stores()
    const gate = Effect.runSync(Deferred.make<void>())
    const state = { down: true, runs: 0 }
    const handler = defineHandler(provider, () =>
      state.down
        ? Effect.fail(new Down("connection refused"))
        : Effect.andThen(Effect.sync(() => state.runs++), Deferred.await(gate)))
    const routes = route({ "/hooks": handler })
    const server = await listen(routes, layer)
    try {
      const delivery = sign(`{"id":"evt_race"}`, "delivery-race")
      assert.strictEqual((await server.send(delivery)).status, 500)
      state.down = false
      // The platform's retry is being handled (held at the gate) while the replay comes in.
      const retry = server.send(delivery)
      while (state.runs === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      const replayer = DeadLetters.layer(routes).pipe(Layer.provide(layer))
      const replayed = await run(Effect.provide(DeadLetters.replay("hmac:delivery-race"), replayer))
      assert.strictEqual(replayed.outcome._tag, "InFlight")
      Effect.runSync(Deferred.succeed(gate, undefined))
      assert.strictEqual((await retry).status, 200)
      const after = await run(Effect.provide(DeadLetters.replay("hmac:delivery-race"), replayer))
      assert.strictEqual(after.outcome._tag, "Duplicate")
      assert.strictEqual(state.runs, 1)
      assert.isNumber((await run(deadLetters.get("hmac:delivery-race")))?.resolvedAt)
    } finally {
      await server.close()
    }
  })

  it("replayAll replays the open entries of a provider since a time; unknown keys and providers are typed errors", async () => {
    const app = makeApp()
    const { deadLetters, layer } = stores()
    const server = await listen(app.routes, layer)
    try {
      for (const id of ["a", "b", "c"]) {
        assert.strictEqual((await server.send(sign(`{"id":"evt_${id}"}`, `delivery-${id}`))).status, 500)
      }
      await run(deadLetters.record({
        key: "other:1",
        provider: "other",
        delivery: sign(`{"id":"evt_other"}`),
        receivedAt: Date.now(),
        reason: { tag: "TimedOut", message: "slow" },
        at: Date.now()
      }))
      app.state.down = false
      const replayer = DeadLetters.layer(app.routes).pipe(Layer.provide(layer))
      const results = await run(Effect.provide(DeadLetters.replayAll({ provider: "hmac" }), replayer))
      assert.deepStrictEqual(results.map((r) => r._tag === "Replayed" ? r.outcome._tag : r._tag), [
        "Processed",
        "Processed",
        "Processed"
      ])
      assert.deepStrictEqual(app.state.handled, ["delivery-a", "delivery-b", "delivery-c"])
      assert.deepStrictEqual((await run(deadLetters.list({ status: "open" }))).map((e) => e.key), ["other:1"])

      const everything = await run(Effect.provide(DeadLetters.replayAll(), replayer))
      assert.deepStrictEqual(everything.map((r) => r._tag), ["NoHandler"])
      const missing = await run(Effect.flip(Effect.provide(DeadLetters.replay("hmac:nope"), replayer)))
      assert.strictEqual(missing._tag, "DeadLetterNotFound")
    } finally {
      await server.close()
    }
  })

  it("a dead-letter store that fails changes no answer: 500 stays 500, 200 stays 200", async () => {
    const app = makeApp()
    const failing = DeadLetterStore.DeadLetterStore.of({
      ...MemoryDeadLetterStore.make(),
      record: () => Effect.fail(new StoreUnavailable({ message: "dead letters down" })),
      resolve: () => Effect.fail(new StoreUnavailable({ message: "dead letters down" }))
    })
    const layer = Logs.capturing(Layer.mergeAll(
      Layer.succeed(DeadLetterStore.DeadLetterStore, failing),
      MemoryStore.layer()
    ))
    const server = await listen(app.routes, layer)
    try {
      assert.strictEqual((await server.send(sign(`{"id":"evt_x"}`, "delivery-x"))).status, 500)
      app.state.down = false
      assert.strictEqual((await server.send(sign(`{"id":"evt_x"}`, "delivery-x"))).status, 200)
      assert.deepStrictEqual(app.state.handled, ["delivery-x"])
    } finally {
      await server.close()
    }
  })
})

describe("the dead-letter counter", () => {
  it.effect("counts recorded, resolved and unrecorded dead letters per provider", () =>
    Effect.gen(function*() {
      const name = `dl-metrics-${crypto.randomUUID().slice(0, 8)}`
      // No timestamp: the test's clock is TestClock.
      const counted = Hmac.provider({ secret, name })
      let down = true
      const handler = defineHandler(counted, () => down ? Effect.fail(new Down("refused")) : Effect.void)
      const delivery = Hmac.testing.sign({ secret, name }, { body: "{}", id: "m-1" })
      const count = (event: string) =>
        Effect.map(
          Metric.value(Metric.withAttributes(DeadLetterStore.events, { provider: name, event })),
          (state) => state.count
        )
      const memory = Layer.mergeAll(MemoryStore.layer(), MemoryDeadLetterStore.layer())
      yield* Effect.provide(
        Effect.gen(function*() {
          yield* handler.run(delivery)
          yield* handler.run(delivery)
          down = false
          yield* handler.run(delivery)
        }),
        memory
      )
      assert.strictEqual(yield* count("recorded"), 2)
      assert.strictEqual(yield* count("resolved"), 1)
      assert.strictEqual(yield* count("unrecorded"), 0)

      down = true
      const failing = Layer.mergeAll(
        MemoryStore.layer(),
        Layer.succeed(
          DeadLetterStore.DeadLetterStore,
          DeadLetterStore.DeadLetterStore.of({
            ...MemoryDeadLetterStore.make(),
            record: () => Effect.fail(new StoreUnavailable({ message: "dead letters down" }))
          })
        )
      )
      yield* Effect.provide(handler.run(delivery), Logs.capturing(failing))
      assert.strictEqual(yield* count("unrecorded"), 1)
    }))
})
