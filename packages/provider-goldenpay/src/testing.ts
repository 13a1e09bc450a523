/**
 * Callbacks signed the way GoldenPay signs them, for tests, the demo and benchmarks:
 *
 * ```ts
 * import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ payed_amount: "99.99" }), secret)
 * ```
 *
 * @since 0.1.0
 */
import { LosslessJson, RawDelivery, SignForm } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { parse, type SignFormName, signForms } from "./Provider.ts"

/**
 * A body field for {@link sign}: text, a number or `bigint` (written as a bare JSON number), a
 * boolean, or `null`.
 *
 * @since 0.1.0
 * @category testing
 */
export type TestField = string | number | bigint | boolean | null

/**
 * A callback's body fields, `sign` aside.
 *
 * @since 0.1.0
 * @category testing
 */
export type TestFields = Readonly<Record<string, TestField>>

/**
 * A `RawDelivery` whose JSON body is `fields` plus `sign` (default sign form `"token-first"`).
 * Numbers and `bigint`s are written as bare JSON numbers and signed as written; `null` is sent as
 * `null` and left out of the signed string.
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (
  fields: TestFields,
  secret: Redacted.Redacted<string>,
  form?: SignForm.Input<SignFormName> | undefined
): RawDelivery.RawDelivery => {
  const { sign: _, ...unsigned } = fields
  // Sign what the receiver will read: the serialised fields parsed back with numbers as their
  // source text, exactly as verification sees them. No shape limits here: a test may sign a body
  // the receiver must refuse for its shape.
  const text = LosslessJson.stringify(unsigned)
  const params = Result.match(parse(RawDelivery.make({ body: text }), undefined), {
    onSuccess: (parsed) => parsed.fields,
    onFailure: () => ({})
  })
  const signature = SignForm.sign(SignForm.resolve(signForms, form), params, secret)
  return RawDelivery.make({
    method: "POST",
    url: "/",
    headers: { "content-type": "application/json" },
    body: new TextEncoder().encode(LosslessJson.stringify({ ...unsigned, sign: signature }))
  })
}

/**
 * The fields of a successful collect callback (`mch_id` 1001, 100.00 paid on 100.00), with
 * `overrides`; set a field to `null` to send it as `null`.
 *
 * @since 0.1.0
 * @category testing
 */
export const collect = (overrides?: TestFields): TestFields => ({
  id: "GP202605040001",
  trans_id: "ORDER-1001",
  mch_id: 1001,
  order_amount: "100.00",
  payed_amount: "100.00",
  channel: "PROMPTPAY",
  status: 60,
  created_at: "2026-05-04 10:05:00",
  payed_at: "2026-05-04 10:06:12",
  ...overrides
})

/**
 * The fields of a successful payout callback (`mch_id` 1001, 250.00), with `overrides`. Send
 * payouts to a `kind: "payout"` route: without a kind they are refused.
 *
 * @since 0.1.0
 * @category testing
 */
export const payout = (overrides?: TestFields): TestFields => ({
  id: "GP202605040002",
  trans_id: "PAYOUT-2001",
  mch_id: 1001,
  order_amount: "250.00",
  status: 60,
  created_at: "2026-05-04 11:00:00",
  payed_at: "2026-05-04 11:02:30",
  ...overrides
})
