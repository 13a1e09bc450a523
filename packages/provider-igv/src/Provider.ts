/**
 * iGV seller order-status callbacks (docs.igv.com → Seller → Callback): the scheme.
 *
 * iGV `POST`s a JSON body to the seller's callback URL with three headers: `X-Request-Id` (unique per
 * callback, the idempotency key), `X-Timestamp` (Unix **milliseconds**) and `X-Signature`, the hex
 * HMAC-SHA256 keyed with the 32-character secret over `X-Timestamp + X-Request-Id + secret` (plain
 * concatenation). **The body is not signed**: the fingerprint of the body is what turns a replayed
 * request id carrying another body into a `PayloadMismatch` (409) instead of a new order.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { Igv } from "@hookline/provider-igv"
 * import { Config, Effect } from "effect"
 *
 * const orders = defineHandler(Igv.provider({ secret: Config.Redacted("IGV_SECRET") }), {
 *   OrderPendingDelivery: (order) => Effect.log("deliver", order.orderId),
 *   UnknownStatus: (event) => Effect.logWarning("new iGV status", event.status)
 * })
 * ```
 *
 * @since 0.1.0
 */
import {
  AckPolicy,
  LosslessJson,
  MalformedDelivery,
  Misconfigured,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  Signing,
  Timestamp,
  UnsupportedMediaType
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { decode, type Event } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`igv:<X-Request-Id>`) and the label in logs,
 * spans and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "igv"

/**
 * The header names iGV sends (lower case, as `RawDelivery` stores them).
 *
 * @since 0.1.0
 * @category constants
 */
export const headers = {
  /** Unique per callback; the idempotency key. */
  requestId: "x-request-id",
  /** Unix time in milliseconds, signed. */
  timestamp: "x-timestamp",
  /** Hex HMAC-SHA256 over `X-Timestamp + X-Request-Id + secret`. */
  signature: "x-signature"
} as const

/**
 * The media type iGV sends. A request without `Content-Type` is accepted too (the signature does
 * not cover it and the body is parsed as JSON either way); any other type is `UnsupportedMediaType`.
 *
 * @since 0.1.0
 * @category constants
 */
export const mediaType = "application/json"

/**
 * Default timestamp tolerance, both directions: 1 hour. iGV's last retry comes 35 minutes after the
 * first attempt and its docs do not say whether a retry carries a fresh `X-Timestamp`; one hour
 * accepts a retry that reuses the original timestamp, plus clock skew.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.hours(1)

/**
 * The largest tolerance accepted, each direction: 24 hours. A window is required (see
 * {@link Tolerance}); beyond the digit shift it stops (which needs decades, not days), its length is
 * the time during which captured headers can be paired with a forged body under a new delivery, so
 * it should cover iGV's retries (35 minutes) and clock skew, not more. A day absorbs even a clock
 * set in the wrong time zone.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxTolerance: Duration.Duration = Duration.hours(24)

/**
 * The handler settings iGV's retries call for; users override them in `defineHandler(provider,
 * handle, settings)`. `retention` (7 days) and `bodyLimit` (1 MiB) are core's; a retention must
 * outlast the tolerance's `past + future` (see {@link provider}).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  /** iGV documents no response deadline: a handler still running after 10 s gets a 503 (iGV retries at +5 min). */
  timeBudget: Duration.seconds(10),
  /**
   * Shorter than iGV's first retry (+5 min): a crashed holder's claim has expired when the retry
   * arrives, so the retry is processed instead of answered `InFlight`.
   */
  lease: Duration.minutes(4)
} satisfies Provider.SettingsInput

/**
 * The timestamp tolerance of an iGV provider: one duration for both directions, or
 * `{ past, future }` — each at most {@link maxTolerance}. Core's `false` (no window) is excluded on
 * purpose: iGV signs `X-Timestamp + X-Request-Id` with no separator, so the signed string does not
 * say where the timestamp ends. Moving digits across the boundary keeps the signature valid and
 * makes a new request id — a new idempotency key — out of one captured callback: `"1700000000123"
 * + "45…"` signs like `"170000000012" + "345…"` and like `"17000000001234" + "5…"`. The shifted
 * timestamp is the original divided or multiplied by a power of ten, decades away from now, so
 * only a window refuses it; without one, each capture is a dozen replayable deliveries with any
 * body (the body is not signed).
 *
 * @since 0.1.0
 * @category models
 */
