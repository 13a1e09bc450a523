import { assert, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core/provider"
import { Shopify } from "@hookline/provider-shopify"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { failureTag, successValue as value } from "../../../test-support/Exits.ts"

const secretText = "hush-shopify-client-secret"
const secret = Redacted.make(secretText)
const provider = Shopify.provider({ secret })

// Shopify's documented algorithm, written independently of hookline (WebCrypto, not node:crypto
// through core's Signing): base64(HMAC-SHA256(key = UTF-8 client secret, message = raw body bytes)).
const webCryptoHmac = async (key: string, body: Uint8Array): Promise<string> => {
  const imported = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"]
  )
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", imported, Uint8Array.from(body)))
  return btoa(String.fromCharCode(...mac))
}
const webCryptoVerify = async (key: string, body: Uint8Array, header: string): Promise<boolean> => {
  const imported = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"]
  )
  const bytes = Uint8Array.from(atob(header), (char) => char.charCodeAt(0))
  return crypto.subtle.verify("HMAC", imported, bytes, Uint8Array.from(body))
}

const verify = (raw: RawDelivery.RawDelivery) => Effect.runPromiseExit(provider.verify(raw))
const receive = (raw: RawDelivery.RawDelivery) =>
  Effect.runPromiseExit(Effect.flatMap(provider.verify(raw), (payload) => provider.decode(payload, raw)))

describe("Shopify signature, both directions against an independent WebCrypto implementation", () => {
  it("a known vector: HMAC-SHA256('key', 'The quick brown fox jumps over the lazy dog') in base64", () => {
    // The widely published HMAC-SHA256 example (hex f7bc83f4…2d1a3cd8), here in Shopify's base64 form.
    assert.strictEqual(
      Shopify.signature("The quick brown fox jumps over the lazy dog", Redacted.make("key")),
      "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
    )
  })

  it("WebCrypto-signed deliveries verify in hookline (every sample, non-ASCII body, multi-byte secret)", async () => {
    const bodies = [...Object.values(ShopifyTesting.samples), `{"id":1,"note":"Ünïcødé — ✓ 寿司"}`]
    for (const key of [secretText, "sécret-✓"]) {
      const keyed = Shopify.provider({ secret: Redacted.make(key) })
      for (const text of bodies) {
        const body = new TextEncoder().encode(text)
        const raw = RawDelivery.make({
          method: "POST",
          url: "/",
          headers: {
            "content-type": "application/json",
            "x-shopify-topic": "customers/create",
            "x-shopify-shop-domain": "hookline-test.myshopify.com",
            "x-shopify-event-id": "e-1",
            "x-shopify-hmac-sha256": await webCryptoHmac(key, body)
          },
          body
        })
        assert.strictEqual(failureTag(await Effect.runPromiseExit(keyed.verify(raw))), "ok")
      }
    }
  })

  it("hookline's signer verifies under WebCrypto; refused under another secret or body", async () => {
    for (const [topic, text] of Object.entries(ShopifyTesting.samples)) {
      const raw = ShopifyTesting.sign({ topic, body: text, secret })
      const header = raw.headers["x-shopify-hmac-sha256"]!
      assert.isTrue(await webCryptoVerify(secretText, raw.body, header))
      assert.isFalse(await webCryptoVerify("another secret", raw.body, header))
      assert.isFalse(await webCryptoVerify(secretText, new TextEncoder().encode(`${text} `), header))
    }
  })

  it("hex instead of base64, a wrong secret, no signature → SignatureInvalid", async () => {
    const raw = ShopifyTesting.sign({ topic: "orders/create", body: ShopifyTesting.samples["orders/create"], secret })
    const base64 = raw.headers["x-shopify-hmac-sha256"]!
    const hex = Buffer.from(base64, "base64").toString("hex")
    const { ["x-shopify-hmac-sha256"]: _, ...unsigned } = raw.headers
    const cases = [
      { ...raw, headers: { ...raw.headers, "x-shopify-hmac-sha256": hex } },
      ShopifyTesting.sign({
        topic: "orders/create",
        body: ShopifyTesting.samples["orders/create"],
        secret: Redacted.make("x")
      }),
      { ...raw, headers: unsigned }
    ]
    for (const bad of cases) assert.strictEqual(failureTag(await verify(bad)), "SignatureInvalid")
  })

  it("key: X-Shopify-Event-Id, else X-Shopify-Webhook-Id; neither, or no topic/shop → MalformedDelivery", async () => {
    const body = ShopifyTesting.samples["products/delete"]
    const both = ShopifyTesting.sign({ topic: "products/delete", body, secret, eventId: "ev-1", webhookId: "wh-1" })
    const webhookOnly = ShopifyTesting.sign({
      topic: "products/delete",
      body,
      secret,
      eventId: null,
      webhookId: "wh-2"
    })
    assert.deepStrictEqual([Shopify.key(value(await verify(both))), Shopify.key(value(await verify(webhookOnly)))], [
      "ev-1",
      "wh-2"
    ])
    const { ["x-shopify-webhook-id"]: _w, ...noIds } = webhookOnly.headers
    const { ["x-shopify-topic"]: _t, ...noTopic } = both.headers
    const { ["x-shopify-shop-domain"]: _s, ...noShop } = both.headers
    for (const headers of [noIds, noTopic, noShop]) {
      assert.strictEqual(failureTag(await verify({ ...both, headers })), "MalformedDelivery")
    }
    const xml = { ...both, headers: { ...both.headers, "content-type": "application/xml" } }
    assert.strictEqual(failureTag(await verify(xml)), "UnsupportedMediaType")
  })
})

