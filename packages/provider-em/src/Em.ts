/**
 * EM (fw199 / Cheeli open platform) order-audit and in-stock-audit notifications (doc.fw199.com →
 * EM → "订单审核状态异步回调通知").
 *
 * EM `POST`s four parameters to the developer's `notify_url` — `appid`, `timestamp` (Unix
 * seconds), `sign` and `request_data`, a **JSON string** describing the notification — either as a
 * JSON object or as `application/x-www-form-urlencoded` fields (the docs show JSON, the official
 * Java sample parses a query string; both are accepted). `sign` is, by default,
 * `md5(appSecret + "appid" + appid + "request_data" + request_data + "timestamp" + timestamp +
 * appSecret)` in lower-case hex (the form of the platform's request-signing demos; see
 * {@link signForms} and the sign doctor {@link diagnose}). EM expects the text `SUCCESS`; anything
 * else makes it retry every 30 seconds for up to an hour.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { Em } from "@hookline/provider-em"
 * import { Config, Effect } from "effect"
 *
 * const audits = defineHandler(
 *   Em.provider({ appId: Config.String("EM_APP_ID"), secret: Config.Redacted("EM_APP_SECRET") }),
 *   {
 *     OrderAudit: (order) => Effect.log("order", order.tradeNo, order.status),
 *     InStockAudit: (receipt) => Effect.log("in-stock", receipt.instockNo, receipt.status),
 *     UnknownNotification: (event) => Effect.logWarning("new EM notification", event.notifyType)
 *   }
 * )
 * ```
 *
 * The module reads top to bottom like the platform's doc: scheme, verify, key, schema, ack,
 * doctor, testing.
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
  FormUrlEncoded,
  LosslessJson,
  Provider,
  Secret,
  SignForm,
  Signing,
  Timestamp
} from "@hookline/core/provider"
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

// ---------------------------------------------------------------------------------------------
// scheme
// ---------------------------------------------------------------------------------------------

/**
 * The provider's name: the idempotency-key namespace (`em:<key>`) and the label in logs, spans and
 * metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "em"

/**
 * The parameter names of a notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const params = {
  /** The partner AppId EM assigned. */
  appId: "appid",
  /** Unix seconds, as a string. */
  timestamp: "timestamp",
  /** The MD5 signature. */
  sign: "sign",
  /** The notification: a JSON string. */
  requestData: "request_data"
} as const

/**
 * The parameters the signature covers. EM's callback sample signs exactly these three; any other
 * envelope field is neither signed nor read.
 *
 * @since 0.1.0
 * @category constants
 */
export const signedParams: ReadonlyArray<string> = [params.appId, params.requestData, params.timestamp]

/**
 * `notify_type` of an order-audit notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const orderAuditType = "OUT_TRADE_AUDIT"

/**
 * `notify_type` of an in-stock (warehouse receipt) audit notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const inStockAuditType = "IN_STOCK_AUDIT"

// The key+value concatenation of the fw199 demos (`$signstr .= $key.$val`): no separators, empty
// values kept (the demos do not filter them).
const concatenated = { exclude: [params.sign], pairSeparator: "", keyValueSeparator: "", skipEmpty: false } as const
const query = { exclude: [params.sign], pairSeparator: "&", keyValueSeparator: "=", skipEmpty: true } as const

/**
 * The MD5 sign forms of this platform family, by stable name. The callback page's example `sign` is
 * a placeholder that matches none of them; the default, `wrap`, is inferred from the platform's
 * official request-signing demos (`md5($secret.$signstr.$secret)` over `ksort`ed `key.value`). Run
 * {@link diagnose} on a real captured callback to confirm which form your account uses.
 *
 * - `wrap` (default): `md5(SECRET + k1v1k2v2… + SECRET)`, lower-case hex;
 * - `prefix`: `md5(SECRET + k1v1k2v2…)`;
 * - `suffix`: `md5(k1v1k2v2… + SECRET)`;
 * - `query-suffix`: `md5(k1=v1&k2=v2… + SECRET)`;
 * - `key-param`: `md5(k1=v1&k2=v2…&key=SECRET)`, upper-case hex.
 *
 * Verification accepts hex of either case under every form.
 *
 * @since 0.1.0
 * @category constants
 */
