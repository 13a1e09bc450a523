/**
 * How outcomes become responses. Each provider carries an `AckPolicy` that speaks its platform's
 * language: an HTTP status for most, a literal body such as `success` or `SUCCESS` for payment
 * gateways. Only `Processed` and `Duplicate` may produce the platform's "ok" (rule zero); every
 * built-in policy guarantees it and tests check it.
 *
 * @since 0.1.0
 */
import * as Ack from "./Ack.ts"
import type { Failure, Rejection } from "./DeliveryError.ts"
import * as Outcome from "./Outcome.ts"

/**
 * Turns an outcome into the response the platform understands.
 *
 * @since 0.1.0
 * @category models
 */
export type AckPolicy = (outcome: Outcome.Outcome) => Ack.Ack

/**
 * What a status can be chosen for: the acknowledged and in-flight outcomes, and every rejection and
 * failure reason.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusKey = "Processed" | "Duplicate" | "InFlight" | Rejection["_tag"] | Failure["_tag"]

/**
 * The default HTTP statuses: 200 for acknowledged outcomes; 4xx for rejections (401 for signature
 * and timestamp, 400 malformed, 405 method, 409 payload mismatch, 413 too large, 415 media type);
 * 5xx for failures (500 handler/decode/body/configuration, 503 in-flight, store and time budget).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultStatuses: Readonly<Record<StatusKey, number>> = {
  Processed: 200,
  Duplicate: 200,
  InFlight: 503,
  SignatureInvalid: 401,
  TimestampOutOfTolerance: 401,
  MalformedDelivery: 400,
  BodyTooLarge: 413,
  UnsupportedMediaType: 415,
  PayloadMismatch: 409,
  MethodNotAllowed: 405,
  DecodeFailed: 500,
  HandlerFailed: 500,
  StoreUnavailable: 503,
  TimedOut: 503,
  BodyUnavailable: 500,
  Misconfigured: 500
}

/**
 * Options shared by the built-in policies.
 *
 * @since 0.1.0
 * @category models
 */
export interface StatusOptions {
  /** Overrides of {@link defaultStatuses}. An acknowledged outcome must keep a 2xx status. */
  readonly statuses?: Partial<Record<StatusKey, number>> | undefined
}

/**
 * The status for an outcome under the given overrides.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusOf = (outcome: Outcome.Outcome, options?: StatusOptions): number => {
  const key: StatusKey = outcome._tag === "Rejected" || outcome._tag === "Failed" ? outcome.reason._tag : outcome._tag
  return options?.statuses?.[key] ?? defaultStatuses[key]
}

// `Retry-After` on answers that mean "try again soon" helps platforms that honour it.
const retryHeaders = (outcome: Outcome.Outcome): Record<string, string> | undefined =>
  outcome._tag === "InFlight" || (outcome._tag === "Failed" && outcome.reason._tag === "StoreUnavailable")
    ? { "retry-after": "5" }
    : undefined

/**
 * A policy for platforms that only look at the HTTP status (2xx = delivered). The body is a small
 * JSON document naming the outcome and reason, useful in the platform's delivery logs; it never
 * carries error details beyond the tag.
 *
 * @since 0.1.0
 * @category constructors
 */
export const status = (options?: StatusOptions): AckPolicy => {
  // The answer depends only on the outcome and reason tags: build each one once.
  const answers = new Map<string, Ack.Ack>()
  return (outcome) => {
    const reason = Outcome.reasonTag(outcome)
    const id = reason === undefined ? outcome._tag : `${outcome._tag}/${reason}`
    let ack = answers.get(id)
    if (ack === undefined) {
      ack = Ack.json(
        statusOf(outcome, options),
        reason === undefined ? { outcome: outcome._tag } : { outcome: outcome._tag, reason },
        retryHeaders(outcome)
      )
      answers.set(id, ack)
    }
    return ack
  }
}

/**
 * Options of {@link text}.
 *
 * @since 0.1.0
 * @category models
 */
export interface TextOptions extends StatusOptions {
  /** The body the platform reads as "delivered", e.g. `success`. */
  readonly ok: string
  /** The body for every other outcome, e.g. `fail`. Must differ from `ok`. */
  readonly fail: string
}

/**
 * A policy for platforms that read a literal body (`success`, `SUCCESS`, `OK`): `ok` with 200 for
 * acknowledged outcomes, `fail` with the outcome's 4xx/5xx status otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (options: TextOptions): AckPolicy => (outcome) =>
  Ack.text(
    statusOf(outcome, options),
    Outcome.isAcknowledged(outcome) ? options.ok : options.fail,
    retryHeaders(outcome)
  )
