/**
 * The generic provider for the many platforms that sign the raw body (optionally with a timestamp
 * and delivery id) with an HMAC in a header — GitHub-style `X-Hub-Signature-256: sha256=<hex>`,
 * Shopify-style base64, standard-webhooks-style `id.timestamp.body` with a `whsec_` key and several
 * `v1,<base64>` signatures in one header.
 *
 * ```ts
 * import { Hmac } from "@hookline/core"
 * import { Config } from "effect"
 *
 * Hmac.provider({
 *   secret: Config.Redacted("HMAC_SECRET"),
 *   header: "x-hub-signature-256",
 *   prefix: "sha256=",
 *   idHeader: "x-github-delivery"
 * })
 *
 * // Standard Webhooks (what `standardwebhooks` / Svix sign):
 * Hmac.provider({
 *   secret: Config.Redacted("WEBHOOK_SECRET"), // "whsec_<base64>"
 *   secretEncoding: "whsec",
 *   header: "webhook-signature",
 *   prefix: "v1,",
 *   separator: " ",
 *   encoding: "base64",
 *   idHeader: "webhook-id",
 *   timestampHeader: "webhook-timestamp",
 *   signedContent: "id.timestamp.body"
 * })
 * ```
 *
 * Verification runs over the exact received bytes, in constant time, against every configured
 * secret (rotation) and every signature the header carries (the sender's rotation). Events are the
 * body parsed as lossless JSON (integers beyond 2^53 stay exact), optionally decoded with a schema.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type * as AckPolicy from "./AckPolicy.ts"
import type { Rejection } from "./DeliveryError.ts"
import { DecodeFailed, Misconfigured, SignatureInvalid } from "./DeliveryError.ts"
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
  /** The `typeHeader`'s value, when that option is set (not signed: see {@link BaseOptions.typeHeader}). */
  readonly type?: string
}

/**
 * How a secret's text becomes the HMAC key:
 * - `"utf8"`: the text's UTF-8 bytes (GitHub, Shopify, Stripe's `whsec_…` used whole);
 * - `"base64"`: the bytes the text encodes in base64;
 * - `"whsec"`: Standard Webhooks / Svix — the base64 bytes after an optional `whsec_` prefix.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretEncoding = "utf8" | "base64" | "whsec"

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
  /** The `typeHeader`'s value, present only when that option is set (not signed). */
  readonly type?: string
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
   * How the secret's text becomes the key bytes (see {@link SecretEncoding}). Default `"utf8"`. A
   * `"base64"`/`"whsec"` secret that is not base64 (or empty) is `Misconfigured`.
   */
  readonly secretEncoding?: SecretEncoding | undefined
  /**
   * Splits the signature header into several signatures, any of which may match (the sender's key
   * rotation): `" "` for Standard Webhooks' `v1,<a> v1,<b>`. Each part must start with `prefix`;
   * parts with another prefix (another scheme or version) are ignored. Default: one signature.
   */
  readonly separator?: string | undefined
  /**
   * A header whose value becomes the event's type: it is set as the `discriminator` field of the
   * body before `schema` decodes it (a body that is not a JSON object is `MalformedDelivery`), and
   * as `type` on the default `HmacEvent`. A missing or repeated header is `MalformedDelivery`.
   * **The header is not signed** by any of the `signedContent` forms: whoever replays a captured
   * delivery can change it and so pick which handler runs (with the same body and key). Use it only
   * when the platform sends the type nowhere else (GitHub's `X-GitHub-Event`) and keep each
   * handler valid for any body the platform signs; prefer a `type` field inside the signed body.
   */
  readonly typeHeader?: string | undefined
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

// What the MAC covers, in order (no copy of the body into a prefixed buffer).
const signedParts = (content: SignedContent, id: string, timestamp: string, body: Uint8Array): Signing.Signed =>
  content === "body" ? body : [content === "timestamp.body" ? `${timestamp}.` : `${id}.${timestamp}.`, body]

// The key of a base64 secret, decoded and prepared once per `Redacted` secret (an HMAC with raw key
// bytes costs about five times one with a prepared key).
const preparedKeys = new WeakMap<Redacted.Redacted<string>, ReturnType<typeof Signing.prepareKey>>()

const whsecPrefix = "whsec_"