export const signForms = {
  wrap: SignForm.make({
    name: "wrap",
    description: "md5(SECRET + k1v1k2v2… + SECRET), keys sorted, no separators (fw199 request-signing demos)",
    canonical: concatenated,
    secret: { _tag: "Wrap" },
    digest: "md5"
  }),
  prefix: SignForm.make({
    name: "prefix",
    description: "md5(SECRET + k1v1k2v2…), keys sorted, no separators",
    canonical: concatenated,
    secret: { _tag: "Prefix", separator: "" },
    digest: "md5"
  }),
  suffix: SignForm.make({
    name: "suffix",
    description: "md5(k1v1k2v2… + SECRET), keys sorted, no separators",
    canonical: concatenated,
    secret: { _tag: "Suffix", separator: "" },
    digest: "md5"
  }),
  "query-suffix": SignForm.make({
    name: "query-suffix",
    description: "md5(k1=v1&k2=v2… + SECRET), keys sorted, empty values left out",
    canonical: query,
    secret: { _tag: "Suffix", separator: "" },
    digest: "md5"
  }),
  "key-param": SignForm.make({
    name: "key-param",
    description: "MD5(k1=v1&k2=v2…&key=SECRET) in upper-case hex, keys sorted, empty values left out",
    canonical: query,
    secret: { _tag: "Param", name: "key" },
    digest: "md5",
    output: "upper"
  })
} as const satisfies Readonly<Record<string, SignForm.SignForm>>

/**
 * The name of one of the built-in {@link signForms}.
 *
 * @since 0.1.0
 * @category models
 */
export type SignFormName = keyof typeof signForms

/**
 * The default sign form: `wrap`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSignForm: SignFormName = "wrap"

const resolveSignForm = (form: SignFormName | SignForm.SignForm | undefined): SignForm.SignForm =>
  form === undefined ? signForms[defaultSignForm] : typeof form === "string" ? signForms[form] : form

/**
 * Default timestamp tolerance, both directions: 24 hours. EM retries every 30 s for an hour and its
 * docs do not say whether a retry is re-signed with a fresh `timestamp`, so anything under ~65
 * minutes could reject a genuine late retry. A day also absorbs a platform clock that is off by a
 * time zone (UTC+8). Because it is shorter than the default retention (7 days), a replayed
 * notification is either answered as a `Duplicate` (still remembered) or rejected (too old): it
 * can never run a handler twice. Pass `false` to disable the check.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.hours(24)

/**
 * Default time budget: 10 seconds. EM wants `SUCCESS` "promptly" and retries every 30 s; a handler
 * still running after 10 s gets `ERROR` (503) and finishes in the background, so the next retry is
 * answered `SUCCESS` as a duplicate.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeBudget: Duration.Duration = Duration.seconds(10)

/**
 * Default lease: 5 minutes. Long enough for any reasonable handler (a handler still running when its
 * lease ends is interrupted and released); short enough that after a crash the claim frees up while
 * EM still has ~55 minutes (over 100 attempts) of retries left — the retries in between are
 * answered `InFlight` (503) and cost nothing.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLease: Duration.Duration = Duration.minutes(5)

/**
 * Default body limit: 64 KiB. A notification is a few hundred bytes (four short parameters and a
 * `request_data` of about a hundred), and EM's `sign` travels *inside* the body, so every request is
 * decoded and parsed before its signature can be checked. Core's 1 MiB default let an unsigned
 * 780 KiB body cost ~100–300 ms of CPU; 64 KiB is still two hundred times a real notification.
 * Raise it with the provider's `bodyLimit` option or per handler
 * (`defineHandler(provider, handle, { bodyLimit })`); a larger body is answered 413.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBodyLimit: number = 64 * 1024

/**
 * Bounds on the envelope's shape, checked by one scan of the text before it is parsed (the parse
 * precedes verification, see {@link defaultBodyLimit}):
 *
 * - `depth` 2: the envelope is one flat object of strings (`request_data` is a JSON *string*); the
 *   second level only lets a `request_data` sent as a flat object reach its own, clearer error;
 * - `members` 32: values in the JSON envelope, all levels together (EM sends 4);
 * - `formFields` 32: `name=value` pairs in a form envelope (EM sends 4).
 *
 * An envelope beyond them is `MalformedDelivery` (400) whose message names the bound, never the
 * body. `request_data` itself is parsed only after the signature matched.
 *
 * @since 0.1.0
 * @category constants
 */
