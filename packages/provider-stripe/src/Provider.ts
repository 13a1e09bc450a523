/**
 * Stripe webhook events (docs.stripe.com/webhooks/signature): the scheme.
 *
 * Stripe `POST`s the event as JSON with a `Stripe-Signature` header, `t=<unix seconds>,v1=<hex>`
 * (more `v1=` entries while an endpoint secret is being rolled; other schemes such as `v0=` are test
 * leftovers and ignored). `v1` is the hex HMAC-SHA256 over `${t}.${body}`, keyed with the endpoint
 * secret exactly as shown in the dashboard — the whole `whsec_…` text as UTF-8 bytes, not decoded
 * (this is what Stripe's own library does, unlike Standard Webhooks). The key is the event `id`
 * (`evt_…`) from the signed body: Stripe resends the same event id on every retry.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { Stripe } from "@hookline/provider-stripe"
 * import { Config, Effect } from "effect"
 *
 * const payments = defineHandler(Stripe.provider({ secret: Config.Redacted("STRIPE_WEBHOOK_SECRET") }), (event) =>
 *   event.type === "payment_intent.succeeded"
 *     ? Effect.log("paid", event.data.object.id, event.data.object.amount) // amount: bigint, minor units
 *     : Effect.void)
 * ```
 *
 * @since 0.1.0
 */
import {
  LosslessJson,
  MalformedDelivery,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  Signing,
  Timestamp
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { decode, type Event } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`stripe:<evt_…>`) and the label in logs,
 * spans and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "stripe"

/**
 * The signature header (lower case, as `RawDelivery` stores it).
 *
 * @since 0.1.0
 * @category constants
 */
export const signatureHeader = "stripe-signature"

/**
 * The tolerance, both directions: 300 s, Stripe's `DEFAULT_TOLERANCE`. (Stripe's library checks only
 * the past; a timestamp more than 5 minutes ahead of this receiver's clock is refused here too.)
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.seconds(300)

/**
 * The handler settings for Stripe: it waits for a 2xx (it times out slow endpoints, in practice
 * after about 10–20 s) and retries failed deliveries with exponential backoff for up to three days
 * (live mode). Users override them in `defineHandler(provider, handle, settings)`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  /** Answer before Stripe gives up on the attempt; a longer handler gets a 503 and the retry. */
  timeBudget: Duration.seconds(10),
  /** A crashed holder's claim expires before Stripe's next retries. */
  lease: Duration.minutes(4),
  /** Longer than Stripe's three days of retries: an event id is remembered while Stripe may resend it. */
  retention: Duration.days(7),
  /** Stripe events are small (a few KiB; large lists are truncated); 1 MiB bounds the parse. */
  bodyLimit: 1024 * 1024
} satisfies Provider.SettingsInput

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The endpoint's signing secret (`whsec_…`, used whole as the key), or several: all accepted
   * (during a roll in the dashboard Stripe signs with the old and the new secret).
   */
  readonly secret: Secret.SecretInput
  /**
   * Accepted clock difference, both directions (or `{ past, future }`). Default
   * {@link defaultTolerance}. There is no `false`: without a window a captured event replays
   * forever once its id is forgotten.
   */
  readonly tolerance?: Exclude<Timestamp.Tolerance, false> | undefined
}

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** The event id (`evt_…`), from the signed body: the idempotency key. */
  readonly id: string
  /** The event type (`payment_intent.succeeded`), from the signed body. */
  readonly type: string
  /** The `t=` of `Stripe-Signature`, in epoch milliseconds. */
  readonly timestamp: number
  /** The body as lossless JSON, every number as its exact source text. */
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

/**
 * A parsed `Stripe-Signature` header.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignatureHeader {
  /** The `t=` text. */
  readonly timestamp: string
  /** Every `v1=` value. */
  readonly signatures: ReadonlyArray<string>
}

/**
 * Parses `Stripe-Signature`: `t=` exactly once and at least one `v1=`; other keys (`v0=`) ignored.
 * Fails with `SignatureInvalid` (constant messages: nothing is verified yet).
 *
 * @since 0.1.0
 * @category verifying
 */
export const parseSignatureHeader = (value: string | undefined): Result.Result<SignatureHeader, SignatureInvalid> => {
  if (value === undefined || value.trim() === "") {
    return Result.fail(new SignatureInvalid({ message: "Missing header Stripe-Signature" }))
  }
  let timestamp: string | undefined
  let timestamps = 0
  const signatures: Array<string> = []
  for (const item of value.split(",")) {
    const at = item.indexOf("=")
    if (at < 0) continue
    const key = item.slice(0, at).trim()
    const text = item.slice(at + 1).trim()
    if (key === "t") {
      timestamp = text
      timestamps++
    } else if (key === "v1") signatures.push(text)
  }
  // Two `t=` would leave open which one was signed: refused rather than guessed.
  if (timestamp === undefined || timestamps !== 1) {
    return Result.fail(new SignatureInvalid({ message: "Stripe-Signature needs exactly one t=" }))
  }
  if (signatures.length === 0) return Result.fail(new SignatureInvalid({ message: "Stripe-Signature has no v1=" }))
  return Result.succeed({ timestamp, signatures })
}

