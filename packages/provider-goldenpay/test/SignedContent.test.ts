// Issue #15, item 3: what decides the event kind, the idempotency key and the event is signed
// content only. `null` and `""` fields are left out of GoldenPay's signed string, so anyone holding
// one captured callback can add or delete them without touching `sign`.
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, MalformedDelivery, Outcome, RawDelivery } from "@hookline/core"
import { CanonicalString, type Provider, SignForm } from "@hookline/core/provider"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Logs from "../../../test-support/Logs.ts"
import { captures } from "./Captures.ts"

const token = "signed-content-token"
const secret = Redacted.make(token)
const { collect, payout, sign } = GoldenPayTesting
type Fields = Parameters<typeof sign>[0]

const {
  failedCollect,
  failedCollectParams,
  failedCollectStripped: stripped,
  payoutCanceled,
  payoutCanceledParams,
  payoutWithNullChannel
} = captures(token)

const delivery = (body: string) => RawDelivery.make({ headers: { "content-type": "application/json" }, body })

type AnyRoute = Provider.Provider<GoldenPay.Event, GoldenPay.Payload>
const auto = GoldenPay.provider({ secret })
const collectRoute = GoldenPay.provider({ secret, kind: "collect" })
const payoutRoute = GoldenPay.provider({ secret, kind: "payout" })

// Runs deliveries through one handler; returns each outcome's label and key, and the events handled.
const run = (provider: AnyRoute, bodies: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const events = yield* Ref.make<Array<GoldenPay.Event>>([])
    const handler = defineHandler(provider, (event) => Ref.update(events, (all) => [...all, event]))
    const outcomes: Array<readonly [string, string | undefined]> = []
    const reasons: Array<string> = []
    for (const body of bodies) {
      const outcome = yield* handler.process(delivery(body))
      outcomes.push([Outcome.label(outcome), outcome.key])
      if (outcome._tag === "Rejected") reasons.push(outcome.reason.message)
    }
    return { outcomes, reasons, events: yield* Ref.get(events) }
  }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer())))

describe("the captures are authentic", () => {
  it.effect("both spellings of each capture verify (the null fields are not signed)", () =>
    Effect.gen(function*() {
      for (const body of [failedCollect, stripped]) {
        assert.strictEqual((yield* collectRoute.verify(delivery(body))).canonical, failedCollectParams)
      }
      for (const body of [payoutCanceled, payoutWithNullChannel]) {
        assert.strictEqual((yield* payoutRoute.verify(delivery(body))).canonical, payoutCanceledParams)
      }
    }))
})

describe("field names", () => {
  it.effect("a field named __proto__ is signed content like any other, not the fields' prototype", () =>
    Effect.gen(function*() {
      const unsigned = `{"id":"GP9","trans_id":"T9","mch_id":"1001","order_amount":"1.00","payed_amount":"1.00",` +
        `"channel":"X","status":"60","created_at":"2026-05-04 10:05:00","__proto__":"polluted"}`
      const expected = "__proto__=polluted&channel=X&created_at=2026-05-04 10:05:00&id=GP9&mch_id=1001" +
        "&order_amount=1.00&payed_amount=1.00&status=60&trans_id=T9"
      const signature = SignForm.sign(
        GoldenPay.signForms.forms["token-first"],
        new Map(Object.entries({
          ...JSON.parse(unsigned)
        })),
        secret
      )
      const payload = yield* collectRoute.verify(delivery(`${unsigned.slice(0, -1)},"sign":"${signature}"}`))
      assert.strictEqual(payload.canonical, expected)
      assert.isTrue(Object.hasOwn(payload.fields, "__proto__"))
      assert.strictEqual(Object.getPrototypeOf(payload.fields), Object.prototype)
      assert.strictEqual(Object.getOwnPropertyDescriptor(payload.fields, "__proto__")?.value, "polluted")
    }))
})