export const envelopeLimits: {
  readonly depth: number
  readonly members: number
  readonly formFields: number
} = { depth: 2, members: 32, formFields: 32 }

const jsonEnvelope = {
  numbers: "source",
  limits: { depth: envelopeLimits.depth, members: envelopeLimits.members }
} as const
const formEnvelope = { maxFields: envelopeLimits.formFields } as const

/**
 * Input of {@link signature}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignatureInput {
  readonly appId: string
  /** The exact `request_data` string. */
  readonly requestData: string
  /** Unix seconds, as sent. */
  readonly timestamp: string
  readonly secret: Redacted.Redacted<string>
  /** Default {@link defaultSignForm}. */
  readonly signForm?: SignFormName | SignForm.SignForm | undefined
}

const signedParamsOf = (appId: string, requestData: string, timestamp: string): Record<string, string> => ({
  [params.appId]: appId,
  [params.requestData]: requestData,
  [params.timestamp]: timestamp
})

/**
 * The `sign` EM computes for a notification, in the form's output case. For test deliveries and for
 * checking a capture by hand; verification never compares with this string (it compares bytes in
 * constant time).
 *
 * @since 0.1.0
 * @category signing
 */
export const signature = (input: SignatureInput): string =>
  SignForm.sign(
    resolveSignForm(input.signForm),
    signedParamsOf(input.appId, input.requestData, input.timestamp),
    input.secret
  )

// ---------------------------------------------------------------------------------------------
// envelope
// ---------------------------------------------------------------------------------------------

/**
 * How the four parameters travelled: a JSON object, or form-urlencoded fields.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "form"

/**
 * The envelope as received, before verification. Values are the decoded texts (JSON-unescaped or
 * URL-decoded); absent or empty parameters are `undefined`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Envelope {
  readonly format: Format
  readonly appId: string | undefined
  readonly timestamp: string | undefined
  readonly sign: string | undefined
  readonly requestData: string | undefined
}

/**
 * Media types accepted. The body's shape decides how it is parsed (see {@link parseEnvelope}); the
 * `Content-Type` only turns away unrelated types. `text/plain` and a missing type are accepted
 * because EM's own Java sample reads the body as a plain string whatever its type.
 *
 * @since 0.1.0
 * @category constants
 */
export const mediaTypes: ReadonlyArray<string> = [
  "application/json",
  "application/x-www-form-urlencoded",
  "text/plain"
]

const jsonText = (
  record: { readonly [key: string]: LosslessJson.Json },
  field: string
): Result.Result<string | undefined, MalformedDelivery> => {
  const value = record[field]
  if (value === undefined || value === null || value === "") return Result.succeed(undefined)
  // Numbers arrive as their exact source text (`numbers: "source"`), so a numeric timestamp keeps
  // the digits it was signed with.
  if (typeof value === "string") return Result.succeed(value)
  return Result.fail(
    new MalformedDelivery({
      message: field === params.requestData
        ? "request_data must be a JSON string (EM signs the string), not an object or array"
        : `${field} must be a string`
    })
  )
}

const firstNonSpace = /^\s*(.)/su