export type Tolerance = Exclude<Timestamp.Tolerance, false>

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The callback secret key iGV assigned (`Config.Redacted("IGV_SECRET")`), or several during a
   * rotation: a signature made with any of them is accepted.
   */
  readonly secret: Secret.SecretInput
  /**
   * Accepted distance between `X-Timestamp` and the receiver's clock, both directions (or
   * `{ past, future }`), at most {@link maxTolerance} (24 hours) each. There is no `false`: see
   * {@link Tolerance}. Default {@link defaultTolerance} (1 hour).
   */
  readonly tolerance?: Tolerance | undefined
}

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** The `X-Request-Id` header (the idempotency key). */
  readonly requestId: string
  /** The `X-Timestamp` header in epoch milliseconds. */
  readonly timestamp: number
  /**
   * The body parsed as lossless JSON with every number as its exact source text: `orderId`
   * 9007199254740993 arrives as the string `"9007199254740993"`, never as a rounded double.
   */
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

/**
 * Input of {@link signature}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignatureInput {
  /** The `X-Timestamp` header text (Unix milliseconds). */
  readonly timestamp: string
  /** The `X-Request-Id` header text. */
  readonly requestId: string
  readonly secret: Redacted.Redacted<string>
}

const mac = (timestamp: string, requestId: string, secret: Redacted.Redacted<string>): Uint8Array => {
  const key = Redacted.value(secret)
  return Signing.hmac("sha256", key, `${timestamp}${requestId}${key}`)
}

/**
 * The signature iGV puts in `X-Signature`: lower-case hex of HMAC-SHA256 keyed with the secret over
 * `timestamp + requestId + secret`. For test deliveries and for checking a captured callback by
 * hand; verification never compares with this string (it compares bytes in constant time).
 *
 * @since 0.1.0
 * @category verifying
 */
export const signature = (input: SignatureInput): string =>
  Signing.encode(mac(input.timestamp, input.requestId, input.secret), "hex")

// Refuses, at construction, the tolerances under which a captured callback can be replayed as a new
// delivery (see `Tolerance`): none, or one wider than `maxTolerance`. Throws `Misconfigured`.
const windowOf = (tolerance: Tolerance | undefined): Timestamp.Window => {
  const given: unknown = tolerance
  if (given === false) {
    throw new Misconfigured({
      message: "The iGV tolerance cannot be false: iGV signs X-Timestamp + X-Request-Id without a separator, so " +
        "without a time window one captured callback yields new request ids by moving digits between them. " +
        "Leave it out (1 hour) or pass a duration of at most 24 hours."
    })
  }
  const resolved = tolerance ?? defaultTolerance
  const [past, future] = typeof resolved === "object" && "past" in resolved && "future" in resolved
    ? [resolved.past, resolved.future]
    : [resolved, resolved]
  const millis = (input: Duration.Input) =>
    Option.match(Duration.fromInput(input), {
      onNone: () => Number.NaN,
      onSome: Duration.toMillis
    })
  const window = { pastMillis: millis(past), futureMillis: millis(future) }
  const max = Duration.toMillis(maxTolerance)
  if (!(window.pastMillis >= 0 && window.pastMillis <= max && window.futureMillis >= 0 && window.futureMillis <= max)) {
    throw new Misconfigured({
      message: "The iGV tolerance must be a non-negative duration of at most 24 hours each way (iGV retries for " +
        "35 minutes; a wider window only lengthens the time in which captured headers can be replayed)."
    })
  }
  return window
}

const readHeader = (raw: RawDelivery.RawDelivery, header: string): string | undefined => {
  const value = RawDelivery.header(raw, header)?.trim()
  return value === "" ? undefined : value
}

