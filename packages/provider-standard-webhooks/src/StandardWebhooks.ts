/**
 * Standard Webhooks (and Svix): the scheme (`Provider.ts`) and the events (`Events.ts`). Signed test
 * deliveries: `@hookline/provider-standard-webhooks/testing`.
 *
 * @since 0.1.0
 */
export * from "./Events.ts"
export * from "./Provider.ts"
