import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"
import { md5Hex } from "../../../test-support/Md5.ts"

// Real HTTP runs on the live clock: `EmTesting.sign` stamps notifications with the current time.
const appId = "KEY_AAAAAA"
const secretText = "SECRET_AAAAAA"
const secret = Redacted.make(secretText)
const provider = Em.provider({ appId, secret })

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A server with one typed handler per event; each records what it saw.
const serve = async (options?: { readonly failOrders?: number }) => {
  const orders: Array<Em.OrderAudit> = []
  const inStock: Array<Em.InStockAudit> = []
  const unknown: Array<Em.UnknownNotification> = []
  let orderAttempts = 0
  const handler = defineHandler(provider, {
    OrderAudit: (order) =>
      Effect.suspend(() => {
        orderAttempts++
        if (orderAttempts <= (options?.failOrders ?? 0)) return Effect.fail("ERP unavailable" as const)
        orders.push(order)
        return Effect.void
      }),
    InStockAudit: (receipt) => Effect.sync(() => inStock.push(receipt)),
    UnknownNotification: (event) => Effect.sync(() => unknown.push(event))
  })
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, orders, inStock, unknown, orderAttempts: () => orderAttempts }
}

const order = (message = "审核通过") => ({
  notify_type: "OUT_TRADE_AUDIT",
  trade_no: "DD202409250002",
  trade_status: 2,
  message
})
const receipt = { notify_type: "IN_STOCK_AUDIT", instock_no: "RK202409240007", instock_status: 1 }

const nowSeconds = () => Math.floor(Date.now() / 1000)

