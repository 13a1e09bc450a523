/**
 * The demo's scripted deliveries: what a platform might send, each with the answer the receiver
 * must give.
 */
import { Hmac, type RawDelivery } from "@hookline/core"
import * as EmTesting from "@hookline/provider-em/testing"
import * as GitHubTesting from "@hookline/provider-github/testing"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as IgvTesting from "@hookline/provider-igv/testing"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import type * as Redacted from "effect/Redacted"
import { hmacOptions } from "./app.ts"

export interface Scenario {
  readonly label: string
  readonly deliveries: ReadonlyArray<RawDelivery.RawDelivery>
  readonly concurrent?: boolean
  /** Idempotency key whose handler runs are reported. */
  readonly key?: string | undefined
  readonly expectStatuses: ReadonlyArray<number>
  readonly expectRuns?: number | undefined
  /** Pause before sending, in ms (e.g. a platform's retry delay). */
  readonly waitBefore?: number | undefined
}

export interface Secrets {
  readonly hmac: Redacted.Redacted<string>
  readonly igv: Redacted.Redacted<string>
  readonly goldenpay: Redacted.Redacted<string>
  readonly em: { readonly appId: string; readonly secret: Redacted.Redacted<string> }
  readonly github?: Redacted.Redacted<string> | undefined
  readonly shopify?: Redacted.Redacted<string> | undefined
  readonly standardWebhooks?: Redacted.Redacted<string> | undefined
  readonly stripe?: Redacted.Redacted<string> | undefined
}

export const scenarios = (
  secrets: Secrets
): ReadonlyArray<Scenario> => [
  ...hmacScenarios(secrets),
  ...igvScenarios(secrets),
  ...goldenpayScenarios(secrets),
  ...emScenarios(secrets),
  ...(secrets.github === undefined ? [] : githubScenarios(secrets.github)),
  ...(secrets.shopify === undefined ? [] : shopifyScenarios(secrets.shopify)),
  ...(secrets.standardWebhooks === undefined ? [] : standardWebhooksScenarios(secrets.standardWebhooks)),
  ...(secrets.stripe === undefined ? [] : stripeScenarios(secrets.stripe))
]

const hmacScenarios = (secrets: Secrets): ReadonlyArray<Scenario> => {
  const hmac = hmacOptions(secrets.hmac)
  const signHmac = (id: string, body: unknown, timestamp?: number) =>
    Hmac.testing.sign(hmac, { body: JSON.stringify(body), id, url: "/hmac", timestamp })
  const valid = signHmac("evt-1", { type: "order.paid", orderId: "1001" })
  const racing = signHmac("evt-2", { type: "order.paid", orderId: "1002", demo: "hold" })
  const tampered = { ...signHmac("evt-3", { orderId: "1003", amount: "10.00" }) }
  const tamperedBody = new TextEncoder().encode(JSON.stringify({ orderId: "1003", amount: "99999.00" }))
  const stale = signHmac("evt-4", { orderId: "1004" }, Math.floor(Date.now() / 1000) - 3600)
  const flaky = signHmac("evt-5", { orderId: "1005", demo: "fail-once" })
  const slow = signHmac("evt-6", { orderId: "1006", demo: "slow" })
  return [
    { label: "hmac: valid delivery", deliveries: [valid], key: "hmac:evt-1", expectStatuses: [200], expectRuns: 1 },
    {
      label: "hmac: same delivery again",
      deliveries: [valid],
      key: "hmac:evt-1",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "hmac: 4 concurrent copies",
      deliveries: [racing, racing, racing, racing],
      concurrent: true,
      key: "hmac:evt-2",
      expectStatuses: [200, 503, 503, 503],
      expectRuns: 1
    },
    {
      label: "hmac: tampered body",
      deliveries: [{ ...tampered, body: tamperedBody }],
      key: "hmac:evt-3",
      expectStatuses: [401],
      expectRuns: 0
    },
    {
      label: "hmac: stale timestamp (1 h old)",
      deliveries: [stale],
      key: "hmac:evt-4",
      expectStatuses: [401],
      expectRuns: 0
    },
    {
      label: "hmac: handler fails (db blip)",
      deliveries: [flaky],
      key: "hmac:evt-5",
      expectStatuses: [500],
      expectRuns: 1
    },
    { label: "hmac:   platform retries", deliveries: [flaky], key: "hmac:evt-5", expectStatuses: [200], expectRuns: 2 },
    {
      label: "hmac: handler past 1 s budget",
      deliveries: [slow],
      key: "hmac:evt-6",
      expectStatuses: [503],
      expectRuns: 1
    },
    {
      label: "hmac:   platform retries 1.5 s later",
      deliveries: [slow],
      key: "hmac:evt-6",
      waitBefore: 1500,
      expectStatuses: [200],
      expectRuns: 1
    }
  ]
}

