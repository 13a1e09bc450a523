/**
 * The Stripe provider against the official `stripe` package, both directions:
 * `Stripe.webhooks.generateTestHeaderString` signatures verify here, and this package's test signer
 * verifies with `Stripe.webhooks.constructEvent`. Plus the header's edge cases and the events.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import { RawDelivery } from "@hookline/core/provider"
import { Stripe } from "@hookline/provider-stripe"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import StripeSdk from "stripe"

const secretText = "whsec_test_secret_7b1d0e0a9c2f4e7f8a6b"
const secret = Redacted.make(secretText)
const provider = Stripe.provider({ secret })
const webhooks = StripeSdk.webhooks

const delivery = (body: string, header: string): RawDelivery.RawDelivery =>
  RawDelivery.make({
    method: "POST",
    url: "/",
    headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": header },
    body: new TextEncoder().encode(body)
  })

const verifyAndDecode = (raw: RawDelivery.RawDelivery) =>
  Effect.flatMap(provider.verify(raw), (payload) => provider.decode(payload, raw))

describe("Stripe against the stripe package", () => {
  it.live("generateTestHeaderString's signature verifies; the event decodes with exact amounts; key = event id", () =>
    Effect.gen(function*() {
      const body = StripeTesting.eventBody({ id: "evt_1", amount: 9007199254740993n })
      const raw = delivery(body, webhooks.generateTestHeaderString({ payload: body, secret: secretText }))
      const payload = yield* provider.verify(raw)
      assert.strictEqual(Result.getOrThrow(provider.key(payload, raw)), "evt_1")
      const event = yield* provider.decode(payload, raw)
      assert.strictEqual(event.type, "payment_intent.succeeded")
      if (event.type !== "payment_intent.succeeded") return
      assert.deepStrictEqual(event.data.object, {
        id: "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        amount: 9007199254740993n,
        amount_received: 9007199254740993n,
        currency: "usd",
        status: "succeeded",
        customer: null,
        metadata: { order: "6735" }
      })
      assert.deepStrictEqual([event.id, event.created, event.livemode], ["evt_1", 1680064028, false])
    }))

  it("the testing signer's header verifies with constructEvent (one secret, and a roll with two v1)", () => {
    const body = StripeTesting.exampleBody
    const raw = StripeTesting.sign({ body, secret })
    const header = raw.headers["stripe-signature"] ?? ""
    assert.strictEqual(webhooks.constructEvent(body, header, secretText).id, "evt_3MtwBwLkdIwHu7ix0sNfqKdC")
    const rolled = StripeTesting.sign({ body, secret: Redacted.make("whsec_new"), alsoSignWith: [secret] })
    const rolledHeader = rolled.headers["stripe-signature"] ?? ""
    assert.match(rolledHeader, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/)
    assert.strictEqual(webhooks.constructEvent(body, rolledHeader, secretText).type, "payment_intent.succeeded")
    assert.throws(() => webhooks.constructEvent(body, header, "whsec_other"), /No signatures found matching/)
  })

  it.live("the whole whsec_ text is the key (not base64-decoded, as Stripe does)", () =>
    Effect.gen(function*() {
      const body = StripeTesting.exampleBody
      const header = webhooks.generateTestHeaderString({ payload: body, secret: secretText })
      const withoutPrefix = Stripe.provider({ secret: Redacted.make(secretText.slice("whsec_".length)) })
      const error = yield* Effect.flip(withoutPrefix.verify(delivery(body, header)))
      assert.strictEqual(error._tag, "SignatureInvalid")
    }))

  it.live("v0 and other schemes are ignored; only v0 is SignatureInvalid; two t= are refused", () =>
    Effect.gen(function*() {
      const body = StripeTesting.exampleBody
      const header = webhooks.generateTestHeaderString({ payload: body, secret: secretText })
      const [t, v1] = header.split(",")
      const fake = "0".repeat(64)
      assert.strictEqual(
        (yield* provider.verify(delivery(body, `${t},v0=${fake},${v1}`))).id,
        "evt_3MtwBwLkdIwHu7ix0sNfqKdC"
      )
      assert.strictEqual(
        (yield* provider.verify(delivery(body, `${t},v1=${fake},${v1}`))).type,
        "payment_intent.succeeded"
      )
      for (const bad of [`${t},${v1!.replace("v1=", "v0=")}`, `${t},t=1,${v1}`, `${v1}`, ""]) {
        assert.strictEqual((yield* Effect.flip(provider.verify(delivery(body, bad))))._tag, "SignatureInvalid")
      }
    }))

  it.live("timestamps: 301 s old or 301 s ahead is TimestampOutOfTolerance (constructEvent also refuses the old one)", () =>
    Effect.gen(function*() {
      const body = StripeTesting.exampleBody
      const now = Math.floor(Date.now() / 1000)
      for (const timestamp of [now - 301, now + 301]) {
        const header = webhooks.generateTestHeaderString({ payload: body, secret: secretText, timestamp })
        assert.strictEqual(
          (yield* Effect.flip(provider.verify(delivery(body, header))))._tag,
          "TimestampOutOfTolerance"
        )
      }
      const old = webhooks.generateTestHeaderString({ payload: body, secret: secretText, timestamp: now - 301 })
      assert.throws(() => webhooks.constructEvent(body, old, secretText), /tolerance/)
    }))
})

describe("Stripe events", () => {
  it.live("an untyped type is Unknown (Stripe's name in eventType, numbers as source text)", () =>
    Effect.gen(function*() {
      const body = `{"id":"evt_2","object":"event","type":"customer.created","created":1680064028,"livemode":true,` +
        `"data":{"object":{"id":"cus_1","balance":12345678901234567890}}}`
      const event = yield* verifyAndDecode(StripeTesting.sign({ body, secret }))
      assert.deepStrictEqual(event, {
        type: "unknown",
        eventType: "customer.created",
        id: "evt_2",
        created: 1680064028,
        livemode: true,
        data: { object: { id: "cus_1", balance: "12345678901234567890" } }
      })
    }))

  it.live("a thin (v2) event notification is DecodeFailed, as constructEvent refuses it", () =>
    Effect.gen(function*() {
      const body = `{"id":"evt_test_65R9","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered",` +
        `"livemode":false,"created":"2024-09-26T20:21:00.000Z","related_object":{"id":"mtr_1","type":"billing.meter"}}`
      const error = yield* Effect.flip(verifyAndDecode(StripeTesting.sign({ body, secret })))
      assert.strictEqual(error._tag, "DecodeFailed")
      const header = webhooks.generateTestHeaderString({ payload: body, secret: secretText })
      assert.throws(() => webhooks.constructEvent(body, header, secretText), /thin event/)
    }))

  it.live("a typed event with a broken body is DecodeFailed, not Unknown", () =>
    Effect.gen(function*() {
      const body = StripeTesting.eventBody({ type: "charge.succeeded" }) // a PaymentIntent where a Charge belongs
      const error = yield* Effect.flip(verifyAndDecode(StripeTesting.sign({ body, secret })))
      assert.strictEqual(error._tag, "DecodeFailed")
    }))

  it.live("each typed family decodes its object", () =>
    Effect.gen(function*() {
      const envelope = (type: string, object: string) =>
        `{"id":"evt_${type}","object":"event","type":"${type}","created":1,"livemode":false,"data":{"object":${object}}}`
      const bodies = [
        envelope(
          "charge.refunded",
          `{"id":"ch_1","amount":500,"amount_captured":500,"amount_refunded":500,"currency":"eur","status":"succeeded","paid":true,"refunded":true,"payment_intent":"pi_1"}`
        ),
        envelope(
          "checkout.session.completed",
          `{"id":"cs_1","mode":"payment","payment_status":"paid","status":"complete","amount_total":1999,"currency":"usd","client_reference_id":"order-7"}`
        ),
        envelope(
          "customer.subscription.deleted",
          `{"id":"sub_1","customer":"cus_1","status":"canceled","cancel_at_period_end":false}`
        ),
        envelope(
          "invoice.upcoming",
          `{"customer":"cus_1","currency":"usd","amount_due":1000,"amount_paid":0,"amount_remaining":1000,"status":"draft"}`
        )
      ]
      const events = yield* Effect.forEach(bodies, (body) => verifyAndDecode(StripeTesting.sign({ body, secret })))
      const summary = events.map((event) => {
        switch (event.type) {
          case "charge.refunded":
            return event.data.object.amount_refunded
          case "checkout.session.completed":
            return event.data.object.amount_total
          case "customer.subscription.deleted":
            return event.data.object.status
          case "invoice.upcoming":
            return event.data.object.amount_due
          default:
            return event.type
        }
      })
      assert.deepStrictEqual(summary, [500n, 1999n, "canceled", 1000n])
    }))

  it("discriminator type: a handler map names Stripe's types; an unknown key is a type error", () => {
    assert.strictEqual(provider.discriminator, "type")
    const handlers = Object.fromEntries(
      [
        ...Stripe.paymentIntentTypes,
        ...Stripe.chargeTypes,
        ...Stripe.checkoutSessionTypes,
        ...Stripe.subscriptionTypes,
        ...Stripe.invoiceTypes,
        "unknown"
      ].map((type) => [type, () => Effect.void])
    )
    // @ts-expect-error "payment_intent.succeded" is not the type of any event
    defineHandler(provider, { "payment_intent.succeded": () => Effect.void })
    assert.strictEqual(defineHandler(provider, handlers as never).name, "stripe")
  })
})
