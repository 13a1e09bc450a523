/**
 * @since 0.1.0
 */

/**
 * The in-process idempotency store.
 *
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.ts"

/**
 * The in-process dead-letter store.
 *
 * @since 0.1.0
 */
export * as MemoryDeadLetterStore from "./MemoryDeadLetterStore.ts"