const igvScenarios = (secrets: Secrets): ReadonlyArray<Scenario> => {
  const order = (orderId: string, status = 1) =>
    `{"createdAt":"2025-12-17T13:44:16","orderId":${orderId},"orderNum":"SO${orderId}",` +
    `"sellerOrderStatus":${status},"buyerId":"1907369850568257537"}`
  const sign = (requestId: string, body: string) =>
    IgvTesting.sign({ body, secret: secrets.igv, requestId, url: "/igv" })
  const valid = sign("2002986662652579841", order("9007199254740993"))
  const replayed = sign("2002986662652579841", order("9007199254740999"))
  const forged = {
    ...sign("2002986662652579842", order("1")),
    headers: { ...valid.headers, "x-request-id": "2002986662652579842" }
  }
  const future = sign("2002986662652579843", order("1689644928115784", 2))
  return [
    {
      label: "igv: order pending delivery",
      deliveries: [valid],
      key: "igv:2002986662652579841",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "igv: same callback again",
      deliveries: [valid],
      key: "igv:2002986662652579841",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "igv: request id replayed, other body",
      deliveries: [replayed],
      key: "igv:2002986662652579841",
      expectStatuses: [409],
      expectRuns: 1
    },
    {
      label: "igv: forged signature",
      deliveries: [forged],
      key: "igv:2002986662652579842",
      expectStatuses: [401],
      expectRuns: 0
    },
    {
      label: "igv: status 2 (not yet documented)",
      deliveries: [future],
      key: "igv:2002986662652579843",
      expectStatuses: [200],
      expectRuns: 1
    }
  ]
}

