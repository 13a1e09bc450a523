/**
 * The Stripe provider through real HTTP (node listener + MemoryStore): valid, duplicate, tampered,
 * stale, rolled secret, an amount beyond 2^53, an unknown type acknowledged.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import { RawDelivery } from "@hookline/core/provider"
import { listen, type TestServer } from "@hookline/core/testing"
import { Stripe } from "@hookline/provider-stripe"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import StripeSdk from "stripe"
import * as Logs from "../../../test-support/Logs.ts"

const current = Redacted.make("whsec_current_0f4c2a")
const previous = Redacted.make("whsec_previous_9e1b7d")

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const serve = async (secret: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>) => {
  const seen: Array<Stripe.Event> = []
  const handler = defineHandler(Stripe.provider({ secret }), (event) => Effect.sync(() => seen.push(event)))
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, seen }
}

const outcomeOf = (response: { readonly body: string }) => JSON.parse(response.body) as unknown
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe("Stripe through real HTTP", () => {
  it("valid → 200 Processed; the same event again → 200 Duplicate, the handler ran once", async () => {
    const { server, seen } = await serve(current)
    const raw = StripeTesting.sign({ body: StripeTesting.exampleBody, secret: current })
    const first = await server.send(raw)
    const again = await server.send(raw)
    assert.deepStrictEqual(
      [first.status, outcomeOf(first), again.status, outcomeOf(again)],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }]
    )
    assert.deepStrictEqual(seen.map((event) => [event.type, event.id]), [[
      "payment_intent.succeeded",
      "evt_3MtwBwLkdIwHu7ix0sNfqKdC"
    ]])
  })

  it("Stripe's retry (same event, new t and signature, 1 minute later) → 200 Duplicate", async () => {
    const { server, seen } = await serve(current)
    const body = StripeTesting.eventBody({ id: "evt_retry" })
    const header = StripeSdk.webhooks.generateTestHeaderString({
      payload: body,
      secret: Redacted.value(current),
      timestamp: nowSeconds() - 60
    })
    const first = RawDelivery.make({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json", "stripe-signature": header },
      body: new TextEncoder().encode(body)
    })
    assert.strictEqual((await server.send(first)).status, 200)
    const retry = await server.send(StripeTesting.sign({ body, secret: current }))
    assert.deepStrictEqual([retry.status, outcomeOf(retry)], [200, { outcome: "Duplicate" }])
    assert.strictEqual(seen.length, 1)
  })

  it("a retry whose pending_webhooks counter moved (2 → 1) → 200 Duplicate; another amount under the id → 409", async () => {
    const { server, seen } = await serve(current)
    const body = (pendingWebhooks: number, amount = 2000n) =>
      StripeTesting.eventBody({ id: "evt_counter", pendingWebhooks, amount })
    const first = await server.send(StripeTesting.sign({ body: body(2), secret: current }))
    const retry = await server.send(StripeTesting.sign({ body: body(1), secret: current }))
    const changed = await server.send(StripeTesting.sign({ body: body(1, 2001n), secret: current }))
    assert.deepStrictEqual([first.status, retry.status, outcomeOf(retry), changed.status, outcomeOf(changed)], [
      200,
      200,
      { outcome: "Duplicate" },
      409,
      { outcome: "Rejected", reason: "PayloadMismatch" }
    ])
    assert.strictEqual(seen.length, 1)
  })

  it("tampered body → 401, stale t → 401, another event under a replayed id → 409; handler never runs for them", async () => {
    const { server, seen } = await serve(current)
    const raw = StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_t", amount: 2000n }), secret: current })
    const tampered = { ...raw, body: new TextEncoder().encode(StripeTesting.eventBody({ id: "evt_t", amount: 1n })) }
    const stale = StripeTesting.sign({
      body: StripeTesting.eventBody({ id: "evt_s" }),
      secret: current,
      timestamp: nowSeconds() - 301
    })
    const responses = [await server.send(tampered), await server.send(stale)]
    assert.deepStrictEqual(responses.map((r) => [r.status, outcomeOf(r)]), [
      [401, { outcome: "Rejected", reason: "SignatureInvalid" }],
      [401, { outcome: "Rejected", reason: "TimestampOutOfTolerance" }]
    ])
    assert.strictEqual(seen.length, 0)
    // A validly signed event reusing a processed id with other content is refused, not run again.
    assert.strictEqual((await server.send(raw)).status, 200)
    const reused = await server.send(
      StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_t", amount: 3000n }), secret: current })
    )
    assert.deepStrictEqual([reused.status, outcomeOf(reused)], [409, {
      outcome: "Rejected",
      reason: "PayloadMismatch"
    }])
    assert.strictEqual(seen.length, 1)
  })

  it("rolled secret: either configured secret verifies; Stripe's two-v1 header verifies; an unknown secret → 401", async () => {
    const { server, seen } = await serve([current, previous])
    const byOld = await server.send(
      StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_o" }), secret: previous })
    )
    const both = await server.send(StripeTesting.sign({
      body: StripeTesting.eventBody({ id: "evt_b" }),
      secret: Redacted.make("whsec_brand_new"),
      alsoSignWith: [current]
    }))
    const unknown = await server.send(
      StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_u" }), secret: Redacted.make("whsec_nobody") })
    )
    assert.deepStrictEqual([byOld.status, both.status, unknown.status], [200, 200, 401])
    assert.deepStrictEqual(seen.map((event) => event.id), ["evt_o", "evt_b"])
  })

  it("an amount beyond 2^53 arrives exact; an unknown type is acknowledged (200) with its name", async () => {
    const { server, seen } = await serve(current)
    const big = await server.send(
      StripeTesting.sign({ body: StripeTesting.eventBody({ id: "evt_big", amount: 2n ** 64n + 1n }), secret: current })
    )
    const unknown = await server.send(StripeTesting.sign({
      body: `{"id":"evt_new","type":"billing.meter.created","created":1,"livemode":false,"data":{"object":{}}}`,
      secret: current
    }))
    assert.deepStrictEqual([big.status, unknown.status], [200, 200])
    const [paid, other] = seen
    assert.strictEqual(paid?.type === "payment_intent.succeeded" ? paid.data.object.amount : 0n, 18446744073709551617n)
    assert.deepStrictEqual(other?.type === "unknown" ? other.eventType : "", "billing.meter.created")
  })
})
