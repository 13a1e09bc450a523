/**
 * Shopify webhooks (app subscriptions over HTTPS): the scheme.
 *
 * Shopify `POST`s the resource as JSON with `X-Shopify-Hmac-Sha256`, the **base64** HMAC-SHA256 of
 * the raw body keyed with the app's client secret (as UTF-8), `X-Shopify-Topic` (`orders/create`,
 * …), `X-Shopify-Shop-Domain`, `X-Shopify-Event-Id` (the event, the same on every retry: the
 * idempotency key) and `X-Shopify-Webhook-Id` (the key when no event id is sent).
 *
 * **Shopify signs only the body.** The topic, the event and webhook ids, the shop domain and
 * `X-Shopify-Triggered-At` are not signed, so whoever captured one delivery can send its body again,
 * at any time, under another event id (a new key: the handler runs again), another topic or another
 * shop domain. What this provider does about it:
 * - the topic must agree with the signed body: a modelled topic whose body does not fit (an
 *   `orders/*` topic carrying a product, an `orders/cancelled` order without `cancelled_at`, an
 *   `app/uninstalled` shop whose `myshopify_domain` is not the header's) is `DecodeFailed`;
 * - the fingerprint covers the topic, the shop domain and the body: the same event id sent again
 *   with another topic, shop or body is a `PayloadMismatch` (409), not a new event;
 * - what remains: a replay under a fresh event id runs the handler again with the genuine body (make
 *   effects idempotent on the resource — order `id` + `updated_at` — rather than on the delivery);
 *   `orders/create`, `orders/updated` and `orders/paid` carry the same order body, so one of them
 *   can be replayed as another; an order body replayed with another shop's domain is not detected
 *   (order bodies do not name the shop: an app whose shops share one secret should look the order
 *   up through the Admin API before acting on it); and a replay under a topic this version does not
 *   model is decoded as `Unknown` with the original body.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { Shopify } from "@hookline/provider-shopify"
 * import { Config, Effect } from "effect"
 *
 * const hooks = defineHandler(Shopify.provider({ secret: Config.Redacted("SHOPIFY_WEBHOOK_SECRET") }), (event) =>
 *   Effect.log(event._tag, event.shopDomain))
 * ```
 *
 * @since 0.1.0
 */
import {
  AckPolicy,
  type DeliveryError,
  type LosslessJson,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  Signing
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { decode, type Event } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`shopify:<event id>`) and the label in logs,
 * spans and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "shopify"

/**
 * The header names Shopify sends (lower case, as `RawDelivery` stores them).
 *
 * @since 0.1.0
 * @category constants
 */
export const headers = {
  /** Base64 HMAC-SHA256 of the raw body. The only signed thing is the body. */
  signature: "x-shopify-hmac-sha256",
  /** `orders/create`, `app/uninstalled`, … Not signed. */
  topic: "x-shopify-topic",
  /** The event, the same on every retry: the idempotency key. Not signed. */
  eventId: "x-shopify-event-id",
  /** The subscription's delivery id: the key when `X-Shopify-Event-Id` is absent. Not signed. */
  webhookId: "x-shopify-webhook-id",
  /** `shop.myshopify.com`. Not signed. */
  shopDomain: "x-shopify-shop-domain"
} as const

/**
 * The media type accepted: `application/json` (Shopify's JSON format; XML subscriptions are refused
 * with 415).
 *
 * @since 0.1.0
 * @category constants
 */
export const mediaType = "application/json"

/**
 * The handler settings Shopify calls for; users override them in `defineHandler`. Shopify waits
 * 5 seconds for a response and retries a failed delivery (8 times over 4 hours, with the same event
 * id), so the time budget stays under 5 s and the lease is short.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  /** Under Shopify's 5-second timeout, so the answer (503: retry) reaches Shopify. */
  timeBudget: Duration.seconds(4),
  /** Far shorter than Shopify's first retry: a crashed holder's claim has expired by then. */
  lease: Duration.minutes(1),
  /** Orders with many line items are large; 2 MiB. */
  bodyLimit: 2 * 1024 * 1024
} satisfies Provider.SettingsInput

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The app's client secret (`Config.Redacted("SHOPIFY_WEBHOOK_SECRET")`), or several during a
   * rotation: a signature made with any of them is accepted.
   */
  readonly secret: Secret.SecretInput
}

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** `X-Shopify-Topic` (not signed). */
  readonly topic: string
  /** `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id` (not signed): the idempotency key. */
  readonly eventId: string
  /** `X-Shopify-Shop-Domain` (not signed). */
  readonly shopDomain: string
  /** The signed body as lossless JSON, every number as its exact source text. */
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

/**
 * The `X-Shopify-Hmac-Sha256` value for a body: standard base64 of the HMAC-SHA256 keyed with the
 * secret's UTF-8 bytes. For test deliveries; verification compares bytes in constant time.
 *
 * @since 0.1.0
 * @category verifying
 */
export const signature = (body: Signing.Data, secret: Redacted.Redacted<string>): string =>
  Signing.encode(Signing.hmacWithSecret("sha256", secret, body), "base64")