describe("Em through real HTTP (node listener + MemoryStore)", () => {
  it("order audit and in-stock audit each reach their own typed handler, in JSON and form bodies", async () => {
    const { server, orders, inStock, unknown } = await serve()
    const first = await server.send(EmTesting.sign({ appId, secret, requestData: order(), encoding: "json" }))
    const second = await server.send(EmTesting.sign({ appId, secret, requestData: receipt, encoding: "form" }))
    for (const response of [first, second]) {
      assert.deepStrictEqual([response.status, response.body], [200, "SUCCESS"])
      assert.strictEqual(response.headers.get("content-type"), "text/plain; charset=utf-8")
    }
    assert.deepStrictEqual(orders, [{
      _tag: "OrderAudit",
      tradeNo: "DD202409250002",
      status: "Approved",
      statusCode: "2",
      message: "审核通过"
    }])
    assert.deepStrictEqual(inStock, [{
      _tag: "InStockAudit",
      instockNo: "RK202409240007",
      status: "PendingAudit",
      statusCode: "1"
    }])
    assert.deepStrictEqual(unknown, [])
  })

  it("a repeat → SUCCESS without running the handler again", async () => {
    const { server, orders } = await serve()
    const raw = EmTesting.sign({ appId, secret, requestData: order(), encoding: "form" })
    const responses = [await server.send(raw), await server.send(raw), await server.send(raw)]
    assert.deepStrictEqual(responses.map((r) => [r.status, r.body]), [[200, "SUCCESS"], [200, "SUCCESS"], [
      200,
      "SUCCESS"
    ]])
    assert.strictEqual(orders.length, 1)
  })

  it("a retry re-signed with a fresh timestamp after success → SUCCESS (Duplicate), not re-run", async () => {
    const { server, orders } = await serve()
    const original = EmTesting.sign({
      appId,
      secret,
      requestData: order(),
      timestamp: nowSeconds() - 60,
      encoding: "json"
    })
    const retry = EmTesting.sign({ appId, secret, requestData: order(), timestamp: nowSeconds(), encoding: "json" })
    assert.notStrictEqual(new TextDecoder().decode(original.body), new TextDecoder().decode(retry.body))
    assert.strictEqual((await server.send(original)).body, "SUCCESS")
    const again = await server.send(retry)
    assert.deepStrictEqual([again.status, again.body], [200, "SUCCESS"])
    assert.strictEqual(orders.length, 1)
  })

  it("a bad sign, a foreign appid or tampered request_data → ERROR with 401; no handler runs", async () => {
    const { server, orders, inStock, unknown, orderAttempts } = await serve()
    const raw = EmTesting.sign({ appId, secret, requestData: order(), encoding: "form" })
    const text = new TextDecoder().decode(raw.body)
    const withBody = (body: string): RawDelivery.RawDelivery => ({ ...raw, body: new TextEncoder().encode(body) })
    const bad = [
      EmTesting.sign({ appId, secret: Redacted.make("SECRET_OTHER"), requestData: order(), encoding: "form" }),
      EmTesting.sign({ appId: "KEY_OTHER", secret, requestData: order(), encoding: "form" }),
      withBody(text.replace("trade_status%22%3A2", "trade_status%22%3A1")),
      withBody(text.replace(/sign=[0-9a-f]+/u, "sign="))
    ]
    assert.notStrictEqual(new TextDecoder().decode(bad[2]!.body), text)
    for (const request of bad) {
      const response = await server.send(request)
      assert.deepStrictEqual([response.status, response.body], [401, "ERROR"])
    }
    assert.strictEqual(orderAttempts(), 0)
    assert.deepStrictEqual([orders.length, inStock.length, unknown.length], [0, 0, 0])
    // The genuine notification is still processed afterwards.
    assert.strictEqual((await server.send(raw)).body, "SUCCESS")
    assert.strictEqual(orders.length, 1)
  })

  it("a form body signed by an independent MD5 with Chinese text, quotes and + arrives verbatim", async () => {
    const { server, orders } = await serve()
    const message = "审核通过：\"加急\" a+b & 50%"
    const requestData = JSON.stringify(order(message))
    const timestamp = String(nowSeconds())
    const sign = md5Hex(`${secretText}appid${appId}request_data${requestData}timestamp${timestamp}${secretText}`)
    const encode = (value: string) => encodeURIComponent(value).replaceAll("%20", "+")
    const body = `appid=${appId}&request_data=${encode(requestData)}&timestamp=${timestamp}&sign=${sign}`
    const response = await server.send({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new TextEncoder().encode(body)
    })
    assert.deepStrictEqual([response.status, response.body], [200, "SUCCESS"])
    assert.strictEqual(orders[0]?.message, message)
  })

  it("a failing handler → ERROR 500; EM's retry runs it again and gets SUCCESS", async () => {
    const { server, orders, orderAttempts } = await serve({ failOrders: 1 })
    const raw = EmTesting.sign({ appId, secret, requestData: order(), encoding: "json" })
    const failed = await server.send(raw)
    assert.deepStrictEqual([failed.status, failed.body], [500, "ERROR"])
    const retried = await server.send(raw)
    assert.deepStrictEqual([retried.status, retried.body], [200, "SUCCESS"])
    assert.deepStrictEqual([orderAttempts(), orders.length], [2, 1])
  })

  it("a 65 KiB body → 413 ERROR by default (no parse, no handler); a raised bodyLimit admits it", async () => {
    const { orderAttempts, server } = await serve()
    // Correctly signed, padded past 64 KiB with a message: only the body limit can refuse it.
    const big = EmTesting.sign({ appId, secret, requestData: order("x".repeat(65 * 1024)), encoding: "json" })
    assert.isAbove(big.body.length, 64 * 1024)
    const refused = await server.send(big)
    assert.deepStrictEqual([refused.status, refused.body], [413, "ERROR"])
    assert.strictEqual(orderAttempts(), 0)

    const seen: Array<string> = []
    const raised = await listen(
      defineHandler(
        provider,
        (event) => Effect.sync(() => seen.push(event._tag)),
        { bodyLimit: 256 * 1024 }
      ),
      Logs.capturing(MemoryStore.layer())
    )
    servers.push(raised)
    const accepted = await raised.send(big)
    assert.deepStrictEqual([accepted.status, accepted.body, seen], [200, "SUCCESS", ["OrderAudit"]])
  })

  it("an envelope over the field or depth bounds → 400 ERROR, even when correctly signed; no handler runs", async () => {
    const { orderAttempts, orders, server } = await serve()
    const raw = EmTesting.sign({ appId, secret, requestData: order(), encoding: "form" })
    const text = new TextDecoder().decode(raw.body)
    const extra = Array.from({ length: 40 }, (_, i) => `x${i}=1`).join("&")
    const json = JSON.parse(new TextDecoder().decode(
      EmTesting.sign({ appId, secret, requestData: order(), encoding: "json" }).body
    )) as Record<string, string>
    const bodies = [
      `${text}&${extra}`,
      JSON.stringify({ ...json, ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x${i}`, 1])) }),
      JSON.stringify({ ...json, x: [[[[[[1]]]]]] })
    ]
    for (const body of bodies) {
      const response = await server.send({ ...raw, body: new TextEncoder().encode(body) })
      assert.deepStrictEqual([response.status, response.body], [400, "ERROR"])
    }
    assert.deepStrictEqual([orderAttempts(), orders.length], [0, 0])
    // Positive control: the same notification within the bounds is processed.
    assert.strictEqual((await server.send(raw)).body, "SUCCESS")
  })

  it("an unknown notify_type reaches UnknownNotification with its raw fields", async () => {
    const { server, unknown } = await serve()
    const requestData = `{"notify_type":"OUT_TRADE_CANCEL","trade_no":"DD7","amount":100.10}`
    const response = await server.send(EmTesting.sign({ appId, secret, requestData, encoding: "form" }))
    assert.strictEqual(response.body, "SUCCESS")
    assert.deepStrictEqual(unknown, [{
      _tag: "UnknownNotification",
      notifyType: "OUT_TRADE_CANCEL",
      fields: { notify_type: "OUT_TRADE_CANCEL", trade_no: "DD7", amount: "100.10" },
      requestData
    }])
  })
})

describe("Em through toWebHandler", () => {
  it("Request → SUCCESS; the same notification again → SUCCESS without re-run; a bad sign → 401 ERROR", async () => {
    const seen: Array<string> = []
    const handle = toWebHandler(
      defineHandler(provider, {
        OrderAudit: (event) => Effect.sync(() => seen.push(`order ${event.tradeNo} ${event.status}`)),
        InStockAudit: (event) => Effect.sync(() => seen.push(`in-stock ${event.instockNo} ${event.status}`)),
        UnknownNotification: (event) => Effect.sync(() => seen.push(`unknown ${event.notifyType}`))
      }),
      Logs.capturing(MemoryStore.layer())
    )
    try {
      const request = (raw: RawDelivery.RawDelivery) =>
        new Request("http://localhost/em", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
      const raw = EmTesting.sign({ appId, secret, requestData: receipt, encoding: "json" })
      const responses = [await handle(request(raw)), await handle(request(raw))]
      assert.deepStrictEqual(
        await Promise.all(responses.map(async (r) => [r.status, await r.text()])),
        [[200, "SUCCESS"], [200, "SUCCESS"]]
      )
      const forged = EmTesting.sign({ appId, secret: Redacted.make("nope"), requestData: order(), encoding: "json" })
      const rejected = await handle(request(forged))
      assert.deepStrictEqual([rejected.status, await rejected.text()], [401, "ERROR"])
      assert.deepStrictEqual(seen, ["in-stock RK202409240007 PendingAudit"])
    } finally {
      await handle.dispose()
    }
  })
})
