/**
 * `@hookline/provider-standard-webhooks`: Standard Webhooks (and Svix) deliveries — HMAC-SHA256 over
 * `webhook-id.webhook-timestamp.body` with the `whsec_` key's bytes, any of several `v1,` signatures,
 * idempotent on `webhook-id`, the body decoded losslessly and keyed by its `type`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as StandardWebhooks from "./StandardWebhooks.ts"
