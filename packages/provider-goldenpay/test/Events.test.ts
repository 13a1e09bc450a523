import { assert, describe, it } from "@effect/vitest"
import {
  BodyTooLarge,
  DecodeFailed,
  defineHandler,
  HandlerFailed,
  MalformedDelivery,
  MethodNotAllowed,
  Outcome,
  PayloadMismatch,
  RawDelivery,
  SignatureInvalid,
  StoreUnavailable,
  TimedOut
} from "@hookline/core"
import { AckPolicy, type Provider } from "@hookline/core/provider"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as BigDecimal from "effect/BigDecimal"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"
import { md5Hex } from "../../../test-support/Md5.ts"

const token = "events-token"
const secret = Redacted.make(token)
type Route = Provider.Provider<GoldenPay.Event, GoldenPay.Payload>
const provider: Route = GoldenPay.provider({ secret })
const collectRoute: Route = GoldenPay.provider({ secret, kind: "collect" })
const payoutRoute: Route = GoldenPay.provider({ secret, kind: "payout" })
const { collect, payout, sign } = GoldenPayTesting
type Fields = Parameters<typeof sign>[0]

const verified = (fields: Fields, on: Route = provider) => {
  const raw = sign(fields, secret)
  return Effect.map(on.verify(raw), (payload) => ({ payload, raw }))
}

const decoded = (fields: Fields, on: Route = provider) =>
  Effect.flatMap(verified(fields, on), ({ payload, raw }) => on.decode(payload, raw))

const keyOf = (fields: Fields, on: Route = provider) =>
  Effect.map(verified(fields, on), ({ payload, raw }) => {
    const key = on.key(payload, raw)
    return Result.isSuccess(key) ? key.success : key.failure
  })

const decimal = (text: string) => BigDecimal.fromStringUnsafe(text)

const assertDecimal = (actual: BigDecimal.BigDecimal | null, expected: string) => {
  assert.isNotNull(actual)
  if (actual !== null) {
    assert.isTrue(BigDecimal.equals(actual, decimal(expected)), `${BigDecimal.format(actual)} ≠ ${expected}`)
    assert.strictEqual(BigDecimal.format(actual), BigDecimal.format(decimal(expected)))
  }
}

describe("GoldenPay key and fingerprint", () => {
  it.effect("key = kind:id:status; a signed payed_amount or channel makes a collect; payouts need a kind", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* keyOf(collect()), "collect:GP202605040001:60")
      assert.strictEqual(yield* keyOf(collect({ status: 20 })), "collect:GP202605040001:20")
      // Was "payout:…:50" without a kind: decided by the absence of unsigned fields (issue #15).
      assert.instanceOf(yield* Effect.flip(keyOf(payout({ status: 50 }))), MalformedDelivery)
      assert.strictEqual(yield* keyOf(payout({ status: 50 }), payoutRoute), "payout:GP202605040002:50")
      assert.strictEqual(
        yield* keyOf(collect({ status: 50, channel: null }), collectRoute),
        "collect:GP202605040001:50"
      )
      const { channel: _, ...withoutChannel } = collect()
      assert.strictEqual(yield* keyOf(withoutChannel), "collect:GP202605040001:60")
      const { payed_amount: __, ...withoutAmount } = collect()
      assert.strictEqual(yield* keyOf(withoutAmount), "collect:GP202605040001:60")
      assert.strictEqual(yield* keyOf(collect({ id: 9007199254740993n })), "collect:9007199254740993:60")
    }))

  it.effect("a missing or empty id or status is MalformedDelivery", () =>
    Effect.gen(function*() {
      for (const fields of [collect({ id: null }), collect({ id: "" }), collect({ status: null })]) {
        assert.instanceOf(yield* keyOf(fields), MalformedDelivery)
      }
      assert.instanceOf(yield* keyOf(payout({ status: null }), payoutRoute), MalformedDelivery)
    }))

  it.effect("a retry with another JSON key order is a Duplicate; the same key with another amount is a PayloadMismatch", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
      const first = sign(collect(), secret)
      // The same callback, fields in reverse order and spaced out: its sign is the same.
      const reordered = Object.entries(JSON.parse(new TextDecoder().decode(first.body))).reverse()
      const text = `{ ${
        reordered.map(([name, value]) => `${JSON.stringify(name)} : ${JSON.stringify(value)}`).join(" , ")
      } }`
      assert.strictEqual((yield* handler.process(first))._tag, "Processed")
      assert.strictEqual((yield* handler.process(RawDelivery.make({ body: text })))._tag, "Duplicate")
      const other = yield* handler.process(sign(collect({ payed_amount: "99.00" }), secret))
      assert.strictEqual(Outcome.label(other), "Rejected(PayloadMismatch)")
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("the fingerprint is the signed string without the token", () =>
    Effect.gen(function*() {
      const { payload, raw } = yield* verified(payout(), payoutRoute)
      const parts = payoutRoute.fingerprint(payload, raw)
      assert.deepStrictEqual(parts, [
        "created_at=2026-05-04 11:00:00&id=GP202605040002&mch_id=1001&order_amount=250.00&payed_at=2026-05-04 11:02:30" +
        "&status=60&trans_id=PAYOUT-2001"
      ])
      assert.notInclude(String(parts[0]), token)
    }))
})

