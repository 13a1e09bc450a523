/**
 * Providers describe one platform's webhook protocol: how a delivery is verified, which key makes
 * it idempotent, what its fingerprint covers, which schema decodes it into a typed event, how
 * outcomes are answered, and the defaults (body limit, time budget, lease, retention) that suit the
 * platform's retry behaviour.
 *
 * Bundled providers (`@hookline/provider-*`, and `Hmac` in core) are built with {@link make}; so
 * are users' own, from the same building blocks (`Signing`, `CanonicalString`, `SignForm`,
 * `Timestamp`, `LosslessJson`, `FormUrlEncoded`, `RawDelivery`, `AckPolicy`).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as AckPolicy from "./AckPolicy.ts"
import type { Misconfigured, Rejection } from "./DeliveryError.ts"
import { DecodeFailed, MalformedDelivery } from "./DeliveryError.ts"
import type { RawDelivery } from "./RawDelivery.ts"
import type * as Signing from "./Signing.ts"

const TypeId = "~@hookline/core/Provider" as const

/**
 * Per-provider defaults, each overridable per handler (`defineHandler(..., options)`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Defaults {
  /** Largest accepted body, in bytes. */
  readonly bodyLimit: number
  /** How long the pipeline waits for the handler before answering "retry" (the platform's deadline). */
  readonly timeBudget: Duration.Duration
  /** How long a claim stays exclusive; a handler still running when it runs out is interrupted. */
  readonly lease: Duration.Duration
  /** How long a completed key is remembered (duplicates within it are acknowledged, not re-run). */
  readonly retention: Duration.Duration
}

/**
 * A platform's webhook protocol. `A` is the decoded event type, `P` the verified payload that the
 * key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Provider<out A, in out P = unknown> {
  readonly [TypeId]: typeof TypeId
  /** Name used to namespace idempotency keys and in logs, spans and metrics. */
  readonly name: string
  /** Accepted HTTP methods (upper case). */
  readonly methods: ReadonlyArray<string>
  /** Verifies the delivery over the exact received bytes or fields and returns its payload. */
  readonly verify: (raw: RawDelivery) => Effect.Effect<P, Rejection | Misconfigured>
  /** The idempotency key of the logical delivery (without the provider namespace). */
  readonly key: (payload: P, raw: RawDelivery) => Result.Result<string, MalformedDelivery>
  /** The parts hashed into the fingerprint that tells a retry from a different payload. */
  readonly fingerprint: (payload: P, raw: RawDelivery) => ReadonlyArray<Signing.Data>
  /** Decodes the payload into the typed event. */
  readonly decode: (payload: P, raw: RawDelivery) => Effect.Effect<A, DecodeFailed>
  /** Turns outcomes into the platform's responses. */
  readonly ack: AckPolicy.AckPolicy
  readonly defaults: Defaults
  /**
   * Reads the provider's configuration (`Config` secrets, app ids) and fails with `Misconfigured`
   * when something is missing or malformed. The adapters run it when they start, so a receiver
   * with a missing secret fails at start-up rather than answering every delivery "retry".
   */
  readonly validate: Effect.Effect<void, Misconfigured>
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export type MakeOptions<A, P> =
  & {
    readonly name: string
    readonly verify: (raw: RawDelivery) => Effect.Effect<P, Rejection | Misconfigured>
    /** The idempotency key, or a `MalformedDelivery` when the delivery carries none. */
    readonly key: (payload: P, raw: RawDelivery) => Result.Result<string, MalformedDelivery> | string
    /**
     * What the fingerprint covers. Default: the raw body. Leave out parts that legitimately change
     * between retries of one delivery (a refreshed timestamp or signature), or every retry after
     * a success would look like a `PayloadMismatch`.
     */
    readonly fingerprint?: ((payload: P, raw: RawDelivery) => Signing.Data | ReadonlyArray<Signing.Data>) | undefined
    /** Default: `AckPolicy.status()` (2xx = delivered). */
    readonly ack?: AckPolicy.AckPolicy | undefined
    /** Default `["POST"]`. */
    readonly methods?: ReadonlyArray<string> | undefined
    /** Default 1 MiB. */
    readonly bodyLimit?: number | undefined
    /** Default 10 seconds. */
    readonly timeBudget?: Duration.Input | undefined
    /** Default 60 seconds. */
    readonly lease?: Duration.Input | undefined
    /** Default 7 days. */
    readonly retention?: Duration.Input | undefined
    /**
     * Reads the configuration (e.g. `Secret.resolve(options.secret, "…")`), failing with
     * `Misconfigured`; run when an adapter starts. Default: nothing to check.
     */
    readonly validate?: Effect.Effect<unknown, Misconfigured> | undefined
  }
  & (
    | {
      /** Decodes the payload (as returned by `verify`) into the event. */
      readonly schema: Schema.Decoder<A>
      readonly decode?: undefined
    }
    | {
      readonly schema?: undefined
      /** Decodes the payload into the event, for decoders that are not a single schema. */
      readonly decode: (payload: P, raw: RawDelivery) => Effect.Effect<A, DecodeFailed>
    }
  )