/**
 * Parses the envelope without verifying anything:
 *
 * 1. `Content-Type` must be one of {@link mediaTypes} or absent, else `UnsupportedMediaType`;
 * 2. the body must be strict UTF-8;
 * 3. a body whose first non-blank character is `{` is a JSON object (parsed losslessly, every number
 *    as its source text); anything else is form-urlencoded (strict percent-decoding, `+` is a
 *    space, a repeated name is refused). The platform's docs and samples disagree on the format,
 *    so the body, not the header, decides. Either is first checked against {@link envelopeLimits}
 *    (this parse runs before verification);
 * 4. `request_data` must be a string: a JSON object in its place cannot be verified byte-exactly
 *    (the signature covers the string), so it is `MalformedDelivery`.
 *
 * Error messages are constant text and our own parameter names: nothing from the request (which is
 * not verified yet, and whose rejections are logged) is quoted.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseEnvelope = (
  raw: RawDelivery.RawDelivery
): Result.Result<Envelope, MalformedDelivery | UnsupportedMediaType> =>
  Result.gen(function*() {
    const type = RawDelivery.mediaType(raw)
    if (type !== undefined && !mediaTypes.includes(type)) {
      return yield* Result.fail(
        new UnsupportedMediaType({
          message: "Content-Type is not supported (expected application/json, " +
            "application/x-www-form-urlencoded or text/plain)",
          contentType: type
        })
      )
    }
    const text = yield* RawDelivery.bodyText(raw)
    if (firstNonSpace.exec(text)?.[1] === "{") {
      const record = yield* LosslessJson.parseObject(text, jsonEnvelope)
      return {
        format: "json" as const,
        appId: yield* jsonText(record, params.appId),
        timestamp: yield* jsonText(record, params.timestamp),
        sign: yield* jsonText(record, params.sign),
        requestData: yield* jsonText(record, params.requestData)
      }
    }
    const record = yield* FormUrlEncoded.parseRecord(text, formEnvelope)
    const field = (key: string) => {
      const value = record[key]
      return value === undefined || value === "" ? undefined : value
    }
    return {
      format: "form" as const,
      appId: field(params.appId),
      timestamp: field(params.timestamp),
      sign: field(params.sign),
      requestData: field(params.requestData)
    }
  })

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

/**
 * A verified notification: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  readonly format: Format
  readonly appId: string
  /** `timestamp` exactly as sent (Unix seconds). */
  readonly timestamp: string
  /** `request_data` exactly as signed. */
  readonly requestData: string
  /**
   * `request_data` parsed as lossless JSON with every number as its exact source text
   * (`"trade_status": 2` arrives as `"2"`), never through a lossy `number`.
   */
  readonly data: { readonly [key: string]: LosslessJson.Json }
}

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The partner AppId EM assigned (`"KEY_…"`), or a `Config` such as `Config.String("EM_APP_ID")`. */
  readonly appId: string | Config.Config<string>
  /**
   * The appSecret (`Config.Redacted("EM_APP_SECRET")`), or several during a rotation: a signature
   * made with any of them is accepted.
   */
  readonly secret: Secret.SecretInput
  /** The sign form. Default {@link defaultSignForm} (`wrap`). */
  readonly signForm?: SignFormName | SignForm.SignForm | undefined
  /**
   * Accepted distance between `timestamp` and the receiver's clock, both directions (or
   * `{ past, future }`); `false` disables the check. Default {@link defaultTolerance} (24 hours).
   */
  readonly tolerance?: Timestamp.Tolerance | undefined
  /** How long to wait for the handler before answering `ERROR`. Default {@link defaultTimeBudget} (10 s). */
  readonly timeBudget?: Duration.Input | undefined
  /** How long a claim stays exclusive. Default {@link defaultLease} (5 minutes). */
  readonly lease?: Duration.Input | undefined
  /** How long a completed notification is remembered. Default 7 days (core's default). */
  readonly retention?: Duration.Input | undefined
  /** Largest accepted body in bytes. Default {@link defaultBodyLimit} (64 KiB). */
  readonly bodyLimit?: number | undefined
}

const resolveAppId = (appId: string | Config.Config<string>): Effect.Effect<string, Misconfigured> =>
  Effect.gen(function*() {
    const value = typeof appId === "string" ? appId : yield* Effect.mapError(
      appId,
      (error) => new Misconfigured({ message: `Cannot read the EM app id: ${error.message}` })
    )
    if (value.trim() === "") return yield* new Misconfigured({ message: "The EM app id is empty" })
    return value.trim()
  })

const required = (value: string | undefined, field: string): Result.Result<string, MalformedDelivery> =>
  value === undefined
    ? Result.fail(new MalformedDelivery({ message: `Missing parameter ${field}` }))
    : Result.succeed(value)

