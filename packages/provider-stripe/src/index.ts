/**
 * `@hookline/provider-stripe`: Stripe webhook events — `Stripe-Signature` (`t=`, `v1=` HMAC-SHA256 over
 * `t.body`) verified against every secret, idempotent on the event id, typed events keyed by `type`
 * with exact amounts.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Stripe from "./Stripe.ts"