describe("Shopify events", () => {
  it("each modelled topic decodes its sample into its _tag member", async () => {
    const tags: Array<string> = []
    for (const [topic, body] of Object.entries(ShopifyTesting.samples)) {
      tags.push(value(await receive(ShopifyTesting.sign({ topic, body, secret })))._tag)
    }
    assert.deepStrictEqual(tags, Object.values(Shopify.tags))
  })

  it("an order: ids beyond 2^53 exact, money as decimal strings, quantity a number", async () => {
    const raw = ShopifyTesting.sign({
      topic: "orders/paid",
      body: ShopifyTesting.samples["orders/paid"],
      secret,
      eventId: "ev-9"
    })
    const event = value(await receive(raw))
    assert.deepStrictEqual(event, {
      _tag: "OrdersPaid",
      topic: "orders/paid",
      eventId: "ev-9",
      shopDomain: "hookline-test.myshopify.com",
      id: "820982911946154508",
      name: "#9999",
      email: "jon@example.com",
      currency: "USD",
      totalPrice: "403.00",
      subtotalPrice: "393.00",
      financialStatus: "paid",
      cancelledAt: null,
      cancelReason: null,
      createdAt: "2021-12-31T19:00:00-05:00",
      updatedAt: "2021-12-31T19:00:00-05:00",
      lineItems: [
        { id: "866550311766439020", productId: "632910392", title: "IPod Nano - 8GB", quantity: 1, price: "199.00" },
        { id: "141249953214522974", productId: "632910392", title: "IPod Nano - 8GB", quantity: 1, price: "199.00" }
      ]
    })
  })

  it("a topic not modelled → Unknown with the body, numbers as their source text", async () => {
    const body = `{"id":706405506930370084,"email":"bob@example.com","total_spent":"0.00"}`
    const event = value(await receive(ShopifyTesting.sign({ topic: "customers/create", body, secret })))
    assert.strictEqual(event._tag, "Unknown")
    if (event._tag !== "Unknown") return
    assert.deepStrictEqual([event.topic, event.body["id"], event.body["total_spent"]], [
      "customers/create",
      "706405506930370084",
      "0.00"
    ])
  })

  it("a modelled topic decodes no sample of another body kind (orders, products, product deletion, shop)", async () => {
    // Same-kind topics share one body (orders/create|updated|paid|cancelled, products/create|update):
    // those pairs cannot be told apart (see the docs); every pair across kinds must fail.
    const kind = (topic: string) => topic === "products/delete" ? topic : topic.split("/")[0]
    const samples = Object.entries(ShopifyTesting.samples)
    const decoded: Array<string> = []
    for (const [topic] of samples) {
      for (const [other, body] of samples) {
        if (kind(other) === kind(topic)) continue
        const tag = failureTag(await receive(ShopifyTesting.sign({ topic, body, secret })))
        if (tag !== "DecodeFailed") decoded.push(`${topic} ← ${other}: ${tag}`)
      }
    }
    assert.deepStrictEqual(decoded, [])
  })

  it("the unsigned topic (and shop domain) must agree with the signed body, else DecodeFailed", async () => {
    const cases: ReadonlyArray<readonly [string, string, string?]> = [
      ["orders/create", ShopifyTesting.samples["products/create"]],
      ["products/update", ShopifyTesting.samples["orders/create"]],
      ["products/delete", ShopifyTesting.samples["orders/create"]],
      ["products/delete", ShopifyTesting.samples["app/uninstalled"]],
      ["orders/cancelled", ShopifyTesting.samples["orders/create"]],
      ["app/uninstalled", ShopifyTesting.samples["products/delete"]],
      ["app/uninstalled", ShopifyTesting.samples["app/uninstalled"], "another-shop.myshopify.com"],
      ["orders/paid", ShopifyTesting.samples["orders/paid"].replace(`"total_price":"403.00"`, `"total_price":"4e2"`)]
    ]
    for (const [topic, body, shopDomain] of cases) {
      const exit = await receive(ShopifyTesting.sign({ topic, body, secret, shopDomain }))
      assert.strictEqual(failureTag(exit), "DecodeFailed", `${topic} ${body.slice(0, 30)}`)
    }
  })

  it("Shopify.Event.matchOrElse / guards over decoded events; the provider's defaults", async () => {
    const raw = ShopifyTesting.sign({
      topic: "products/delete",
      body: ShopifyTesting.samples["products/delete"],
      secret
    })
    const deleted = value(await receive(raw))
    const summary = Shopify.Event.matchOrElse(deleted, { ProductsDelete: (p) => `deleted ${p.id}` }, (e) => e._tag)
    assert.strictEqual(summary, "deleted 788032119674292922")
    assert.isTrue(Shopify.Event.guards.ProductsDelete(deleted))
    assert.deepStrictEqual(
      [provider.defaults.timeBudget, provider.defaults.bodyLimit, provider.name, provider.discriminator],
      [Shopify.defaults.timeBudget, 2 * 1024 * 1024, "shopify", "_tag"]
    )
  })
})
