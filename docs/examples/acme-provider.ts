import { SignatureInvalid } from "@hookline/core"
import { LosslessJson, Provider, RawDelivery, Secret, Signing, Timestamp } from "@hookline/core/provider"
import { Effect, Schema } from "effect"

// The events: decoded from the verified body, amounts exact (never a JS number).
export const Event = Schema.Union([
  Schema.TaggedStruct("Paid", { orderId: Schema.String, amount: Schema.BigDecimalFromString }),
  Schema.TaggedStruct("Refunded", { orderId: Schema.String })
])

export const acme = (options: { readonly secret: Secret.SecretInput }) => {
  // Eager: a verify that waits on nothing answers at once, and the delivery runs without a fiber.
  const verify = Effect.fnUntracedEager(function*(raw: RawDelivery.RawDelivery, now?: number) {
    const secrets = yield* Secret.resolve(options.secret, "acme secret")
    const timestamp = yield* Effect.fromResult(RawDelivery.requireHeader(raw, "x-acme-timestamp"))
    // HMAC over `<timestamp>.` then the exact received bytes, constant-time, any secret (rotation).
    const signed = [`${timestamp}.`, raw.body]
    const received = RawDelivery.header(raw, "x-acme-signature") ?? ""
    if (!Signing.matchesAny(secrets, (key) => Signing.hmacWithSecret("sha256", key, signed), received, "hex")) {
      return yield* new SignatureInvalid({ message: "Signature does not match" })
    }
    // The timestamp after the signature, so nobody unauthenticated can probe the clock.
    // `now` is the pipeline's clock reading: the check needs no fiber.
    yield* Timestamp.check(timestamp, { unit: "seconds", tolerance: "5 minutes" }, now)
    const text = yield* Effect.fromResult(RawDelivery.bodyText(raw))
    return yield* Effect.fromResult(LosslessJson.parseObject(text, { numbers: "source" }))
  })
  return Provider.make({
    name: "acme",
    // Read the configuration at start-up: a missing secret stops the receiver.
    validate: Secret.resolve(options.secret, "acme secret"),
    verify,
    // The idempotency key, from the signed body ("" is refused as MalformedDelivery).
    key: (payload) => typeof payload.eventId === "string" ? payload.eventId : "",
    schema: Event,
    // Defaults that fit the platform's retries; users override them in defineHandler.
    defaults: { timeBudget: "10 seconds", lease: "4 minutes", bodyLimit: 256 * 1024 }
  })
}