/**
 * Verifies a notification, in this order:
 *
 * 1. the envelope parses within {@link envelopeLimits} ({@link parseEnvelope}):
 *    `UnsupportedMediaType` (415) or `MalformedDelivery` (400);
 * 2. `appid`, `timestamp` and `request_data` are present, else `MalformedDelivery` (400); `sign`
 *    is present, else `SignatureInvalid` (401);
 * 3. `appid` is the configured app id, else `SignatureInvalid` (401): a notification for another
 *    app is not one this endpoint can authenticate;
 * 4. `sign` matches under the sign form and one of the secrets (constant time, hex of either
 *    case), else `SignatureInvalid` (401);
 * 5. `timestamp` is a number of seconds (`MalformedDelivery`) within the tolerance
 *    (`TimestampOutOfTolerance`, 401) — checked only after the signature, so an unauthenticated
 *    request cannot probe the receiver's clock;
 * 6. `request_data` is a JSON object, else `MalformedDelivery` (400).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Pick<Options, "appId" | "secret" | "signForm" | "tolerance">) => {
  const form = resolveSignForm(options.signForm)
  const tolerance = options.tolerance ?? defaultTolerance
  return (
    raw: RawDelivery.RawDelivery
  ): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
    Effect.gen(function*() {
      const envelope = yield* Effect.fromResult(parseEnvelope(raw))
      const appId = yield* Effect.fromResult(required(envelope.appId, params.appId))
      const timestamp = yield* Effect.fromResult(required(envelope.timestamp, params.timestamp))
      const requestData = yield* Effect.fromResult(required(envelope.requestData, params.requestData))
      if (envelope.sign === undefined) return yield* new SignatureInvalid({ message: "Missing parameter sign" })

      // The app id is public: comparing it plainly reveals nothing.
      const expectedAppId = yield* resolveAppId(options.appId)
      if (appId !== expectedAppId) {
        // Constant text: the received appid is not verified yet and rejections are logged.
        return yield* new SignatureInvalid({ message: "appid is not the configured EM app id" })
      }
      const secrets = yield* Secret.resolve(options.secret, "EM app secret")
      const valid = SignForm.verify(form, signedParamsOf(appId, requestData, timestamp), secrets, envelope.sign)
      if (!valid) return yield* new SignatureInvalid({ message: `sign does not match (sign form ${form.name})` })

      yield* Timestamp.check(timestamp, { unit: "seconds", tolerance })
      const data = yield* Effect.fromResult(
        Result.mapError(
          LosslessJson.parseObject(requestData, { numbers: "source" }),
          () => new MalformedDelivery({ message: "request_data is not a JSON object" })
        )
      )
      return { format: envelope.format, appId, timestamp, requestData, data }
    })
}

// ---------------------------------------------------------------------------------------------
// key
// ---------------------------------------------------------------------------------------------

const textOf = (value: LosslessJson.Json | undefined): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

/**
 * The notification type: `notify_type`, or — for notifications from before EM added the field,
 * which carried only order audits — inferred from `trade_no` (order audit) or `instock_no`
 * (in-stock audit). `undefined` when none of them is present.
 *
 * @since 0.1.0
 * @category getters
 */
export const notifyType = (data: Payload["data"]): string | undefined =>
  textOf(data["notify_type"]) ??
    (textOf(data["trade_no"]) !== undefined
      ? orderAuditType
      : textOf(data["instock_no"]) !== undefined
      ? inStockAuditType
      : undefined)

const documentFields = (type: string, data: Payload["data"]): readonly [string, string] | undefined => {
  const pair = (no: string, status: string) => {
    const n = textOf(data[no])
    const s = textOf(data[status])
    return n !== undefined && s !== undefined ? [n, s] as const : undefined
  }
  if (type === orderAuditType) return pair("trade_no", "trade_status")
  if (type === inStockAuditType) return pair("instock_no", "instock_status")
  return pair("trade_no", "trade_status") ?? pair("instock_no", "instock_status")
}

/**
 * The idempotency key: `<notify_type>:<trade_no or instock_no>:<status>` (e.g.
 * `OUT_TRADE_AUDIT:DD202409250002:2`), so the same document reaching a new status is a new
 * notification while repeats of one status are duplicates. A notification without a document
 * number and status (a type added later, or a malformed known type) is keyed by its content:
 * `<notify_type>:sha256:<hex of request_data>`. No notify type at all is `MalformedDelivery`.
 *
 * @since 0.1.0
 * @category getters
 */
