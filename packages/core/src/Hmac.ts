/**
 * The generic provider for the many platforms that sign the raw body (optionally with a timestamp
 * and delivery id) with an HMAC in a header — GitHub-style `X-Hub-Signature-256: sha256=<hex>`,
 * Shopify-style base64, standard-webhooks-style `id.timestamp.body`.
 *
 * ```ts
 * Hmac.provider({
 *   secret: Config.Redacted("HMAC_SECRET"),
 *   header: "x-hub-signature-256",
 *   prefix: "sha256=",
 *   idHeader: "x-github-delivery"
 * })
 * ```
 *
 * Verification runs over the exact received bytes, in constant time, against every configured
 * secret (rotation). Events are the body parsed as lossless JSON (integers beyond 2^53 stay exact),
 * optionally decoded with a schema.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type * as AckPolicy from "./AckPolicy.ts"
import type { Rejection } from "./DeliveryError.ts"
import { Misconfigured, SignatureInvalid } from "./DeliveryError.ts"
import * as LosslessJson from "./LosslessJson.ts"
import * as Provider from "./Provider.ts"
import * as RawDelivery from "./RawDelivery.ts"
import * as Secret from "./Secret.ts"
import * as Signing from "./Signing.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * What the HMAC covers:
 * - `"body"`: the raw body bytes (GitHub, Shopify);
 * - `"timestamp.body"`: `<timestamp>.<body>` (Stripe-like; binds the timestamp);
 * - `"id.timestamp.body"`: `<id>.<timestamp>.<body>` (standard-webhooks).
 *
 * @since 0.1.0
 * @category models
 */
export type SignedContent = "body" | "timestamp.body" | "id.timestamp.body"

/**
 * The default event: the delivery id and the body as lossless JSON.
 *
 * @since 0.1.0
 * @category models
 */
export interface HmacEvent {
  readonly _tag: "HmacEvent"
  readonly id: string
  readonly payload: LosslessJson.Json
}

/**
 * The verified payload of a delivery (what the key and fingerprint read).
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** The delivery id (from `idHeader`). */
  readonly id: string
  /** The body as lossless JSON. */
  readonly json: LosslessJson.Json
  /** The timestamp in epoch milliseconds, when `timestampHeader` is set. */
  readonly timestamp: number | undefined
}

/**
 * Options of {@link provider}. A timestamp is checked only when it is signed: the timestamp forms of
 * `signedContent` require `timestampHeader`, and `"body"` takes none — an unsigned timestamp would
 * let an old capture replay with a fresh one.
 *
 * @since 0.1.0
 * @category models
 */
export type Options<A = HmacEvent> =
  & BaseOptions<A>
  & (
    | {
      /** What the HMAC covers. Default `"body"`. */
      readonly signedContent?: "body" | undefined
      /** Not with `"body"`: the timestamp would not be signed. */
      readonly timestampHeader?: undefined
    }
    | {
      readonly signedContent: "timestamp.body" | "id.timestamp.body"
      /** Header carrying the send time, checked against `tolerance`. */
      readonly timestampHeader: string
    }
  )

/**
 * Options of {@link provider} other than `signedContent` / `timestampHeader`.
 *
 * @since 0.1.0
 * @category models
 */
export interface BaseOptions<A = HmacEvent> {
  /** Provider name (key namespace, logs). Default `"hmac"`. */
  readonly name?: string | undefined
  /** One secret or several (all accepted; the first signs test deliveries). */
  readonly secret: Secret.SecretInput
  /** Signature header. Default `"x-signature"`. */
  readonly header?: string | undefined
  /** Default `"sha256"`. */
  readonly algorithm?: Signing.HmacAlgorithm | undefined
  /** Default `"hex"` (accepted in either case). */
  readonly encoding?: Signing.Encoding | undefined
  /** Text before the signature in the header, e.g. `"sha256="`. Default none. */
  readonly prefix?: string | undefined
  /**
   * Header carrying the unique delivery id (the idempotency key). Default `"x-webhook-id"`. Unless
   * `signedContent` is `"id.timestamp.body"` the id is not signed: whoever can replay a captured
   * body can pick the key (see docs/security.md). A repeated id header is refused (400).
   */
  readonly idHeader?: string | undefined
  /** Unit of the timestamp. Default `"seconds"`. */
  readonly timestampUnit?: Timestamp.Unit | undefined
  /** Accepted clock difference, both directions. Default 5 minutes (when `timestampHeader` is set). */
  readonly tolerance?: Timestamp.Tolerance | undefined
  /**
   * Decodes the body (parsed as lossless JSON: integers beyond 2^53 are `bigint`s) into the event.
   * Default: `HmacEvent` (`{ _tag, id, payload }`).
   */
  readonly schema?: Schema.Decoder<A> | undefined
  /**
   * The event field naming the event's type, for handler maps (`defineHandler(provider, { "order.paid": … })`).
   * Default `"_tag"`; most platforms' events carry a `type`.
   */
  readonly discriminator?: string | undefined
  readonly ack?: AckPolicy.AckPolicy | undefined
  /** The handler settings' defaults for this platform; a user still overrides them in `defineHandler`. */
  readonly defaults?: Provider.SettingsInput | undefined
}

