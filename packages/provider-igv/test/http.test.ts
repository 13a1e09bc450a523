import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, route } from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import { LosslessJson } from "@hookline/core/provider"
import { listen, type TestServer } from "@hookline/core/testing"
import { toWebHandler } from "@hookline/core/web"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

// Real HTTP runs on the live clock: `IgvTesting.sign` stamps deliveries with the current time.
const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
const provider = Igv.provider({ secret })

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A server whose handler records every event it runs for.
const serve = async (fail?: (event: Igv.Event) => boolean) => {
  const seen: Array<Igv.Event> = []
  let attempts = 0
  const handler = defineHandler(provider, (event) =>
    Effect.suspend(() => {
      attempts++
      if (fail?.(event) === true) return Effect.fail("warehouse unavailable" as const)
      seen.push(event)
      return Effect.void
    }))
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, seen, attempts: () => attempts }
}

const body = (fields: { readonly [key: string]: LosslessJson.Json }) =>
  LosslessJson.stringify({
    createdAt: "2025-12-17T13:44:16",
    orderId: 1689644928115784n,
    orderNum: "SO1689644928115784",
    sellerOrderStatus: 1,
    buyerId: "1907369850568257537",
    ...fields
  })

const outcomeOf = (response: { readonly body: string }) => JSON.parse(response.body) as unknown

