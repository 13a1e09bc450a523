/**
 * The generic Hmac provider does what its docstring says (issue #19): byte secrets (`whsec_` and plain
 * base64), several signatures in one header, the event type from a header. Proven against the
 * official `standardwebhooks` package in both directions and through real HTTP.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, Misconfigured } from "@hookline/core"
import { RawDelivery } from "@hookline/core/provider"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Webhook } from "standardwebhooks"
import * as Logs from "../../../test-support/Logs.ts"

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const base64Part = whsec.slice("whsec_".length)
const official = new Webhook(whsec)

const standard = {
  header: "webhook-signature",
  prefix: "v1,",
  separator: " ",
  encoding: "base64",
  idHeader: "webhook-id",
  timestampHeader: "webhook-timestamp",
  signedContent: "id.timestamp.body"
} as const

const body = `{"type":"invoice.paid","data":{"id":9007199254740993,"amount":"100.10"}}`
const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"

// What the official library sends: its own `sign` output in its header layout.
const officialDelivery = (signatureHeader?: (signature: string) => string): RawDelivery.RawDelivery => {
  const now = new Date()
  const signature = official.sign(id, now, body)
  return RawDelivery.make({
    method: "POST",
    url: "/",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signatureHeader === undefined ? signature : signatureHeader(signature)
    },
    body: new TextEncoder().encode(body)
  })
}

describe("Hmac with Standard Webhooks options, against the standardwebhooks package", () => {
  it.live("its Webhook.sign verifies with a whsec_ secret (secretEncoding whsec) and a plain base64 one", () =>
    Effect.gen(function*() {
      for (
        const provider of [
          Hmac.provider({ ...standard, secret: Redacted.make(whsec), secretEncoding: "whsec" }),
          Hmac.provider({ ...standard, secret: Redacted.make(base64Part), secretEncoding: "whsec" }),
          Hmac.provider({ ...standard, secret: Redacted.make(base64Part), secretEncoding: "base64" })
        ]
      ) {
        const payload = yield* provider.verify(officialDelivery())
        assert.strictEqual(payload.id, id)
        assert.deepStrictEqual(payload.json, {
          type: "invoice.paid",
          data: { id: 9007199254740993n, amount: "100.10" }
        })
      }
    }))

  it.effect("the whsec_ text used as UTF-8 (the old behaviour, secretEncoding utf8) does not verify", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ ...standard, secret: Redacted.make(whsec) })
      const error = yield* Effect.flip(provider.verify(officialDelivery()))
      assert.strictEqual(error._tag, "SignatureInvalid")
    }))

  it.live("several space-separated signatures: any match accepts (sender rotation); other versions ignored", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ ...standard, secret: Redacted.make(whsec), secretEncoding: "whsec" })
      const rotated = officialDelivery((signature) =>
        `v1,${Buffer.alloc(32, 7).toString("base64")} v2,whatever ${signature}`
      )
      assert.strictEqual((yield* provider.verify(rotated)).id, id)
      const none = officialDelivery(() => `v1,${Buffer.alloc(32, 7).toString("base64")} v1a,${"x".repeat(44)}`)
      assert.strictEqual((yield* Effect.flip(provider.verify(none)))._tag, "SignatureInvalid")
    }))

  it("Hmac.testing.sign with a whsec_ secret verifies with Webhook.verify", () => {
    const options = { ...standard, secret: Redacted.make(whsec), secretEncoding: "whsec" } as const
    const raw = Hmac.testing.sign(options, { body, id })
    const verified = official.verify(new TextDecoder().decode(raw.body), raw.headers as Record<string, string>)
    assert.deepStrictEqual(verified, JSON.parse(body))
    // And a different key is refused by the official library: the key bytes are what matters.
    const other = Hmac.testing.sign({
      ...options,
      secret: Redacted.make("whsec_" + Buffer.alloc(24, 1).toString("base64"))
    }, {
      body,
      id
    })
    assert.throws(() => official.verify(body, other.headers as Record<string, string>), /No matching signature/)
  })

  it.effect("a secret that is not base64 is Misconfigured at start-up (validate), not a 401 per delivery", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({
        ...standard,
        secret: Redacted.make("whsec_not base64!"),
        secretEncoding: "whsec"
      })
      const error = yield* Effect.flip(provider.validate)
      assert.instanceOf(error, Misconfigured)
      assert.notInclude(error.message, "not base64!")
    }))
})

describe("Hmac typeHeader: the event type from a header (unsigned), through real HTTP", () => {
  const Event = Schema.Union([
    Schema.Struct({ type: Schema.Literal("order.paid"), orderId: Schema.String }),
    Schema.Struct({ type: Schema.Literal("order.refunded"), orderId: Schema.String })
  ])
  const secret = Redacted.make("type-header-secret")
  const options = { secret, typeHeader: "x-event-type", schema: Event, discriminator: "type" } as const
  const provider = Hmac.provider(options)

  it("the header's value picks the handler; a missing header is 400; the default event carries it as type", async () => {
    const seen: Array<string> = []
    const handler = defineHandler(provider, {
      "order.paid": (event) => Effect.sync(() => seen.push(`paid ${event.orderId}`)),
      "order.refunded": (event) => Effect.sync(() => seen.push(`refunded ${event.orderId}`))
    })
    const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
    try {
      // The body's own `type` is overwritten by the header (which is what "from a header" means).
      const paid = await server.send(
        Hmac.testing.sign(options, { body: { orderId: "1", type: "order.refunded" }, type: "order.paid" })
      )
      const refunded = await server.send(Hmac.testing.sign(options, { body: { orderId: "2" }, type: "order.refunded" }))
      const missing = await server.send(Hmac.testing.sign(options, { body: { orderId: "3" } }))
      const unknown = await server.send(Hmac.testing.sign(options, { body: { orderId: "4" }, type: "order.lost" }))
      const notObject = await server.send(Hmac.testing.sign(options, { body: "[1]", type: "order.paid" }))
      assert.deepStrictEqual(
        [paid.status, refunded.status, missing.status, unknown.status, notObject.status],
        [200, 200, 400, 500, 400]
      )
      assert.deepStrictEqual(seen, ["paid 1", "refunded 2"])
    } finally {
      await server.close()
    }
  })

  it.effect("without a schema the default HmacEvent carries the header as type", () =>
    Effect.gen(function*() {
      const plain = Hmac.provider({ secret, typeHeader: "x-event-type" })
      const raw = Hmac.testing.sign({ secret, typeHeader: "x-event-type" }, {
        body: { a: 1 },
        id: "d1",
        type: "ping"
      })
      const event = yield* plain.decode(yield* plain.verify(raw), raw)
      assert.deepStrictEqual(event, { _tag: "HmacEvent", id: "d1", payload: { a: 1 }, type: "ping" })
    }))
})
