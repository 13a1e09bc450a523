/**
 * The typed errors, importable directly (`import { SignatureInvalid } from "@hookline/core"`) for
 * `Effect.catchTag` and `instanceof`; re-exported by the root and by `@hookline/core/provider`.
 *
 * @since 0.1.0
 */
export {
  /**
   * @since 0.1.0
   * @category errors
   */
  BodyTooLarge,
  /**
   * @since 0.1.0
   * @category errors
   */
  BodyUnavailable,
  /**
   * @since 0.1.0
   * @category errors
   */
  DecodeFailed,
  /**
   * @since 0.1.0
   * @category errors
   */
  HandlerFailed,
  /**
   * @since 0.1.0
   * @category errors
   */
  MalformedDelivery,
  /**
   * @since 0.1.0
   * @category errors
   */
  MethodNotAllowed,
  /**
   * @since 0.1.0
   * @category errors
   */
  Misconfigured,
  /**
   * @since 0.1.0
   * @category errors
   */
  PayloadMismatch,
  /**
   * @since 0.1.0
   * @category errors
   */
  SignatureInvalid,
  /**
   * @since 0.1.0
   * @category errors
   */
  StoreUnavailable,
  /**
   * @since 0.1.0
   * @category errors
   */
  TimedOut,
  /**
   * @since 0.1.0
   * @category errors
   */
  TimestampOutOfTolerance,
  /**
   * @since 0.1.0
   * @category errors
   */
  UnsupportedMediaType
} from "../DeliveryError.ts"
