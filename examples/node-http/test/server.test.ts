import { assert, describe, it } from "@effect/vitest"
import { Hmac, RawDelivery } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { hmacOptions } from "../src/app.ts"

const dir = fileURLToPath(new URL("..", import.meta.url))
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))

interface Server {
  readonly port: number
  /** Everything the server printed on stdout, one entry per line. */
  readonly lines: Array<string>
  /** POSTs a signed delivery (to `path`, default its own URL); resolves to status and body text. */
  readonly send: (raw: RawDelivery.RawDelivery, path?: string) => Promise<{ status: number; text: string }>
  /** The first printed line, parsed (waits for it). */
  readonly firstLine: () => Promise<any>
  readonly stop: () => void
}

// Starts `npm run example:server`'s command as a real process and waits for its port.
const startServer = (env: Record<string, string>) =>
  new Promise<Server>((resolve, reject) => {
    const child: ChildProcess = spawn(node, ["--conditions=@hookline/source", "src/server.ts"], {
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
    const server = (port: number): Server => ({
      port,
      lines,
      send: async (raw, path = raw.url) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: "POST",
          headers: raw.headers,
          body: Buffer.from(raw.body)
        })
        return { status: response.status, text: await response.text() }
      },
      firstLine: async () => {
        while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
        return JSON.parse(lines[0]!)
      },
      stop: () => child.kill("SIGTERM")
    })
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /listening on :(\d+)/.exec(stderr)
      if (match) resolve(server(Number(match[1])))
    })
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)))
  })

describe("reference receiver (npm run example:server)", () => {
  it("mounts /hmac from HMAC_SECRET and prints one JSON line per handled event", async () => {
    const secret = "server-test-secret"
    const server = await startServer({ HMAC_SECRET: secret, HOOKLINE_STORE: "memory" })
    try {
      const raw = Hmac.testing.sign(hmacOptions(Redacted.make(secret)), {
        body: `{"orderId":9007199254740993,"note":"订单"}`,
        id: "evt-server-1",
        url: "/hmac"
      })
      assert.strictEqual((await server.send(raw)).status, 200)
      assert.strictEqual((await server.send(raw)).status, 200)
      assert.strictEqual((await server.send(RawDelivery.make({ body: "{}" }), "/igv")).status, 404)
      assert.deepStrictEqual(await server.firstLine(), {
        handled: "hmac",
        tag: "HmacEvent",
        key: "hmac:evt-server-1",
        event: { _tag: "HmacEvent", id: "evt-server-1", payload: { orderId: "9007199254740993", note: "订单" } }
      })
      assert.strictEqual(server.lines.length, 1)
    } finally {
      server.stop()
    }
  })

  it("mounts /igv from IGV_SECRET: orderId above 2^53 printed exactly; replay with another body → 409", async () => {
    const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
    const server = await startServer({ IGV_SECRET: Redacted.value(secret) })
    try {
      const body = (orderId: string) =>
        `{"createdAt":"2025-12-17T13:44:16","orderId":${orderId},"orderNum":"SO1","sellerOrderStatus":1,"buyerId":"7"}`
      const first = Igv.testing.sign({ body: body("9007199254740993"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await server.send(first)).status, 200)
      const replay = Igv.testing.sign({ body: body("9007199254740995"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await server.send(replay)).status, 409)
      const line = await server.firstLine()
      assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.orderId], [
        "igv",
        "OrderPendingDelivery",
        "igv:42",
        "9007199254740993"
      ])
    } finally {
      server.stop()
    }
  })

  it("mounts /goldenpay from GOLDENPAY_SECRET: answers success, prints exact amounts", async () => {
    const secret = Redacted.make("server-goldenpay-token")
    const server = await startServer({ GOLDENPAY_SECRET: Redacted.value(secret) })
    try {
      const raw = GoldenPay.testing.sign(GoldenPay.testing.collect({ id: "GP-S1", payed_amount: "99.90" }), secret)
      assert.deepStrictEqual(await server.send(raw, "/goldenpay"), { status: 200, text: "success" })
      const line = await server.firstLine()
      assert.deepStrictEqual(
        [line.handled, line.tag, line.key, line.event.orderAmount, line.event.payedAmount, line.event.paidInFull],
        ["goldenpay", "CollectSucceeded", "goldenpay:collect:GP-S1:60", "100.00", "99.90", false]
      )
    } finally {
      server.stop()
    }
  })

  it("mounts /em from EM_APP_ID + EM_APP_SECRET: JSON and form bodies, Chinese text verbatim, SUCCESS", async () => {
    const secret = Redacted.make("server-em-secret")
    const server = await startServer({ EM_APP_ID: "app-1", EM_APP_SECRET: Redacted.value(secret) })
    try {
      const requestData =
        `{"notify_type":"IN_STOCK_AUDIT","instock_no":"RK1","instock_status":1,"message":"待审核 \\"引号\\""}`
      const send = (encoding: "json" | "form") =>
        server.send(Em.testing.sign({ appId: "app-1", secret, requestData, encoding, url: "/em" }))
      assert.deepStrictEqual(await send("form"), { status: 200, text: "SUCCESS" })
      assert.deepStrictEqual(await send("json"), { status: 200, text: "SUCCESS" })
      const line = await server.firstLine()
      assert.strictEqual(server.lines.length, 1)
      assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.message], [
        "em",
        "InStockAudit",
        "em:IN_STOCK_AUDIT:RK1:1",
        "待审核 \"引号\""
      ])
    } finally {
      server.stop()
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
        const a = await first.send(raw)
        const b = await second.send(raw)
        assert.deepStrictEqual([a.status, JSON.parse(a.text).outcome], [200, "Processed"])
        assert.deepStrictEqual([b.status, JSON.parse(b.text).outcome], [200, "Duplicate"])
      } finally {
        first.stop()
        second.stop()
      }
    })
  }

  it("refuses to start without any provider secret", async () => {
    const error = await startServer({}).then(() => undefined, (e: Error) => e)
    assert.match(String(error?.message), /exited 2/)
  })
})