describe("Igv through real HTTP (node listener + MemoryStore)", () => {
  it("valid → 200 and the handler runs once; the same request again → 200 Duplicate, not re-run", async () => {
    const { server, seen } = await serve()
    const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "2002986662652579841" })
    const first = await server.send(raw)
    const second = await server.send(raw)
    assert.deepStrictEqual(
      [first.status, outcomeOf(first), second.status, outcomeOf(second)],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }]
    )
    assert.deepStrictEqual(seen, [{
      _tag: "OrderPendingDelivery",
      requestId: "2002986662652579841",
      orderId: "1689644928115784",
      orderNum: "SO1689644928115784",
      buyerId: "1907369850568257537",
      createdAt: "2025-12-17T13:44:16",
      status: 1
    }])
  })

  it("a retry with a refreshed timestamp and signature but the same body → 200 Duplicate", async () => {
    const { server, seen } = await serve()
    const first = IgvTesting.sign({
      body: IgvTesting.exampleBody,
      secret,
      requestId: "77",
      timestamp: Date.now() - 60_000
    })
    const retry = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "77" })
    assert.notStrictEqual(first.headers["x-signature"], retry.headers["x-signature"])
    assert.strictEqual((await server.send(first)).status, 200)
    const again = await server.send(retry)
    assert.deepStrictEqual([again.status, outcomeOf(again)], [200, { outcome: "Duplicate" }])
    assert.strictEqual(seen.length, 1)
  })

  it("a retry whose body iGV re-serialised (key order, whitespace) → 200 Duplicate, not a false 409", async () => {
    const { server, seen } = await serve()
    const first = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "78" })
    const parsed = JSON.parse(IgvTesting.exampleBody.replace(/"orderId":(\d+)/, "\"orderId\":\"$1\""))
    const reordered = Object.fromEntries(Object.entries(parsed).reverse())
    const text = JSON.stringify(reordered, null, 2).replace(/"orderId": "(\d+)"/, "\"orderId\": $1")
    assert.notStrictEqual(text, IgvTesting.exampleBody)
    const retry = IgvTesting.sign({ body: text, secret, requestId: "78" })
    assert.strictEqual((await server.send(first)).status, 200)
    const again = await server.send(retry)
    assert.deepStrictEqual([again.status, outcomeOf(again)], [200, { outcome: "Duplicate" }])
    assert.strictEqual(seen.length, 1)
  })

  it("same request id with a different body (the body is not signed) → 409 PayloadMismatch, handler not run", async () => {
    const { server, seen } = await serve()
    const original = IgvTesting.sign({ body: body({}), secret, requestId: "9001" })
    assert.strictEqual((await server.send(original)).status, 200)
    // A replay of the captured headers with another body: the signature still matches.
    const forged: RawDelivery.RawDelivery = {
      ...original,
      body: new TextEncoder().encode(body({ orderId: 1689644928115785n, orderNum: "SO1689644928115785" }))
    }
    const response = await server.send(forged)
    assert.deepStrictEqual([response.status, outcomeOf(response)], [409, {
      outcome: "Rejected",
      reason: "PayloadMismatch"
    }])
    assert.strictEqual(seen.length, 1)
    assert.strictEqual(seen[0]?._tag === "OrderPendingDelivery" ? seen[0].orderId : "", "1689644928115784")
  })

  it("a bad signature → 401 and the handler never runs; the genuine delivery is still processed afterwards", async () => {
    const { server, seen, attempts } = await serve()
    const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "555" })
    const wrongSecret = IgvTesting.sign({
      body: IgvTesting.exampleBody,
      secret: Redacted.make("ZYXWVUTSRQPONMLKJIHGFEDCBA987654"),
      requestId: "555"
    })
    const tampered = { ...raw, headers: { ...raw.headers, "x-request-id": "556" } }
    const unsigned = { ...raw, headers: { ...raw.headers, "x-signature": "" } }
    for (const bad of [wrongSecret, tampered, unsigned]) {
      const response = await server.send(bad)
      assert.deepStrictEqual([response.status, outcomeOf(response)], [401, {
        outcome: "Rejected",
        reason: "SignatureInvalid"
      }])
    }
    assert.strictEqual(attempts(), 0)
    assert.strictEqual((await server.send(raw)).status, 200)
    assert.strictEqual(seen.length, 1)
  })

  it("digit shift: the captured headers re-split between X-Timestamp and X-Request-Id, with another body → 401, handler not run", async () => {
    const { server, seen } = await serve()
    const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "2002986662652579841" })
    assert.strictEqual((await server.send(raw)).status, 200)
    const timestamp = raw.headers["x-timestamp"]!
    const requestId = raw.headers["x-request-id"]!
    const forgedBody = body({ orderId: 1n, orderNum: "SO-FORGED" })
    for (
      const split of [
        { timestamp: timestamp.slice(0, -2), requestId: `${timestamp.slice(-2)}${requestId}` },
        { timestamp: `${timestamp}${requestId.slice(0, 1)}`, requestId: requestId.slice(1) }
      ]
    ) {
      assert.strictEqual(Igv.signature({ ...split, secret }), raw.headers["x-signature"])
      const response = await server.send({
        ...raw,
        headers: { ...raw.headers, "x-timestamp": split.timestamp, "x-request-id": split.requestId },
        body: new TextEncoder().encode(forgedBody)
      })
      assert.deepStrictEqual([response.status, outcomeOf(response)], [401, {
        outcome: "Rejected",
        reason: "TimestampOutOfTolerance"
      }])
    }
    assert.deepStrictEqual(seen.map((event) => event.requestId), ["2002986662652579841"])
  })

  it("orderId 9007199254740993 sent as a bare JSON number arrives in the handler exactly", async () => {
    const { server, seen } = await serve()
    const text = body({ orderId: 9007199254740993n, buyerId: 19073698505682575371n })
    assert.include(text, `"orderId":9007199254740993,`)
    assert.strictEqual(JSON.parse(text).orderId, 9007199254740992) // what JSON.parse would have given
    const response = await server.send(IgvTesting.sign({ body: text, secret }))
    assert.strictEqual(response.status, 200)
    const event = seen[0]
    assert.strictEqual(event?._tag, "OrderPendingDelivery")
    if (event?._tag !== "OrderPendingDelivery") return
    assert.strictEqual(event.orderId, "9007199254740993")
    assert.strictEqual(event.buyerId, "19073698505682575371")
  })

  it("an unknown status reaches the handler as UnknownStatus with its raw fields → 200", async () => {
    const { server, seen } = await serve()
    const response = await server.send(
      IgvTesting.sign({ body: body({ sellerOrderStatus: 3, refundId: 9007199254740993n }), secret, requestId: "31" })
    )
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(seen, [{
      _tag: "UnknownStatus",
      requestId: "31",
      status: "3",
      fields: {
        createdAt: "2025-12-17T13:44:16",
        orderId: "1689644928115784",
        orderNum: "SO1689644928115784",
        sellerOrderStatus: "3",
        buyerId: "1907369850568257537",
        refundId: "9007199254740993"
      }
    }])
  })

  it("malformed JSON → 400; missing X-Request-Id → 400; text/plain → 415; stale timestamp → 401", async () => {
    const { server, attempts } = await serve()
    const malformed = await server.send(IgvTesting.sign({ body: `{"orderId":1689644928115784,`, secret }))
    const signed = IgvTesting.sign({ body: IgvTesting.exampleBody, secret })
    const { "x-request-id": _, ...withoutId } = signed.headers
    const missingId = await server.send({ ...signed, headers: withoutId })
    const textPlain = await server.send({ ...signed, headers: { ...signed.headers, "content-type": "text/plain" } })
    const stale = await server.send(
      IgvTesting.sign({ body: IgvTesting.exampleBody, secret, timestamp: Date.now() - 2 * 3_600_000 })
    )
    assert.deepStrictEqual(
      [malformed, missingId, textPlain, stale].map((response) => [response.status, outcomeOf(response)]),
      [
        [400, { outcome: "Rejected", reason: "MalformedDelivery" }],
        [400, { outcome: "Rejected", reason: "MalformedDelivery" }],
        [415, { outcome: "Rejected", reason: "UnsupportedMediaType" }],
        [401, { outcome: "Rejected", reason: "TimestampOutOfTolerance" }]
      ]
    )
    assert.strictEqual(attempts(), 0)
  })

  it("status 1 with an invalid field → 500 DecodeFailed (iGV retries), handler not run", async () => {
    const { server, attempts } = await serve()
    const response = await server.send(IgvTesting.sign({ body: body({ createdAt: "17/12/2025" }), secret }))
    assert.deepStrictEqual([response.status, outcomeOf(response)], [500, { outcome: "Failed", reason: "DecodeFailed" }])
    assert.strictEqual(attempts(), 0)
  })

  it("a failing handler → 500 and is not acknowledged; iGV's retry runs it again → 200", async () => {
    let failing = true
    const { server, seen, attempts } = await serve(() => failing)
    const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "808" })
    const first = await server.send(raw)
    assert.deepStrictEqual([first.status, outcomeOf(first)], [500, { outcome: "Failed", reason: "HandlerFailed" }])
    failing = false
    const retry = await server.send(IgvTesting.sign({ body: IgvTesting.exampleBody, secret, requestId: "808" }))
    assert.deepStrictEqual([retry.status, outcomeOf(retry)], [200, { outcome: "Processed" }])
    assert.deepStrictEqual([attempts(), seen.length], [2, 1])
  })

  it("GET → 405", async () => {
    const { server } = await serve()
    const response = await server.send({ method: "GET", url: "/", headers: {}, body: new Uint8Array(0) })
    assert.strictEqual(response.status, 405)
  })
})

