/**
 * The Standard Webhooks provider against the official `standardwebhooks` package, both directions:
 * its `Webhook.sign` output verifies here, and this package's test signer verifies with its
 * `Webhook.verify`. Plus the generic event, a user schema and the refusals.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Misconfigured } from "@hookline/core"
import { RawDelivery } from "@hookline/core/provider"
import { StandardWebhooks } from "@hookline/provider-standard-webhooks"
import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { Webhook } from "standardwebhooks"

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const secret = Redacted.make(whsec)
const official = new Webhook(whsec)
const provider = StandardWebhooks.provider({ secret })
const body = StandardWebhooksTesting.exampleBody

// A delivery as the official library signs it.
const officialDelivery = (id: string, text: string, at = new Date()): RawDelivery.RawDelivery =>
  RawDelivery.make({
    method: "POST",
    url: "/",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": official.sign(id, at, text)
    },
    body: new TextEncoder().encode(text)
  })

describe("StandardWebhooks against the standardwebhooks package", () => {
  it.live("Webhook.sign output verifies and decodes to the generic event, the id beyond 2^53 exact", () =>
    Effect.gen(function*() {
      const raw = officialDelivery("msg_p5jXN8AQM9LWM0D4loKWxJek", body)
      const payload = yield* provider.verify(raw)
      assert.strictEqual(Result.getOrThrow(provider.key(payload, raw)), "msg_p5jXN8AQM9LWM0D4loKWxJek")
      const event = yield* provider.decode(payload, raw)
      assert.deepStrictEqual(event, {
        type: "contact.created",
        timestamp: "2022-11-03T20:26:10.344522Z",
        data: { id: 9007199254740993n, email: "john@example.com" }
      })
    }))

  it("the testing signer's deliveries verify with Webhook.verify (one signature and a rotation list)", () => {
    const raw = StandardWebhooksTesting.sign({ body, secret, id: "msg_1" })
    const text = new TextDecoder().decode(raw.body)
    assert.deepStrictEqual(official.verify(text, raw.headers as Record<string, string>), JSON.parse(body))
    const rotated = StandardWebhooksTesting.sign({
      body,
      secret: StandardWebhooksTesting.randomSecret(),
      alsoSignWith: [secret],
      id: "msg_2"
    })
    assert.match(rotated.headers["webhook-signature"] ?? "", /^v1,\S+ v1,\S+$/)
    assert.deepStrictEqual(official.verify(text, rotated.headers as Record<string, string>), JSON.parse(body))
    const other = StandardWebhooksTesting.sign({ body, secret: StandardWebhooksTesting.randomSecret(), id: "msg_3" })
    assert.throws(() => official.verify(text, other.headers as Record<string, string>), /No matching signature/)
  })

  it.live("the bare base64 secret (no whsec_ prefix) verifies the same signatures", () =>
    Effect.gen(function*() {
      const bare = StandardWebhooks.provider({ secret: Redacted.make(whsec.slice("whsec_".length)) })
      assert.strictEqual((yield* bare.verify(officialDelivery("msg_bare", body))).id, "msg_bare")
    }))

  it.live("a signature over other bytes, another key, or a v2 scheme only is SignatureInvalid", () =>
    Effect.gen(function*() {
      const good = officialDelivery("msg_x", body)
      const tampered = { ...good, body: new TextEncoder().encode(body.replace("john", "jane")) }
      const otherKey = StandardWebhooksTesting.sign({ body, secret: StandardWebhooksTesting.randomSecret() })
      const v2 = {
        ...good,
        headers: { ...good.headers, "webhook-signature": good.headers["webhook-signature"]!.replace("v1,", "v2,") }
      }
      for (const raw of [tampered, otherKey, v2]) {
        assert.strictEqual((yield* Effect.flip(provider.verify(raw)))._tag, "SignatureInvalid")
      }
    }))

  it.live("a timestamp 6 minutes off either way (signed correctly) is TimestampOutOfTolerance", () =>
    Effect.gen(function*() {
      const now = Date.now()
      for (const at of [now - 6 * 60_000, now + 6 * 60_000]) {
        const error = yield* Effect.flip(provider.verify(officialDelivery("msg_t", body, new Date(at))))
        assert.strictEqual(error._tag, "TimestampOutOfTolerance")
      }
      // The official library refuses the same deliveries.
      assert.throws(() => official.verify(body, officialDelivery("msg_t", body, new Date(now - 6 * 60_000)).headers))
    }))
})

describe("StandardWebhooks events", () => {
  it.live("a body without a string type is DecodeFailed; a non-object body is MalformedDelivery", () =>
    Effect.gen(function*() {
      const noType = StandardWebhooksTesting.sign({ body: { data: {} }, secret })
      const failed = yield* Effect.flip(provider.decode(yield* provider.verify(noType), noType))
      assert.strictEqual(failed._tag, "DecodeFailed")
      const array = StandardWebhooksTesting.sign({ body: "[1,2]", secret })
      assert.strictEqual((yield* Effect.flip(provider.verify(array)))._tag, "MalformedDelivery")
    }))

  it.live("a user schema gives a union keyed by type (handler maps), numbers lossless", () =>
    Effect.gen(function*() {
      const Event = Schema.Union([
        Schema.Struct({ type: Schema.Literal("invoice.paid"), data: Schema.Struct({ amount: Schema.BigInt }) }),
        Schema.Struct({ type: Schema.Literal("invoice.voided"), data: Schema.Struct({ reason: Schema.String }) })
      ])
      const typed = StandardWebhooks.provider({ secret, schema: Event })
      assert.strictEqual(typed.discriminator, "type")
      const handler = defineHandler(typed, {
        "invoice.paid": (event) => Effect.succeed(event.data.amount + 1n),
        "invoice.voided": (event) => Effect.succeed(event.data.reason)
      })
      assert.strictEqual(handler.name, "standard-webhooks")
      const raw = StandardWebhooksTesting.sign({
        body: `{"type":"invoice.paid","data":{"amount":12345678901234567890}}`,
        secret
      })
      assert.deepStrictEqual(yield* typed.decode(yield* typed.verify(raw), raw), {
        type: "invoice.paid",
        data: { amount: 12345678901234567890n }
      })
    }))

  it.effect("a secret that is not base64 is Misconfigured at start-up; a too-short retention is refused", () =>
    Effect.gen(function*() {
      const broken = StandardWebhooks.provider({ secret: Redacted.make("whsec_$$$") })
      assert.instanceOf(yield* Effect.flip(broken.validate), Misconfigured)
      assert.throws(
        () => defineHandler(provider, () => Effect.void, { retention: "5 minutes" }),
        /retention must be longer/
      )
    }))
})