export const key = (payload: Payload): Result.Result<string, MalformedDelivery> => {
  const type = notifyType(payload.data)
  if (type === undefined) {
    return Result.fail(
      new MalformedDelivery({ message: "request_data has no notify_type (nor trade_no or instock_no to infer it)" })
    )
  }
  const document = documentFields(type, payload.data)
  return Result.succeed(
    document === undefined
      ? `${type}:sha256:${Signing.encode(Signing.sha256(payload.requestData), "hex")}`
      : `${type}:${document[0]}:${document[1]}`
  )
}

// ---------------------------------------------------------------------------------------------
// schema
// ---------------------------------------------------------------------------------------------

/**
 * An audit status with a readable name: code `1` is `PendingAudit` (待审核), `2` is `Approved`
 * (审核通过; for orders "待送货", pending delivery). A code this version does not know is
 * `Unknown`; the exact code is always in `statusCode`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditStatus = Schema.Literals(["PendingAudit", "Approved", "Unknown"])

/**
 * @since 0.1.0
 * @category models
 */
export type AuditStatus = typeof AuditStatus.Type

const statusOf = (code: string): AuditStatus => code === "1" ? "PendingAudit" : code === "2" ? "Approved" : "Unknown"

/**
 * `OUT_TRADE_AUDIT`: an order's audit status changed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderAudit = Schema.TaggedStruct("OrderAudit", {
  /** `trade_no`, exact text. */
  tradeNo: Schema.NonEmptyString,
  status: AuditStatus,
  /** `trade_status` exactly as sent (`"1"`, `"2"`, …). */
  statusCode: Schema.NonEmptyString,
  /** `message`, verbatim (absent when EM sent none). */
  message: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface OrderAudit extends Schema.Schema.Type<typeof OrderAudit> {}

/**
 * `IN_STOCK_AUDIT`: an in-stock (warehouse receipt) document's audit status changed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InStockAudit = Schema.TaggedStruct("InStockAudit", {
  /** `instock_no`, exact text. */
  instockNo: Schema.NonEmptyString,
  status: AuditStatus,
  /** `instock_status` exactly as sent. */
  statusCode: Schema.NonEmptyString,
  /** `message`, verbatim (absent when EM sent none). */
  message: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface InStockAudit extends Schema.Schema.Type<typeof InStockAudit> {}

/**
 * A `notify_type` this version does not know (EM adds types). The raw fields are kept, numbers as
 * their exact source text, together with the exact `request_data` string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnknownNotification = Schema.TaggedStruct("UnknownNotification", {
  notifyType: Schema.String,
  /** Every `request_data` field; numbers as their exact source text. */
  fields: Schema.JsonObject,
  /** `request_data` exactly as signed. */
  requestData: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UnknownNotification extends Schema.Schema.Type<typeof UnknownNotification> {}

