/**
 * The pipeline runs without a fiber while its stages answer at once (`WebhookHandler.runIn`, what
 * the adapters call): these tests pin when it does, when it does not, and that it answers exactly
 * what the fiber path answers — the guarantees do not depend on the path taken.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, type RawDelivery, StoreUnavailable } from "@hookline/core"
import { Provider, Timestamp } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Hostile from "../../../test-support/Hostile.ts"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("sync-path-secret")
const provider = Hmac.provider({ secret })
const sign = (body: unknown, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { body: JSON.stringify(body), id })

const contextOf = (store: IdempotencyStore.IdempotencyStore["Service"]) =>
  Context.make(IdempotencyStore.IdempotencyStore, store)

// The answer when `runIn` finished at once; `undefined` when it returned an effect still to run.
const atOnce = <A>(effect: Effect.Effect<A, unknown, unknown>): A | undefined => {
  if (!Exit.isExit(effect)) return undefined
  const exit = effect as Exit.Exit<A>
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error("runIn failed at once")
}

describe("the synchronous path (runIn)", () => {
  it("a new delivery and its duplicate finish at once on the memory store with a synchronous handler", () => {
    const store = MemoryStore.make()
    let runs = 0
    const handler = defineHandler(provider, () => Effect.sync(() => void runs++).pipe(Effect.as(undefined)))
    // Effect.sync is not an Exit: the first handler enters the fiber runtime.
    assert.isUndefined(atOnce(handler.runIn(contextOf(store), sign({ n: 0 }))))
    const eager = defineHandler(provider, () => {
      runs++
      return Effect.void
    })
    const raw = sign({ n: 1 })
    assert.strictEqual(atOnce(eager.runIn(contextOf(store), raw))?.status, 200)
    assert.strictEqual(atOnce(eager.runIn(contextOf(store), raw))?.status, 200)
    assert.strictEqual(runs, 1)
  })

  it.effect("a handler that waits: the rest runs in the runtime, with the same answer and one completion", () =>
    Effect.gen(function*() {
      const store = MemoryStore.make()
      let runs = 0
      const handler = defineHandler(provider, () => Effect.andThen(Effect.yieldNow, Effect.sync(() => void runs++)))
      const raw = sign({ n: 2 })
      const pending = handler.runIn(contextOf(store), raw)
      assert.isFalse(Exit.isExit(pending))
      assert.strictEqual(runs, 0)
      const ack = yield* pending.pipe(Effect.provideService(IdempotencyStore.IdempotencyStore, store))
      assert.strictEqual(ack.status, 200)
      assert.strictEqual(runs, 1)
      // Completed: the retry is a duplicate, answered at once.
      assert.strictEqual(atOnce(handler.runIn(contextOf(store), raw))?.status, 200)
      assert.strictEqual(runs, 1)
    }))

  it.effect("a wrapper that spreads the memory store uses its own operations, not the store's immediate path", () =>
    Effect.gen(function*() {
      const inner = MemoryStore.make()
      assert.isDefined(inner.immediate)
      const down = IdempotencyStore.IdempotencyStore.of({
        ...inner,
        claim: () => Effect.fail(new StoreUnavailable({ message: "down" }))
      })
      assert.isUndefined(down.immediate)
      const handler = defineHandler(provider, () => Effect.void)
      const result = handler.runIn(contextOf(down), sign({ n: 3 }))
      const ack = yield* result.pipe(Effect.provideService(IdempotencyStore.IdempotencyStore, down))
      assert.strictEqual(ack.status, 503)
    }))

  it("a provider function that throws while the pipeline runs synchronously is a defect, never a thrown exception", () => {
    const throwing = Provider.make({
      name: "throwing",
      verify: provider.verify,
      key: (payload) => payload.id,
      fingerprint: () => {
        throw new Error("fingerprint bug")
      },
      decode: (payload) => Effect.succeed(payload)
    })
    const result = defineHandler(throwing, () => Effect.void).runIn(contextOf(MemoryStore.make()), sign({ n: 4 }))
    assert.isTrue(Exit.isExit(result))
    assert.isTrue(Exit.isFailure(result as Exit.Exit<unknown>))
  })

  it("an event whose discriminator getter throws after completion: HandlerFailed (500), as in a fiber", () => {
    const hostile = Hostile.throwingTag(provider)
    const store = MemoryStore.make()
    const result = defineHandler(hostile, () => Effect.void).runIn(contextOf(store), sign({ n: 5 }))
    // The failure is logged at Error, which takes a fiber: the answer is an effect, not a throw.
    assert.isFalse(Exit.isExit(result))
    const ack = Effect.runSync(
      result.pipe(Effect.provideService(IdempotencyStore.IdempotencyStore, store), Effect.provide(Logs.layer))
    )
    assert.strictEqual(ack.status, 500)
  })
})

describe("Timestamp.check with the pipeline's clock reading", () => {
  const options = { unit: "seconds", tolerance: "5 minutes" } as const
  it("answers at once with `now`, and reads the fiber's Clock without it", () => {
    const now = 1_800_000_000_000
    const inside = Timestamp.check(String(now / 1000 - 60), options, now)
    assert.isTrue(Exit.isExit(inside) && Exit.isSuccess(inside as Exit.Exit<number>))
    const stale = Timestamp.check(String(now / 1000 - 301), options, now)
    assert.isTrue(Exit.isExit(stale) && Exit.isFailure(stale as Exit.Exit<number>))
    assert.isFalse(Exit.isExit(Timestamp.check(String(now / 1000), options)))
  })
})
