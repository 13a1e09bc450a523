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
import * as LosslessJson from "./LosslessJson.ts"
import type { RawDelivery } from "./RawDelivery.ts"
import type * as Signing from "./Signing.ts"

const TypeId = "~@hookline/core/Provider" as const

/**
 * The four settings of a handler, resolved. They are declared here once: a provider gives its
 * defaults (`Provider.make({ defaults })`), a user overrides them per handler
 * (`defineHandler(provider, handle, settings)`), and nothing else takes them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** Largest accepted body, in bytes. */
  readonly bodyLimit: number
  /** How long the pipeline waits for the handler before answering "retry" (the platform's deadline). */
  readonly timeBudget: Duration.Duration
  /** How long a claim stays exclusive; at its end the handler is interrupted (see `DeliveryContext`). */
  readonly lease: Duration.Duration
  /** How long a completed key is remembered (duplicates within it are acknowledged, not re-run). */
  readonly retention: Duration.Duration
}

/**
 * The settings as written in options: any of them, durations as `Duration.Input` (`"5 seconds"`).
 *
 * @since 0.1.0
 * @category models
 */
export type SettingsInput = {
  readonly [K in keyof Settings]?: (K extends "bodyLimit" ? number : Duration.Input) | undefined
}

/**
 * A provider's defaults (the resolved {@link Settings}).
 *
 * @since 0.1.0
 * @category models
 */
export type Defaults = Settings

/**
 * The settings when a provider gives none: 1 MiB body, 10 s time budget, 60 s lease, 7 days
 * retention.
 *
 * @since 0.1.0
 * @category constants
 */
export const baseSettings: Settings = {
  bodyLimit: 1024 * 1024,
  timeBudget: Duration.seconds(10),
  lease: Duration.seconds(60),
  retention: Duration.days(7)
}

/**
 * `base` with the settings given in `input` replaced.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveSettings = (base: Settings, input: SettingsInput | undefined): Settings => ({
  bodyLimit: input?.bodyLimit ?? base.bodyLimit,
  timeBudget: input?.timeBudget === undefined ? base.timeBudget : Duration.fromInputUnsafe(input.timeBudget),
  lease: input?.lease === undefined ? base.lease : Duration.fromInputUnsafe(input.lease),
  retention: input?.retention === undefined ? base.retention : Duration.fromInputUnsafe(input.retention)
})

/**
 * A platform's webhook protocol. `A` is the decoded event type, `P` the verified payload that the
 * key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Provider<out A, in out P = unknown, out D extends string = "_tag"> {
  readonly [TypeId]: typeof TypeId
  /** Name used to namespace idempotency keys and in logs, spans and metrics. */
  readonly name: string
  /** Accepted HTTP methods (upper case). */
  readonly methods: ReadonlyArray<string>
  /**
   * Verifies the delivery over the exact received bytes or fields and returns its payload. `now` is
   * the pipeline's clock reading (epoch milliseconds) for `Timestamp.check`; it is absent when
   * `verify` is called on its own, and the check then reads the fiber's `Clock`.
   */
  readonly verify: (raw: RawDelivery, now?: number) => Effect.Effect<P, Rejection | Misconfigured>
  /** The idempotency key of the logical delivery (without the provider namespace). */
  readonly key: (payload: P, raw: RawDelivery) => Result.Result<string, MalformedDelivery>
  /** The parts hashed into the fingerprint that tells a retry from a different payload. */
  readonly fingerprint: (payload: P, raw: RawDelivery) => ReadonlyArray<Signing.Data>
  /** Decodes the payload into the typed event. */
  readonly decode: (payload: P, raw: RawDelivery) => Effect.Effect<A, DecodeFailed>
  /** Turns outcomes into the platform's responses. */
  readonly ack: AckPolicy.AckPolicy
  /**
   * The event field whose value names the event's type: the keys of a handler map
   * (`defineHandler(provider, { [value]: handle })`). `"_tag"` unless the provider says otherwise
   * (most platforms' events carry a `type`).
   */
  readonly discriminator: D
  readonly defaults: Defaults
  /**
   * Refuses settings the protocol cannot work with (e.g. a retention shorter than the timestamp
   * tolerance, which would let a replay through): a message saying why, or `undefined`.
   * `defineHandler` throws `Misconfigured` with it.
   */
  readonly checkSettings: (settings: Settings) => string | undefined
  /**
   * Reads the provider's configuration (`Config` secrets, app ids) and fails with `Misconfigured`
   * when something is missing or malformed. The adapters run it when they start, so a receiver
   * with a missing secret fails at start-up rather than answering every delivery "retry".
   */
  readonly validate: Effect.Effect<void, Misconfigured>
}

