/**
 * Test helpers: notifications signed the way EM signs them, for tests, the demo and benchmarks.
 *
 * ```ts
 * import * as EmTesting from "@hookline/provider-em/testing"
 * declare const appId: string
 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = EmTesting.sign({ appId, secret, requestData: EmTesting.exampleRequestData, encoding: "form" })
 * ```
 *
 * @since 0.1.0
 */
import { LosslessJson, RawDelivery, SignForm } from "@hookline/core/provider"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { type Format, signedParams, type SignFormName, signForms } from "./Provider.ts"

/**
 * Input of {@link signature}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignatureInput {
  readonly appId: string
  /** The exact `request_data` string. */
  readonly requestData: string
  /** Unix seconds, as sent. */
  readonly timestamp: string
  readonly secret: Redacted.Redacted<string>
  /** Default `wrap`. */
  readonly signForm?: SignForm.Input<SignFormName> | undefined
}

/**
 * The `sign` EM computes for a notification, in the form's output case. For test deliveries and for
 * checking a capture by hand; verification never compares with this string (it compares bytes in
 * constant time).
 *
 * @since 0.1.0
 * @category testing
 */
export const signature = (input: SignatureInput): string =>
  SignForm.sign(
    SignForm.resolve(signForms, input.signForm),
    signedParams(input.appId, input.requestData, input.timestamp),
    input.secret
  )

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  readonly appId: string
  readonly secret: Redacted.Redacted<string>
  /**
   * `request_data`: a string sent (and signed) as is, or a value serialised with
   * `LosslessJson.stringify` (a `bigint` becomes a bare JSON number).
   */
  readonly requestData: string | LosslessJson.Json
  /** `timestamp` in Unix seconds. Default: now. */
  readonly timestamp?: number | string | undefined
  /** `"json"`: a JSON object body; `"form"`: `application/x-www-form-urlencoded`. */
  readonly encoding: Format
  /** Default `wrap`. */
  readonly signForm?: SignForm.Input<SignFormName> | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

const signAt = (input: SignInput, nowMillis: number): RawDelivery.RawDelivery => {
  const requestData = typeof input.requestData === "string"
    ? input.requestData
    : LosslessJson.stringify(input.requestData)
  const timestamp = String(input.timestamp ?? Math.floor(nowMillis / 1000))
  const sign = signature({ ...input, requestData, timestamp })
  const fields = { appid: input.appId, request_data: requestData, timestamp, sign }
  const json = input.encoding === "json"
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: { "Content-Type": json ? "application/json" : "application/x-www-form-urlencoded" },
    body: json ? JSON.stringify(fields) : new URLSearchParams(fields).toString()
  })
}

/**
 * A signed notification; the timestamp defaults to the wall clock (use it with real HTTP servers).
 *
 * @since 0.1.0
 * @category testing
 */
// A synchronous test signer stamps wall-clock "now"; `signWithClock` follows Effect's Clock.
// eslint-disable-next-line no-restricted-properties
export const sign = (input: SignInput): RawDelivery.RawDelivery => signAt(input, Date.now())

/**
 * {@link sign} with the timestamp from Effect's `Clock` (use it under `TestClock`).
 *
 * @since 0.1.0
 * @category testing
 */
export const signWithClock = (input: SignInput): Effect.Effect<RawDelivery.RawDelivery> =>
  Effect.map(Clock.currentTimeMillis, (now) => signAt(input, now))

/**
 * The `request_data` of the docs' example order-audit notification (`trade_status` 2, message
 * "审核通过"), exactly as EM sends it.
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleRequestData =
  `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD202409250002","trade_status":2,"message":"审核通过"}`
