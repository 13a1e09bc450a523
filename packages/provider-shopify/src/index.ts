/**
 * `@hookline/provider-shopify`: Shopify webhooks — `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of
 * the raw body), idempotent on `X-Shopify-Event-Id` (else `X-Shopify-Webhook-Id`), the common topics
 * typed (checked against the signed body; ids exact, money as decimal strings), every other topic
 * acknowledged as `Unknown`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Shopify from "./Shopify.ts"
