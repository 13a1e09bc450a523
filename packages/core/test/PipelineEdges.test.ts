/**
 * More pins on the pipeline (`WebhookHandler.ts`) from mutation testing: the exact edges of the
 * method and body checks, what each outcome says (messages, log lines and their annotations), the
 * time budget meeting the deadline, shutdown, a handler interrupting itself, settings, and the
 * guard (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import {
  BodyTooLarge,
  DecodeFailed,
  defineHandler,
  Hmac,
  IdempotencyStore,
  MalformedDelivery,
  Outcome,
  type RawDelivery,
  StoreUnavailable,
  WebhookHandler
} from "@hookline/core"
import * as BackgroundModule from "@hookline/core/internal/Background"
import { Background } from "@hookline/core/internal/Background"
import { Provider } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as Hostile from "../../../test-support/Hostile.ts"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("pipeline-edges-secret")
const provider = Hmac.provider({ secret })
const sign = (body: unknown, id: string = crypto.randomUUID()): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { body: JSON.stringify(body), id })
const label = Outcome.label
const store = () => Logs.capturing(MemoryStore.layer())

const reasonOf = (outcome: Outcome.Outcome) =>
  outcome._tag === "Rejected" || outcome._tag === "Failed" ? outcome.reason : undefined

// A reason's fields, its message included (an error's `message` is not enumerable).
const fieldsOf = (outcome: Outcome.Outcome): Record<string, unknown> | undefined => {
  const reason = reasonOf(outcome)
  return reason === undefined ? undefined : { ...reason, message: reason.message }
}

describe("before verification", () => {
  it.effect("the method is compared case-insensitively; its refusal names it", () =>
    Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      const raw = sign({ n: 1 })
      assert.strictEqual(label(yield* handler.process({ ...raw, method: "post" })), "Processed")
      const refused = yield* handler.process({ ...raw, method: "PUT" })
      assert.strictEqual(label(refused), "Rejected(MethodNotAllowed)")
      assert.isUndefined(refused.key)
      assert.deepStrictEqual(
        fieldsOf(refused),
        { _tag: "MethodNotAllowed", message: "Method PUT is not allowed", method: "PUT" }
      )
    }).pipe(Effect.provide(store())))

  it.effect("a body exactly at the limit is accepted, one byte more is refused with the limit", () =>
    Effect.gen(function*() {
      const raw = sign({ n: 2 })
      const handler = defineHandler(provider, () => Effect.void, { bodyLimit: raw.body.length })
      assert.strictEqual(label(yield* handler.process(raw)), "Processed")
      const smaller = defineHandler(provider, () => Effect.void, { bodyLimit: raw.body.length - 1 })
      const refused = yield* smaller.process(sign({ n: 3 }))
      assert.strictEqual(label(refused), "Rejected(BodyTooLarge)")
      const reason = reasonOf(refused)
      assert.strictEqual(reason?.message, `Body exceeds the limit of ${raw.body.length - 1} bytes`)
      assert.strictEqual(reason?._tag === "BodyTooLarge" ? reason.limit : undefined, raw.body.length - 1)
    }).pipe(Effect.provide(store())))
})

describe("what each outcome carries", () => {
  it.effect("a repeat with another payload: PayloadMismatch naming the key", () =>
    Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      yield* handler.process(sign({ n: 4 }, "same-id"))
      const mismatch = yield* handler.process(sign({ n: 5 }, "same-id"))
      assert.deepStrictEqual(
        fieldsOf(mismatch),
        {
          _tag: "PayloadMismatch",
          message: "This key was already completed with a different payload",
          key: "hmac:same-id"
        }
      )
      assert.strictEqual(mismatch.key, "hmac:same-id")
      assert.strictEqual(label(yield* handler.process(sign({ n: 4 }, "same-id"))), "Duplicate")
    }).pipe(Effect.provide(store())))

  it.effect("a key the provider cannot read: Rejected without a key; the claim is never made", () =>
    Effect.gen(function*() {
      let claims = 0
      const inner = MemoryStore.make()
      const counting = Logs.capturing(Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({
          ...inner,
          claim: (...args) =>
            Effect.suspend(() => {
              claims++
              return inner.claim(...args)
            })
        })
      ))
      const keyless = Provider.make({
        name: "keyless",
        verify: provider.verify,
        key: () => Result.fail(new MalformedDelivery({ message: "no key here" })),
        decode: () => Effect.fail(new DecodeFailed({ message: "never" }))
      })
      const outcome = yield* defineHandler(keyless, () => Effect.void).process(sign({ n: 6 })).pipe(
        Effect.provide(counting)
      )
      assert.strictEqual(label(outcome), "Rejected(MalformedDelivery)")
      assert.isUndefined(outcome.key)
      assert.strictEqual(claims, 0)
    }))

  it.effect("a decoder that throws, a store whose complete throws: their messages", () =>
    Effect.gen(function*() {
      const throwing = Provider.make({
        name: "throwing",
        verify: provider.verify,
        key: (payload) => payload.id,
        decode: () => Effect.sync(() => JSON.parse("{"))
      })
      const decoded = yield* defineHandler(throwing, () => Effect.void).process(sign({ n: 7 }))
      assert.strictEqual(reasonOf(decoded)?.message, "The decoder threw an exception")
      const inner = MemoryStore.make()
      const dying = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({ ...inner, complete: () => Effect.die(new Error("bug")) })
      )
      const completed = yield* defineHandler(provider, () => Effect.void).process(sign({ n: 8 })).pipe(
        Effect.provide(dying)
      )
      assert.strictEqual(reasonOf(completed)?.message, "The store failed unexpectedly while recording the completion")
    }).pipe(Effect.provide(store())))

  it.effect("an event that is not an object is Processed without an event tag", () =>
    Effect.gen(function*() {
      const plain = Provider.make({
        name: "plain",
        verify: provider.verify,
        key: (payload) => payload.id,
        decode: (payload) => Effect.succeed(`event ${payload.id}`)
      })
      const outcome = yield* defineHandler(plain, () => Effect.void).process(sign({ n: 9 }, "p1"))
      assert.deepStrictEqual(outcome, Outcome.Processed({ key: "plain:p1", eventTag: undefined }))
    }).pipe(Effect.provide(store())))

  it.effect("only a string _tag of an object is an event tag", () =>
    Effect.gen(function*() {
      const events: Array<unknown> = [null, { _tag: 5 }, {}, [], { _tag: "Paid" }]
      for (const [i, event] of events.entries()) {
        const plain = Provider.make({
          name: "plain",
          verify: provider.verify,
          key: (payload) => payload.id,
          decode: () => Effect.succeed(event)
        })
        const outcome = yield* defineHandler(plain, () => Effect.void).process(sign({ n: 20 + i }, `t${i}`))
        assert.deepStrictEqual(
          outcome,
          Outcome.Processed({ key: `plain:t${i}`, eventTag: i === 4 ? "Paid" : undefined }),
          JSON.stringify(event)
        )
      }
    }).pipe(Effect.provide(store())))

  it.effect("a defect after the handler (an event whose _tag getter throws): the handler died", () =>
    Effect.gen(function*() {
      const hostile = Hostile.throwingTag(provider)
      const outcome = yield* defineHandler(hostile, () => Effect.void).process(sign({ n: 30 }))
      const reason = reasonOf(outcome)
      assert.strictEqual(label(outcome), "Failed(HandlerFailed)")
      assert.strictEqual(reason?.message, "The handler died")
      assert.isTrue(reason?._tag === "HandlerFailed" && reason.defect)
    }).pipe(Effect.provide(store())))

  it.effect("the handler's failure and defect messages", () =>
    Effect.gen(function*() {
      const failing = yield* defineHandler(provider, () => Effect.fail("no")).process(sign({ n: 31 }))
      assert.strictEqual(reasonOf(failing)?.message, "The handler failed")
      const dying = yield* defineHandler(provider, () => Effect.die("bug")).process(sign({ n: 32 }))
      assert.strictEqual(reasonOf(dying)?.message, "The handler died")
    }).pipe(Effect.provide(store())))

  it.effect("a completion the store refused names the lease", () =>
    Effect.gen(function*() {
      const inner = MemoryStore.make()
      const refused = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({ ...inner, complete: () => Effect.succeed(false) })
      )
      const outcome = yield* defineHandler(provider, () => Effect.void, { lease: "30 seconds" }).process(
        sign({ n: 33 })
      ).pipe(Effect.provide(refused))
      assert.deepStrictEqual(fieldsOf(outcome), {
        _tag: "TimedOut",
        message: "The claim's lease expired before completion; another delivery took it over",
        budgetMillis: 30_000
      })
    }).pipe(Effect.provide(store())))

  it.effect("InFlight carries the key", () =>
    Effect.gen(function*() {
      const held = yield* IdempotencyStore.IdempotencyStore
      yield* held.claim("hmac:busy", "f", Duration.minutes(1))
      const outcome = yield* defineHandler(provider, () => Effect.void).process(sign({ n: 34 }, "busy"))
      assert.deepStrictEqual(outcome, Outcome.InFlight({ key: "hmac:busy" }))
    }).pipe(Effect.provide(store())))

  it.effect("a record of handlers meeting an event tag it lacks: the handler died, naming the tag", () =>
    Effect.gen(function*() {
      const Event = Schema.Struct({ _tag: Schema.Literal("Paid") })
      const typed = Hmac.provider({ secret, schema: Event })
      // Only an unsafe cast can build such a record: the type demands every tag.
      const handlers = { Refunded: () => Effect.void } as unknown as { Paid: () => Effect.Effect<void> }
      const outcome = yield* defineHandler(typed, handlers).process(sign({ _tag: "Paid" }))
      assert.strictEqual(label(outcome), "Failed(HandlerFailed)")
      const reason = reasonOf(outcome)
      assert.isTrue(reason?._tag === "HandlerFailed" && reason.defect)
      assert.strictEqual(
        reason?._tag === "HandlerFailed" ? String(reason.error) : undefined,
        "Error: No handler for event _tag Paid"
      )
    }).pipe(Effect.provide(store())))

  it.effect("a handler that interrupts itself: TimedOut (interrupted), and its claim is released", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Effect.flatMap(Ref.updateAndGet(runs, (n) => n + 1), (n) => n === 1 ? Effect.interrupt : Effect.void),
        { lease: "10 minutes" }
      )
      const raw = sign({ n: 10 })
      const first = yield* handler.process(raw)
      assert.deepStrictEqual(
        fieldsOf(first),
        { _tag: "TimedOut", message: "The handler was interrupted (shutdown)", budgetMillis: 10_000 }
      )
      assert.strictEqual(label(yield* handler.process(raw)), "Processed")
    }).pipe(Effect.provide(store())))
})

describe("the time budget and the deadline", () => {
  it.effect("past the budget: TimedOut naming the budget, the handler goes on", () =>
    Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.sleep("6 seconds"), {
        timeBudget: "5 seconds",
        lease: "1 minute"
      })
      const pending = yield* Effect.forkChild(handler.process(sign({ n: 11 })))
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(fieldsOf(yield* Fiber.join(pending)), {
        _tag: "TimedOut",
        message: "The handler did not finish within 5000 ms; it continues in the background",
        budgetMillis: 5000
      })
    }).pipe(Effect.provide(store())))

  it.effect("a budget ending exactly at the deadline: the request itself stops the handler there", () =>
    Effect.gen(function*() {
      const stopped = yield* Ref.make(false)
      // Lease 10 s: deadline 9 s, the budget's end too.
      const handler = defineHandler(
        provider,
        (_event, context) =>
          Effect.andThen(
            Effect.sync(() => context.signal.addEventListener("abort", () => Effect.runSync(Ref.set(stopped, true)))),
            Effect.never
          ),
        { timeBudget: "9 seconds", lease: "10 seconds" }
      )
      const pending = yield* Effect.forkChild(handler.process(sign({ n: 12 })))
      yield* TestClock.adjust("9 seconds")
      assert.deepStrictEqual(fieldsOf(yield* Fiber.join(pending)), {
        _tag: "TimedOut",
        message: "The handler ran past its claim's deadline and was interrupted; the claim was released",
        budgetMillis: 10_000
      })
      assert.isTrue(yield* Ref.get(stopped), "the signal was aborted with the answer")
    }).pipe(Effect.provide(store())))

  it.effect("the abort reason says why", () =>
    Effect.gen(function*() {
      let reason: unknown
      const handler = defineHandler(
        provider,
        (_event, context) =>
          Effect.andThen(
            Effect.sync(() => context.signal.addEventListener("abort", () => (reason = context.signal.reason))),
            Effect.never
          ),
        { timeBudget: "1 minute", lease: "2 seconds" }
      )
      const pending = yield* Effect.forkChild(handler.process(sign({ n: 13 })))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(pending)
      assert.strictEqual(
        reason instanceof Error ? reason.message : undefined,
        "hookline: the claim's deadline passed, or shutdown"
      )
    }).pipe(Effect.provide(store())))

  it.effect("a handler interrupted by shutdown sees its signal aborted, and its claim is released", () =>
    Effect.gen(function*() {
      let aborted = false
      const handler = defineHandler(
        provider,
        (_event, context) =>
          Effect.andThen(
            Effect.sync(() => context.signal.addEventListener("abort", () => (aborted = true))),
            Effect.never
          ),
        { timeBudget: "1 second", lease: "10 minutes" }
      )
      const raw = sign({ n: 40 }, "shutdown")
      const background = yield* BackgroundModule.make
      const pending = yield* Effect.forkChild(
        handler.process(raw).pipe(Effect.provideService(Background, background))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(label(yield* Fiber.join(pending)), "Failed(TimedOut)")
      assert.isFalse(aborted, "still running in the background")
      // Shutdown: no time to finish, a second to interrupt.
      yield* Effect.forkChild(background.drain(Duration.zero, Duration.seconds(1)))
      yield* TestClock.adjust("1 second")
      assert.isTrue(aborted, "the signal was aborted by the interruption")
      const held = yield* IdempotencyStore.IdempotencyStore
      assert.strictEqual((yield* held.claim("hmac:shutdown", "f", Duration.minutes(1)))._tag, "Claimed")
    }).pipe(Effect.scoped, Effect.provide(store())))

  it.effect("while shutting down a claimed delivery is not started: TimedOut, and the key is given back", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
      const raw = sign({ n: 14 })
      const closed = { fork: () => Effect.succeed(undefined), awaitIdle: Effect.void }
      const refused = yield* handler.process(raw).pipe(Effect.provideService(Background, closed))
      assert.deepStrictEqual(fieldsOf(refused), {
        _tag: "TimedOut",
        message: "The receiver is shutting down; the claim was released",
        budgetMillis: 10_000
      })
      assert.strictEqual(yield* Ref.get(runs), 0)
      assert.strictEqual(label(yield* handler.process(raw)), "Processed")
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(store())))
})

describe("logs", () => {
  const captured = () => {
    const capture = Logs.make({ minimumLevel: "All" })
    return { capture, layer: capture.capturing(MemoryStore.layer()) }
  }

  it.effect("each outcome's line and annotations; the key only once there is one", () => {
    const { capture, layer } = captured()
    return Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      const raw = sign({ n: 15 }, "logged")
      yield* handler.process(raw)
      yield* handler.process(raw)
      yield* handler.process({ ...raw, headers: { ...raw.headers, "x-signature": "00" } })
      const lines = capture.entries.map((entry) => ({
        level: entry.level,
        message: entry.message,
        annotations: entry.annotations
      }))
      assert.deepStrictEqual(lines, [
        {
          level: "Debug",
          message: "webhook processed",
          annotations: {
            "hookline.provider": "hmac",
            "hookline.outcome": "Processed",
            "hookline.reason": "none",
            "hookline.key": "hmac:logged"
          }
        },
        {
          level: "Debug",
          message: "webhook duplicate",
          annotations: {
            "hookline.provider": "hmac",
            "hookline.outcome": "Duplicate",
            "hookline.reason": "none",
            "hookline.key": "hmac:logged"
          }
        },
        {
          level: "Warn",
          message: "webhook rejected: SignatureInvalid",
          annotations: {
            "hookline.detail": "Signature does not match",
            "hookline.provider": "hmac",
            "hookline.outcome": "Rejected",
            "hookline.reason": "SignatureInvalid"
          }
        }
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("at the default level (Info): rejections, failures and InFlight are logged, Processed and Duplicate not", () => {
    const capture = Logs.make()
    return Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      const raw = sign({ n: 35 }, "levels")
      yield* handler.process(raw)
      yield* handler.process(raw)
      const held = yield* IdempotencyStore.IdempotencyStore
      yield* held.claim("hmac:levels-busy", "f", Duration.minutes(1))
      yield* handler.process(sign({ n: 36 }, "levels-busy"))
      yield* defineHandler(provider, () => Effect.fail("no")).process(sign({ n: 37 }))
      yield* handler.process({ ...raw, headers: { ...raw.headers, "x-signature": "00" } })
      assert.deepStrictEqual(capture.entries.map((entry) => [entry.level, entry.parts[0]]), [
        ["Info", "webhook in flight elsewhere"],
        ["Error", "webhook handler failed"],
        ["Warn", "webhook rejected: SignatureInvalid"]
      ])
    }).pipe(Effect.provide(capture.capturing(MemoryStore.layer())))
  })

  it.effect("a failure other than the handler's logs its message; a failed release is a warning", () => {
    const { capture, layer } = captured()
    return Effect.gen(function*() {
      const inner = MemoryStore.make()
      const down = new StoreUnavailable({ message: "injected outage" })
      const broken = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        IdempotencyStore.IdempotencyStore.of({ ...inner, release: () => Effect.fail(down) })
      )
      const handler = defineHandler(provider, () => Effect.fail("no"))
      yield* handler.process(sign({ n: 16 })).pipe(Effect.provide(broken))
      assert.deepStrictEqual(
        capture.entries.map((entry) => [entry.level, entry.parts[0]]),
        [
          ["Warn", "webhook claim release failed; the lease will expire instead"],
          ["Error", "webhook handler failed"]
        ]
      )
      const decodeFails = Provider.make({
        name: "undecodable",
        verify: provider.verify,
        key: (payload) => payload.id,
        decode: () => Effect.fail(new DecodeFailed({ message: "bad shape" }))
      })
      yield* defineHandler(decodeFails, () => Effect.void).process(sign({ n: 17 }))
      assert.strictEqual(capture.entries.at(-1)?.message, "webhook failed: bad shape")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a rejection's detail: escaped, 200 characters kept whole, longer ones cut with an ellipsis", () => {
    const { capture, layer } = captured()
    return Effect.gen(function*() {
      const rejecting = (message: string) =>
        defineHandler(
          Provider.make({
            name: "rejecting",
            verify: () => Effect.fail(new MalformedDelivery({ message })),
            key: () => "never",
            decode: () => Effect.fail(new DecodeFailed({ message: "never" }))
          }),
          () => Effect.void
        )
      const detailOf = (message: string) =>
        Effect.map(
          rejecting(message).process(sign({ n: 18 })),
          () => capture.entries.at(-1)?.annotations["hookline.detail"]
        )
      assert.strictEqual(yield* detailOf("x".repeat(200)), "x".repeat(200))
      assert.strictEqual(yield* detailOf("x".repeat(201)), `${"x".repeat(200)}…`)
      assert.strictEqual(yield* detailOf("a\"b\nc"), "a\\\"b\\nc")
    }).pipe(Effect.provide(layer))
  })
})

describe("settings and the guard", () => {
  it("options override the provider's defaults one by one", () => {
    const custom = Hmac.provider({
      secret,
      defaults: { bodyLimit: 10, timeBudget: "2 seconds", lease: "3 seconds", retention: "4 days" }
    })
    const defaults = defineHandler(custom, () => Effect.void).settings
    assert.deepStrictEqual(
      [defaults.bodyLimit, defaults.timeBudget, defaults.lease, defaults.retention].map(String),
      [10, Duration.seconds(2), Duration.seconds(3), Duration.days(4)].map(String)
    )
    const overridden = defineHandler(custom, () => Effect.void, {
      bodyLimit: 20,
      timeBudget: "5 seconds",
      lease: "6 seconds",
      retention: "7 days"
    }).settings
    assert.deepStrictEqual(
      [overridden.bodyLimit, overridden.timeBudget, overridden.lease, overridden.retention].map(String),
      [20, Duration.seconds(5), Duration.seconds(6), Duration.days(7)].map(String)
    )
    const handler = defineHandler(custom, () => Effect.void)
    assert.strictEqual(handler.name, "hmac")
    assert.deepStrictEqual(handler.methods, ["POST"])
  })

  it.effect("the outcome counter: its name, description, and increments only", () =>
    Effect.gen(function*() {
      assert.strictEqual(WebhookHandler.deliveries.id, "hookline_deliveries_total")
      assert.strictEqual(WebhookHandler.deliveries.description, "Webhook deliveries by provider, outcome and reason")
      const state = yield* Metric.value(WebhookHandler.deliveries)
      assert.isTrue(state.incremental)
    }))

  it("a provider's checkSettings refuses settings in defineHandler, naming the provider", () => {
    const base = Hmac.provider({ secret })
    const strict = Provider.make({
      ...base,
      verify: base.verify,
      defaults: { retention: "2 days" },
      checkSettings: (settings) =>
        Duration.isLessThan(settings.retention, Duration.days(1)) ? "retention must be at least a day" : undefined
    })
    assert.strictEqual(String(defineHandler(strict, () => Effect.void).settings.retention), String(Duration.days(2)))
    assert.throws(
      () => defineHandler(strict, () => Effect.void, { retention: "1 hour" }),
      /hmac: retention must be at least a day/
    )
    assert.isUndefined(base.checkSettings(defineHandler(base, () => Effect.void).settings))
  })

  it("isWebhookHandler: handlers only", () => {
    assert.isTrue(WebhookHandler.isWebhookHandler(defineHandler(provider, () => Effect.void)))
    for (const other of [null, undefined, "handler", 1, {}, { name: "hmac" }, () => undefined]) {
      assert.isFalse(WebhookHandler.isWebhookHandler(other), String(other))
    }
  })

  it.effect("refuse answers and records a rejection the adapter made", () => {
    const capture = Logs.make()
    return Effect.gen(function*() {
      const handler = defineHandler(provider, () => Effect.void)
      const ack = yield* handler.refuse(new BodyTooLarge({ message: "too big", limit: 1 }))
      assert.strictEqual(ack.status, 413)
      assert.deepStrictEqual(JSON.parse(ack.body), { outcome: "Rejected", reason: "BodyTooLarge" })
      assert.strictEqual(capture.entries.at(-1)?.message, "webhook rejected: BodyTooLarge")
      const failed = yield* handler.refuse(new StoreUnavailable({ message: "down" }))
      assert.strictEqual(failed.status, 503)
    }).pipe(Effect.provide(capture.layer))
  })
})