// What `v1` covers: `${t}.` then the body's bytes, MACed in order without copying the body.
const signedParts = (timestamp: string, body: Uint8Array): Signing.Signed => [`${timestamp}.`, body]

/**
 * The `v1` signature Stripe computes: lower-case hex of HMAC-SHA256 keyed with the secret's text
 * (UTF-8, `whsec_` included) over `${timestamp}.${body}`. For test deliveries and for checking a
 * captured event by hand; verification compares bytes in constant time.
 *
 * @since 0.1.0
 * @category verifying
 */
export const signature = (input: {
  readonly timestamp: string
  readonly body: Uint8Array
  readonly secret: Redacted.Redacted<string>
}): string =>
  Signing.encode(Signing.hmacWithSecret("sha256", input.secret, signedParts(input.timestamp, input.body)), "hex")

/**
 * Verifies a delivery, in this order:
 *
 * 1. `Stripe-Signature` parses (see {@link parseSignatureHeader}), else `SignatureInvalid` (401);
 * 2. one of its `v1` signatures matches under one of the secrets (every secret against every
 *    signature, constant time), else `SignatureInvalid` (401);
 * 3. `t` is within the tolerance both ways (`TimestampOutOfTolerance`, 401), checked after the
 *    signature so an unauthenticated request cannot probe the clock;
 * 4. the body is strict UTF-8 JSON whose top level is an object with a string `id` and `type`, else
 *    `MalformedDelivery` (400).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Options): Provider.Verify<Payload> => {
  const tolerance = options.tolerance ?? defaultTolerance
  // Eager: when nothing in it waits (plain secrets, `now` given), it answers at once, without a fiber.
  return Effect.fnUntracedEager(function*(
    raw: RawDelivery.RawDelivery,
    now?: number
  ): Provider.VerifySteps<Payload> {
    const header = yield* Effect.fromResult(parseSignatureHeader(RawDelivery.header(raw, signatureHeader)))
    const secrets = yield* Secret.resolve(options.secret, "Stripe webhook secret")
    const data = signedParts(header.timestamp, raw.body)
    const received = header.signatures.map((text) => Signing.decode(text, "hex"))
    let valid = false
    for (const secret of secrets) {
      const expected = Signing.hmacWithSecret("sha256", secret, data)
      // No short-circuit: the time taken does not tell which secret or signature matched.
      for (const bytes of received) if (bytes !== undefined && Signing.timingSafeEqual(expected, bytes)) valid = true
    }
    if (!valid) return yield* new SignatureInvalid({ message: "No Stripe-Signature v1 matches" })
    const timestamp = yield* Timestamp.check(header.timestamp, { unit: "seconds", tolerance }, now)
    const body = yield* Effect.fromResult(RawDelivery.bodyJsonObject(raw, { numbers: "source" }))
    const { id, type } = body
    if (typeof id !== "string" || id === "" || typeof type !== "string" || type === "") {
      return yield* new MalformedDelivery({ message: "The event has no string id and type" })
    }
    return { id, type, timestamp, body }
  })
}

/**
 * The idempotency key: the event `id` (`evt_…`, signed).
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = (payload: Payload): string => payload.id

/**
 * The fingerprint: the body's canonical JSON without `pending_webhooks`. That field is a live
 * counter (endpoints not yet answered with a 2xx) that Stripe writes into each attempt, so a retry
 * of an event this receiver completed — its 200 lost on the way — may carry another value; it is a
 * `Duplicate`, not a `PayloadMismatch`. Any other difference under the same id is a mismatch (409);
 * key order and whitespace do not count.
 *
 * @since 0.1.0
 * @category verifying
 */
export const fingerprint = (payload: Payload): string => {
  const { pending_webhooks: _, ...stable } = payload.body
  return LosslessJson.canonical(stable)
}

/**
 * The Stripe provider.
 *
 * - verify: see {@link verify}; key: the event `id`;
 * - fingerprint: {@link fingerprint} (the canonical JSON of the body but its `pending_webhooks`);
 * - decode: `decode` (see `Events.ts`), keyed by `type`;
 * - ack: `AckPolicy.status()` — 2xx for `Processed`/`Duplicate`, Stripe retries anything else;
 * - settings: {@link defaults}.
 *
 * `defineHandler` refuses a `retention` not longer than the tolerance's past + future.
 *
 * @since 0.1.0
 * @category constructors
 */
export const provider = (options: Options): Provider.Provider<Event, Payload, "type"> => {
  const window = Timestamp.window(options.tolerance ?? defaultTolerance)
  const span = window === undefined ? Infinity : window.pastMillis + window.futureMillis
  return Provider.make<Event, Payload, "type">({
    name,
    discriminator: "type",
    verify: verify(options),
    validate: Secret.resolve(options.secret, "Stripe webhook secret"),
    key,
    fingerprint,
    decode,
    defaults,
    checkSettings: ({ retention }) =>
      Duration.toMillis(retention) > span ? undefined : (
        "retention must be longer than the tolerance's past + future: an event id forgotten while its " +
        "timestamp is still accepted could be replayed. Raise retention or shorten tolerance."
      )
  })
}
