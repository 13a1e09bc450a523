/**
 * The provider author's toolkit: everything a platform's protocol is built from — `Provider.make`,
 * signature helpers (`Signing`, `SignForm`, `CanonicalString`), lossless parsers (`LosslessJson`,
 * `FormUrlEncoded`), time checks (`Timestamp`, `LocalDateTime`), configuration (`Secret`), the
 * platform's answers (`AckPolicy`, `Ack`), a sign-form doctor (`SignDoctor`) and the typed errors.
 * See docs/writing-a-provider.md.
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
export * as AckPolicy from "./AckPolicy.ts"

/**
 * @since 0.1.0
 */
export * as CanonicalString from "./CanonicalString.ts"

/**
 * @since 0.1.0
 */
export * as DeliveryError from "./DeliveryError.ts"

/**
 * @since 0.1.0
 */
export * as FormUrlEncoded from "./FormUrlEncoded.ts"

/**
 * @since 0.1.0
 */
export * as LocalDateTime from "./LocalDateTime.ts"

/**
 * @since 0.1.0
 */
export * as LosslessJson from "./LosslessJson.ts"

/**
 * @since 0.1.0
 */
export * as Provider from "./Provider.ts"

/**
 * @since 0.1.0
 */
export * as RawDelivery from "./RawDelivery.ts"

/**
 * @since 0.1.0
 */
export * as Secret from "./Secret.ts"

/**
 * @since 0.1.0
 */
export * as SignDoctor from "./SignDoctor.ts"

/**
 * @since 0.1.0
 */
export * as SignForm from "./SignForm.ts"

/**
 * @since 0.1.0
 */
export * as Signing from "./Signing.ts"

/**
 * @since 0.1.0
 */
export * as Timestamp from "./Timestamp.ts"

// The typed errors, importable directly for `Effect.catchTag` and `instanceof`.
export * from "./internal/errors.ts"
