/**
 * The typed errors of the delivery pipeline.
 *
 * Two families: a **rejection** says the request is not an authentic, well-formed delivery (answered
 * with a 4xx, never processed); a **failure** says an authentic delivery could not be processed now
 * (answered with a 5xx so the platform retries, never acknowledged). Every class has a `_tag`, so
 * user code can `Effect.catchTag` them and tests can assert on them.
 *
 * Messages never contain a secret: they describe what was wrong with the request, not what it was
 * compared against.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

/**
 * The signature is missing, malformed, or matches none of the configured secrets.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureInvalid extends Schema.TaggedError<SignatureInvalid>()("SignatureInvalid", {
  message: Schema.String
}) {}

/**
 * The delivery's timestamp lies outside the accepted window (too old, or too far in the future).
 *
 * @since 0.1.0
 * @category errors
 */
export class TimestampOutOfTolerance extends Schema.TaggedError<TimestampOutOfTolerance>()(
  "TimestampOutOfTolerance",
  {
    message: Schema.String,
    /** The timestamp as received. */
    timestamp: Schema.String,
    /** Receiver clock minus sender clock, in milliseconds (positive: the delivery is in the past). */
    skewMillis: Schema.Number
  }
) {}

/**
 * The request is not a well-formed delivery: a required header or field is missing, the body is not
 * valid JSON / UTF-8 / form data, and so on.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedDelivery extends Schema.TaggedError<MalformedDelivery>()("MalformedDelivery", {
  message: Schema.String
}) {}

/**
 * The body is larger than the handler's body limit. Adapters stop reading at the limit.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyTooLarge extends Schema.TaggedError<BodyTooLarge>()("BodyTooLarge", {
  message: Schema.String,
  limit: Schema.Number
}) {}

/**
 * The request's `Content-Type` is not one the provider accepts.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", {
  message: Schema.String,
  contentType: Schema.String
}) {}

/**
 * An idempotency key was seen before with a different fingerprint: not a retry of the same
 * delivery but a different payload reusing its key (a replay attack where the body is not signed,
 * or a platform bug). Rejected and logged.
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadMismatch extends Schema.TaggedError<PayloadMismatch>()("PayloadMismatch", {
  message: Schema.String,
  key: Schema.String
}) {}

/**
 * The HTTP method is not one the provider's platform uses (webhooks are `POST`).
 *
 * @since 0.1.0
 * @category errors
 */
export class MethodNotAllowed extends Schema.TaggedError<MethodNotAllowed>()("MethodNotAllowed", {
  message: Schema.String,
  method: Schema.String
}) {}

/**
 * An authentic delivery whose payload does not match the provider's schema. Answered with a 5xx so
 * the platform retries: a schema fix deployed before the last retry still processes it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeFailed extends Schema.TaggedError<DecodeFailed>()("DecodeFailed", {
  message: Schema.String
}) {}

/**
 * The user's handler failed (or died). The claim was released, so the platform's retry runs the
 * handler again.
 *
 * @since 0.1.0
 * @category errors
 */
export class HandlerFailed<out E = unknown> extends Data.TaggedError("HandlerFailed")<{
  readonly message: string
  /** The handler's typed error, or the defect when the handler died. */
  readonly error: E
  /** `true` when the handler died (a defect) rather than failing with a typed error. */
  readonly defect: boolean
}> {}

/**
 * The idempotency store could not be reached or answered an error. The pipeline answers "retry":
 * without the store it cannot know whether the delivery was already processed.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The handler did not finish within the time budget (the platform's response deadline). It keeps
 * running in the background and records its completion, so the platform's retry is answered as a
 * duplicate; or it ran past its lease and was interrupted and released.
 *
 * @since 0.1.0
 * @category errors
 */
export class TimedOut extends Schema.TaggedError<TimedOut>()("TimedOut", {
  message: Schema.String,
  budgetMillis: Schema.Number
}) {}

/**
 * The raw body bytes are not available: typically a JSON body parser (e.g. `express.json()`)
 * consumed and re-serialised the request before hookline saw it, so the signature cannot be checked
 * over the bytes the platform sent. A server configuration problem, answered with a 5xx so nothing
 * is lost once it is fixed.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyUnavailable extends Schema.TaggedError<BodyUnavailable>()("BodyUnavailable", {
  message: Schema.String
}) {}

/**
 * The provider's or store's configuration is missing or invalid (e.g. a `Config.Redacted` secret
 * whose environment variable is missing, an invalid table name). Answered with a 5xx so nothing is
 * lost once it is fixed.
 *
 * @since 0.1.0
 * @category errors
 */
export class Misconfigured extends Schema.TaggedError<Misconfigured>()("Misconfigured", {
  message: Schema.String
}) {}

/**
 * Why a request was rejected as not an authentic, well-formed delivery (answered 4xx).
 *
 * @since 0.1.0
 * @category models
 */
export type Rejection =
  | SignatureInvalid
  | TimestampOutOfTolerance
  | MalformedDelivery
  | BodyTooLarge
  | UnsupportedMediaType
  | PayloadMismatch
  | MethodNotAllowed

/**
 * Why an authentic delivery could not be processed now (answered 5xx, never acknowledged).
 *
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | DecodeFailed
  | HandlerFailed<unknown>
  | StoreUnavailable
  | TimedOut
  | BodyUnavailable
  | Misconfigured

const rejectionTags: ReadonlySet<string> = new Set<Rejection["_tag"]>([
  "SignatureInvalid",
  "TimestampOutOfTolerance",
  "MalformedDelivery",
  "BodyTooLarge",
  "UnsupportedMediaType",
  "PayloadMismatch",
  "MethodNotAllowed"
])

/**
 * Tells a rejection (4xx) from a failure (5xx).
 *
 * @since 0.1.0
 * @category guards
 */
export const isRejection = (error: Rejection | Failure): error is Rejection => rejectionTags.has(error._tag)
