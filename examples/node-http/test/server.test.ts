import { assert, describe, it } from "@effect/vitest"
import { Hmac } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { hmacOptions } from "../src/app.ts"

const dir = fileURLToPath(new URL("..", import.meta.url))
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))

// Starts `npm run example:server`'s command as a real process and waits for its port.
const startServer = (env: Record<string, string>) =>
  new Promise<{ child: ChildProcess; port: number; lines: Array<string> }>((resolve, reject) => {
    const child = spawn(node, ["--conditions=@hookline/source", "src/server.ts"], {
      cwd: dir,
      env: { ...process.env, PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const lines: Array<string> = []
    let stdout = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      const parts = stdout.split("\n")
      stdout = parts.pop()!
      lines.push(...parts)
    })
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /listening on :(\d+)/.exec(stderr)
      if (match) resolve({ child, port: Number(match[1]), lines })
    })
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)))
  })

describe("reference receiver (npm run example:server)", () => {
  it("mounts /hmac from HMAC_SECRET and prints one JSON line per handled event", async () => {
    const secret = "server-test-secret"
    const { child, port, lines } = await startServer({ HMAC_SECRET: secret, HOOKLINE_STORE: "memory" })
    try {
      const raw = Hmac.testing.sign(hmacOptions(Redacted.make(secret)), {
        body: `{"orderId":9007199254740993,"note":"订单"}`,
        id: "evt-server-1",
        url: "/hmac"
      })
      const send = () =>
        fetch(`http://127.0.0.1:${port}${raw.url}`, {
          method: "POST",
          headers: raw.headers,
          body: Buffer.from(raw.body)
        })
      assert.strictEqual((await send()).status, 200)
      assert.strictEqual((await send()).status, 200)
      assert.strictEqual((await fetch(`http://127.0.0.1:${port}/igv`, { method: "POST", body: "{}" })).status, 404)
      while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.strictEqual(lines.length, 1)
      assert.deepStrictEqual(JSON.parse(lines[0]!), {
        handled: "hmac",
        tag: "HmacEvent",
        key: "hmac:evt-server-1",
        event: { _tag: "HmacEvent", id: "evt-server-1", payload: { orderId: "9007199254740993", note: "订单" } }
      })
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("mounts /igv from IGV_SECRET: orderId above 2^53 printed exactly; replay with another body → 409", async () => {
    const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
    const { child, port, lines } = await startServer({ IGV_SECRET: Redacted.value(secret) })
    try {
      const body = (orderId: string) =>
        `{"createdAt":"2025-12-17T13:44:16","orderId":${orderId},"orderNum":"SO1","sellerOrderStatus":1,"buyerId":"7"}`
      const send = (raw: ReturnType<typeof Igv.testing.sign>) =>
        fetch(`http://127.0.0.1:${port}${raw.url}`, {
          method: "POST",
          headers: raw.headers,
          body: Buffer.from(raw.body)
        })
      const first = Igv.testing.sign({ body: body("9007199254740993"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await send(first)).status, 200)
      const replay = Igv.testing.sign({ body: body("9007199254740995"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await send(replay)).status, 409)
      while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      const line = JSON.parse(lines[0]!)
      assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.orderId], [
        "igv",
        "OrderPendingDelivery",
        "igv:42",
        "9007199254740993"
      ])
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("mounts /goldenpay from GOLDENPAY_SECRET: answers success, prints exact amounts", async () => {
    const secret = Redacted.make("server-goldenpay-token")
    const { child, port, lines } = await startServer({ GOLDENPAY_SECRET: Redacted.value(secret) })
    try {
      const raw = GoldenPay.testing.sign(GoldenPay.testing.collect({ id: "GP-S1", payed_amount: "99.90" }), secret)
      const response = await fetch(`http://127.0.0.1:${port}/goldenpay`, {
        method: "POST",
        headers: raw.headers,
        body: Buffer.from(raw.body)
      })
      assert.deepStrictEqual([response.status, await response.text()], [200, "success"])
      while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      const line = JSON.parse(lines[0]!)
      assert.deepStrictEqual(
        [line.handled, line.tag, line.key, line.event.orderAmount, line.event.payedAmount, line.event.paidInFull],
        ["goldenpay", "CollectSucceeded", "goldenpay:collect:GP-S1:60", "100.00", "99.90", false]
      )
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("mounts /em from EM_APP_ID + EM_APP_SECRET: JSON and form bodies, Chinese text verbatim, SUCCESS", async () => {
    const secret = Redacted.make("server-em-secret")
    const { child, port, lines } = await startServer({ EM_APP_ID: "app-1", EM_APP_SECRET: Redacted.value(secret) })
    try {
      const requestData =
        `{"notify_type":"IN_STOCK_AUDIT","instock_no":"RK1","instock_status":1,"message":"待审核 \\"引号\\""}`
      const send = async (encoding: "json" | "form") => {
        const raw = Em.testing.sign({ appId: "app-1", secret, requestData, encoding, url: "/em" })
        const response = await fetch(`http://127.0.0.1:${port}/em`, {
          method: "POST",
          headers: raw.headers,
          body: Buffer.from(raw.body)
        })
        return [response.status, await response.text()]
      }
      assert.deepStrictEqual(await send("form"), [200, "SUCCESS"])
      assert.deepStrictEqual(await send("json"), [200, "SUCCESS"])
      while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.strictEqual(lines.length, 1)
      const line = JSON.parse(lines[0]!)
      assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.message], [
        "em",
        "InStockAudit",
        "em:IN_STOCK_AUDIT:RK1:1",
        "待审核 \"引号\""
      ])
    } finally {
      child.kill("SIGTERM")
    }
  })

  for (const store of ["redis", "postgres"] as const) {
    it(`HOOKLINE_STORE=${store}: a delivery handled by one server process is a Duplicate for a second one`, async () => {
      const secret = `store-test-${crypto.randomUUID()}`
      const first = await startServer({ HMAC_SECRET: secret, HOOKLINE_STORE: store })
      const second = await startServer({ HMAC_SECRET: secret, HOOKLINE_STORE: store })
      try {
        const raw = Hmac.testing.sign(hmacOptions(Redacted.make(secret)), {
          body: `{"store":"${store}"}`,
          id: `evt-${crypto.randomUUID()}`,
          url: "/hmac"
        })
        const send = (port: number) =>
          fetch(`http://127.0.0.1:${port}${raw.url}`, {
            method: "POST",
            headers: raw.headers,
            body: Buffer.from(raw.body)
          })
        const a = await send(first.port)
        const b = await send(second.port)
        assert.deepStrictEqual([a.status, (await a.json()).outcome], [200, "Processed"])
        assert.deepStrictEqual([b.status, (await b.json()).outcome], [200, "Duplicate"])
      } finally {
        first.child.kill("SIGTERM")
        second.child.kill("SIGTERM")
      }
    })
  }

  it("refuses to start without any provider secret", async () => {
    const error = await startServer({}).then(() => undefined, (e: Error) => e)
    assert.match(String(error?.message), /exited 2/)
  })
})