/**
 * What a `verify` written with `Effect.fnUntracedEager(function*(raw, now) { … })` returns: steps
 * that may reject the delivery or report a misconfiguration, ending in the payload `P`. Annotating
 * the generator with it keeps the payload type exact.
 *
 * @since 0.1.0
 * @category models
 */
export type VerifySteps<P> = Generator<Effect.Effect<unknown, Rejection | Misconfigured>, P, unknown>

/**
 * A provider's `verify` (see {@link Provider.verify}).
 *
 * @since 0.1.0
 * @category models
 */
export type Verify<P> = (raw: RawDelivery, now?: number) => Effect.Effect<P, Rejection | Misconfigured>

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export type MakeOptions<A, P, D extends string = "_tag"> =
  & {
    readonly name: string
    /** The event field naming the event's type (see {@link Provider.discriminator}). Default `"_tag"`. */
    readonly discriminator?: D | undefined
    /**
     * See {@link Provider.verify}. Written with `Effect.fnUntracedEager` (or returning `Effect.succeed`
     * / `Effect.fail`), a verify that waits on nothing answers at once, and the pipeline runs the
     * delivery without a fiber; pass `now` to `Timestamp.check` for that.
     */
    readonly verify: (raw: RawDelivery, now?: number) => Effect.Effect<P, Rejection | Misconfigured>
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
    /** Defaults of the handler settings; see {@link baseSettings} for what is left out. */
    readonly defaults?: SettingsInput | undefined
    /** See {@link Provider.checkSettings}. */
    readonly checkSettings?: ((settings: Settings) => string | undefined) | undefined
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
 * Builds a provider. The payload type is inferred from `verify`'s result, so `raw` and `payload` need
 * no annotations — as long as `verify` is written before `key`, `fingerprint` and `decode`:
 * TypeScript infers from unannotated functions in the order they appear.
 *
 * Throws `Misconfigured` on a runtime whose `JSON.parse` cannot parse large integers exactly
 * (Node.js 20; see `LosslessJson.checkRuntime`), so a receiver fails at start-up there rather than
 * round ids.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { Effect, Redacted, Schema } from "effect"
 * import { SignatureInvalid } from "@hookline/core"
 * import { LosslessJson, Provider, RawDelivery, Signing } from "@hookline/core/provider"
 *
 * const secret = Redacted.make("s3cret")
 * export const Acme = Provider.make({
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
export const make = <A, P, D extends string = "_tag">(options: MakeOptions<A, P, D>): Provider<A, P, D> => {
  const runtime = LosslessJson.checkRuntime()
  if (runtime !== undefined) throw runtime
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
    // Without a discriminator option, D is its default "_tag".
    discriminator: options.discriminator ?? ("_tag" as D),
    defaults: resolveSettings(baseSettings, options.defaults),
    checkSettings: options.checkSettings ?? (() => undefined)
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
  // Eager: a synchronous schema's result stays an `Exit`, so the pipeline goes on without a fiber.
  return (payload: unknown): Effect.Effect<A, DecodeFailed> =>
    Effect.mapErrorEager(decode(payload), (error) => new DecodeFailed({ message: error.message }))
}

/**
 * Checks whether a value is a provider.
 *
 * @since 0.1.0
 * @category guards
 */
export const isProvider = (u: unknown): u is Provider<unknown, never, string> =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * One member of a {@link decodeByName} table: the body keys it never has, and its decoder.
 *
 * @since 0.1.0
 * @category models
 */
export interface NamedMember<E, P> {
  /** Top-level body keys this member's body never has, though a neighbouring member's body does. */
  readonly excludes: ReadonlyArray<string>
  readonly decode: (payload: P) => Effect.Effect<E, DecodeFailed>
}

/**
 * A {@link NamedMember}: decodes the payload's `body` with the wire schema (a mismatch is
 * `DecodeFailed`), then builds the event with `toEvent`, which may refuse with a `DecodeFailed` of
 * its own (a body that fits the schema but not the name).
 *
 * @since 0.1.0
 * @category decoding
 */
export const namedMember = <W, E, P extends { readonly body: unknown }>(
  wire: Schema.Decoder<W>,
  toEvent: (wire: W, payload: P) => E | DecodeFailed,
  excludes: ReadonlyArray<string> = []
): NamedMember<E, P> => {
  const decodeWire = decodeWith(wire)
  return {
    excludes,
    decode: (payload) =>
      Effect.flatMapEager(decodeWire(payload.body), (decoded) => {
        const event = toEvent(decoded, payload)
        return event instanceof DecodeFailed ? Effect.fail(event) : Effect.succeed(event)
      })
  }
}

/**
 * Options of {@link decodeByName}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeByNameOptions<E, P> {
  /** The header that names the event, as messages spell it: `X-GitHub-Event`. */
  readonly header: string
  /** What the header names, for messages: `event`, `topic`. */
  readonly noun: string
  /** The header's value, read from the verified payload. */
  readonly name: (payload: P) => string
  /** The modelled names and their members ({@link namedMember}). */
  readonly members: { readonly [name: string]: NamedMember<E, P> }
  /** The event of a name that is not modelled: acknowledged, body kept. */
  readonly unknown: (payload: P) => E
}

/**
 * A decoder for platforms that sign only the body and name the event in an **unsigned** header
 * (GitHub's `X-GitHub-Event`, Shopify's `X-Shopify-Topic`). The name picks a member of the table;
 * a body with one of the member's `excludes` keys (a key only a neighbouring event's body has: a
 * captured body replayed under another name) is `DecodeFailed` naming the header as unsigned,
 * else the member decodes it. A name outside the table is `unknown(payload)`.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * ```ts
 * import { Provider } from "@hookline/core/provider"
 * import * as Schema from "effect/Schema"
 *
 * type Event = { readonly _tag: "Push"; readonly ref: string } | { readonly _tag: "Unknown"; readonly event: string }
 * interface Payload { readonly event: string; readonly body: { readonly [key: string]: unknown } }
 *
 * export const decode = Provider.decodeByName<Event, Payload>({
 *   header: "X-Example-Event",
 *   noun: "event",
 *   name: (payload) => payload.event,
 *   members: {
 *     push: Provider.namedMember(Schema.Struct({ ref: Schema.String }), (wire) => ({ _tag: "Push", ref: wire.ref }), ["issue"])
 *   },
 *   unknown: (payload) => ({ _tag: "Unknown", event: payload.event })
 * })
 * ```
 */
export const decodeByName =
  <E, P extends { readonly body: object }>(options: DecodeByNameOptions<E, P>) =>
  (payload: P): Effect.Effect<E, DecodeFailed> => {
    const name = options.name(payload)
    const known = Object.hasOwn(options.members, name) ? options.members[name] : undefined
    if (known === undefined) return Effect.succeed(options.unknown(payload))
    const foreign = known.excludes.find((key) => Object.hasOwn(payload.body, key))
    return foreign === undefined
      ? known.decode(payload)
      : Effect.fail(
        new DecodeFailed({
          message: `${options.header} ${name} does not match the body: it has "${foreign}", which a ` +
            `${name} body never has (the ${options.noun} header is not signed)`
        })
      )
  }
