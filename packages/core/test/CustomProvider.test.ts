// The provider from docs/writing-a-provider.md, verbatim, tested the way a user would.
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, RawDelivery, SignatureInvalid } from "@hookline/core"
import { AckPolicy, LosslessJson, Provider, Secret, Signing, Timestamp } from "@hookline/core/provider"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as BigDecimal from "effect/BigDecimal"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Logs from "../../../test-support/Logs.ts"

const Event = Schema.Union([
  Schema.TaggedStruct("Paid", { orderId: Schema.String, amount: Schema.BigDecimalFromString }),
  Schema.TaggedStruct("Refunded", { orderId: Schema.String })
])

const acme = (options: { readonly secret: Secret.SecretInput }) =>
  Provider.make({
    name: "acme",
    verify: (raw) =>
      Effect.gen(function*() {
        const secrets = yield* Secret.resolve(options.secret, "acme secret")
        const signature = RawDelivery.header(raw, "x-acme-signature") ?? ""
        const timestamp = yield* Effect.fromResult(RawDelivery.requireHeader(raw, "x-acme-timestamp"))
        const signed = Buffer.concat([Buffer.from(`${timestamp}.`), raw.body])
        const ok = Signing.matchesAny(
          secrets,
          (s) => Signing.hmac("sha256", Redacted.value(s), signed),
          signature,
          "hex"
        )
        if (!ok) return yield* new SignatureInvalid({ message: "Signature does not match" })
        yield* Timestamp.check(timestamp, { unit: "seconds", tolerance: "5 minutes" })
        const text = yield* Effect.fromResult(RawDelivery.bodyText(raw))
        return yield* Effect.fromResult(LosslessJson.parseObject(text, { numbers: "source" }))
      }),
    key: (payload) => typeof payload.eventId === "string" ? payload.eventId : "",
    fingerprint: (_payload, raw) => raw.body,
    schema: Event,
    ack: AckPolicy.status(),
    defaults: { timeBudget: "10 seconds", lease: "4 minutes", bodyLimit: 256 * 1024 },
    // 9. Read the configuration at start-up (listener.start()), so a missing secret stops the
    //    receiver instead of answering every delivery "retry".
    validate: Secret.resolve(options.secret, "acme secret")
  })

const secret = Redacted.make("acme-secret")
const signAcme = (body: string, timestamp = Math.floor(Date.now() / 1000)) => {
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)])
  return RawDelivery.make({
    headers: {
      "content-type": "application/json",
      "x-acme-timestamp": String(timestamp),
      "x-acme-signature": Buffer.from(Signing.hmac("sha256", "acme-secret", signed)).toString("hex")
    },
    body
  })
}

describe("a custom provider built as docs/writing-a-provider.md shows", () => {
  it("verifies, decodes exact amounts, dedupes and rejects, through real HTTP", async () => {
    const paid: Array<string> = []
    const handler = defineHandler(acme({ secret }), {
      Paid: (event) => Effect.sync(() => paid.push(`${event.orderId} ${BigDecimal.format(event.amount)}`)),
      Refunded: () => Effect.void
    })
    const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
    try {
      const delivery = signAcme(`{"_tag":"Paid","eventId":"e1","orderId":"9007199254740993","amount":"100.10"}`)
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual(JSON.parse((await server.send(delivery)).body).outcome, "Duplicate")
      assert.strictEqual((await server.send({ ...delivery, body: Buffer.from(`{"_tag":"Refunded"}`) })).status, 401)
      const stale = signAcme(`{"_tag":"Refunded","eventId":"e2","orderId":"1"}`, Math.floor(Date.now() / 1000) - 600)
      assert.strictEqual(JSON.parse((await server.send(stale)).body).reason, "TimestampOutOfTolerance")
      const keyless = signAcme(`{"_tag":"Refunded","orderId":"1"}`)
      assert.strictEqual(JSON.parse((await server.send(keyless)).body).reason, "MalformedDelivery")
      assert.deepStrictEqual(paid, ["9007199254740993 100.1"])
    } finally {
      await server.close()
    }
  })
})
