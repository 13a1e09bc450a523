/**
 * Test helpers of `@hookline/provider-igv`: deliveries signed the way iGV signs them, for tests, the
 * demo and benchmarks.
 *
 * ```ts
 * import * as IgvTesting from "@hookline/provider-igv/testing"

 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret })
 * ```
 *
 * @since 0.1.0
 */
import { LosslessJson, RawDelivery } from "@hookline/core/provider"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { mediaType, signature } from "./Provider.ts"

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /**
   * The body: bytes or text sent as is, or a value serialised with `LosslessJson.stringify` (a
   * `bigint` such as `9007199254740993n` is written as a bare JSON number).
   */
  readonly body: Uint8Array | string | LosslessJson.Json
  readonly secret: Redacted.Redacted<string>
  /** `X-Request-Id`. Default: a random 19-digit id, like iGV's. */
  readonly requestId?: string | undefined
  /** `X-Timestamp` in Unix milliseconds. Default: now. */
  readonly timestamp?: number | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

const encoder = new TextEncoder()

const randomRequestId = (): string => {
  const [n] = crypto.getRandomValues(new BigUint64Array(1))
  return String(10n ** 18n + (n ?? 0n) % (9n * 10n ** 18n))
}

const signAt = (input: SignInput, now: number): RawDelivery.RawDelivery => {
  const body = input.body instanceof Uint8Array
    ? input.body
    : encoder.encode(typeof input.body === "string" ? input.body : LosslessJson.stringify(input.body))
  const requestId = input.requestId ?? randomRequestId()
  const timestamp = String(input.timestamp ?? now)
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "Content-Type": mediaType,
      "X-Request-Id": requestId,
      "X-Timestamp": timestamp,
      "X-Signature": signature({ timestamp, requestId, secret: input.secret })
    },
    body
  })
}

/**
 * A signed `RawDelivery`; the timestamp defaults to the wall clock (use it with real HTTP servers;
 * under `TestClock` use {@link signWithClock}).
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (input: SignInput): RawDelivery.RawDelivery => signAt(input, Date.now()) // eslint-disable-line no-restricted-properties -- a synchronous signer for real servers

/**
 * The same as {@link sign}, with the timestamp from Effect's `Clock` (use it under `TestClock`).
 *
 * @since 0.1.0
 * @category testing
 */
export const signWithClock = (input: SignInput): Effect.Effect<RawDelivery.RawDelivery> =>
  Effect.map(Clock.currentTimeMillis, (now) => signAt(input, now))

/**
 * The body of the docs' example callback (`sellerOrderStatus` 1), as iGV sends it.
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleBody = `{"createdAt":"2025-12-17T13:44:16","orderId":1689644928115784,` +
  `"orderNum":"SO1689644928115784","sellerOrderStatus":1,"buyerId":"1907369850568257537"}`
