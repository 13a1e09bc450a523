/**
 * `@hookline/store-redis`: the Redis idempotency store, for exactly-once handling across processes
 * and hosts sharing one Redis.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as RedisStore from "./RedisStore.ts"

/**
 * The dead-letter store on Redis.
 *
 * @since 0.1.0
 */
export * as RedisDeadLetterStore from "./RedisDeadLetterStore.ts"
