/**
 * `@hookline/provider-goldenpay`: GoldenPay (Thailand) collect and payout order callbacks — MD5
 * `sign` in the JSON body under a configurable sign form (default token-first) with a sign doctor,
 * idempotent on kind + order id + status, amounts decoded to exact decimals, answered with the
 * plain-text `success` GoldenPay expects.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as GoldenPay from "./GoldenPay.ts"
