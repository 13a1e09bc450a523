/**
 * iGV seller order-status callbacks (docs.igv.com → Seller → Callback).
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
 * The module reads top to bottom like the platform's doc: scheme, key, schema, ack, testing.
 *
 * @since 0.1.0
 */
import type { DeliveryError } from "@hookline/core"
import {
  type DecodeFailed,
  MalformedDelivery,
  Misconfigured,
  RawDelivery,
  SignatureInvalid,
  UnsupportedMediaType
} from "@hookline/core"
import {
  AckPolicy,
  LocalDateTime as CoreLocalDateTime,
  LosslessJson,
  Provider,
  Secret,
  Signing,
  Timestamp
} from "@hookline/core/provider"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

// ---------------------------------------------------------------------------------------------
// scheme
// ---------------------------------------------------------------------------------------------

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
 * Default time budget: 10 seconds. iGV documents no response deadline; a handler still running
 * after 10 s gets a 503 (iGV retries at +5 min) and finishes in the background.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeBudget: Duration.Duration = Duration.seconds(10)

/**
 * Default lease: 4 minutes, shorter than iGV's first retry (+5 min). If the process holding a claim
 * crashes, the claim has expired when the retry arrives, so the retry is processed instead of being
 * answered `InFlight`. A handler still running when its lease ends is interrupted and released.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLease: Duration.Duration = Duration.minutes(4)

/**
 * The media type iGV sends. A request without `Content-Type` is accepted too (the signature does
 * not cover it and the body is parsed as JSON either way); any other type is `UnsupportedMediaType`.
 *
 * @since 0.1.0
 * @category constants
 */
export const mediaType = "application/json"

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
 * @category signing
 */
export const signature = (input: SignatureInput): string =>
  Signing.encode(mac(input.timestamp, input.requestId, input.secret), "hex")

// ---------------------------------------------------------------------------------------------
// verify and key
// ---------------------------------------------------------------------------------------------

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
  /** How long to wait for the handler before answering 503. Default {@link defaultTimeBudget} (10 s). */
  readonly timeBudget?: Duration.Input | undefined
  /** How long a claim stays exclusive. Default {@link defaultLease} (4 minutes). */
  readonly lease?: Duration.Input | undefined
  /**
   * How long a completed request id is remembered. Default 7 days (core's default). Must be longer
   * than the tolerance's `past + future`: a request id forgotten while its timestamp still passes
   * could be replayed with any body.
   */
  readonly retention?: Duration.Input | undefined
  /** Largest accepted body in bytes. Default 1 MiB (core's default). */
  readonly bodyLimit?: number | undefined
}

const defaultRetention = Duration.days(7)

const durationOf = (input: Duration.Input, what: string): Duration.Duration => {
  const duration = Duration.fromInput(input)
  if (Option.isNone(duration) || !Duration.isFinite(duration.value) || Duration.toMillis(duration.value) < 0) {
    throw new Misconfigured({ message: `The iGV ${what} must be a finite, non-negative duration` })
  }
  return duration.value
}

// Refuses, at construction, the tolerances under which a captured callback can be replayed as a new
// delivery (see `Tolerance`): none, or one wider than `maxTolerance`. Throws `Misconfigured`.
const checkTolerance = (tolerance: Tolerance | undefined): Timestamp.Window => {
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
    ? [durationOf(resolved.past, "tolerance's past"), durationOf(resolved.future, "tolerance's future")]
    : [durationOf(resolved, "tolerance"), durationOf(resolved, "tolerance")]
  const window = { pastMillis: Duration.toMillis(past), futureMillis: Duration.toMillis(future) }
  const max = Duration.toMillis(maxTolerance)
  if (window.pastMillis > max || window.futureMillis > max) {
    throw new Misconfigured({
      message: "The iGV tolerance must be at most 24 hours each way (iGV retries for 35 minutes; a wider window " +
        "only lengthens the time in which captured headers can be replayed). Pass a shorter duration."
    })
  }
  return window
}

