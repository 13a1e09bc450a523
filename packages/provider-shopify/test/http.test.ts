import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { Shopify } from "@hookline/provider-shopify"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("shopify-client-secret-1")
const next = Redacted.make("shopify-client-secret-2")

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A server whose handlers record the events they run for, through a handler map keyed by _tag.
const serve = async (secrets: Shopify.Options["secret"] = secret) => {
  const seen: Array<Shopify.Event> = []
  const record = (event: Shopify.Event) => Effect.sync(() => void seen.push(event))
  const handler = defineHandler(Shopify.provider({ secret: secrets }), {
    OrdersCreate: record,
    OrdersUpdated: record,
    OrdersPaid: record,
    OrdersCancelled: record,
    ProductsCreate: record,
    ProductsUpdate: record,
    ProductsDelete: record,
    AppUninstalled: record,
    Unknown: record
  })
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, seen }
}

const outcomeOf = (response: { readonly body: string }) => JSON.parse(response.body) as unknown
const rejected = (reason: string) => ({ outcome: "Rejected", reason })
const orderBody = ShopifyTesting.samples["orders/create"]

describe("Shopify through real HTTP (node listener + MemoryStore)", () => {
  it("valid → 200 Processed; Shopify's retry (same X-Shopify-Event-Id) → 200 Duplicate, handler ran once", async () => {
    const { server, seen } = await serve()
    const raw = ShopifyTesting.sign({ topic: "orders/create", body: orderBody, secret, eventId: "ev-1" })
    const retry = ShopifyTesting.sign({ topic: "orders/create", body: orderBody, secret, eventId: "ev-1" })
    const first = await server.send(raw)
    const second = await server.send(retry)
    assert.deepStrictEqual(
      [first.status, outcomeOf(first), second.status, outcomeOf(second)],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }]
    )
    assert.deepStrictEqual(seen.map((event) => [event._tag, event.eventId]), [["OrdersCreate", "ev-1"]])
  })

  it("without X-Shopify-Event-Id the key is X-Shopify-Webhook-Id", async () => {
    const { server, seen } = await serve()
    const body = ShopifyTesting.samples["products/delete"]
    const raw = ShopifyTesting.sign({ topic: "products/delete", body, secret, eventId: null, webhookId: "wh-1" })
    const statuses = [(await server.send(raw)).status, outcomeOf(await server.send(raw))]
    assert.deepStrictEqual(statuses, [200, { outcome: "Duplicate" }])
    assert.deepStrictEqual(seen.map((event) => event.eventId), ["wh-1"])
  })

  it("tampered body, wrong secret, missing signature → 401, handler not run", async () => {
    const { server, seen } = await serve()
    const raw = ShopifyTesting.sign({ topic: "orders/create", body: orderBody, secret, eventId: "ev-2" })
    const tampered: RawDelivery.RawDelivery = {
      ...raw,
      body: new TextEncoder().encode(orderBody.replace(`"total_price":"403.00"`, `"total_price":"0.01"`))
    }
    const { ["x-shopify-hmac-sha256"]: _, ...unsigned } = raw.headers
    const cases = [
      tampered,
      ShopifyTesting.sign({ topic: "orders/create", body: orderBody, secret: next, eventId: "ev-3" }),
      { ...raw, headers: unsigned }
    ]
    for (const bad of cases) {
      const response = await server.send(bad)
      assert.deepStrictEqual([response.status, outcomeOf(response)], [401, rejected("SignatureInvalid")])
    }
    assert.deepStrictEqual(seen, [])
  })

  it("rotation: both the old and the new secret are accepted while both are configured", async () => {
    const { server, seen } = await serve([secret, next])
    const body = ShopifyTesting.samples["products/update"]
    const statuses = []
    for (const [key, eventId] of [[secret, "r-1"], [next, "r-2"], [Redacted.make("retired"), "r-3"]] as const) {
      statuses.push(
        (await server.send(ShopifyTesting.sign({ topic: "products/update", body, secret: key, eventId }))).status
      )
    }
    assert.deepStrictEqual(statuses, [200, 200, 401])
    assert.deepStrictEqual(seen.map((event) => event.eventId), ["r-1", "r-2"])
  })

  it("ids beyond 2^53 arrive exact, money as the decimal string sent", async () => {
    const { server, seen } = await serve()
    const body = orderBody.replace(`"total_price":"403.00"`, `"total_price":"9007199254740993.10"`)
    assert.strictEqual((await server.send(ShopifyTesting.sign({ topic: "orders/create", body, secret }))).status, 200)
    const order = seen[0]
    if (order?._tag !== "OrdersCreate") return assert.fail(`expected OrdersCreate, got ${order?._tag}`)
    assert.deepStrictEqual([order.id, order.lineItems.map((item) => item.id), order.totalPrice], [
      "820982911946154508",
      ["866550311766439020", "141249953214522974"],
      "9007199254740993.10"
    ])
  })

  it("replay of a captured delivery under the same event id with another topic or shop → 409 PayloadMismatch", async () => {
    const { server, seen } = await serve()
    const raw = ShopifyTesting.sign({ topic: "orders/create", body: orderBody, secret, eventId: "ev-4" })
    assert.strictEqual((await server.send(raw)).status, 200)
    // The topic and shop headers are not signed: the signature still matches.
    for (
      const headers of [
        { ...raw.headers, "x-shopify-topic": "orders/paid" },
        { ...raw.headers, "x-shopify-shop-domain": "another-shop.myshopify.com" }
      ]
    ) {
      const response = await server.send({ ...raw, headers })
      assert.deepStrictEqual([response.status, outcomeOf(response)], [409, rejected("PayloadMismatch")])
    }
    assert.strictEqual(seen.length, 1)
  })

  it("replay under a new event id with a modelled topic the body does not fit → 500, handler not run", async () => {
    const { server, seen } = await serve()
    const raw = ShopifyTesting.sign({ topic: "orders/cancelled", body: orderBody, secret, eventId: "ev-5" })
    const response = await server.send(raw)
    assert.deepStrictEqual([response.status, outcomeOf(response)], [500, { outcome: "Failed", reason: "DecodeFailed" }])
    assert.deepStrictEqual(seen, [])
  })

  it("a topic not modelled (customers/create) → 200, handled as Unknown", async () => {
    const { server, seen } = await serve()
    const body = `{"id":706405506930370084,"email":"bob@example.com"}`
    assert.strictEqual(
      (await server.send(ShopifyTesting.sign({ topic: "customers/create", body, secret }))).status,
      200
    )
    assert.deepStrictEqual(seen.map((event) => [event._tag, event.topic]), [["Unknown", "customers/create"]])
  })
})
