/**
 * Test helpers of `@hookline/provider-stripe`: events signed the way Stripe signs them (the same
 * header as `stripe.webhooks.generateTestHeaderString`), for tests, the demo and benchmarks.
 *
 * ```ts
 * import * as StripeTesting from "@hookline/provider-stripe/testing"

 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = StripeTesting.sign({ body: StripeTesting.exampleBody, secret })
 * ```
 *
 * @since 0.1.0
 */
import { RawDelivery } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import { signature, signatureHeader } from "./Provider.ts"

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /** Bytes or text sent as is, or a value serialised with `LosslessJson.stringify`. */
  readonly body: RawDelivery.BodyInput
  /** The endpoint secret, `whsec_…`. */
  readonly secret: Redacted.Redacted<string>
  /** `t=` in Unix seconds. Default: now. */
  readonly timestamp?: number | undefined
  /** More secrets whose `v1=` follow the first (Stripe during a secret roll). */
  readonly alsoSignWith?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

/**
 * A signed `RawDelivery`: `Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=<hex>…]`; the timestamp
 * defaults to the wall clock.
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (input: SignInput): RawDelivery.RawDelivery => {
  const body = RawDelivery.bodyBytes(input.body)
  // A synchronous test signer stamps wall-clock "now" (pass `timestamp` to control it).
  // eslint-disable-next-line no-restricted-properties
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000))
  const v1 = [input.secret, ...(input.alsoSignWith ?? [])].map((secret) =>
    `v1=${signature({ timestamp, body, secret })}`
  )
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "content-type": "application/json; charset=utf-8",
      [signatureHeader]: [`t=${timestamp}`, ...v1].join(",")
    },
    body
  })
}

/**
 * A Stripe event body (`payment_intent.succeeded`, trimmed) with the given id and amount; the
 * amount is written as bare JSON digits, so one beyond 2^53 tests exactness. `pendingWebhooks`
 * (default 1) is the live counter Stripe writes into each attempt.
 *
 * @since 0.1.0
 * @category testing
 */
export const eventBody = (input: {
  readonly id?: string | undefined
  readonly type?: string | undefined
  readonly amount?: bigint | undefined
  readonly pendingWebhooks?: number | undefined
}): string =>
  `{"id":"${input.id ?? "evt_3MtwBwLkdIwHu7ix0sNfqKdC"}","object":"event","api_version":"2024-06-20",` +
  `"created":1680064028,"livemode":false,"pending_webhooks":${input.pendingWebhooks ?? 1},"type":"${
    input.type ?? "payment_intent.succeeded"
  }",` +
  `"request":{"id":null,"idempotency_key":null},"data":{"object":{"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa",` +
  `"object":"payment_intent","amount":${input.amount ?? 2000n},"amount_received":${input.amount ?? 2000n},` +
  `"currency":"usd","status":"succeeded","customer":null,"metadata":{"order":"6735"}}}}`

/**
 * The `payment_intent.succeeded` example body ({@link eventBody} with its defaults).
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleBody = eventBody({})
