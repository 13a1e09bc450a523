/**
 * Test helpers of `@hookline/provider-shopify`: deliveries signed the way Shopify signs them, and
 * sample bodies, for tests, the demo and benchmarks.
 *
 * ```ts
 * import * as ShopifyTesting from "@hookline/provider-shopify/testing"

 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = ShopifyTesting.sign({ topic: "orders/create", body: ShopifyTesting.samples["orders/create"], secret })
 * ```
 *
 * @since 0.1.0
 */
import { RawDelivery } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import { headers, mediaType, signature } from "./Provider.ts"

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /** `X-Shopify-Topic`: `orders/create`, … */
  readonly topic: string
  /**
   * The body: bytes or text sent as is, or a value serialised with `LosslessJson.stringify` (a
   * `bigint` is written as a bare JSON number).
   */
  readonly body: RawDelivery.BodyInput
  readonly secret: Redacted.Redacted<string>
  /** `X-Shopify-Event-Id`. Default: a random UUID. `null` leaves the header out. */
  readonly eventId?: string | null | undefined
  /** `X-Shopify-Webhook-Id`. Default: a random UUID. */
  readonly webhookId?: string | undefined
  /** `X-Shopify-Shop-Domain`. Default `hookline-test.myshopify.com`. */
  readonly shopDomain?: string | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

/**
 * A signed `RawDelivery` with Shopify's headers (`X-Shopify-Hmac-Sha256`, `X-Shopify-Topic`,
 * `X-Shopify-Shop-Domain`, `X-Shopify-Event-Id`, `X-Shopify-Webhook-Id`, `X-Shopify-API-Version`,
 * `X-Shopify-Triggered-At`, `Content-Type: application/json`).
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (input: SignInput): RawDelivery.RawDelivery => {
  const body = RawDelivery.bodyBytes(input.body)
  const eventId = input.eventId === undefined ? crypto.randomUUID() : input.eventId
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "content-type": mediaType,
      [headers.topic]: input.topic,
      [headers.shopDomain]: input.shopDomain ?? "hookline-test.myshopify.com",
      [headers.webhookId]: input.webhookId ?? crypto.randomUUID(),
      ...(eventId === null ? {} : { [headers.eventId]: eventId }),
      "x-shopify-api-version": "2025-07",
      // eslint-disable-next-line no-restricted-properties -- a synchronous test signer; not signed, not checked
      "x-shopify-triggered-at": new Date(Date.now()).toISOString(),
      [headers.signature]: signature(body, input.secret)
    },
    body
  })
}

const order = (extra: string) =>
  `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508",` +
  `"email":"jon@example.com","name":"#9999","currency":"USD","total_price":"403.00",` +
  `"subtotal_price":"393.00","financial_status":"paid",${extra}"created_at":"2021-12-31T19:00:00-05:00",` +
  `"updated_at":"2021-12-31T19:00:00-05:00","line_items":[{"id":866550311766439020,` +
  `"product_id":632910392,"title":"IPod Nano - 8GB","quantity":1,"price":"199.00"},` +
  `{"id":141249953214522974,"product_id":632910392,"title":"IPod Nano - 8GB","quantity":1,"price":"199.00"}]}`

const product = `{"id":788032119674292922,"title":"Example T-Shirt","handle":"example-t-shirt","status":"active",` +
  `"vendor":"Acme","updated_at":"2021-12-31T19:00:00-05:00","variants":[{"id":642667041472713922,` +
  `"title":"Small","price":"19.99","sku":"example-shirt-s"},{"id":757650484644203962,"title":"Medium",` +
  `"price":"19.99","sku":null}]}`

/**
 * Sample bodies (trimmed from Shopify's documented examples: ids beyond 2^53, money as decimal
 * strings), one per modelled topic, as the exact JSON text Shopify would send.
 *
 * @since 0.1.0
 * @category testing
 */
export const samples = {
  "orders/create": order(`"cancelled_at":null,"cancel_reason":null,`),
  "orders/updated": order(`"cancelled_at":null,"cancel_reason":null,`),
  "orders/paid": order(`"cancelled_at":null,"cancel_reason":null,`),
  "orders/cancelled": order(`"cancelled_at":"2021-12-31T19:00:00-05:00","cancel_reason":"customer",`),
  "products/create": product,
  "products/update": product,
  "products/delete": `{"id":788032119674292922}`,
  "app/uninstalled": `{"id":548380009,"name":"Super Toys","email":"super@supertoys.com",` +
    `"domain":"super.supertoys.com","myshopify_domain":"hookline-test.myshopify.com"}`
} as const
