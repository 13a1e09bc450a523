/**
 * What `hookline send` signs: for each bundled provider, the environment variables holding its
 * secret (the ones the reference receiver reads), the event names it has samples for, and a signer
 * built on the provider's own test helpers (`<provider>/testing`) — so a sample is signed exactly
 * as the provider verifies it.
 */
import { Hmac, type RawDelivery } from "@hookline/core"
import { LosslessJson } from "@hookline/core/provider"
import * as EmTesting from "@hookline/provider-em/testing"
import * as GitHubTesting from "@hookline/provider-github/testing"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as IgvTesting from "@hookline/provider-igv/testing"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { hmacOptions } from "../Receiver.ts"

/** The bundled providers, by the name `send` takes (and the reference receiver's route, `/<name>`). */
export const providerNames = [
  "hmac",
  "igv",
  "goldenpay",
  "em",
  "standard-webhooks",
  "stripe",
  "github",
  "shopify"
] as const

export type ProviderName = typeof providerNames[number]

/** What the user asked for: each unset field takes the sample's default. */
export interface SampleInput {
  readonly event: string | undefined
  readonly id: string | undefined
  /** The exact bytes to sign instead of the sample body. */
  readonly body: Uint8Array | undefined
  /** The request path (the delivery's `url`). */
  readonly path: string
}

/** The secrets a signer gets: each of its `variables`, present and non-empty. */
export type Secrets = Readonly<Record<string, Redacted.Redacted<string>>>

export interface Sample {
  /** The environment variables the signer needs (the reference receiver's). */
  readonly variables: ReadonlyArray<string>
  /** The event names with a sample body; the first is the default. Empty: the platform has none. */
  readonly events: ReadonlyArray<string>
  /** Where the delivery id lives: a header (any body), or a field of the sample body. */
  readonly id: "header" | "body"
  /** Signs the delivery, or says why the input cannot be signed. */
  readonly sign: (secrets: Secrets, input: SampleInput) => Result.Result<RawDelivery.RawDelivery, string>
}

const decoder = new TextDecoder()

const randomDigits = (length: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => String(byte % 10)).join("")

const randomHex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("")

const secret = (secrets: Secrets, name: string): Redacted.Redacted<string> => secrets[name] ?? Redacted.make("")

// A JSON string literal's contents (the samples interpolate ids and event names into JSON text).
const jsonText = (value: string): string => JSON.stringify(value).slice(1, -1)

const unknownEvent = (provider: string, event: string, events: ReadonlyArray<string>): string =>
  `${provider} has no sample for event "${event}" (samples: ${events.join(", ")}); pass --body <file> to send your own`

