/**
 * Stripe webhook events: the scheme (`Provider.ts`) and the events (`Events.ts`). Signed test
 * deliveries: `@hookline/provider-stripe/testing`.
 *
 * @since 0.1.0
 */
export * from "./Events.ts"
export * from "./Provider.ts"