describe("GoldenPay events", () => {
  it.effect("status 60 collect → CollectSucceeded with exact decimals, paid in full", () =>
    Effect.gen(function*() {
      const event = yield* decoded(collect({ order_amount: "100.10", payed_amount: "100.1" }))
      assert.strictEqual(event._tag, "CollectSucceeded")
      if (event._tag !== "CollectSucceeded") return
      assertDecimal(event.orderAmount, "100.10")
      assertDecimal(event.payedAmount, "100.1")
      assert.isTrue(event.paidInFull)
      assert.deepStrictEqual(
        [event.id, event.transId, event.merchantId, event.channel, event.status, event.createdAt, event.payedAt],
        ["GP202605040001", "ORDER-1001", "1001", "PROMPTPAY", "60", "2026-05-04 10:05:00", "2026-05-04 10:06:12"]
      )
    }))

  it.effect("payed_amount 99.99 against order_amount 100.00 → not paid in full; amounts beyond a double stay exact", () =>
    Effect.gen(function*() {
      const short = yield* decoded(collect({ payed_amount: "99.99" }))
      assert.isFalse(short._tag === "CollectSucceeded" && short.paidInFull)
      const big = yield* decoded(
        collect({ order_amount: "12345678901234567.89", payed_amount: "12345678901234567.89" })
      )
      assert.strictEqual(big._tag, "CollectSucceeded")
      if (big._tag !== "CollectSucceeded") return
      assert.strictEqual(BigDecimal.format(big.orderAmount), "12345678901234567.89")
      assert.isTrue(big.paidInFull)
      const off = yield* decoded(
        collect({ order_amount: "12345678901234567.89", payed_amount: "12345678901234567.88" })
      )
      assert.isFalse(off._tag === "CollectSucceeded" && off.paidInFull)
    }))

  it.effect("status 20 → CollectProcessing; other statuses → CollectFailed keeping the code", () =>
    Effect.gen(function*() {
      const processing = yield* decoded(collect({ status: 20, payed_amount: null, payed_at: null }))
      assert.deepStrictEqual(
        processing._tag === "CollectProcessing"
          ? [processing.status, processing.payedAmount, processing.paidInFull]
          : [],
        ["20", null, false]
      )
      for (const status of [30, 40, "99", 0]) {
        const failed = yield* decoded(collect({ status, payed_amount: "0.00", payed_at: null }))
        assert.strictEqual(failed._tag, "CollectFailed")
        if (failed._tag !== "CollectFailed") continue
        assert.strictEqual(failed.status, String(status))
        assertDecimal(failed.payedAmount, "0")
        assert.isFalse(failed.paidInFull)
        assert.isNull(failed.payedAt)
      }
    }))

  it.effect("payouts: 60 → PayoutSucceeded, 50 → PayoutCanceled, others → PayoutUnknownStatus with every field", () =>
    Effect.gen(function*() {
      const done = yield* decoded(payout(), payoutRoute)
      assert.strictEqual(done._tag, "PayoutSucceeded")
      if (done._tag === "PayoutSucceeded") {
        assertDecimal(done.orderAmount, "250.00")
        assert.strictEqual(done.payedAt, "2026-05-04 11:02:30")
      }
      const canceled = yield* decoded(
        payout({ status: 50, payed_at: null, canceled_at: "2026-05-04 11:03:00" }),
        payoutRoute
      )
      assert.deepStrictEqual(
        canceled._tag === "PayoutCanceled" ? [canceled.status, canceled.canceledAt, canceled.transId] : [],
        ["50", "2026-05-04 11:03:00", "PAYOUT-2001"]
      )
      const unknown = yield* decoded(
        payout({ status: 30, reason: "bank rejected", order_amount: 250.5, note: null }),
        payoutRoute
      )
      assert.strictEqual(unknown._tag, "PayoutUnknownStatus")
      if (unknown._tag === "PayoutUnknownStatus") {
        assert.strictEqual(unknown.status, "30")
        assert.strictEqual(unknown.fields.reason, "bank rejected")
        assert.strictEqual(unknown.fields.order_amount, "250.5")
        assert.strictEqual(unknown.fields.payed_at, "2026-05-04 11:02:30")
        // Was `note: null`: an empty field is not signed, so it is not part of the event.
        assert.isFalse("note" in unknown.fields)
      }
    }))

  it.effect("optional values: payed_at / canceled_at / channel / payed_amount may be null, empty or absent", () =>
    Effect.gen(function*() {
      const { payed_at: _, ...noPayedAt } = payout()
      const done = yield* decoded(noPayedAt, payoutRoute)
      assert.isTrue(done._tag === "PayoutSucceeded" && done.payedAt === null)
      const canceled = yield* decoded(payout({ status: 50, payed_at: "" }), payoutRoute)
      assert.isTrue(canceled._tag === "PayoutCanceled" && canceled.canceledAt === null)
      const failed = yield* decoded(collect({ status: 30, channel: "", payed_amount: null }), collectRoute)
      assert.isTrue(failed._tag === "CollectFailed" && failed.channel === null && failed.payedAmount === null)
    }))

  it.effect("a signed field named _tag is ignored, as any unknown field", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* decoded(collect({ _tag: "PayoutCanceled" })))._tag, "CollectSucceeded")
      assert.strictEqual((yield* decoded(payout({ _tag: "x" }), payoutRoute))._tag, "PayoutSucceeded")
    }))

  it.effect("malformed required values are DecodeFailed naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Fields, string]> = [
        [collect({ created_at: "2026-02-30 10:00:00" }), "created_at"],
        [collect({ created_at: "2026-05-04T10:05:00+07:00" }), "created_at"],
        [collect({ order_amount: "1e3" }), "order_amount"],
        [collect({ order_amount: "-5.00" }), "order_amount"],
        [collect({ payed_amount: null }), "payed_amount"],
        [collect({ trans_id: null }), "trans_id"],
        [payout({ payed_at: "yesterday" }), "payed_at"],
        [payout({ status: 50, order_amount: "abc" }), "order_amount"]
      ]
      for (const [fields, field] of cases) {
        const error = yield* Effect.flip(decoded(fields, "channel" in fields ? collectRoute : payoutRoute))
        assert.instanceOf(error, DecodeFailed)
        assert.include(error.message, field)
      }
    }))

  it.effect("the kind's union (CollectEvent, PayoutEvent) decodes the same events and encodes them back", () =>
    Effect.gen(function*() {
      const all: ReadonlyArray<readonly [Fields, Route]> = [
        [collect(), provider],
        [collect({ status: 20 }), provider],
        [collect({ status: 40, payed_amount: null }), provider],
        [payout(), payoutRoute],
        [payout({ status: 50, canceled_at: "2026-05-04 11:03:00" }), payoutRoute],
        [payout({ status: 7 }), payoutRoute]
      ]
      for (const [fields, on] of all) {
        const { payload, raw } = yield* verified(fields, on)
        const viaProvider = yield* on.decode(payload, raw)
        const union = payload.kind === "collect" ? GoldenPay.CollectEvent : GoldenPay.PayoutEvent
        const viaUnion = yield* Schema.decodeUnknownEffect(union)(payload.fields)
        assert.strictEqual(viaUnion._tag, viaProvider._tag)
        assert.isTrue(Schema.is(GoldenPay.Event)(viaUnion))
        const encoded = yield* Schema.encodeEffect(union)(viaUnion)
        // Back under GoldenPay's names (an unsigned empty field as null): no tag, no computed field,
        // nothing renamed left behind.
        for (const [name, value] of Object.entries(encoded)) {
          if (value !== null) assert.property(payload.fields, name, name)
        }
        for (const name of ["_tag", "paidInFull", "transId", "orderAmount", "createdAt"]) {
          assert.notProperty(encoded, name)
        }
        assert.strictEqual((encoded as Record<string, unknown>)["trans_id"], payload.fields["trans_id"])
        const again = yield* Schema.decodeUnknownEffect(union)(encoded)
        assert.strictEqual(again._tag, viaUnion._tag)
        assert.strictEqual(again.id, viaUnion.id)
      }
    }))
})