const encoder = new TextEncoder()

const signedBytes = (content: SignedContent, id: string, timestamp: string, body: Uint8Array): Uint8Array => {
  if (content === "body") return body
  const prefix = encoder.encode(content === "timestamp.body" ? `${timestamp}.` : `${id}.${timestamp}.`)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix, 0)
  out.set(body, prefix.length)
  return out
}

interface Resolved {
  readonly header: string
  readonly algorithm: Signing.HmacAlgorithm
  readonly encoding: Signing.Encoding
  readonly prefix: string
  readonly idHeader: string
  readonly timestampHeader: string | undefined
  readonly timestampUnit: Timestamp.Unit
  readonly tolerance: Timestamp.Tolerance
  readonly signedContent: SignedContent
}

// Refused at construction, so a receiver that would check an unsigned timestamp never starts.
const refuseUnsigned = (config: Resolved): void => {
  if (config.signedContent === "body" && config.timestampHeader !== undefined) {
    throw new Misconfigured({
      message: `Hmac: timestampHeader ${config.timestampHeader} with signedContent "body" is an unsigned timestamp ` +
        `(an old capture replays with a fresh one): use signedContent "timestamp.body" or "id.timestamp.body" if ` +
        `the platform signs it, or drop timestampHeader`
    })
  }
  if (config.signedContent !== "body" && config.timestampHeader === undefined) {
    throw new Misconfigured({ message: `Hmac: signedContent "${config.signedContent}" needs a timestampHeader` })
  }
}

const resolve = <A>(options: Options<A>): Resolved => ({
  header: (options.header ?? "x-signature").toLowerCase(),
  algorithm: options.algorithm ?? "sha256",
  encoding: options.encoding ?? "hex",
  prefix: options.prefix ?? "",
  idHeader: (options.idHeader ?? "x-webhook-id").toLowerCase(),
  timestampHeader: options.timestampHeader?.toLowerCase(),
  timestampUnit: options.timestampUnit ?? "seconds",
  tolerance: options.tolerance ?? "5 minutes",
  signedContent: options.signedContent ?? "body"
})

/**
 * The generic HMAC provider.
 *
 * @since 0.1.0
 * @category constructors
 */
