/**
 * The typed result of one delivery. Every path through the pipeline ends in exactly one `Outcome`,
 * which the provider's `AckPolicy` turns into the response the platform understands.
 *
 * | outcome     | meaning                                               | acknowledged? |
 * |-------------|-------------------------------------------------------|---------------|
 * | `Processed` | the handler succeeded and completion was recorded      | yes           |
 * | `Duplicate` | the key was already completed                          | yes           |
 * | `InFlight`  | the same key is being handled right now elsewhere      | no (retry)    |
 * | `Rejected`  | not an authentic, well-formed delivery (4xx)           | no            |
 * | `Failed`    | authentic, but could not be processed now (5xx)        | no (retry)    |
 *
 * Rule zero: only `Processed` and `Duplicate` are acknowledged.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { Failure, Rejection } from "./DeliveryError.ts"

/**
 * The result of one delivery.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  /** The handler succeeded and the completion was recorded. */
  Processed: { readonly key: string; readonly eventTag: string | undefined }
  /** The key was already completed with the same fingerprint: a retry of a processed delivery. */
  Duplicate: { readonly key: string }
  /** Another claim on the same key is being handled right now; the platform should retry later. */
  InFlight: { readonly key: string }
  /** The request is not an authentic, well-formed delivery. */
  Rejected: { readonly key: string | undefined; readonly reason: Rejection }
  /** An authentic delivery that could not be processed now. Never acknowledged. */
  Failed: { readonly key: string | undefined; readonly reason: Failure }
}>

const { $is, $match, Duplicate, Failed, InFlight, Processed, Rejected } = Data.taggedEnum<Outcome>()

export {
  /**
   * Refines an outcome by tag: `Outcome.$is("Processed")(outcome)`.
   *
   * @since 0.1.0
   * @category guards
   */
  $is,
  /**
   * Exhaustive match over the outcome tags.
   *
   * @since 0.1.0
   * @category pattern matching
   */
  $match,
  /**
   * @since 0.1.0
   * @category constructors
   */
  Duplicate,
  /**
   * @since 0.1.0
   * @category constructors
   */
  Failed,
  /**
   * @since 0.1.0
   * @category constructors
   */
  InFlight,
  /**
   * @since 0.1.0
   * @category constructors
   */
  Processed,
  /**
   * @since 0.1.0
   * @category constructors
   */
  Rejected
}

/**
 * Whether the outcome is acknowledged to the platform (rule zero: only `Processed` and `Duplicate`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isAcknowledged = (outcome: Outcome): boolean =>
  outcome._tag === "Processed" || outcome._tag === "Duplicate"

/**
 * A short label for logs, metrics and tables: the outcome tag, plus the reason for rejections and
 * failures (e.g. `Rejected(SignatureInvalid)`).
 *
 * @since 0.1.0
 * @category utils
 */
export const label = (outcome: Outcome): string =>
  outcome._tag === "Rejected" || outcome._tag === "Failed"
    ? `${outcome._tag}(${outcome.reason._tag})`
    : outcome._tag

/**
 * The reason tag of a rejection or failure, or `undefined` for the other outcomes.
 *
 * @since 0.1.0
 * @category utils
 */
export const reasonTag = (outcome: Outcome): string | undefined =>
  outcome._tag === "Rejected" || outcome._tag === "Failed" ? outcome.reason._tag : undefined
