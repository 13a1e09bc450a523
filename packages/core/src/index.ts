/**
 * hookline core, the user API: `defineHandler` and `route`, outcomes, the typed errors, the generic
 * `Hmac` provider and the idempotency store service. Adapters live in the subpaths
 * `@hookline/core/node`, `@hookline/core/web` and `@hookline/core/http`; test helpers in
 * `@hookline/core/testing` and the store conformance suite in `@hookline/core/testing/vitest`; the provider author's toolkit (`Provider`,
 * `Signing`, `SignForm`, `LosslessJson`, …) in `@hookline/core/provider`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Ack from "./Ack.ts"

/**
 * @since 0.1.0
 */
export * as DeliveryError from "./DeliveryError.ts"

/**
 * Failed authentic deliveries, kept with their exact request for replay.
 *
 * @since 0.1.0
 */
export * as DeadLetterStore from "./DeadLetterStore.ts"

/**
 * Replays dead letters through the same pipeline.
 *
 * @since 0.1.0
 */
export * as DeadLetters from "./DeadLetters.ts"

/**
 * @since 0.1.0
 */
export * as Hmac from "./Hmac.ts"

/**
 * @since 0.1.0
 */
export * as IdempotencyStore from "./IdempotencyStore.ts"

/**
 * @since 0.1.0
 */
export * as Outcome from "./Outcome.ts"

/**
 * @since 0.1.0
 */
export * as RawDelivery from "./RawDelivery.ts"

/**
 * @since 0.1.0
 */
export * as Routes from "./Routes.ts"

/**
 * @since 0.1.0
 */
export * as WebhookHandler from "./WebhookHandler.ts"

// The two entry points of every program, importable directly (`import { defineHandler, route }`).
export {
  /**
   * @since 0.1.0
   * @category constructors
   */
  route
} from "./Routes.ts"
export {
  /**
   * @since 0.1.0
   * @category constructors
   */
  defineHandler
} from "./WebhookHandler.ts"

// The typed errors, importable directly for `Effect.catchTag` and `instanceof`.
export * from "./internal/errors.ts"