/**
 * Verifies a delivery, in this order:
 *
 * 1. `Content-Type` is `application/json` (parameters such as `charset` ignored) or absent, else
 *    `UnsupportedMediaType` (415);
 * 2. `X-Request-Id` and `X-Timestamp` are present, else `MalformedDelivery` (400); `X-Signature` is
 *    present, else `SignatureInvalid` (401);
 * 3. the signature matches under one of the secrets (constant time, hex of either case), else
 *    `SignatureInvalid` (401);
 * 4. the timestamp is a number of milliseconds (`MalformedDelivery`) within the tolerance
 *    (`TimestampOutOfTolerance`, 401) — checked only after the signature, so an unauthenticated
 *    request cannot probe the receiver's clock;
 * 5. the body is strict UTF-8 JSON whose top level is an object, else `MalformedDelivery` (400).
 *
 * Messages created before step 3 are constant text: the request is not verified yet and rejections
 * are logged. Throws `Misconfigured` when the tolerance is `false` or wider than
 * {@link maxTolerance} (see {@link Tolerance}).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Options): Provider.Verify<Payload> => {
  const window = windowOf(options.tolerance)
  const tolerance = { past: window.pastMillis, future: window.futureMillis }
  // Eager: when nothing in it waits (plain secrets, `now` given), it answers at once, without a fiber.
  return Effect.fnUntracedEager(function*(
    raw: RawDelivery.RawDelivery,
    now?: number
  ): Provider.VerifySteps<Payload> {
    const type = RawDelivery.mediaType(raw)
    if (type !== undefined && type !== mediaType) {
      return yield* new UnsupportedMediaType({
        message: `Content-Type is not supported (expected ${mediaType})`,
        contentType: type
      })
    }
    const requestId = readHeader(raw, headers.requestId)
    if (requestId === undefined) return yield* new MalformedDelivery({ message: "Missing header X-Request-Id" })
    const timestamp = readHeader(raw, headers.timestamp)
    if (timestamp === undefined) return yield* new MalformedDelivery({ message: "Missing header X-Timestamp" })
    const received = readHeader(raw, headers.signature)
    if (received === undefined) return yield* new SignatureInvalid({ message: "Missing header X-Signature" })

    const secrets = yield* Secret.resolve(options.secret, "iGV callback secret")
    const valid = Signing.matchesAny(secrets, (secret) => mac(timestamp, requestId, secret), received, "hex")
    if (!valid) return yield* new SignatureInvalid({ message: "X-Signature does not match" })

    const millis = yield* Timestamp.check(timestamp, { unit: "milliseconds", tolerance }, now)
    const text = yield* Effect.fromResult(RawDelivery.bodyText(raw))
    const body = yield* Effect.fromResult(LosslessJson.parseObject(text, { numbers: "source" }))
    return { requestId, timestamp: millis, body }
  })
}

/**
 * The idempotency key: `X-Request-Id`.
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = (payload: Payload): string => payload.requestId

/**
 * `AckPolicy.status()` — 200 `Processed`/`Duplicate`; 401 signature or timestamp; 400 malformed;
 * 409 payload mismatch; 413/415 size/media type; 500 handler or decode failure; 503 in flight,
 * store unavailable, time budget spent. iGV retries every non-200 at +5 and +35 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const ack: AckPolicy.AckPolicy = AckPolicy.status()

/**
 * The iGV callback provider.
 *
 * - verify: see {@link verify};
 * - key: {@link key};
 * - fingerprint: the body's canonical JSON only (a retry may carry a refreshed timestamp and
 *   signature, or a re-serialised body; a replayed request id with a different body is
 *   `PayloadMismatch`, 409);
 * - decode: `decode` (see `Events.ts`);
 * - ack: {@link ack};
 * - settings: {@link defaults}.
 *
 * Refuses options that could let a captured callback be replayed as a new delivery: the provider
 * throws `Misconfigured` for `tolerance: false` or a tolerance wider than {@link maxTolerance} (see
 * {@link Tolerance}); `defineHandler` throws it for a `retention` not longer than the tolerance's
 * `past + future` (issue #15: a request id forgotten while its timestamp is still accepted could
 * be replayed with another body).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { toNodeListener } from "@hookline/core/node"
 * import { Igv } from "@hookline/provider-igv"
 * import { MemoryStore } from "@hookline/store-memory"
 * import { Config, Effect } from "effect"
 * import * as http from "node:http"
 *
 * const orders = defineHandler(
 *   Igv.provider({ secret: Config.Redacted("IGV_SECRET") }),
 *   (event) => Effect.log(event._tag)
 * )
 * http.createServer(toNodeListener(orders, MemoryStore.layer())).listen(3000)
 * ```
 */
export const provider = (options: Options): Provider.Provider<Event, Payload> => {
  const window = windowOf(options.tolerance)
  return Provider.make<Event, Payload>({
    name,
    verify: verify(options),
    validate: Secret.resolve(options.secret, "iGV callback secret"),
    key,
    // The body's canonical JSON (keys sorted, no whitespace, numbers as source text), so a changed
    // value is a PayloadMismatch while a retry that iGV re-serialised stays a Duplicate.
    fingerprint: (payload) => LosslessJson.canonical(payload.body),
    decode,
    ack,
    defaults,
    checkSettings: ({ retention }) =>
      Duration.toMillis(retention) > window.pastMillis + window.futureMillis ? undefined : (
        "retention must be longer than the tolerance's past + future: a request id forgotten while its " +
        "timestamp is still accepted could be replayed with another body. Raise retention or shorten tolerance."
      )
  })
}