/**
 * Default body limit: 1 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBodyLimit = 1024 * 1024

/**
 * Builds a provider.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Effect, Redacted, Schema } from "effect"
 * import { LosslessJson, Provider, RawDelivery, Signing } from "@hookline/core"
 *
 * const secret = Redacted.make("s3cret")
 * const Acme = Provider.make({
 *   name: "acme",
 *   verify: (raw) => Effect.gen(function*() {
 *     const signature = yield* Effect.fromResult(RawDelivery.requireHeader(raw, "x-acme-signature"))
 *     const expected = Signing.hmac("sha256", Redacted.value(secret), raw.body)
 *     if (!Signing.matches(expected, signature, "hex")) {
 *       return yield* new SignatureInvalid({ message: "Signature does not match" })
 *     }
 *     const text = yield* Effect.fromResult(RawDelivery.bodyText(raw))
 *     return yield* Effect.fromResult(LosslessJson.parseObject(text))
 *   }),
 *   key: (payload) => String(payload.id),
 *   schema: Schema.Struct({ id: Schema.String })
 * })
 * ```
 */
export const make = <A, P>(options: MakeOptions<A, P>): Provider<A, P> => {
  const decode = options.schema === undefined ? options.decode : decodeWith(options.schema)
  const fingerprint = options.fingerprint
  return {
    [TypeId]: TypeId,
    name: options.name,
    methods: (options.methods ?? ["POST"]).map((method) => method.toUpperCase()),
    verify: options.verify,
    key: (payload, raw) => {
      const key = options.key(payload, raw)
      if (typeof key !== "string") return key
      return key.length === 0
        ? Result.fail(new MalformedDelivery({ message: "The delivery's idempotency key is empty" }))
        : Result.succeed(key)
    },
    fingerprint: fingerprint === undefined ? (_, raw) => [raw.body] : (payload, raw) => {
      const parts = fingerprint(payload, raw)
      return typeof parts === "string" || parts instanceof Uint8Array ? [parts] : parts
    },
    decode,
    validate: options.validate === undefined ? Effect.void : Effect.asVoid(options.validate),
    ack: options.ack ?? AckPolicy.status(),
    defaults: {
      bodyLimit: options.bodyLimit ?? defaultBodyLimit,
      timeBudget: Duration.fromInputUnsafe(options.timeBudget ?? Duration.seconds(10)),
      lease: Duration.fromInputUnsafe(options.lease ?? Duration.seconds(60)),
      retention: Duration.fromInputUnsafe(options.retention ?? Duration.days(7))
    }
  }
}

/**
 * A decoder from a schema: failures become `DecodeFailed` with the schema's issue text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeWith = <A>(schema: Schema.Decoder<A>) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (payload: unknown): Effect.Effect<A, DecodeFailed> =>
    Effect.mapError(decode(payload), (error) => new DecodeFailed({ message: error.message }))
}

/**
 * Checks whether a value is a provider.
 *
 * @since 0.1.0
 * @category guards
 */
export const isProvider = (u: unknown): u is Provider<unknown, never> =>
  typeof u === "object" && u !== null && TypeId in u
