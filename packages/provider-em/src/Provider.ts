/**
 * EM (fw199 / Cheeli open platform) order-audit and in-stock-audit notifications (doc.fw199.com →
 * EM → "订单审核状态异步回调通知"): the scheme.
 *
 * EM `POST`s four parameters to the developer's `notify_url` — `appid`, `timestamp` (Unix
 * seconds), `sign` and `request_data`, a **JSON string** describing the notification — either as a
 * JSON object or as `application/x-www-form-urlencoded` fields (the docs show JSON, the official
 * Java sample parses a query string; both are accepted). `sign` is, by default,
 * `md5(appSecret + "appid" + appid + "request_data" + request_data + "timestamp" + timestamp +
 * appSecret)` in lower-case hex (the form of the platform's request-signing demos; see
 * {@link signForms} and the sign doctor, `diagnose`). EM expects the text `SUCCESS`; anything
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
 * @since 0.1.0
 */
import {
  AckPolicy,
  FormUrlEncoded,
  LosslessJson,
  MalformedDelivery,
  Misconfigured,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  SignForm,
  Signing,
  Timestamp,
  UnsupportedMediaType
} from "@hookline/core/provider"
import type * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { decode, type Event, inStockAuditType, notifyType, orderAuditType } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`em:<key>`) and the label in logs, spans and
 * metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "em"

// The key+value concatenation of the fw199 demos (`$signstr .= $key.$val`): no separators, empty
// values kept (the demos do not filter them).
const concatenated = { exclude: ["sign"], pairSeparator: "", keyValueSeparator: "", skipEmpty: false } as const
const query = { exclude: ["sign"], pairSeparator: "&", keyValueSeparator: "=", skipEmpty: true } as const

/**
 * The MD5 sign forms of this platform family, by stable name. The callback page's example `sign` is
 * a placeholder that matches none of them; the default, `wrap`, is inferred from the platform's
 * official request-signing demos (`md5($secret.$signstr.$secret)` over `ksort`ed `key.value`). Run
 * the sign doctor (`diagnose`, or the `em-doctor` command) on a real captured callback to confirm
 * which form your account uses.
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
export const signForms = SignForm.catalog({
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
}, "wrap")

/**
 * The name of one of the built-in {@link signForms}.
 *
 * @since 0.1.0
 * @category models
 */
export type SignFormName = typeof signForms.default

/**
 * The parameters the signature covers, by name: exactly the three of EM's callback sample. Any other
 * envelope field is neither signed nor read.
 *
 * @since 0.1.0
 * @category verifying
 */
export const signedParams = (appId: string, requestData: string, timestamp: string): Record<string, string> => ({
  appid: appId,
  request_data: requestData,
  timestamp
})

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
 * The handler settings EM needs (override them in `defineHandler(provider, handle, settings)`):
 *
 * - `bodyLimit` 64 KiB: a notification is a few hundred bytes (four short parameters and a
 *   `request_data` of about a hundred), and EM's `sign` travels *inside* the body, so every request
 *   is decoded and parsed before its signature can be checked. Core's 1 MiB default let an unsigned
 *   780 KiB body cost ~100–300 ms of CPU; 64 KiB is still two hundred times a real notification. A
 *   larger body is answered 413;
 * - `timeBudget` 10 s: EM wants `SUCCESS` "promptly" and retries every 30 s; a handler still running
 *   after 10 s gets `ERROR` (503) and finishes in the background, so the next retry is answered
 *   `SUCCESS` as a duplicate;
 * - `lease` 5 minutes: long enough for any reasonable handler (a handler still running when its
 *   lease ends is interrupted and released); short enough that after a crash the claim frees up
 *   while EM still has ~55 minutes (over 100 attempts) of retries left — the retries in between are
 *   answered `InFlight` (503) and cost nothing;
 * - `retention`: core's 7 days.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  bodyLimit: 64 * 1024,
  timeBudget: Duration.seconds(10),
  lease: Duration.minutes(5)
} as const satisfies Provider.SettingsInput

/**
 * Bounds on the envelope's shape, checked by one scan of the text before it is parsed (the parse
 * precedes verification, see {@link defaults}):
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

// `text/plain` and a missing type are accepted because EM's own Java sample reads the body as a
// plain string whatever its type.
const mediaTypes = ["application/json", "application/x-www-form-urlencoded", "text/plain"]

const field = (
  record: { readonly [key: string]: LosslessJson.Json },
  name: string
): Result.Result<string | undefined, MalformedDelivery> => {
  const value = record[name]
  if (value === undefined || value === null || value === "") return Result.succeed(undefined)
  // Numbers arrive as their exact source text (`numbers: "source"`), so a numeric timestamp keeps
  // the digits it was signed with.
  if (typeof value === "string") return Result.succeed(value)
  return Result.fail(
    new MalformedDelivery({
      message: name === "request_data"
        ? "request_data must be a JSON string (EM signs the string), not an object or array"
        : `${name} must be a string`
    })
  )
}

/**
 * Parses the envelope without verifying anything:
 *
 * 1. `Content-Type` must be `application/json`, `application/x-www-form-urlencoded`, `text/plain`
 *    or absent, else `UnsupportedMediaType`;
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
 * @category verifying
 */