const goldenpayScenarios = (secrets: Secrets): ReadonlyArray<Scenario> => {
  const at = (raw: RawDelivery.RawDelivery, url = "/goldenpay") => ({ ...raw, url })
  const paid = at(GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP-1" }), secrets.goldenpay))
  const underpaid = at(
    GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP-2", payed_amount: "99.99" }), secrets.goldenpay)
  )
  const canceled = at(
    GoldenPayTesting.sign(
      GoldenPayTesting.payout({ id: "GP-3", status: 50, payed_at: null, canceled_at: "2026-05-04 11:05:00" }),
      secrets.goldenpay
    ),
    "/goldenpay/payout"
  )
  // A failed collect carries null amount and channel, which the sign leaves out: stripping them from
  // a capture keeps the same sign. Once made the kind's decider, they turned it into a payout event.
  const failed = at(
    GoldenPayTesting.sign(
      GoldenPayTesting.collect({ id: "GP-5", status: 30, payed_amount: null, channel: null }),
      secrets.goldenpay
    )
  )
  const failedText = new TextDecoder().decode(failed.body)
  const stripped = {
    ...failed,
    body: new TextEncoder().encode(
      JSON.stringify(Object.fromEntries(
        Object.entries(JSON.parse(failedText) as Record<string, unknown>).filter(([, value]) => value !== null)
      ))
    )
  }
  const signed = GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP-4" }), secrets.goldenpay)
  const tampered = at({
    ...signed,
    body: new TextEncoder().encode(new TextDecoder().decode(signed.body).replace("\"100.00\"", "\"1000.00\""))
  })
  return [
    {
      label: "goldenpay: collect succeeded",
      deliveries: [paid],
      key: "goldenpay:collect:GP-1:60",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "goldenpay: same callback again",
      deliveries: [paid],
      key: "goldenpay:collect:GP-1:60",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "goldenpay: paid 99.99 of 100.00",
      deliveries: [underpaid],
      key: "goldenpay:collect:GP-2:60",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "goldenpay: payout canceled",
      deliveries: [canceled],
      key: "goldenpay-payout:payout:GP-3:50",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "goldenpay: failed collect, then its null fields stripped (same sign)",
      deliveries: [failed, stripped],
      key: "goldenpay:collect:GP-5:30",
      expectStatuses: [200, 200],
      expectRuns: 1
    },
    {
      label: "goldenpay: amount tampered",
      deliveries: [tampered],
      key: "goldenpay:collect:GP-4:60",
      expectStatuses: [401],
      expectRuns: 0
    }
  ]
}

const emScenarios = (secrets: Secrets): ReadonlyArray<Scenario> => {
  const sign = (requestData: unknown, encoding: "json" | "form", timestamp?: number) =>
    EmTesting.sign({
      appId: secrets.em.appId,
      secret: secrets.em.secret,
      requestData: JSON.stringify(requestData),
      encoding,
      timestamp,
      url: "/em"
    })
  const order = { notify_type: "OUT_TRADE_AUDIT", trade_no: "DD202409250002", trade_status: 2, message: "审核通过" }
  const stock = {
    notify_type: "IN_STOCK_AUDIT",
    instock_no: "RK202409250007",
    instock_status: 2,
    message: "入库审核通过"
  }
  const now = Math.floor(Date.now() / 1000)
  const orderJson = sign(order, "json", now - 30)
  // The platform retries every 30 s, re-signing with a fresh timestamp.
  const orderRetry = sign(order, "form", now)
  const stockForm = sign(stock, "form")
  const wrongApp = EmTesting.sign({
    appId: "someone-else",
    secret: secrets.em.secret,
    requestData: JSON.stringify({ ...order, trade_no: "DD202409250003" }),
    encoding: "json",
    url: "/em"
  })
  const key = "em:OUT_TRADE_AUDIT:DD202409250002:2"
  return [
    { label: "em: order audit approved (JSON)", deliveries: [orderJson], key, expectStatuses: [200], expectRuns: 1 },
    {
      label: "em: retry 30 s later, re-signed (form)",
      deliveries: [orderRetry],
      key,
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "em: in-stock audit approved (form)",
      deliveries: [stockForm],
      key: "em:IN_STOCK_AUDIT:RK202409250007:2",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "em: another app's notification",
      deliveries: [wrongApp],
      key: "em:OUT_TRADE_AUDIT:DD202409250003:2",
      expectStatuses: [401],
      expectRuns: 0
    }
  ]
}

const githubScenarios = (secret: Redacted.Redacted<string>): ReadonlyArray<Scenario> => {
  const push = GitHubTesting.sign({
    event: "push",
    body: GitHubTesting.samples.push,
    secret,
    delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    url: "/github"
  })
  // The event header is not signed: the captured push replayed as another event, same delivery id.
  const renamed = { ...push, headers: { ...push.headers, "x-github-event": "create" } }
  const key = "github:72d3162e-cc78-11e3-81ab-4c9367dc0958"
  return [
    { label: "github: push", deliveries: [push], key, expectStatuses: [200], expectRuns: 1 },
    { label: "github: redelivered", deliveries: [push], key, expectStatuses: [200], expectRuns: 1 },
    { label: "github: replayed as another event", deliveries: [renamed], key, expectStatuses: [409], expectRuns: 1 }
  ]
}

const shopifyScenarios = (secret: Redacted.Redacted<string>): ReadonlyArray<Scenario> => {
  const body = ShopifyTesting.samples["orders/create"]
  const order = ShopifyTesting.sign({ topic: "orders/create", body, secret, eventId: "sh-evt-1", url: "/shopify" })
  const tampered = {
    ...ShopifyTesting.sign({ topic: "orders/create", body, secret, eventId: "sh-evt-2", url: "/shopify" }),
    body: new TextEncoder().encode(body.replace(`"total_price":"403.00"`, `"total_price":"0.01"`))
  }
  const key = "shopify:sh-evt-1"
  return [
    { label: "shopify: orders/create (id > 2^53)", deliveries: [order], key, expectStatuses: [200], expectRuns: 1 },
    { label: "shopify: retried", deliveries: [order], key, expectStatuses: [200], expectRuns: 1 },
    {
      label: "shopify: total tampered",
      deliveries: [tampered],
      key: "shopify:sh-evt-2",
      expectStatuses: [401],
      expectRuns: 0
    }
  ]
}

const standardWebhooksScenarios = (secret: Redacted.Redacted<string>): ReadonlyArray<Scenario> => {
  const body = StandardWebhooksTesting.exampleBody
  // The sender rotating its key: an unknown key's signature listed first, ours second.
  const contact = StandardWebhooksTesting.sign({
    body,
    secret: StandardWebhooksTesting.randomSecret(),
    alsoSignWith: [secret],
    id: "msg_demo_1",
    url: "/standard-webhooks"
  })
  const stale = StandardWebhooksTesting.sign({
    body,
    secret,
    id: "msg_demo_2",
    timestamp: Math.floor(Date.now() / 1000) - 600,
    url: "/standard-webhooks"
  })
  const key = "standard-webhooks:msg_demo_1"
  return [
    {
      label: "standard-webhooks: rotated signature list",
      deliveries: [contact],
      key,
      expectStatuses: [200],
      expectRuns: 1
    },
    { label: "standard-webhooks: retried", deliveries: [contact], key, expectStatuses: [200], expectRuns: 1 },
    {
      label: "standard-webhooks: 10 minutes old",
      deliveries: [stale],
      key: "standard-webhooks:msg_demo_2",
      expectStatuses: [401],
      expectRuns: 0
    }
  ]
}

const stripeScenarios = (secret: Redacted.Redacted<string>): ReadonlyArray<Scenario> => {
  const paid = StripeTesting.sign({
    body: StripeTesting.eventBody({ id: "evt_demo_1", amount: 9007199254740993n }),
    secret,
    url: "/stripe"
  })
  const unknown = StripeTesting.sign({
    body: `{"id":"evt_demo_2","object":"event","type":"customer.created","created":1680064028,"livemode":false,` +
      `"data":{"object":{"id":"cus_demo"}}}`,
    secret,
    url: "/stripe"
  })
  const tampered = {
    ...StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_demo_3" }), secret, url: "/stripe" }),
    body: new TextEncoder().encode(StripeTesting.eventBody({ id: "evt_demo_3", amount: 1n }))
  }
  return [
    {
      label: "stripe: payment_intent.succeeded (amount > 2^53)",
      deliveries: [paid],
      key: "stripe:evt_demo_1",
      expectStatuses: [200],
      expectRuns: 1
    },
    { label: "stripe: retried", deliveries: [paid], key: "stripe:evt_demo_1", expectStatuses: [200], expectRuns: 1 },
    {
      label: "stripe: unknown type acknowledged",
      deliveries: [unknown],
      key: "stripe:evt_demo_2",
      expectStatuses: [200],
      expectRuns: 1
    },
    {
      label: "stripe: amount tampered",
      deliveries: [tampered],
      key: "stripe:evt_demo_3",
      expectStatuses: [401],
      expectRuns: 0
    }
  ]
}
