/**
 * The Standard Webhooks provider through real HTTP (node listener + MemoryStore): valid, duplicate,
 * tampered, stale, rotated secrets on both sides, an id beyond 2^53.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import { RawDelivery } from "@hookline/core/provider"
import { listen, type TestServer } from "@hookline/core/testing"
import { StandardWebhooks } from "@hookline/provider-standard-webhooks"
import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Webhook } from "standardwebhooks"
import * as Logs from "../../../test-support/Logs.ts"

const current = StandardWebhooksTesting.randomSecret()
const previous = StandardWebhooksTesting.randomSecret()

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const serve = async (secret: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>) => {
  const seen: Array<StandardWebhooks.Event> = []
  const handler = defineHandler(StandardWebhooks.provider({ secret }), (event) => Effect.sync(() => seen.push(event)))
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, seen }
}

const outcomeOf = (response: { readonly body: string }) => JSON.parse(response.body) as unknown

describe("StandardWebhooks through real HTTP", () => {
  it("valid → 200 Processed with the exact id; the same delivery again → 200 Duplicate, handler once", async () => {
    const { server, seen } = await serve(current)
    const raw = StandardWebhooksTesting.sign({
      body: StandardWebhooksTesting.exampleBody,
      secret: current,
      id: "msg_a"
    })
    const first = await server.send(raw)
    const again = await server.send(raw)
    assert.deepStrictEqual(
      [first.status, outcomeOf(first), again.status, outcomeOf(again)],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }]
    )
    assert.deepStrictEqual(seen, [{
      type: "contact.created",
      timestamp: "2022-11-03T20:26:10.344522Z",
      data: { id: 9007199254740993n, email: "john@example.com" }
    }])
  })

  it("a retry with a fresh timestamp and signature (same id, same body) → 200 Duplicate", async () => {
    const { server, seen } = await serve(current)
    const body = StandardWebhooksTesting.exampleBody
    const first = StandardWebhooksTesting.sign({ body, secret: current, id: "msg_r", timestamp: nowSeconds() - 60 })
    const retry = StandardWebhooksTesting.sign({ body, secret: current, id: "msg_r" })
    assert.strictEqual((await server.send(first)).status, 200)
    assert.deepStrictEqual(outcomeOf(await server.send(retry)), { outcome: "Duplicate" })
    assert.strictEqual(seen.length, 1)
  })

  it("tampered body → 401, tampered id → 401, stale → 401; the handler never runs", async () => {
    const { server, seen } = await serve(current)
    const raw = StandardWebhooksTesting.sign({
      body: StandardWebhooksTesting.exampleBody,
      secret: current,
      id: "msg_t"
    })
    const tampered = {
      ...raw,
      body: new TextEncoder().encode(StandardWebhooksTesting.exampleBody.replace("993", "994"))
    }
    const otherId = { ...raw, headers: { ...raw.headers, "webhook-id": "msg_u" } }
    const stale = StandardWebhooksTesting.sign({
      body: StandardWebhooksTesting.exampleBody,
      secret: current,
      timestamp: nowSeconds() - 301
    })
    const responses = await Promise.all([tampered, otherId, stale].map((r) => server.send(r)))
    assert.deepStrictEqual(responses.map((r) => [r.status, outcomeOf(r)]), [
      [401, { outcome: "Rejected", reason: "SignatureInvalid" }],
      [401, { outcome: "Rejected", reason: "SignatureInvalid" }],
      [401, { outcome: "Rejected", reason: "TimestampOutOfTolerance" }]
    ])
    assert.strictEqual(seen.length, 0)
  })

  it("rotation: the receiver accepts either configured secret; a sender's list with one known key is accepted", async () => {
    const { server, seen } = await serve([current, previous])
    const body = StandardWebhooksTesting.exampleBody
    const byOld = await server.send(StandardWebhooksTesting.sign({ body, secret: previous, id: "msg_old" }))
    const list = await server.send(StandardWebhooksTesting.sign({
      body,
      secret: StandardWebhooksTesting.randomSecret(),
      alsoSignWith: [current],
      id: "msg_list"
    }))
    const unknown = await server.send(
      StandardWebhooksTesting.sign({ body, secret: StandardWebhooksTesting.randomSecret(), id: "msg_unknown" })
    )
    assert.deepStrictEqual([byOld.status, list.status, unknown.status], [200, 200, 401])
    assert.strictEqual(seen.length, 2)
  })

  it("the official library's delivery over HTTP → 200, the id beyond 2^53 exact in data", async () => {
    const { server, seen } = await serve(current)
    const body = `{"type":"order.created","data":{"orderId":18446744073709551617}}`
    const now = new Date()
    const signature = new Webhook(Redacted.value(current)).sign("msg_big", now, body)
    const response = await server.send(RawDelivery.make({
      method: "POST",
      url: "/",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_big",
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signature
      },
      body: new TextEncoder().encode(body)
    }))
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(seen, [{ type: "order.created", data: { orderId: 18446744073709551617n } }])
  })
})

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