/** The samples, one per bundled provider. */
export const samples: Readonly<Record<ProviderName, Sample>> = {
  hmac: {
    variables: ["HMAC_SECRET"],
    events: ["order.paid"],
    id: "header",
    sign: (secrets, input) => {
      const id = input.id ?? `evt_${randomHex(8)}`
      const body = input.body ??
        `{"type":"${jsonText(input.event ?? "order.paid")}","orderId":"1001","amount":"100.00"}`
      return Result.succeed(
        Hmac.testing.sign(hmacOptions(secret(secrets, "HMAC_SECRET")), { body, id, url: input.path })
      )
    }
  },
  igv: {
    variables: ["IGV_SECRET"],
    events: [],
    id: "header",
    sign: (secrets, input) =>
      Result.succeed(IgvTesting.sign({
        body: input.body ?? IgvTesting.exampleBody,
        secret: secret(secrets, "IGV_SECRET"),
        requestId: input.id,
        url: input.path
      }))
  },
  goldenpay: {
    variables: ["GOLDENPAY_SECRET"],
    events: ["collect", "payout"],
    id: "body",
    sign: (secrets, input) => {
      const token = secret(secrets, "GOLDENPAY_SECRET")
      if (input.body !== undefined) {
        // The sign covers the body's fields, so the capture's own fields are signed as they are.
        const fields = parseFields(decoder.decode(input.body))
        return Result.map(fields, (fields) => GoldenPayTesting.sign(fields, token)).pipe(
          Result.map((raw) => ({ ...raw, url: input.path }))
        )
      }
      const event = input.event ?? "collect"
      if (event !== "collect" && event !== "payout") {
        return Result.fail(unknownEvent("goldenpay", event, ["collect", "payout"]))
      }
      const id = input.id ?? `GP${randomDigits(12)}`
      const fields = event === "collect" ? GoldenPayTesting.collect({ id }) : GoldenPayTesting.payout({ id })
      return Result.succeed({ ...GoldenPayTesting.sign(fields, token), url: input.path })
    }
  },
  em: {
    variables: ["EM_APP_ID", "EM_APP_SECRET"],
    events: ["OUT_TRADE_AUDIT", "IN_STOCK_AUDIT"],
    id: "body",
    sign: (secrets, input) => {
      const sign = (requestData: string) =>
        EmTesting.sign({
          appId: Redacted.value(secret(secrets, "EM_APP_ID")),
          secret: secret(secrets, "EM_APP_SECRET"),
          requestData,
          encoding: "json",
          url: input.path
        })
      // --body is the notification itself, `request_data`: signed into the envelope as it is.
      if (input.body !== undefined) return Result.succeed(sign(decoder.decode(input.body)))
      const event = input.event ?? "OUT_TRADE_AUDIT"
      if (event === "OUT_TRADE_AUDIT") {
        const id = jsonText(input.id ?? `DD${randomDigits(12)}`)
        return Result.succeed(
          sign(`{"notify_type":"OUT_TRADE_AUDIT","trade_no":"${id}","trade_status":2,"message":"审核通过"}`)
        )
      }
      if (event === "IN_STOCK_AUDIT") {
        const id = jsonText(input.id ?? `RK${randomDigits(12)}`)
        return Result.succeed(
          sign(`{"notify_type":"IN_STOCK_AUDIT","instock_no":"${id}","instock_status":2,"message":"入库审核通过"}`)
        )
      }
      return Result.fail(unknownEvent("em", event, ["OUT_TRADE_AUDIT", "IN_STOCK_AUDIT"]))
    }
  },
  "standard-webhooks": {
    variables: ["STANDARD_WEBHOOKS_SECRET"],
    events: ["contact.created"],
    id: "header",
    sign: (secrets, input) =>
      Result.succeed(StandardWebhooksTesting.sign({
        body: input.body ?? StandardWebhooksTesting.exampleBody.replace(
          `"type":"contact.created"`,
          `"type":"${jsonText(input.event ?? "contact.created")}"`
        ),
        secret: secret(secrets, "STANDARD_WEBHOOKS_SECRET"),
        id: input.id,
        url: input.path
      }))
  },
  stripe: {
    variables: ["STRIPE_WEBHOOK_SECRET"],
    events: ["payment_intent.succeeded"],
    id: "body",
    sign: (secrets, input) =>
      Result.succeed(StripeTesting.sign({
        body: input.body ?? StripeTesting.eventBody({
          id: jsonText(input.id ?? `evt_${randomHex(12)}`),
          type: jsonText(input.event ?? "payment_intent.succeeded")
        }),
        secret: secret(secrets, "STRIPE_WEBHOOK_SECRET"),
        url: input.path
      }))
  },
  github: {
    variables: ["GITHUB_WEBHOOK_SECRET"],
    events: Object.keys(GitHubTesting.samples),
    id: "header",
    sign: (secrets, input) => {
      const event = input.event ?? "push"
      const body = input.body ?? sampleOf(GitHubTesting.samples, event)
      return body === undefined
        ? Result.fail(unknownEvent("github", event, Object.keys(GitHubTesting.samples)))
        : Result.succeed(GitHubTesting.sign({
          event,
          body,
          secret: secret(secrets, "GITHUB_WEBHOOK_SECRET"),
          delivery: input.id,
          url: input.path
        }))
    }
  },
  shopify: {
    variables: ["SHOPIFY_WEBHOOK_SECRET"],
    events: Object.keys(ShopifyTesting.samples),
    id: "header",
    sign: (secrets, input) => {
      const topic = input.event ?? "orders/create"
      const body = input.body ?? sampleOf(ShopifyTesting.samples, topic)
      return body === undefined
        ? Result.fail(unknownEvent("shopify", topic, Object.keys(ShopifyTesting.samples)))
        : Result.succeed(ShopifyTesting.sign({
          topic,
          body,
          secret: secret(secrets, "SHOPIFY_WEBHOOK_SECRET"),
          eventId: input.id,
          url: input.path
        }))
    }
  }
}

const sampleOf = (table: Readonly<Record<string, string>>, event: string): string | undefined =>
  Object.hasOwn(table, event) ? table[event] : undefined

// A GoldenPay body is a flat JSON object of scalars (integers beyond 2^53 stay exact).
const parseFields = (text: string): Result.Result<GoldenPayTesting.TestFields, string> =>
  Result.flatMap(
    Result.mapError(LosslessJson.parseObject(text), (error) => `the goldenpay body: ${error.message}`),
    (object) => {
      const fields: Record<string, GoldenPayTesting.TestField> = {}
      for (const [name, value] of Object.entries(object)) {
        if (typeof value === "object" && value !== null) {
          return Result.fail(`the goldenpay body's field "${name}" is not a scalar`)
        }
        fields[name] = value
      }
      return Result.succeed(fields)
    }
  )
