/**
 * Graceful shutdown against a store with real connections and finalizers, over real HTTP: the
 * promises `dispose()` makes, registered as one suite that store-redis and store-sql run against
 * their real servers (the memory store has no connection to close, so it hides ordering bugs).
 *
 * - A handler that finishes while the receiver shuts down records its completion: the platform's
 *   retry, to a new process on the same store, is a `Duplicate` and the handler does not run again.
 * - `dispose()` ends within `shutdownTimeout` even when a handler sits in an uninterruptible section.
 * - A handler still running when the time is up is interrupted and releases its claim: the retry is
 *   processed at once (not answered "in flight" for the rest of the lease).
 */
import { defineHandler, Hmac, type IdempotencyStore } from "@hookline/core"
import { listen } from "@hookline/core/testing"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { assert, describe, it } from "vitest"
import * as Logs from "./Logs.ts"
import { within } from "./Wait.ts"

const options = { secret: Redacted.make("shutdown-secret"), name: "shutdown" } as const

/**
 * Registers the shutdown suite. `layer(scope)` must give a fresh store layer (its own connections)
 * over a namespace shared by every call with the same `scope`, so two "processes" see one store.
 */
export const shutdownSuite = (
  name: string,
  layer: (scope: string) => Layer.Layer<IdempotencyStore.IdempotencyStore, unknown>
): void => {
  describe(`${name}: graceful shutdown`, () => {
    // Each "process" gets its own store layer, with the test's log capture applied.
    const storeOf = (scope: string) => Logs.capturing(layer(scope))
    const scopeOf = (test: string) => `${test}-${process.pid}-${Date.now()}`

    it("a handler finishing during shutdown records its completion: the retry is a Duplicate, run once", async () => {
      const scope = scopeOf("complete")
      const runs: Array<string> = []
      const started = Deferred.makeUnsafe<void>()
      const handler = defineHandler(
        Hmac.provider(options),
        (event) =>
          Effect.gen(function*() {
            yield* Deferred.succeed(started, undefined)
            // The scenario: a handler that outlives the 100 ms budget and is still running when
            // shutdown begins (the test waits for the 503 first), finishing some 500 ms into it.
            yield* Effect.sleep("600 millis")
            runs.push(event.id)
          }),
        { timeBudget: "100 millis" }
      )
      const delivery = Hmac.testing.sign(options, { body: { order: 1 }, id: "order-1" })
      const first = await listen(handler, storeOf(scope), { shutdownTimeout: "10 seconds" })
      const answer = await first.send(delivery)
      assert.strictEqual(answer.status, 503, "past the time budget the platform is told to retry")
      assert.include(answer.body, "TimedOut")
      await within(Effect.runPromise(Deferred.await(started)), 5000, "the handler did not start")
      // Shut down while the handler is still running: it finishes, and its completion must reach
      // the store before the store's connections close.
      await within(first.close(), 5000, "dispose did not end")
      assert.deepStrictEqual(runs, ["order-1"], "the handler finished during shutdown")

      const second = await listen(handler, storeOf(scope))
      try {
        const retry = await second.send(delivery)
        assert.strictEqual(retry.status, 200, `the retry must be acknowledged as a duplicate, got ${retry.body}`)
        assert.include(retry.body, "Duplicate")
        assert.deepStrictEqual(runs, ["order-1"], "the handler must not run a second time")
      } finally {
        await second.close()
      }
    })

    it("dispose ends within shutdownTimeout even when a handler cannot be interrupted", async () => {
      const scope = scopeOf("bounded")
      const started = Deferred.makeUnsafe<void>()
      const release = Deferred.makeUnsafe<void>()
      const handler = defineHandler(
        Hmac.provider(options),
        () =>
          Effect.uninterruptible(
            Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(release))
          ),
        { timeBudget: "50 millis" }
      )
      const server = await listen(handler, storeOf(scope), { shutdownTimeout: "800 millis" })
      const answer = await server.send(Hmac.testing.sign(options, { body: { order: 2 }, id: "order-2" }))
      assert.strictEqual(answer.status, 503)
      await within(Effect.runPromise(Deferred.await(started)), 5000, "the handler did not start")
      const begun = performance.now()
      try {
        await within(server.close(), 3000, "dispose waited for an uninterruptible handler")
        const took = performance.now() - begun
        assert.isAtMost(took, 800 + 400, `dispose took ${Math.round(took)} ms with a shutdownTimeout of 800 ms`)
      } finally {
        // Let the abandoned handler end, so nothing outlives the test.
        await Effect.runPromise(Deferred.succeed(release, undefined))
      }
    })

    it("a handler still running at the end of shutdown is interrupted and releases its claim", async () => {
      const scope = scopeOf("release")
      const runs: Array<string> = []
      const seen: Array<string> = []
      const started = Deferred.makeUnsafe<void>()
      const slow = defineHandler(
        Hmac.provider(options),
        (_event, context) =>
          Effect.andThen(
            Effect.sync(() => context.signal.addEventListener("abort", () => seen.push("signal aborted"))),
            Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
          ).pipe(Effect.onInterrupt(() => Effect.sync(() => seen.push("interrupted")))),
        // A long lease: were the claim not released, the retry would be answered InFlight.
        { timeBudget: "50 millis", lease: "5 minutes" }
      )
      const delivery = Hmac.testing.sign(options, { body: { order: 3 }, id: "order-3" })
      const first = await listen(slow, storeOf(scope), { shutdownTimeout: "600 millis" })
      assert.strictEqual((await first.send(delivery)).status, 503)
      await within(Effect.runPromise(Deferred.await(started)), 5000, "the handler did not start")
      await within(first.close(), 3000, "dispose did not end")
      assert.sameMembers(seen, ["interrupted", "signal aborted"], "the handler was interrupted and its signal aborted")

      const quick = defineHandler(Hmac.provider(options), (event) => Effect.sync(() => runs.push(event.id)))
      const second = await listen(quick, storeOf(scope))
      try {
        const retry = await second.send(delivery)
        assert.strictEqual(retry.status, 200, `the released key must be processed again, got ${retry.body}`)
        assert.include(retry.body, "Processed")
        assert.deepStrictEqual(runs, ["order-3"])
      } finally {
        await second.close()
      }
    })
  })
}