const decodeKey = (
  secret: Redacted.Redacted<string>,
  encoding: "base64" | "whsec"
): Result.Result<ReturnType<typeof Signing.prepareKey>, Misconfigured> => {
  const cached = preparedKeys.get(secret)
  if (cached !== undefined) return Result.succeed(cached)
  const text = Redacted.value(secret).trim()
  const base64 = encoding === "whsec" && text.startsWith(whsecPrefix) ? text.slice(whsecPrefix.length) : text
  const bytes = Signing.decode(base64, "base64")
  if (bytes === undefined || bytes.length === 0) {
    // Never the secret's text in the message.
    return Result.fail(
      new Misconfigured({
        message: `Hmac: a secret with secretEncoding "${encoding}" is not ${
          encoding === "whsec" ? "whsec_<base64>" : "base64"
        } (or is empty)`
      })
    )
  }
  const key = Signing.prepareKey(bytes)
  preparedKeys.set(secret, key)
  return Result.succeed(key)
}

// The HMAC keyed with a secret as `encoding` says; a secret that does not decode is Misconfigured.
const macWith = (
  config: Pick<Resolved, "algorithm" | "secretEncoding">,
  secret: Redacted.Redacted<string>,
  data: Signing.Signed
): Result.Result<Uint8Array, Misconfigured> => {
  if (config.secretEncoding === "utf8") return Result.succeed(Signing.hmacWithSecret(config.algorithm, secret, data))
  return Result.map(decodeKey(secret, config.secretEncoding), (key) => Signing.hmac(config.algorithm, key, data))
}

// The signatures a header carries: one, or several split at `separator`; each without `prefix`
// (a part with another prefix is dropped, so another scheme never counts as a failed match).
const signaturesOf = (config: Pick<Resolved, "prefix" | "separator">, value: string): ReadonlyArray<string> => {
  const parts = config.separator === undefined ? [value.trim()] : value.split(config.separator)
  const out: Array<string> = []
  for (const part of parts) {
    const trimmed = part.trim()
    if (trimmed !== "" && trimmed.startsWith(config.prefix)) out.push(trimmed.slice(config.prefix.length))
  }
  return out
}