describe("GoldenPay defaults and ack", () => {
  it("defaults: key namespace goldenpay, POST only, budget 4 s, lease 50 s (< the 60 s retry), 7 days, 64 KiB", () => {
    const handler = defineHandler(provider, () => Effect.void)
    assert.strictEqual(handler.name, "goldenpay")
    assert.deepStrictEqual(handler.methods, ["POST"])
    const settings = [
      Duration.toMillis(handler.settings.timeBudget),
      Duration.toMillis(handler.settings.lease),
      Duration.toMillis(handler.settings.retention),
      handler.settings.bodyLimit
    ]
    // The body limit was core's 1 MiB (issue #15, item 4).
    assert.deepStrictEqual(settings, [4_000, 50_000, 7 * 24 * 3_600_000, 64 * 1024])
    assert.strictEqual(GoldenPay.defaults.bodyLimit, 64 * 1024)
    assert.isBelow(Duration.toMillis(handler.settings.timeBudget), 5_000)
    assert.isBelow(Duration.toMillis(handler.settings.lease), 60_000)
    const custom = defineHandler(GoldenPay.provider({ secret }), () => Effect.void, {
      timeBudget: "100 millis",
      lease: "20 seconds",
      retention: "1 day",
      bodyLimit: 4096
    })
    assert.deepStrictEqual(
      [
        Duration.toMillis(custom.settings.timeBudget),
        Duration.toMillis(custom.settings.lease),
        Duration.toMillis(custom.settings.retention),
        custom.settings.bodyLimit
      ],
      [100, 20_000, 24 * 3_600_000, 4096]
    )
  })

  it("success (text/plain, 200) only for Processed and Duplicate; fail with the outcome's status otherwise", () => {
    const key = "goldenpay:collect:1:60"
    const cases: ReadonlyArray<readonly [Outcome.Outcome, number]> = [
      [Outcome.Processed({ key, eventTag: "CollectSucceeded" }), 200],
      [Outcome.Duplicate({ key }), 200],
      [Outcome.InFlight({ key }), 503],
      [Outcome.Rejected({ key: undefined, reason: new SignatureInvalid({ message: "x" }) }), 401],
      [Outcome.Rejected({ key: undefined, reason: new MalformedDelivery({ message: "x" }) }), 400],
      [Outcome.Rejected({ key, reason: new PayloadMismatch({ message: "x", key }) }), 409],
      [Outcome.Rejected({ key: undefined, reason: new BodyTooLarge({ message: "x", limit: 1 }) }), 413],
      [Outcome.Rejected({ key: undefined, reason: new MethodNotAllowed({ message: "x", method: "GET" }) }), 405],
      [Outcome.Failed({ key, reason: new DecodeFailed({ message: "x" }) }), 500],
      [Outcome.Failed({ key, reason: new HandlerFailed({ message: "x", error: "boom", defect: false }) }), 500],
      [Outcome.Failed({ key, reason: new StoreUnavailable({ message: "x" }) }), 503],
      [Outcome.Failed({ key, reason: new TimedOut({ message: "x", budgetMillis: 4_000 }) }), 503]
    ]
    for (const [outcome, status] of cases) {
      const ack = provider.ack(outcome)
      const label = Outcome.label(outcome)
      assert.strictEqual(ack.status, status, label)
      assert.strictEqual(ack.status, AckPolicy.statusOf(outcome), label)
      assert.strictEqual(ack.body, Outcome.isAcknowledged(outcome) ? "success" : "fail", label)
      assert.strictEqual(ack.headers["content-type"], "text/plain; charset=utf-8", label)
    }
  })
})

