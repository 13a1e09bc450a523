/**
 * `@hookline/store-sql`: the idempotency store on Effect SQL (`effect/sql`), PostgreSQL tested.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as SqlStore from "./SqlStore.ts"

/**
 * The dead-letter store on PostgreSQL.
 *
 * @since 0.1.0
 */
export * as SqlDeadLetterStore from "./SqlDeadLetterStore.ts"