interface Resolved {
  readonly header: string
  readonly secretEncoding: SecretEncoding
  readonly separator: string | undefined
  readonly typeHeader: string | undefined
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
  secretEncoding: options.secretEncoding ?? "utf8",
  separator: options.separator === "" ? undefined : options.separator,
  typeHeader: options.typeHeader?.toLowerCase(),
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
export function provider(
  options: Options<HmacEvent> & { readonly schema?: undefined }
): Provider.Provider<HmacEvent, Payload>
export function provider<A, const D extends string = "_tag">(
  options: Options<A> & { readonly schema: Schema.Decoder<A>; readonly discriminator?: D | undefined }
): Provider.Provider<A, Payload, D>
export function provider<A>(options: Options<A>): Provider.Provider<A | HmacEvent, Payload, string> {
  const config = resolve(options)
  const name = options.name ?? "hmac"
  // The signature check is synchronous; only reading a `Config` secret and the clock are effects.
  const check = (
    raw: RawDelivery.RawDelivery,
    secrets: ReadonlyArray<Redacted.Redacted<string>>
  ): Result.Result<
    { readonly id: string; readonly timestampText: string; readonly type: string | undefined },
    Rejection | Misconfigured
  > => {
    const id = RawDelivery.requireSingleHeader(raw, config.idHeader)
    if (Result.isFailure(id)) return Result.fail(id.failure)
    let type: string | undefined
    if (config.typeHeader !== undefined) {
      const read = RawDelivery.requireSingleHeader(raw, config.typeHeader)
      if (Result.isFailure(read)) return Result.fail(read.failure)
      type = read.success
    }
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
    const signatures = signaturesOf(config, headerValue)
    const data = signedParts(config.signedContent, id.success, timestampText, raw.body)
    let valid = false
    if (signatures.length === 1) {
      let failure: Misconfigured | undefined
      valid = Signing.matchesAny(
        secrets,
        (secret) => {
          const mac = macWith(config, secret, data)
          if (Result.isSuccess(mac)) return mac.success
          failure = mac.failure
          return new Uint8Array(0)
        },
        signatures[0]!,
        config.encoding
      )
      if (failure !== undefined) return Result.fail(failure)
    } else if (signatures.length > 1) {
      const received = signatures.map((signature) => Signing.decode(signature, config.encoding))
      // Every secret against every signature, no short-circuit: the time does not tell which matched.
      for (const secret of secrets) {
        const mac = macWith(config, secret, data)
        if (Result.isFailure(mac)) return Result.fail(mac.failure)
        for (const bytes of received) {
          if (bytes !== undefined && Signing.timingSafeEqual(mac.success, bytes)) valid = true
        }
      }
    }
    if (!valid) return Result.fail(new SignatureInvalid({ message: "Signature does not match" }))
    return Result.succeed({ id: id.success, timestampText, type })
  }
  // With a typeHeader the body must be an object: the type is set as one of its fields.
  const parseBody = (raw: RawDelivery.RawDelivery) =>
    Result.flatMap(
      RawDelivery.bodyText(raw),
      (text) => config.typeHeader === undefined ? LosslessJson.parse(text) : LosslessJson.parseObject(text)
    )
  const finish = (
    raw: RawDelivery.RawDelivery,
    secrets: ReadonlyArray<Redacted.Redacted<string>>,
    now: number | undefined
  ): Effect.Effect<Payload, Rejection | Misconfigured> => {
    const checked = check(raw, secrets)
    if (Result.isFailure(checked)) return Effect.fail(checked.failure)
    const { id, timestampText, type } = checked.success
    // The timestamp is checked after the signature, so an unauthenticated request cannot probe the
    // receiver's clock.
    if (config.timestampHeader === undefined) {
      const json = parseBody(raw)
      return Result.isFailure(json)
        ? Effect.fail(json.failure)
        : Effect.succeed({ id, json: json.success, timestamp: undefined, ...(type === undefined ? {} : { type }) })
    }
    return Effect.flatMapEager(
      Timestamp.check(timestampText, { unit: config.timestampUnit, tolerance: config.tolerance }, now),
      (timestamp) =>
        Effect.mapEager(
          Effect.fromResult(parseBody(raw)),
          (json) => ({ id, json, timestamp, ...(type === undefined ? {} : { type }) })
        )
    )
  }
  refuseUnsigned(config)
  // Plain `Redacted` secrets are checked once; `Config` secrets are read per delivery (so a missing
  // one answers "retry" rather than failing the whole app at start-up).
  const staticSecrets = Secret.resolveSync(options.secret)
  const staticResolved = staticSecrets === undefined
    ? undefined
    : Effect.runSync(Effect.result(Secret.resolve(options.secret, `${name} secret`)))
  const verify = (raw: RawDelivery.RawDelivery, now?: number): Effect.Effect<Payload, Rejection | Misconfigured> => {
    if (staticResolved !== undefined) {
      return Result.isFailure(staticResolved)
        ? Effect.fail(staticResolved.failure)
        : finish(raw, staticResolved.success, now)
    }
    return Effect.flatMap(Secret.resolve(options.secret, `${name} secret`), (secrets) => finish(raw, secrets, now))
  }
  const schema = options.schema
  const discriminator = options.discriminator ?? "_tag"
  const decodeSchema = schema === undefined ? undefined : Provider.decodeWith(schema)
  const decode = (payload: Payload): Effect.Effect<A | HmacEvent, DecodeFailed> => {
    const type = payload.type
    if (decodeSchema === undefined) {
      return Effect.succeed<HmacEvent>({
        _tag: "HmacEvent",
        id: payload.id,
        payload: payload.json,
        ...(type === undefined ? {} : { type })
      })
    }
    if (type === undefined) return decodeSchema(payload.json)
    const json = payload.json
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Effect.fail(new DecodeFailed({ message: "Body is not a JSON object" }))
    }
    // The header names the type: it takes the discriminator's place in the body.
    return decodeSchema({ ...json, [discriminator]: type })
  }
  return Provider.make<A | HmacEvent, Payload, string>({
    name,
    discriminator,
    verify,
    // At start-up: the secrets are there and, for byte secrets, decode.
    validate: Effect.flatMap(
      Secret.resolve(options.secret, `${name} secret`),
      (secrets) =>
        Effect.forEach(secrets, (secret) => Effect.fromResult(macWith(config, secret, new Uint8Array(0))), {
          discard: true
        })
    ),
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
  /** The `typeHeader`'s value (when the options set one). */
  readonly type?: string | undefined
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
  const mac = macWith(config, secret, signedParts(config.signedContent, id, timestamp, body))
  if (Result.isFailure(mac)) throw mac.failure
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "content-type": "application/json",
      [config.idHeader]: id,
      [config.header]: `${config.prefix}${Signing.encode(mac.success, config.encoding)}`,
      ...(config.timestampHeader === undefined ? {} : { [config.timestampHeader]: timestamp }),
      ...(config.typeHeader === undefined || input.type === undefined ? {} : { [config.typeHeader]: input.type })
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
