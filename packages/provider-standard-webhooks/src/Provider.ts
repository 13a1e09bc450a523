/**
 * Standard Webhooks (standardwebhooks.com, also what Svix sends): the scheme.
 *
 * The sender `POST`s a JSON body with three headers: `webhook-id` (unique per message, the same on
 * every retry: the idempotency key), `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
 * space-separated list of `v1,<base64>` signatures — HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * keyed with the bytes of the secret (`whsec_<base64>`: the base64 part decoded). Several signatures
 * let the sender rotate its key; any match is accepted.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { StandardWebhooks } from "@hookline/provider-standard-webhooks"
 * import { Config, Effect } from "effect"
 *
 * const events = defineHandler(
 *   StandardWebhooks.provider({ secret: Config.Redacted("STANDARD_WEBHOOKS_SECRET") }),
 *   (event) => Effect.log(event.type, event.data)
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Hmac, MalformedDelivery } from "@hookline/core"
import {
  type DeliveryError,
  type LosslessJson,
  Provider,
  type RawDelivery,
  type Secret,
  Timestamp
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import { decode, type Event } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`standard-webhooks:<webhook-id>`) and the label
 * in logs, spans and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "standard-webhooks"

/**
 * The header names of the spec (lower case, as `RawDelivery` stores them).
 *
 * @since 0.1.0
 * @category constants
 */
export const headers = {
  /** Unique per message, the same on retries; the idempotency key. Signed. */
  id: "webhook-id",
  /** Unix seconds, signed. */
  timestamp: "webhook-timestamp",
  /** Space-separated `v1,<base64>` signatures. */
  signature: "webhook-signature"
} as const

/**
 * The spec's tolerance, both directions: 5 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.minutes(5)

/**
 * The handler settings that fit senders' retry schedules (Svix retries after 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h; each attempt waits at most 15 s for an answer); users override them in
 * `defineHandler(provider, handle, settings)`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  /** Answer before the sender's 15 s timeout; a longer handler gets a 503 and the retry. */
  timeBudget: Duration.seconds(10),
  /** Shorter than the second retry (+5 min): a crashed holder's claim has expired by then. */
  lease: Duration.minutes(4)
} satisfies Provider.SettingsInput

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A = Event> {
  /**
   * The endpoint's signing secret, `whsec_<base64>` (the `whsec_` prefix is optional), or several
   * (all accepted: your side of a rotation). The key is the base64-decoded bytes.
   */
  readonly secret: Secret.SecretInput
  /**
   * Accepted clock difference, both directions (or `{ past, future }`). Default
   * {@link defaultTolerance} (5 minutes). There is no `false`: without a window a captured delivery
   * replays forever once its id is forgotten.
   */
  readonly tolerance?: Exclude<Timestamp.Tolerance, false> | undefined
  /**
   * Your own decoder for the body (parsed as lossless JSON: integers beyond 2^53 are `bigint`s), with
   * a `type` field naming each event. Default: the generic {@link Event} `{ type, timestamp?, data }`.
   */
  readonly schema?: Schema.Decoder<A> | undefined
}

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** `webhook-id`: the idempotency key. */
  readonly id: string
  /** `webhook-timestamp` in epoch milliseconds. */
  readonly timestamp: number
  /** The body as lossless JSON (integers beyond 2^53 are `bigint`s). */
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

// The scheme is core's generic HMAC with the spec's settings: one implementation of the signature
// list, the `whsec_` key and the timestamp window.
const hmacOptions = (options: Options<unknown>) =>
  ({
    name,
    secret: options.secret,
    secretEncoding: "whsec",
    header: headers.signature,
    prefix: "v1,",
    separator: " ",
    encoding: "base64",
    algorithm: "sha256",
    idHeader: headers.id,
    timestampHeader: headers.timestamp,
    timestampUnit: "seconds",
    signedContent: "id.timestamp.body",
    tolerance: options.tolerance ?? defaultTolerance
  }) as const

/**
 * Verifies a delivery, in this order: `webhook-id` (exactly one) and `webhook-timestamp` present
 * (else `MalformedDelivery`, 400), `webhook-signature` present and one of its `v1` signatures
 * matching under one of the secrets (constant time; else `SignatureInvalid`, 401), the timestamp
 * within the tolerance both ways (`TimestampOutOfTolerance`, 401, checked after the signature), the
 * body strict UTF-8 JSON whose top level is an object (`MalformedDelivery`).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Options<unknown>) => {
  const hmac = Hmac.provider(hmacOptions(options))
  return (
    raw: RawDelivery.RawDelivery,
    now?: number
  ): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
    Effect.flatMapEager(
      hmac.verify(raw, now),
      ({ id, json, timestamp }) =>
        typeof json === "object" && json !== null && !Array.isArray(json) && timestamp !== undefined
          ? Effect.succeed({ id, timestamp, body: json as { readonly [key: string]: LosslessJson.Json } })
          : Effect.fail(new MalformedDelivery({ message: "Body is not a JSON object" }))
    )
}

/**
 * The idempotency key: `webhook-id` (signed).
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = (payload: Payload): string => payload.id

/**
 * The Standard Webhooks provider. Events are the body's `type` (`discriminator: "type"`): the generic
 * {@link Event} by default, or your `schema`'s union.
 *
 * - verify: see {@link verify}; key: `webhook-id`; fingerprint: the raw body (a retry carries the
 *   same bytes under a fresh timestamp and signature);
 * - ack: `AckPolicy.status()` (2xx only for `Processed`/`Duplicate`: the sender retries the rest);
 * - settings: {@link defaults}.
 *
 * Refuses (`defineHandler` throws `Misconfigured`) a `retention` not longer than the tolerance's
 * past + future: an id forgotten while its timestamp is still accepted could be replayed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const provider: {
  (options: Options<Event> & { readonly schema?: undefined }): Provider.Provider<Event, Payload, "type">
  <A>(options: Options<A> & { readonly schema: Schema.Decoder<A> }): Provider.Provider<A, Payload, "type">
} = <A>(options: Options<A>): Provider.Provider<A | Event, Payload, "type"> => {
  const hmac = hmacOptions(options)
  const resolved = Timestamp.window(hmac.tolerance)
  const window = resolved === undefined ? Infinity : resolved.pastMillis + resolved.futureMillis
  const schema = options.schema
  const decodeSchema = schema === undefined ? undefined : Provider.decodeWith(schema)
  return Provider.make<A | Event, Payload, "type">({
    name,
    discriminator: "type",
    verify: verify(options),
    validate: Hmac.provider(hmac).validate,
    key,
    decode: (payload) => decodeSchema === undefined ? decode(payload) : decodeSchema(payload.body),
    defaults,
    checkSettings: ({ retention }) =>
      Duration.toMillis(retention) > window ? undefined : (
        "retention must be longer than the tolerance's past + future: a webhook-id forgotten while its " +
        "timestamp is still accepted could be replayed. Raise retention or shorten tolerance."
      )
  })
}