/**
 * The events of the EM provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([OrderAudit, InStockAudit, UnknownNotification]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = OrderAudit | InStockAudit | UnknownNotification

// `message` may be absent or null (Java serialisers write nulls); both mean "no message".
const Message = Schema.optionalKey(Schema.NullOr(Schema.String))

const messageField = (message: string | null | undefined): { readonly message?: string } =>
  message === undefined || message === null ? {} : { message }

/**
 * Decodes a parsed `request_data` object of an order-audit notification into {@link OrderAudit}.
 * Numbers must already be source text (`LosslessJson` with `numbers: "source"`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderAuditFromData = Schema.Struct({
  trade_no: Schema.NonEmptyString,
  trade_status: Schema.NonEmptyString,
  message: Message
}).pipe(Schema.decodeTo(
  OrderAudit,
  SchemaTransformation.transform({
    decode: (data): typeof OrderAudit.Encoded => ({
      _tag: "OrderAudit",
      tradeNo: data.trade_no,
      status: statusOf(data.trade_status),
      statusCode: data.trade_status,
      ...messageField(data.message)
    }),
    encode: (event) => ({
      trade_no: event.tradeNo,
      trade_status: event.statusCode,
      ...messageField(event.message)
    })
  })
))

/**
 * Decodes a parsed `request_data` object of an in-stock-audit notification into
 * {@link InStockAudit}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InStockAuditFromData = Schema.Struct({
  instock_no: Schema.NonEmptyString,
  instock_status: Schema.NonEmptyString,
  message: Message
}).pipe(Schema.decodeTo(
  InStockAudit,
  SchemaTransformation.transform({
    decode: (data): typeof InStockAudit.Encoded => ({
      _tag: "InStockAudit",
      instockNo: data.instock_no,
      status: statusOf(data.instock_status),
      statusCode: data.instock_status,
      ...messageField(data.message)
    }),
    encode: (event) => ({
      instock_no: event.instockNo,
      instock_status: event.statusCode,
      ...messageField(event.message)
    })
  })
))

const decodeOrderAudit = Provider.decodeWith(OrderAuditFromData)
const decodeInStockAudit = Provider.decodeWith(InStockAuditFromData)
const decodeUnknown = Provider.decodeWith(UnknownNotification)

/**
 * Decodes a verified payload into an {@link Event}, choosing the member by {@link notifyType}:
 * `OUT_TRADE_AUDIT` → {@link OrderAudit}, `IN_STOCK_AUDIT` → {@link InStockAudit} (each needs its
 * document number and status, else `DecodeFailed`, answered 500 so a fix deployed within EM's
 * retry hour still processes it); any other type → {@link UnknownNotification}.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> => {
  const type = notifyType(payload.data)
  if (type === orderAuditType) return decodeOrderAudit(payload.data)
  if (type === inStockAuditType) return decodeInStockAudit(payload.data)
  return decodeUnknown({
    _tag: "UnknownNotification",
    notifyType: type ?? "",
    fields: payload.data,
    requestData: payload.requestData
  })
}

// ---------------------------------------------------------------------------------------------
// provider and ack
// ---------------------------------------------------------------------------------------------

/**
 * EM's answers: `SUCCESS` (200, `text/plain`) for `Processed` and `Duplicate`; `ERROR` with the
 * outcome's status otherwise (401 signature/app id/timestamp, 400 malformed, 409 payload mismatch,
 * 413/415 size/media type, 500 handler or decode failure, 503 in flight/store/time budget). EM
 * treats every answer other than `SUCCESS` as a failure and retries every 30 s for up to an hour.
 *
 * @since 0.1.0
 * @category constants
 */
export const ack: AckPolicy.AckPolicy = AckPolicy.text({ ok: "SUCCESS", fail: "ERROR" })

/**
 * The EM notification provider.
 *
 * - verify: see {@link verify};
 * - key: see {@link key};
 * - fingerprint: `appid` + `request_data` — not `timestamp` or `sign`, so a retry re-signed with a
 *   fresh timestamp after a success is still a `Duplicate` (`SUCCESS`), not a false
 *   `PayloadMismatch`; a different `request_data` under the same key is `PayloadMismatch` (409);
 * - decode: see {@link decode};
 * - ack: {@link ack}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { toNodeListener } from "@hookline/core/node"
 * import { Em } from "@hookline/provider-em"
 * import { MemoryStore } from "@hookline/store-memory"
 * import { Config, Effect } from "effect"
 * import * as http from "node:http"
 *
 * const audits = defineHandler(
 *   Em.provider({ appId: Config.String("EM_APP_ID"), secret: Config.Redacted("EM_APP_SECRET") }),
 *   (event) => Effect.log(event._tag)
 * )
 * http.createServer(toNodeListener(audits, MemoryStore.layer())).listen(3000)
 * ```
 */
export const provider = (options: Options): Provider.Provider<Event, Payload> =>
  Provider.make<Event, Payload>({
    name,
    verify: verify(options),
    validate: Effect.andThen(resolveAppId(options.appId), Secret.resolve(options.secret, "EM app secret")),
    key,
    fingerprint: (payload) => [payload.appId, payload.requestData],
    decode,
    ack,
    defaults: {
      bodyLimit: options.bodyLimit ?? defaultBodyLimit,
      timeBudget: options.timeBudget ?? defaultTimeBudget,
      lease: options.lease ?? defaultLease,
      retention: options.retention
    }
  })

// ---------------------------------------------------------------------------------------------
// sign doctor
// ---------------------------------------------------------------------------------------------