describe("GoldenPay retry timeline (simulated clock)", () => {
  it.effect("a handler slower than 4 s → fail now; it finishes in the background; the retry at +60 s → success, one run", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Effect.sleep(Duration.seconds(10)).pipe(Effect.andThen(Ref.update(runs, (n) => n + 1)))
      )
      const raw = sign(collect(), secret)
      const first = yield* Effect.forkChild(handler.run(raw))
      yield* TestClock.adjust(Duration.seconds(4))
      const ack = yield* Fiber.join(first)
      assert.deepStrictEqual([ack.status, ack.body], [503, "fail"])
      yield* TestClock.adjust(Duration.seconds(56))
      const retry = yield* handler.run(raw)
      assert.deepStrictEqual([retry.status, retry.body], [200, "success"])
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a handler stuck past the 50 s lease is interrupted and released, so the retry at +60 s runs it again", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Ref.updateAndGet(attempts, (n) => n + 1).pipe(Effect.flatMap((n) => n === 1 ? Effect.never : Effect.void))
      )
      const raw = sign(collect(), secret)
      const first = yield* Effect.forkChild(handler.run(raw))
      yield* TestClock.adjust(Duration.seconds(4))
      assert.strictEqual((yield* Fiber.join(first)).body, "fail")
      // A retry arriving while the first claim is held is answered "in flight" (fail).
      const early = yield* handler.run(raw)
      assert.deepStrictEqual([early.status, early.body], [503, "fail"])
      yield* TestClock.adjust(Duration.seconds(56))
      const retry = yield* handler.run(raw)
      assert.deepStrictEqual([retry.status, retry.body], [200, "success"])
      assert.strictEqual(yield* Ref.get(attempts), 2)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("a sign computed independently for a status change is a new delivery, not a mismatch", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<string>>([])
      const handler = defineHandler(provider, (event) => Ref.update(seen, (tags) => [...tags, event._tag]))
      const body = (status: number) =>
        `{"id":"GP5","trans_id":"T5","mch_id":1001,"order_amount":"10.00","payed_amount":"10.00","channel":"QR",` +
        `"status":${status},"created_at":"2026-05-04 10:05:00","sign":"${
          md5Hex(
            `${token}&channel=QR&created_at=2026-05-04 10:05:00&id=GP5&mch_id=1001&order_amount=10.00` +
              `&payed_amount=10.00&status=${status}&trans_id=T5`
          )
        }"}`
      assert.strictEqual((yield* handler.run(RawDelivery.make({ body: body(20) }))).body, "success")
      assert.strictEqual((yield* handler.run(RawDelivery.make({ body: body(60) }))).body, "success")
      assert.deepStrictEqual(yield* Ref.get(seen), ["CollectProcessing", "CollectSucceeded"])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})