describe("Igv through toWebHandler (Request objects)", () => {
  const toRequest = (raw: RawDelivery.RawDelivery) =>
    new Request(`https://shop.example${raw.url}`, {
      method: raw.method,
      headers: raw.headers,
      body: Buffer.from(raw.body)
    })

  it("per-tag handlers on a route: valid → 200, repeat → Duplicate, forged signature → 401", async () => {
    const orders: Array<string> = []
    const unknown: Array<string> = []
    const handle = toWebHandler(
      route({
        "/igv": defineHandler(provider, {
          OrderPendingDelivery: (order) => Effect.sync(() => orders.push(order.orderId)),
          UnknownStatus: (event) => Effect.sync(() => unknown.push(event.status))
        })
      }),
      Logs.capturing(MemoryStore.layer())
    )
    const raw = IgvTesting.sign({ body: body({ orderId: 9007199254740993n }), secret, url: "/igv" })
    const first = await handle(toRequest(raw))
    const second = await handle(toRequest(raw))
    const forged = await handle(toRequest({ ...raw, headers: { ...raw.headers, "x-signature": "0".repeat(64) } }))
    const other = await handle(
      toRequest(IgvTesting.sign({ body: body({ sellerOrderStatus: 2 }), secret, url: "/igv" }))
    )
    assert.deepStrictEqual(
      [first.status, await first.json(), second.status, await second.json(), forged.status, other.status],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }, 401, 200]
    )
    assert.deepStrictEqual([orders, unknown], [["9007199254740993"], ["2"]])
    await handle.dispose()
  })
})