const checkRetention = (retention: Duration.Input | undefined, window: Timestamp.Window): void => {
  const millis = Duration.toMillis(durationOf(retention ?? defaultRetention, "retention"))
  if (millis <= window.pastMillis + window.futureMillis) {
    throw new Misconfigured({
      message: "The iGV retention must be longer than the tolerance's past + future: a request id forgotten " +
        "while its timestamp is still accepted could be replayed with another body. Raise retention or " +
        "shorten tolerance."
    })
  }
}

const readHeader = (raw: RawDelivery.RawDelivery, header: string): string | undefined => {
  const value = RawDelivery.header(raw, header)
  if (value === undefined) return undefined
  const trimmed = value.trim()
  return trimmed === "" ? undefined : trimmed
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
export const verify = (options: Pick<Options, "secret" | "tolerance">) => {
  checkTolerance(options.tolerance)
  const tolerance = options.tolerance ?? defaultTolerance
  return (
    raw: RawDelivery.RawDelivery
  ): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
    Effect.gen(function*() {
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

      const millis = yield* Timestamp.check(timestamp, { unit: "milliseconds", tolerance })
      const text = yield* Effect.fromResult(RawDelivery.bodyText(raw))
      const body = yield* Effect.fromResult(LosslessJson.parseObject(text, { numbers: "source" }))
      return { requestId, timestamp: millis, body }
    })
}

// ---------------------------------------------------------------------------------------------
// schema
// ---------------------------------------------------------------------------------------------

/**
 * A local date-time without a zone, as iGV sends `createdAt`: `YYYY-MM-DDTHH:mm:ss`, optionally with
 * fractional seconds, a real calendar date. Kept as the exact string: iGV does not say which zone it
 * means, so none is invented (no `Date`, no UTC assumption).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LocalDateTime = CoreLocalDateTime.schema({ separator: "T", fractionalSeconds: true })

/**
 * An iGV order id: the exact decimal digits (`"1689644928115784"`). A string, not a `number`
 * (ids exceed 2^53) and not a `bigint` (strings serialise to JSON, logs and databases unchanged).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderId = Schema.String.check(Schema.isPattern(/^(?:0|[1-9]\d*)$/, {
  expected: "an order id of decimal digits"
}))

/**
 * `sellerOrderStatus = 1`, "Pending Delivery": the order is paid and passed risk review; the seller
 * should deliver. Before delivering goods, confirm the order with iGV's Order Query API (the body is
 * not signed).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderPendingDelivery = Schema.TaggedStruct("OrderPendingDelivery", {
  /** The callback's `X-Request-Id`. */
  requestId: Schema.String,
  /** Exact digits. */
  orderId: OrderId,
  orderNum: Schema.NonEmptyString,
  /** The exact text whether iGV sent a JSON string or a number. */
  buyerId: Schema.NonEmptyString,
  /** Order creation time, local, without a zone. */
  createdAt: LocalDateTime,
  status: Schema.Literal(1)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface OrderPendingDelivery extends Schema.Schema.Type<typeof OrderPendingDelivery> {}

/**
 * A status this version does not know (iGV announces more). Handlers decide what to do; the raw
 * body fields are kept, numbers as their exact source text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnknownStatus = Schema.TaggedStruct("UnknownStatus", {
  /** The callback's `X-Request-Id`. */
  requestId: Schema.String,
  /** `sellerOrderStatus` exactly as sent (source text of the number). */
  status: Schema.String,
  /** Every body field, numbers as their exact source text. */
  fields: Schema.JsonObject
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UnknownStatus extends Schema.Schema.Type<typeof UnknownStatus> {}

/**
 * The events of the iGV provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([OrderPendingDelivery, UnknownStatus]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = OrderPendingDelivery | UnknownStatus

const pendingDeliveryStatus = "1"

const PendingDeliveryPayload = Schema.Struct({
  requestId: Schema.String,
  body: Schema.Struct({
    sellerOrderStatus: Schema.Literal(pendingDeliveryStatus),
    orderId: OrderId,
    orderNum: Schema.NonEmptyString,
    buyerId: Schema.NonEmptyString,
    createdAt: LocalDateTime
  })
})

const UnknownStatusPayload = Schema.Struct({
  requestId: Schema.String,
  body: Schema.StructWithRest(
    Schema.Struct({
      sellerOrderStatus: Schema.String.check(Schema.makeFilter((status: string) => status !== pendingDeliveryStatus, {
        expected: "a status other than 1"
      }))
    }),
    [Schema.Record(Schema.String, Schema.Json)]
  )
})

const OrderPendingDeliveryFromPayload = PendingDeliveryPayload.pipe(Schema.decodeTo(
  OrderPendingDelivery,
  SchemaTransformation.transform({
    decode: ({ body, requestId }): typeof OrderPendingDelivery.Encoded => ({
      _tag: "OrderPendingDelivery",
      requestId,
      orderId: body.orderId,
      orderNum: body.orderNum,
      buyerId: body.buyerId,
      createdAt: body.createdAt,
      status: 1
    }),
    encode: (event) => ({
      requestId: event.requestId,
      body: {
        sellerOrderStatus: pendingDeliveryStatus,
        orderId: event.orderId,
        orderNum: event.orderNum,
        buyerId: event.buyerId,
        createdAt: event.createdAt
      }
    })
  })
))

const UnknownStatusFromPayload = UnknownStatusPayload.pipe(Schema.decodeTo(
  UnknownStatus,
  SchemaTransformation.transform({
    decode: ({ body, requestId }): typeof UnknownStatus.Encoded => ({
      _tag: "UnknownStatus",
      requestId,
      status: body.sellerOrderStatus,
      fields: body
    }),
    encode: (event) => ({
      requestId: event.requestId,
      body: { ...event.fields, sellerOrderStatus: event.status }
    })
  })
))

/**
 * Decodes a verified {@link Payload} into an {@link Event}: `sellerOrderStatus` 1 (source text `1`)
 * becomes `OrderPendingDelivery` (every field required and validated, else `DecodeFailed`, answered
 * 500 so a fix deployed before iGV's last retry still processes it); any other status becomes
 * `UnknownStatus` with the raw fields. A missing or non-scalar `sellerOrderStatus` is `DecodeFailed`.
 * Encoding turns an event back into a payload (without the timestamp).
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventFromPayload = Schema.Union([OrderPendingDeliveryFromPayload, UnknownStatusFromPayload])

const decodeOrderPendingDelivery = Provider.decodeWith(OrderPendingDeliveryFromPayload)
const decodeUnknownStatus = Provider.decodeWith(UnknownStatusFromPayload)

/**
 * Decodes a verified payload like {@link EventFromPayload}, choosing the member by
 * `sellerOrderStatus` first, so a `DecodeFailed` names only what is wrong with that member.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> =>
  payload.body["sellerOrderStatus"] === pendingDeliveryStatus
    ? decodeOrderPendingDelivery(payload)
    : decodeUnknownStatus(payload)

// ---------------------------------------------------------------------------------------------
// provider and ack
// ---------------------------------------------------------------------------------------------

/**
 * The iGV callback provider.
 *
 * - verify: see {@link verify};
 * - key: `X-Request-Id`;
 * - fingerprint: the body's canonical JSON only (a retry may carry a refreshed timestamp and
 *   signature, or a re-serialised body; a replayed request id with a different body is
 *   `PayloadMismatch`, 409);
 * - decode: {@link decode} ({@link EventFromPayload});
 * - ack: `AckPolicy.status()` — 200 `Processed`/`Duplicate`; 401 signature or timestamp; 400
 *   malformed; 409 payload mismatch; 413/415 size/media type; 500 handler or decode failure; 503
 *   in flight, store unavailable, time budget spent. iGV retries every non-200 at +5 and +35 minutes.
 *
 * Throws `Misconfigured` when the options could let a captured callback be replayed as a new
 * delivery: `tolerance: false` or a tolerance wider than {@link maxTolerance} (see
 * {@link Tolerance}), or a `retention` not longer than the tolerance's `past + future`.
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
  checkRetention(options.retention, checkTolerance(options.tolerance))
  return Provider.make<Event, Payload>({
    name,
    verify: verify(options),
    validate: Secret.resolve(options.secret, "iGV callback secret"),
    key: (payload) => payload.requestId,
    // The body's canonical JSON (keys sorted, no whitespace, numbers as source text), so a changed
    // value is a PayloadMismatch while a retry that iGV re-serialised stays a Duplicate.
    fingerprint: (payload) => LosslessJson.canonical(payload.body),
    decode,
    ack: AckPolicy.status(),
    defaults: {
      bodyLimit: options.bodyLimit,
      timeBudget: options.timeBudget ?? defaultTimeBudget,
      lease: options.lease ?? defaultLease,
      retention: options.retention
    }
  })
}

// ---------------------------------------------------------------------------------------------
// testing
// ---------------------------------------------------------------------------------------------

/**
 * Input of {@link testing}`.sign`.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /**
   * The body: bytes or text sent as is, or a value serialised with `LosslessJson.stringify` (a
   * `bigint` such as `9007199254740993n` is written as a bare JSON number).
   */
  readonly body: Uint8Array | string | LosslessJson.Json
  readonly secret: Redacted.Redacted<string>
  /** `X-Request-Id`. Default: a random 19-digit id, like iGV's. */
  readonly requestId?: string | undefined
  /** `X-Timestamp` in Unix milliseconds. Default: now. */
  readonly timestamp?: number | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

const encoder = new TextEncoder()

const randomRequestId = (): string => {
  const [n] = crypto.getRandomValues(new BigUint64Array(1))
  return String(10n ** 18n + (n ?? 0n) % (9n * 10n ** 18n))
}

const signAt = (input: SignInput, now: number): RawDelivery.RawDelivery => {
  const body = input.body instanceof Uint8Array
    ? input.body
    : encoder.encode(typeof input.body === "string" ? input.body : LosslessJson.stringify(input.body))
  const requestId = input.requestId ?? randomRequestId()
  const timestamp = String(input.timestamp ?? now)
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "Content-Type": mediaType,
      "X-Request-Id": requestId,
      "X-Timestamp": timestamp,
      "X-Signature": signature({ timestamp, requestId, secret: input.secret })
    },
    body
  })
}

/**
 * The body of the docs' example callback (`sellerOrderStatus` 1), as iGV sends it.
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleBody = `{"createdAt":"2025-12-17T13:44:16","orderId":1689644928115784,` +
  `"orderNum":"SO1689644928115784","sellerOrderStatus":1,"buyerId":"1907369850568257537"}`

/**
 * Test helpers: deliveries signed the way iGV signs them, for tests, the demo and benchmarks.
 *
 * - `sign(input)`: a signed `RawDelivery`; the timestamp defaults to the wall clock (use it with
 *   real HTTP servers);
 * - `signWithClock(input)`: the same, with the timestamp from Effect's `Clock` (use it under
 *   `TestClock`).
 *
 * @since 0.1.0
 * @category testing
 */
export const testing = {
  // A synchronous test signer stamps wall-clock "now"; `signWithClock` follows Effect's Clock.
  // eslint-disable-next-line no-restricted-properties
  sign: (input: SignInput): RawDelivery.RawDelivery => signAt(input, Date.now()),
  signWithClock: (input: SignInput): Effect.Effect<RawDelivery.RawDelivery> =>
    Effect.map(Clock.currentTimeMillis, (now) => signAt(input, now)),
  exampleBody
} as const
