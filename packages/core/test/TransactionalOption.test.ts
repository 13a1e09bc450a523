/**
 * `transactional: true` on a store that runs no transactions: `start()` refuses it, and without
 * `start()` every delivery fails before its claim, answered "retry", and the log says what to change. (The mode itself is tested with
 * `SqlStore` on PostgreSQL: packages/store-sql/test/Transactional.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, Misconfigured, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const options = { secret: Redacted.make("transactional-secret"), name: "tx" } as const

describe("transactional handlers without a transactional store", () => {
  it("are refused at start-up with Misconfigured, naming the route", async () => {
    const handler = defineHandler(Hmac.provider(options), () => Effect.void, { transactional: true })
    const plain = defineHandler(Hmac.provider({ ...options, name: "plain" }), () => Effect.void)
    const listener = toNodeListener(route({ "/tx": handler, "/plain": plain }), MemoryStore.layer())
    try {
      const error = await listener.start().then(() => undefined, (error: unknown) => error)
      assert.instanceOf(error, Misconfigured)
      assert.match(
        (error as Misconfigured).message,
        /^\/tx: tx: the handler is transactional, but the IdempotencyStore runs no transactions/
      )
      assert.notInclude((error as Misconfigured).message, "/plain")
    } finally {
      await listener.dispose()
    }
  })

  it("fail every delivery before its claim, saying why", async () => {
    let runs = 0
    const handler = defineHandler(Hmac.provider(options), () => Effect.sync(() => runs++), { transactional: true })
    const store = MemoryStore.make()
    const logs = Logs.make()
    const server = await listen(
      handler,
      Layer.merge(Layer.succeed(IdempotencyStore.IdempotencyStore, store), logs.layer)
    )
    try {
      const delivery = Hmac.testing.sign(options, { body: { order: 1 }, id: "memory-1" })
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 503)
      assert.include(first.body, "StoreUnavailable")
      assert.strictEqual((await server.send(delivery)).status, 503, "nothing was claimed: the retry fails alike")
      assert.strictEqual(runs, 0)
      const claim = await Effect.runPromise(store.claim("tx:memory-1", "fingerprint", Duration.minutes(1)))
      assert.strictEqual(claim._tag, "Claimed", "the key is still free")
      assert.strictEqual(logs.matching(/runs no transactions: use SqlStore/).length, 2)
    } finally {
      await server.close()
    }
  })

  it("the same handler without the option runs on the memory store", async () => {
    let runs = 0
    const handler = defineHandler(Hmac.provider(options), () => Effect.sync(() => runs++), { transactional: false })
    const server = await listen(handler, MemoryStore.layer())
    try {
      const answer = await server.send(Hmac.testing.sign(options, { body: { order: 1 }, id: "memory-2" }))
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(runs, 1)
    } finally {
      await server.close()
    }
  })
})