/**
 * The sign doctor: given a real captured notification (the exact request as received) and the
 * appSecret, tries every built-in {@link signForms} form over `appid`, `request_data` and
 * `timestamp` and reports which one the platform used. The report names forms and shows the
 * canonical strings without the secret; it never contains the secret or an expected signature, so
 * it is safe to print and share. A capture that cannot be parsed is reported as such (nothing
 * matches). Pass `forms` to try other placements too, e.g.
 * `[...Object.values(Em.signForms), myForm]` with a core `SignForm`.
 *
 * @since 0.1.0
 * @category diagnosing
 * @example
 * ```ts
 * import { Em } from "@hookline/provider-em"
 * import { Redacted } from "effect"
 *
 * declare const captured: import("@hookline/core").RawDelivery.RawDelivery
 * const report = Em.diagnose(captured, Redacted.make(process.env.EM_APP_SECRET ?? ""))
 * // report.matched → ["wrap"]: pass `signForm: "wrap"` (the default)
 * ```
 */
export const diagnose = (
  raw: RawDelivery.RawDelivery,
  secret: Redacted.Redacted<string>,
  forms: ReadonlyArray<SignForm.SignForm> = Object.values(signForms)
): SignForm.Diagnosis => {
  const envelope = parseEnvelope(raw)
  if (Result.isFailure(envelope)) {
    return {
      matched: [],
      checks: forms.map((form) => ({ name: form.name, description: form.description, matches: false })),
      canonical: [],
      summary: `The capture is not an EM notification: ${envelope.failure.message}`
    }
  }
  const { appId, requestData, sign, timestamp } = envelope.success
  const missing = [
    [params.appId, appId],
    [params.requestData, requestData],
    [params.timestamp, timestamp]
  ].filter(([, value]) => value === undefined).map(([field]) => field)
  const diagnosis = SignForm.diagnose(
    forms,
    signedParamsOf(appId ?? "", requestData ?? "", timestamp ?? ""),
    secret,
    sign ?? ""
  )
  return missing.length === 0 ? diagnosis : {
    ...diagnosis,
    summary: `${diagnosis.summary} Note: the capture lacks ${missing.join(", ")}.`
  }
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
  readonly appId: string
  readonly secret: Redacted.Redacted<string>
  /**
   * `request_data`: a string sent (and signed) as is, or a value serialised with
   * `LosslessJson.stringify` (a `bigint` becomes a bare JSON number).
   */
  readonly requestData: string | LosslessJson.Json
  /** `timestamp` in Unix seconds. Default: now. */
  readonly timestamp?: number | string | undefined
  /** `"json"`: a JSON object body; `"form"`: `application/x-www-form-urlencoded`. */
  readonly encoding: Format
  /** Default {@link defaultSignForm}. */
  readonly signForm?: SignFormName | SignForm.SignForm | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

const signAt = (input: SignInput, nowMillis: number): RawDelivery.RawDelivery => {
  const requestData = typeof input.requestData === "string"
    ? input.requestData
    : LosslessJson.stringify(input.requestData)
  const timestamp = String(input.timestamp ?? Math.floor(nowMillis / 1000))
  const sign = signature({
    appId: input.appId,
    requestData,
    timestamp,
    secret: input.secret,
    signForm: input.signForm
  })
  const fields = { appid: input.appId, request_data: requestData, timestamp, sign }
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "Content-Type": input.encoding === "json" ? "application/json" : "application/x-www-form-urlencoded"
    },
    body: input.encoding === "json" ? JSON.stringify(fields) : new URLSearchParams(fields).toString()
  })
}

/**
 * The `request_data` of the docs' example order-audit notification (`trade_status` 2, message
 * "审核通过"), exactly as EM sends it.
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleRequestData =
  `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD202409250002","trade_status":2,"message":"审核通过"}`

/**
 * Test helpers: notifications signed the way EM signs them, for tests, the demo and benchmarks.
 *
 * - `sign(input)`: a signed `RawDelivery`; the timestamp defaults to the wall clock (use it with
 *   real HTTP servers);
 * - `signWithClock(input)`: the same, with the timestamp from Effect's `Clock` (use it under
 *   `TestClock`);
 * - `exampleRequestData`: the docs' example `request_data`.
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
  exampleRequestData
} as const