describe("automatic detection (no kind) never guesses", () => {
  it.effect("a failed collect with payed_amount/channel null, and the same capture stripped: refused, no event", () =>
    Effect.gen(function*() {
      // Before the fix: CollectFailed, then the stripped copy as a second event, PayoutCanceled.
      const { events, outcomes, reasons } = yield* run(auto, [failedCollect, stripped])
      assert.deepStrictEqual(outcomes.map(([label]) => label), [
        "Rejected(MalformedDelivery)",
        "Rejected(MalformedDelivery)"
      ])
      assert.deepStrictEqual(events, [])
      for (const reason of reasons) assert.include(reason, `kind: "collect" | "payout"`)
    }))

  it.effect("a payout with \"channel\": null is not a CollectFailed: refused like the payout itself", () =>
    Effect.gen(function*() {
      const { events, outcomes } = yield* run(auto, [payoutCanceled, payoutWithNullChannel])
      assert.deepStrictEqual(outcomes.map(([label]) => label), [
        "Rejected(MalformedDelivery)",
        "Rejected(MalformedDelivery)"
      ])
      assert.deepStrictEqual(events, [])
    }))

  it.effect("a collect whose payed_amount or channel is signed is still told apart: unchanged", () =>
    Effect.gen(function*() {
      const { channel: _, ...amountOnly } = collect({ id: "GP2" })
      const { payed_amount: __, ...channelOnly } = collect({ id: "GP3", status: 30 })
      const bodies = [collect(), collect(), amountOnly, channelOnly].map((fields) => textOf(sign(fields, secret)))
      const { events, outcomes } = yield* run(auto, bodies)
      assert.deepStrictEqual(outcomes, [
        ["Processed", "goldenpay:collect:GP202605040001:60"],
        ["Duplicate", "goldenpay:collect:GP202605040001:60"],
        ["Processed", "goldenpay:collect:GP2:60"],
        ["Processed", "goldenpay:collect:GP3:30"]
      ])
      assert.deepStrictEqual(events.map((event) => event._tag), [
        "CollectSucceeded",
        "CollectSucceeded",
        "CollectFailed"
      ])
    }))
})