export const parseEnvelope = (
  raw: RawDelivery.RawDelivery
): Result.Result<Envelope, MalformedDelivery | UnsupportedMediaType> => {
  // Plain checks rather than `Result.gen`: its generator and one iterator per step cost about a
  // third of this parse, which runs on every delivery.
  const type = RawDelivery.mediaType(raw)
  if (type !== undefined && !mediaTypes.includes(type)) {
    return Result.fail(
      new UnsupportedMediaType({
        message: "Content-Type is not supported (expected application/json, " +
          "application/x-www-form-urlencoded or text/plain)",
        contentType: type
      })
    )
  }
  const text = RawDelivery.bodyText(raw)
  if (Result.isFailure(text)) return Result.fail(text.failure)
  const format = /^\s*\{/u.test(text.success) ? "json" : "form"
  const record = format === "json"
    ? LosslessJson.parseObject(text.success, { numbers: "source", limits: envelopeLimits })
    : FormUrlEncoded.parseRecord(text.success, { maxFields: envelopeLimits.formFields })
  if (Result.isFailure(record)) return Result.fail(record.failure)
  const appId = field(record.success, "appid")
  if (Result.isFailure(appId)) return Result.fail(appId.failure)
  const timestamp = field(record.success, "timestamp")
  if (Result.isFailure(timestamp)) return Result.fail(timestamp.failure)
  const sign = field(record.success, "sign")
  if (Result.isFailure(sign)) return Result.fail(sign.failure)
  const requestData = field(record.success, "request_data")
  if (Result.isFailure(requestData)) return Result.fail(requestData.failure)
  return Result.succeed({
    format,
    appId: appId.success,
    timestamp: timestamp.success,
    sign: sign.success,
    requestData: requestData.success
  })
}

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
 * Options of {@link provider}. The handler settings (body limit, time budget, lease, retention) are
 * not options: see {@link defaults}.
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
  /** The sign form: a name from {@link signForms} or a custom form. Default `wrap`. */
  readonly signForm?: SignForm.Input<SignFormName> | undefined
  /**
   * Accepted distance between `timestamp` and the receiver's clock, both directions (or
   * `{ past, future }`); `false` disables the check. Default {@link defaultTolerance} (24 hours).
   */
  readonly tolerance?: Timestamp.Tolerance | undefined
}

const resolveAppId = (appId: string | Config.Config<string>): Effect.Effect<string, Misconfigured> =>
  Effect.fnUntracedEager(function*() {
    const value = typeof appId === "string" ? appId : yield* Effect.mapError(
      appId,
      (error) => new Misconfigured({ message: `Cannot read the EM app id: ${error.message}` })
    )
    if (value.trim() === "") return yield* new Misconfigured({ message: "The EM app id is empty" })
    return value.trim()
  })()

const required = (value: string | undefined, name: string): Effect.Effect<string, MalformedDelivery> =>
  value === undefined
    ? Effect.fail(new MalformedDelivery({ message: `Missing parameter ${name}` }))
    : Effect.succeed(value)

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
export const verify = (options: Options): Provider.Verify<Payload> => {
  const form = SignForm.resolve(signForms, options.signForm)
  const tolerance = options.tolerance ?? defaultTolerance
  // Built once: a plain-text app id is then already checked (a completed effect), a `Config` is
  // still read on every delivery.
  const configuredAppId = resolveAppId(options.appId)
  // Eager: when nothing in it waits (plain secrets, `now` given), it answers at once, without a fiber.
  return Effect.fnUntracedEager(function*(
    raw: RawDelivery.RawDelivery,
    now?: number
  ): Provider.VerifySteps<Payload> {
    const envelope = yield* Effect.fromResult(parseEnvelope(raw))
    const appId = yield* required(envelope.appId, "appid")
    const timestamp = yield* required(envelope.timestamp, "timestamp")
    const requestData = yield* required(envelope.requestData, "request_data")
    if (envelope.sign === undefined) return yield* new SignatureInvalid({ message: "Missing parameter sign" })

    // The app id is public: comparing it plainly reveals nothing. The message is constant text:
    // the received appid is not verified yet and rejections are logged.
    if (appId !== (yield* configuredAppId)) {
      return yield* new SignatureInvalid({ message: "appid is not the configured EM app id" })
    }
    const secrets = yield* Secret.resolve(options.secret, "EM app secret")
    if (!SignForm.verify(form, signedParams(appId, requestData, timestamp), secrets, envelope.sign)) {
      return yield* new SignatureInvalid({ message: `sign does not match (sign form ${form.name})` })
    }

    yield* Timestamp.check(timestamp, { unit: "seconds", tolerance }, now)
    const data = yield* Effect.mapErrorEager(
      Effect.fromResult(LosslessJson.parseObject(requestData, { numbers: "source" })),
      () => new MalformedDelivery({ message: "request_data is not a JSON object" })
    )
    return { format: envelope.format, appId, timestamp, requestData, data }
  })
}

const documentFields = (type: string, data: Payload["data"]): readonly [string, string] | undefined => {
  const pair = (no: string, status: string) => {
    const n = data[no]
    const s = data[status]
    return typeof n === "string" && n !== "" && typeof s === "string" && s !== "" ? [n, s] as const : undefined
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
 * @category verifying
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
 * - decode: see `decode`;
 * - ack: {@link ack}; settings: {@link defaults}.
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
    defaults
  })