export const provider: {
  (options: Options<HmacEvent> & { readonly schema?: undefined }): Provider.Provider<HmacEvent, Payload>
  <A, const D extends string = "_tag">(
    options: Options<A> & { readonly schema: Schema.Decoder<A>; readonly discriminator?: D | undefined }
  ): Provider.Provider<A, Payload, D>
  // The discriminator's type is the option's literal, which each overload states; the one
  // implementation cannot name it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} = <A>(options: Options<A>): Provider.Provider<A | HmacEvent, Payload, any> => {
  const config = resolve(options)
  const name = options.name ?? "hmac"
  // The signature check is synchronous; only reading a `Config` secret and the clock are effects.
  const check = (
    raw: RawDelivery.RawDelivery,
    secrets: ReadonlyArray<Redacted.Redacted<string>>
  ): Result.Result<{ readonly id: string; readonly timestampText: string }, Rejection> => {
    const id = RawDelivery.requireSingleHeader(raw, config.idHeader)
    if (Result.isFailure(id)) return Result.fail(id.failure)
    const headerValue = RawDelivery.header(raw, config.header)
    if (headerValue === undefined || headerValue.trim() === "") {
      return Result.fail(new SignatureInvalid({ message: `Missing signature header ${config.header}` }))
    }
    let timestampText = ""
    if (config.timestampHeader !== undefined) {
      const timestamp = RawDelivery.requireHeader(raw, config.timestampHeader)
      if (Result.isFailure(timestamp)) return Result.fail(timestamp.failure)
      timestampText = timestamp.success
    }
    const received = headerValue.trim()
    const signature = received.startsWith(config.prefix) ? received.slice(config.prefix.length) : undefined
    const data = signedBytes(config.signedContent, id.success, timestampText, raw.body)
    const valid = signature !== undefined && Signing.matchesAny(
      secrets,
      (secret) => Signing.hmacWithSecret(config.algorithm, secret, data),
      signature,
      config.encoding
    )
    if (!valid) return Result.fail(new SignatureInvalid({ message: "Signature does not match" }))
    return Result.succeed({ id: id.success, timestampText })
  }
  const parseBody = (raw: RawDelivery.RawDelivery) =>
    Result.flatMap(RawDelivery.bodyText(raw), (text) => LosslessJson.parse(text))
  const finish = (
    raw: RawDelivery.RawDelivery,
    secrets: ReadonlyArray<Redacted.Redacted<string>>
  ): Effect.Effect<Payload, Rejection> => {
    const checked = check(raw, secrets)
    if (Result.isFailure(checked)) return Effect.fail(checked.failure)
    const { id, timestampText } = checked.success
    // The timestamp is checked after the signature, so an unauthenticated request cannot probe the
    // receiver's clock.
    if (config.timestampHeader === undefined) {
      const json = parseBody(raw)
      return Result.isFailure(json)
        ? Effect.fail(json.failure)
        : Effect.succeed({ id, json: json.success, timestamp: undefined })
    }
    return Effect.flatMap(
      Timestamp.check(timestampText, { unit: config.timestampUnit, tolerance: config.tolerance }),
      (timestamp) => Effect.map(Effect.fromResult(parseBody(raw)), (json) => ({ id, json, timestamp }))
    )
  }
  refuseUnsigned(config)
  // Plain `Redacted` secrets are checked once; `Config` secrets are read per delivery (so a missing
  // one answers "retry" rather than failing the whole app at start-up).
  const staticSecrets = Secret.resolveSync(options.secret)
  const staticResolved = staticSecrets === undefined
    ? undefined
    : Effect.runSync(Effect.result(Secret.resolve(options.secret, `${name} secret`)))
  const verify = (raw: RawDelivery.RawDelivery): Effect.Effect<Payload, Rejection | Misconfigured> => {
    if (staticResolved !== undefined) {
      return Result.isFailure(staticResolved)
        ? Effect.fail(staticResolved.failure)
        : Effect.suspend(() => finish(raw, staticResolved.success))
    }
    return Effect.flatMap(Secret.resolve(options.secret, `${name} secret`), (secrets) => finish(raw, secrets))
  }
  const schema = options.schema
  const decode = schema === undefined
    ? (payload: Payload) => Effect.succeed<HmacEvent>({ _tag: "HmacEvent", id: payload.id, payload: payload.json })
    : (payload: Payload) => Provider.decodeWith(schema)(payload.json)
  return Provider.make<A | HmacEvent, Payload, string>({
    name,
    discriminator: options.discriminator ?? "_tag",
    verify,
    validate: Secret.resolve(options.secret, `${name} secret`),
    key: (payload) => payload.id,
    decode,
    ack: options.ack,
    defaults: options.defaults
  })
}

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /** The body to send: bytes, text, or a value serialised with lossless JSON. */
  readonly body: Uint8Array | string | LosslessJson.Json
  /** Delivery id. Default: a random UUID. */
  readonly id?: string | undefined
  /** Timestamp in the configured unit. Default: now. */
  readonly timestamp?: number | undefined
  /** Secret to sign with. Default: the first configured secret. */
  readonly secret?: Redacted.Redacted<string> | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

/**
 * Signs a test delivery the way the platform would, for tests, demos and benchmarks.
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = <A>(options: Options<A>, input: SignInput): RawDelivery.RawDelivery => {
  const config = resolve(options)
  const secret = input.secret ?? Secret.resolveSync(options.secret)?.[0]
  if (secret === undefined) throw new Error("Hmac.sign: pass `secret` when the provider's secret is a Config")
  const body = input.body instanceof Uint8Array
    ? input.body
    : encoder.encode(typeof input.body === "string" ? input.body : LosslessJson.stringify(input.body))
  const id = input.id ?? crypto.randomUUID()
  // A synchronous test signer stamps wall-clock "now" (pass `timestamp` to control it).
  // eslint-disable-next-line no-restricted-properties
  const now = Date.now()
  const timestamp = String(input.timestamp ?? (config.timestampUnit === "seconds" ? Math.floor(now / 1000) : now))
  const mac = Signing.hmac(
    config.algorithm,
    Redacted.value(secret),
    signedBytes(config.signedContent, id, timestamp, body)
  )
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "content-type": "application/json",
      [config.idHeader]: id,
      [config.header]: `${config.prefix}${Signing.encode(mac, config.encoding)}`,
      ...(config.timestampHeader === undefined ? {} : { [config.timestampHeader]: timestamp })
    },
    body
  })
}

/**
 * Test helpers.
 *
 * @since 0.1.0
 * @category testing
 */
export const testing = { sign } as const
