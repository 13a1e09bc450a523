/**
 * `@hookline/provider-igv`: iGV seller order-status callbacks — HMAC-SHA256 over
 * `X-Timestamp + X-Request-Id + secret`, idempotent on `X-Request-Id`, bodies decoded losslessly into
 * `OrderPendingDelivery` / `UnknownStatus`, answered with the HTTP statuses iGV understands.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Igv from "./Igv.ts"