const check = (
  raw: RawDelivery.RawDelivery,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): Result.Result<Payload, DeliveryError.Rejection> => {
  const type = RawDelivery.requireMediaType(raw, mediaType, "subscribe with the JSON format")
  if (Result.isFailure(type)) return Result.fail(type.failure)
  const topic = RawDelivery.requireSingleHeader(raw, headers.topic, "Missing or repeated header X-Shopify-Topic")
  if (Result.isFailure(topic)) return Result.fail(topic.failure)
  const shopDomain = RawDelivery.requireSingleHeader(
    raw,
    headers.shopDomain,
    "Missing or repeated header X-Shopify-Shop-Domain"
  )
  if (Result.isFailure(shopDomain)) return Result.fail(shopDomain.failure)
  const eventId = RawDelivery.requireSingleHeader(
    raw,
    RawDelivery.header(raw, headers.eventId) === undefined ? headers.webhookId : headers.eventId,
    "Missing or repeated header X-Shopify-Event-Id / X-Shopify-Webhook-Id"
  )
  if (Result.isFailure(eventId)) return Result.fail(eventId.failure)
  const received = RawDelivery.header(raw, headers.signature)?.trim() ?? ""
  if (received === "") return Result.fail(new SignatureInvalid({ message: "Missing header X-Shopify-Hmac-Sha256" }))
  const valid = Signing.matchesAny(
    secrets,
    (secret) => Signing.hmacWithSecret("sha256", secret, raw.body),
    received,
    "base64"
  )
  if (!valid) return Result.fail(new SignatureInvalid({ message: "X-Shopify-Hmac-Sha256 does not match" }))
  return Result.map(
    RawDelivery.bodyJsonObject(raw, { numbers: "source" }),
    (body) => ({ topic: topic.success, eventId: eventId.success, shopDomain: shopDomain.success, body })
  )
}

/**
 * Verifies a delivery, in this order:
 *
 * 1. `Content-Type` is `application/json` (parameters ignored), else `UnsupportedMediaType` (415);
 * 2. `X-Shopify-Topic`, `X-Shopify-Shop-Domain` and `X-Shopify-Event-Id` (or, without it,
 *    `X-Shopify-Webhook-Id`) are present once, else `MalformedDelivery` (400);
 * 3. `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the exact received bytes under one of the
 *    secrets (constant time), else `SignatureInvalid` (401);
 * 4. the body is strict UTF-8 JSON whose top level is an object, else `MalformedDelivery` (400).
 *
 * No timestamp: `X-Shopify-Triggered-At` is not signed (see the module notes on replays).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Options) =>
(
  raw: RawDelivery.RawDelivery
): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
  Effect.flatMapEager(
    Secret.resolve(options.secret, "Shopify client secret"),
    (secrets) => Effect.fromResult(check(raw, secrets))
  )

/**
 * The idempotency key: `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id` (both kept by Shopify's
 * retries).
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = (payload: Payload): string => payload.eventId

/**
 * The fingerprint: the topic, the shop domain and the raw body. A retry (same bytes, same topic and
 * shop) is a `Duplicate`; the same event id with another topic, shop or body is a `PayloadMismatch`
 * (409).
 *
 * @since 0.1.0
 * @category verifying
 */
export const fingerprint = (payload: Payload, raw: RawDelivery.RawDelivery): ReadonlyArray<Signing.Data> => [
  payload.topic,
  payload.shopDomain.toLowerCase(),
  raw.body
]

/**
 * `AckPolicy.status()`: 200 for `Processed`/`Duplicate` (an `Unknown` topic is processed by its
 * handler like any other); 401 signature; 400 malformed; 409 payload mismatch; 413/415; 500 handler
 * or decode failure; 503 in flight, store unavailable, time budget spent. Shopify retries every
 * non-2xx answer and removes a subscription that keeps failing.
 *
 * @since 0.1.0
 * @category constants
 */
export const ack: AckPolicy.AckPolicy = AckPolicy.status()

/**
 * The Shopify webhook provider.
 *
 * - verify: see {@link verify};
 * - key: {@link key};
 * - fingerprint: {@link fingerprint} (topic + shop + body);
 * - decode: `decode` (see `Events.ts`): `_tag` members, `Unknown` for other topics;
 * - ack: {@link ack};
 * - settings: {@link defaults}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { toNodeListener } from "@hookline/core/node"
 * import { Shopify } from "@hookline/provider-shopify"
 * import { MemoryStore } from "@hookline/store-memory"
 * import { Config, Effect } from "effect"
 * import * as http from "node:http"
 *
 * const hooks = defineHandler(
 *   Shopify.provider({ secret: Config.Redacted("SHOPIFY_WEBHOOK_SECRET") }),
 *   (event) => Effect.log(event._tag)
 * )
 * http.createServer(toNodeListener(hooks, MemoryStore.layer())).listen(3000)
 * ```
 */
export const provider = (options: Options): Provider.Provider<Event, Payload> =>
  Provider.make<Event, Payload>({
    name,
    verify: verify(options),
    validate: Secret.resolve(options.secret, "Shopify client secret"),
    key,
    fingerprint,
    decode,
    ack,
    defaults
  })
