/**
 * The pipeline's promises at their edges: the claim's deadline and what the handler gets to fence
 * its own writes, a defect anywhere after the claim giving the key back, a completion the store
 * refused never acknowledged, and what a rejection may put in a log line.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  DecodeFailed,
  defineHandler,
  Hmac,
  IdempotencyStore,
  MalformedDelivery,
  Outcome,
  type RawDelivery,
  WebhookHandler
} from "@hookline/core"
import { Provider } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("promises-test-secret")
const provider = Hmac.provider({ secret })
const sign = (body: unknown, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { body: JSON.stringify(body), id })
const label = Outcome.label

type Store = IdempotencyStore.IdempotencyStore["Service"]

// A real memory store with some operations replaced, its logs captured.
const storeWith = (override: (store: Store) => Partial<Store>) => {
  const store = MemoryStore.make()
  return Logs.capturing(Layer.succeed(
    IdempotencyStore.IdempotencyStore,
    IdempotencyStore.IdempotencyStore.of({ ...store, ...override(store) })
  ))
}

describe("the claim's deadline and the handler's fence", () => {
  it.effect("the deadline runs from before the claim, minus the margin; the token is the store's", () =>
    Effect.gen(function*() {
      const tokens: Array<string> = []
      // A claim whose reply takes 2 s (a slow network, a busy event loop).
      const slowClaim = storeWith((store) => ({
        claim: (key, fingerprint, lease) =>
          Effect.delay(
            Effect.tap(store.claim(key, fingerprint, lease), (claim) =>
              Effect.sync(() => {
                if (claim._tag === "Claimed") tokens.push(claim.token)
              })),
            "2 seconds"
          )
      }))
      const seen: Array<WebhookHandler.DeliveryContext> = []
      const events: Array<string> = []
      const handler = defineHandler(
        provider,
        (_event, context) =>
          Effect.andThen(
            Effect.sync(() => {
              seen.push(context)
              context.signal.addEventListener("abort", () => events.push("aborted"))
            }),
            Effect.never
          ).pipe(Effect.onInterrupt(() => Effect.sync(() => events.push("interrupted")))),
        { lease: "20 seconds", timeBudget: "1 minute" }
      )
      const pending = yield* Effect.forkChild(handler.process(sign({ order: 1 })).pipe(Effect.provide(slowClaim)))
      yield* TestClock.adjust("2 seconds")
      const context = seen[0]!
      // Sent at 0, lease 20 s from when the store got it (≥ 0): the deadline is 20 s − 1 s margin.
      assert.strictEqual(context.deadline, 19_000)
      assert.strictEqual(WebhookHandler.leaseMargin(handler.settings.lease), 1000)
      assert.deepStrictEqual([context.token], tokens)
      assert.isFalse(context.signal.aborted)
      yield* TestClock.adjust(`${19_000 - 2000 - 1} millis`)
      assert.deepStrictEqual(events, [], "nothing stops the handler before its deadline")
      yield* TestClock.adjust("1 millis")
      const outcome = yield* Fiber.join(pending)
      assert.strictEqual(label(outcome), "Failed(TimedOut)")
      assert.deepStrictEqual(events, ["aborted", "interrupted"], "the signal is aborted, then the handler interrupted")
    }))

  it.effect("a short lease's margin is a tenth of it", () =>
    Effect.sync(() => assert.strictEqual(WebhookHandler.leaseMargin(Duration.millis(500)), 50)))
})

describe("a handler that succeeded is recorded, even at its deadline", () => {
  it.effect("a completion still in flight when the deadline passes is not cut off: the retry is a Duplicate", () =>
    Effect.gen(function*() {
      // The handler's write is done just before its deadline (9 s: a 10 s lease minus the 1 s
      // margin); the store takes 500 ms to record the completion, within its own 10 s lease.
      let completes = 0
      const slowComplete = storeWith((store) => ({
        complete: (key, token, retain) =>
          ++completes === 1
            ? Effect.delay(store.complete(key, token, retain), "500 millis")
            : store.complete(key, token, retain)
      }))
      let runs = 0
      const handler = defineHandler(
        provider,
        () => Effect.andThen(Effect.sleep("8900 millis"), Effect.sync(() => runs++)),
        { lease: "10 seconds", timeBudget: "1 minute" }
      )
      const raw = sign({ order: 8 })
      yield* Effect.gen(function*() {
        const pending = yield* Effect.forkChild(handler.process(raw))
        yield* TestClock.adjust("8900 millis")
        yield* TestClock.adjust("100 millis") // the deadline passes while `complete` runs
        yield* TestClock.adjust("400 millis")
        yield* Fiber.join(pending)
        // The platform's retry, to a handler that would not wait: Processed would mean a second run.
        const retry = defineHandler(provider, () => Effect.sync(() => runs++))
        assert.strictEqual(label(yield* retry.process(raw)), "Duplicate", "the completion was recorded")
        assert.strictEqual(runs, 1, "the handler ran once")
      }).pipe(Effect.provide(slowComplete))
    }))
})

describe("a defect after the claim gives the key back at once", () => {
  it.effect("a decoder that throws: Failed(DecodeFailed), released (the retry is decoded again, not InFlight)", () =>
    Effect.gen(function*() {
      let decodes = 0
      const throwing = Provider.make({
        name: "throwing",
        verify: provider.verify,
        key: (payload) => payload.id,
        decode: () =>
          Effect.sync(() => {
            decodes++
            throw new Error("decoder bug")
          })
      })
      const handler = defineHandler(throwing, () => Effect.void, { lease: "10 minutes" })
      const raw = sign({ order: 2 })
      const first = yield* handler.process(raw)
      assert.strictEqual(label(first), "Failed(DecodeFailed)")
      assert.notStrictEqual(handler.respond(first).status, 200)
      assert.strictEqual(label(yield* handler.process(raw)), "Failed(DecodeFailed)")
      assert.strictEqual(decodes, 2)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a store whose complete throws: not acknowledged, released (the retry runs the handler again)", () =>
    Effect.gen(function*() {
      let completes = 0
      const store = storeWith((store) => ({
        complete: (key, token, retain) =>
          ++completes === 1 ? Effect.die(new Error("store bug")) : store.complete(key, token, retain)
      }))
      let runs = 0
      const handler = defineHandler(provider, () => Effect.sync(() => runs++), { lease: "10 minutes" })
      const raw = sign({ order: 3 })
      const first = yield* handler.process(raw).pipe(Effect.provide(store))
      assert.strictEqual(label(first), "Failed(StoreUnavailable)")
      assert.notStrictEqual(handler.respond(first).status, 200)
      assert.strictEqual(label(yield* handler.process(raw).pipe(Effect.provide(store))), "Processed")
      assert.strictEqual(runs, 2)
    }))

  it.effect("a completion the store refused (the lease ran out) is Failed(TimedOut), never acknowledged", () =>
    Effect.gen(function*() {
      const refused = storeWith(() => ({ complete: () => Effect.succeed(false) }))
      const handler = defineHandler(provider, () => Effect.void)
      const outcome = yield* handler.process(sign({ order: 4 })).pipe(Effect.provide(refused))
      assert.strictEqual(label(outcome), "Failed(TimedOut)")
      assert.strictEqual(handler.respond(outcome).status, 503)
    }))
})

describe("what an outcome puts in the log", () => {
  it.effect("a rejection's message names only its tag; request data goes escaped and truncated into an annotation", () =>
    Effect.gen(function*() {
      const logs = Logs.make({ minimumLevel: "All" })
      // A provider whose rejection quotes the request (as EM's appid check once did).
      const forged = `x\n{"handled":"hmac","tag":"HmacEvent","key":"hmac:forged"}\n${"y".repeat(500)}`
      const quoting = Provider.make({
        name: "quoting",
        verify: (raw) => Effect.fail(new MalformedDelivery({ message: `bad appid ${raw.headers["x-appid"]}` })),
        key: () => "never",
        decode: () => Effect.fail(new DecodeFailed({ message: "never" }))
      })
      const handler = defineHandler(quoting, () => Effect.void)
      const raw = sign({ order: 5 })
      yield* handler.run({ ...raw, headers: { ...raw.headers, "x-appid": forged } })
        .pipe(Effect.provide(logs.capturing(MemoryStore.layer())))
      const entry = logs.matching("webhook rejected")[0]!
      assert.strictEqual(entry.message, "webhook rejected: MalformedDelivery")
      const detail = String(entry.annotations["hookline.detail"])
      assert.notInclude(detail, "\n")
      assert.include(detail, "bad appid x\\n{\\\"handled\\\"")
      assert.isAtMost(detail.length, 201)
    }))

  it.effect("levels: Rejected → WARN, Failed → ERROR, InFlight → INFO, Processed and Duplicate → DEBUG", () =>
    Effect.gen(function*() {
      const logs = Logs.make({ minimumLevel: "All" })
      const gate = yield* Deferred.make<void>()
      const slow = defineHandler(provider, () => Deferred.await(gate), { timeBudget: "1 second" })
      const failing = defineHandler(provider, () => Effect.fail("no"))
      const ok = defineHandler(provider, () => Effect.void)
      const levelOf = (prefix: string) => logs.matching(prefix).map((entry) => entry.level)
      yield* Effect.gen(function*() {
        const raw = sign({ order: 6 })
        const pending = yield* Effect.forkChild(slow.process(raw))
        yield* Effect.yieldNow
        yield* ok.process(raw) // in flight
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(pending)
        yield* ok.process(raw) // duplicate
        yield* ok.process({ ...raw, headers: { ...raw.headers, "x-signature": "0" } }) // rejected
        yield* failing.process(sign({ order: 7 })) // failed
      }).pipe(Effect.provide(logs.capturing(MemoryStore.layer())))
      assert.deepStrictEqual(levelOf("webhook in flight"), ["Info"])
      assert.deepStrictEqual(levelOf("webhook processed"), ["Debug"])
      assert.deepStrictEqual(levelOf("webhook duplicate"), ["Debug"])
      assert.deepStrictEqual(levelOf("webhook rejected"), ["Warn"])
      assert.deepStrictEqual(levelOf("webhook handler failed"), ["Error"])
    }))
})
