/**
 * EM (fw199 / Cheeli) order-audit and in-stock-audit notifications for hookline.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Em from "./Em.ts"