describe("kind routes", () => {
  it.effect("collect route: the failed collect is CollectFailed once; the stripped copy is a Duplicate", () =>
    Effect.gen(function*() {
      const { events, outcomes } = yield* run(collectRoute, [failedCollect, stripped])
      assert.deepStrictEqual(outcomes, [
        ["Processed", "goldenpay-collect:collect:GP7:50"],
        ["Duplicate", "goldenpay-collect:collect:GP7:50"]
      ])
      assert.deepStrictEqual(events.map((event) => event._tag), ["CollectFailed"])
    }))

  it.effect("payout route: the payout is PayoutCanceled once; with \"channel\": null it is a Duplicate", () =>
    Effect.gen(function*() {
      const { events, outcomes } = yield* run(payoutRoute, [payoutCanceled, payoutWithNullChannel])
      assert.deepStrictEqual(outcomes, [
        ["Processed", "goldenpay-payout:payout:GP8:50"],
        ["Duplicate", "goldenpay-payout:payout:GP8:50"]
      ])
      assert.deepStrictEqual(events.map((event) => event._tag), ["PayoutCanceled"])
    }))

  it.effect("payout route: a signed non-empty payed_amount or channel contradicts the kind and is refused", () =>
    Effect.gen(function*() {
      const bodies = [
        collect(),
        payout({ payed_amount: "250.00" }),
        payout({ channel: "BANK" })
      ].map((fields) => textOf(sign(fields, secret)))
      const { events, outcomes, reasons } = yield* run(payoutRoute, bodies)
      assert.deepStrictEqual(outcomes.map(([label]) => label), Array(3).fill("Rejected(MalformedDelivery)"))
      assert.deepStrictEqual(events, [])
      for (const reason of reasons) assert.include(reason, `kind "payout"`)
      // Empty ones are not signed and so contradict nothing.
      const empty = yield* run(payoutRoute, [textOf(sign(payout({ payed_amount: "", channel: null }), secret))])
      assert.deepStrictEqual(empty.outcomes.map(([label]) => label), ["Processed"])
    }))

  it("distinct default names (key namespaces) per kind; auto stays goldenpay; name overrides", () => {
    assert.deepStrictEqual(
      [auto.name, collectRoute.name, payoutRoute.name],
      ["goldenpay", "goldenpay-collect", "goldenpay-payout"]
    )
    assert.deepStrictEqual(
      [GoldenPay.nameOf(undefined), GoldenPay.nameOf("collect"), GoldenPay.nameOf("payout")],
      ["goldenpay", "goldenpay-collect", "goldenpay-payout"]
    )
    assert.strictEqual(GoldenPay.provider({ secret, kind: "collect", name: "goldenpay" }).name, "goldenpay")
  })

  it.effect("a collect route keeps auto mode's stored keys when named goldenpay (a migration without re-runs)", () =>
    Effect.gen(function*() {
      const raw = sign(collect(), secret)
      const before = yield* defineHandler(auto, () => Effect.void).process(raw)
      const after = yield* defineHandler(
        GoldenPay.provider({ secret, kind: "collect", name: "goldenpay" }),
        () => Effect.void
      ).process(raw)
      assert.deepStrictEqual([before._tag, before.key], ["Processed", "goldenpay:collect:GP202605040001:60"])
      assert.deepStrictEqual([after._tag, after.key], ["Duplicate", "goldenpay:collect:GP202605040001:60"])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})

describe("nothing unsigned decides anything", () => {
  // Every field whose value is null or "" can be added or removed without changing the sign.
  const variants = (fields: Fields): ReadonlyArray<Fields> => {
    const withoutEmpty = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== ""))
    return [
      fields,
      withoutEmpty,
      { payed_amount: null, channel: "", note: null, canceled_at: "", payed_at: null, ...withoutEmpty },
      { ...fields, remark: "", extra: null }
    ]
  }
  const cases: ReadonlyArray<readonly [AnyRoute, Fields]> = [
    [collectRoute, collect()],
    [collectRoute, collect({ status: 20, payed_amount: null, payed_at: null })],
    [collectRoute, collect({ status: 40, payed_amount: "", channel: null, payed_at: null })],
    [payoutRoute, payout()],
    [payoutRoute, payout({ status: 50, payed_at: null, canceled_at: "2026-05-04 11:03:00" })],
    [payoutRoute, payout({ status: 30, note: null, reason: "bank rejected" })],
    [auto, collect({ status: 30, payed_amount: "0.00", channel: null })]
  ]

  it.effect("key, fingerprint, event tag and the decoded event are the same for every spelling", () =>
    Effect.gen(function*() {
      for (const [provider, fields] of cases) {
        const seen = new Set<string>()
        for (const variant of variants(fields)) {
          const raw = sign(variant, secret)
          const payload = yield* provider.verify(raw)
          const key = Result.getOrThrow(provider.key(payload, raw))
          const event = yield* provider.decode(payload, raw)
          seen.add(stable([key, provider.fingerprint(payload, raw), event]))
        }
        assert.strictEqual(seen.size, 1, [...seen].join("\n"))
      }
    }))

  it.effect("the verified fields hold only signed (non-empty) values", () =>
    Effect.gen(function*() {
      const payload = yield* payoutRoute.verify(sign(payout({ note: null, remark: "", status: 30 }), secret))
      assert.deepStrictEqual(Object.keys(payload.fields).sort(), [
        "created_at",
        "id",
        "mch_id",
        "order_amount",
        "payed_at",
        "status",
        "trans_id"
      ])
      const event = yield* payoutRoute.decode(payload, RawDelivery.make({ body: "" }))
      assert.isTrue(event._tag === "PayoutUnknownStatus" && !("note" in event.fields) && !("remark" in event.fields))
    }))
})

describe("& and = cannot be represented in the signed k=v&… string", () => {
  it.effect("{\"zz_note\":\"1&zz_tail=2\"} signs like {\"zz_note\":\"1\",\"zz_tail\":\"2\"}; the first is refused", () =>
    Effect.gen(function*() {
      const honestFields = collect({ zz_note: "1", zz_tail: "2" })
      const smuggledFields = Object.fromEntries(
        Object.entries({ ...honestFields, zz_note: "1&zz_tail=2" }).filter(([name]) => name !== "zz_tail")
      )
      // The same signed string, so the same sign: before the fix the smuggled body verified.
      const signedString = (fields: Fields) =>
        CanonicalString.build(
          Object.entries(fields).map(([name, value]): readonly [string, string] => [name, String(value)]),
          GoldenPay.canonical
        )
      assert.strictEqual(signedString(smuggledFields), signedString(honestFields))
      const honest = sign(honestFields, secret)
      const honestSign = (JSON.parse(textOf(honest)) as { sign: string }).sign
      const smuggled = JSON.stringify({ ...smuggledFields, sign: honestSign })
      const error = yield* Effect.flip(auto.verify(delivery(smuggled)))
      assert.instanceOf(error, MalformedDelivery)
      assert.notInclude(error.message, "zz_")
      // The honest one is fine.
      assert.strictEqual((yield* auto.verify(honest)).fields.zz_tail, "2")
    }))

  it.effect("names and non-empty values with & or = are refused, signed or not; the message quotes neither", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<Fields> = [
        collect({ remark: "a=b" }),
        collect({ remark: "a&b" }),
        collect({ "a=b": "c" }),
        collect({ "a&b": "c" }),
        collect({ "na=me": null })
      ]
      for (const fields of cases) {
        for (const provider of [auto, collectRoute]) {
          const error = yield* Effect.flip(provider.verify(sign(fields, secret)))
          assert.instanceOf(error, MalformedDelivery, JSON.stringify(fields))
          assert.include(error.message, "& or =")
          for (const text of ["a=b", "a&b", "na=me", "remark"]) assert.notInclude(error.message, text)
        }
      }
      // A forged sign is refused the same way: the check runs before the signature.
      const forged = sign(collect({ remark: "a&b" }), Redacted.make("not-the-token"))
      assert.instanceOf(yield* Effect.flip(auto.verify(forged)), MalformedDelivery)
    }))
})

const textOf = (raw: RawDelivery.RawDelivery) => new TextDecoder().decode(raw.body)

// JSON with object keys sorted: the order of a record's keys follows the body's, which is not signed.
const stable = (value: unknown) =>
  JSON.stringify(value, (_, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v)
