/**
 * Test helpers of `@hookline/provider-standard-webhooks`: deliveries signed the way the spec (and
 * the `standardwebhooks` / Svix libraries) sign them, for tests, the demo and benchmarks.
 *
 * ```ts
 * import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"

 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = StandardWebhooksTesting.sign({ body: StandardWebhooksTesting.exampleBody, secret })
 * ```
 *
 * @since 0.1.0
 */
import { Hmac } from "@hookline/core"
import { RawDelivery, Signing } from "@hookline/core/provider"
import * as Redacted from "effect/Redacted"
import { headers } from "./Provider.ts"

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /** Bytes or text sent as is, or a value serialised with `LosslessJson.stringify`. */
  readonly body: RawDelivery.BodyInput
  /** `whsec_<base64>` (or the bare base64). */
  readonly secret: Redacted.Redacted<string>
  /** `webhook-id`. Default: a random `msg_…` id. */
  readonly id?: string | undefined
  /** `webhook-timestamp` in Unix seconds. Default: now. */
  readonly timestamp?: number | undefined
  /**
   * More secrets to sign with, their signatures listed after the first in `webhook-signature` (the
   * sender's side of a key rotation).
   */
  readonly alsoSignWith?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

const options = (secret: Redacted.Redacted<string>) =>
  ({
    secret,
    secretEncoding: "whsec",
    header: headers.signature,
    prefix: "v1,",
    encoding: "base64",
    idHeader: headers.id,
    timestampHeader: headers.timestamp,
    signedContent: "id.timestamp.body"
  }) as const

/**
 * A signed `RawDelivery` with the spec's three headers; the timestamp defaults to the wall clock.
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (input: SignInput): RawDelivery.RawDelivery => {
  const body = RawDelivery.bodyBytes(input.body)
  const id = input.id ?? `msg_${Signing.encode(crypto.getRandomValues(new Uint8Array(16)), "hex")}`
  const signed = [input.secret, ...(input.alsoSignWith ?? [])].map((secret) =>
    Hmac.testing.sign(options(secret), { body, id, timestamp: input.timestamp, url: input.url })
  )
  const first = signed[0]!
  return RawDelivery.make({
    method: first.method,
    url: first.url,
    headers: {
      ...first.headers,
      [headers.signature]: signed.map((raw) => raw.headers[headers.signature]).join(" ")
    },
    body
  })
}

/**
 * A random secret in the spec's form, `whsec_` + base64 of 24 random bytes.
 *
 * @since 0.1.0
 * @category testing
 */
export const randomSecret = (): Redacted.Redacted<string> =>
  Redacted.make(`whsec_${Signing.encode(crypto.getRandomValues(new Uint8Array(24)), "base64")}`)

/**
 * A body in the spec's recommended shape, with an id beyond 2^53 inside `data`.
 *
 * @since 0.1.0
 * @category testing
 */
export const exampleBody =
  `{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":9007199254740993,` +
  `"email":"john@example.com"}}`
