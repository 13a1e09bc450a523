import { assert, describe, it } from "@effect/vitest"
import { Hmac, RawDelivery } from "@hookline/core"
import * as EmTesting from "@hookline/provider-em/testing"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as IgvTesting from "@hookline/provider-igv/testing"
import * as Redacted from "effect/Redacted"
import { createHmac } from "node:crypto"
import { fileURLToPath } from "node:url"
import { type ExampleProcess, startExample } from "../../../test-support/ExampleProcess.ts"
import { allProviders, describeServerLimits, rejectedStaysOffStdout } from "../../../test-support/MountedExample.ts"
import { within } from "../../../test-support/Wait.ts"
import { hmacOptions } from "../src/app.ts"

// `npm run example:server`'s command as a real process (test-support/ExampleProcess.ts).
const dir = fileURLToPath(new URL("..", import.meta.url))
const startServer = (env: Record<string, string>) => startExample(dir, env)

const runs = (server: ExampleProcess, key: string): number => server.handled().filter((line) => line.key === key).length

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
    } finally {
      await server.stop()
    }
    // Exited: stdout is complete, and holds this one line and nothing else.
    assert.deepStrictEqual(server.stdout().map((line) => JSON.parse(line)), [{
      handled: "hmac",
      tag: "HmacEvent",
      key: "hmac:evt-server-1",
      event: { _tag: "HmacEvent", id: "evt-server-1", payload: { orderId: "9007199254740993", note: "订单" } }
    }])
  })

  it("mounts /igv from IGV_SECRET: orderId above 2^53 printed exactly; replay with another body → 409", async () => {
    const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
    const server = await startServer({ IGV_SECRET: Redacted.value(secret) })
    try {
      const body = (orderId: string) =>
        `{"createdAt":"2025-12-17T13:44:16","orderId":${orderId},"orderNum":"SO1","sellerOrderStatus":1,"buyerId":"7"}`
      const first = IgvTesting.sign({ body: body("9007199254740993"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await server.send(first)).status, 200)
      const replay = IgvTesting.sign({ body: body("9007199254740995"), secret, requestId: "42", url: "/igv" })
      assert.strictEqual((await server.send(replay)).status, 409)
      await server.printed("igv:42")
      const line: any = server.handled()[0]
      assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.orderId], [
        "igv",
        "OrderPendingDelivery",
        "igv:42",
        "9007199254740993"
      ])
    } finally {
      await server.stop()
    }
  })

  it("mounts /goldenpay from GOLDENPAY_SECRET: answers success, prints exact amounts", async () => {
    const secret = Redacted.make("server-goldenpay-token")
    const server = await startServer({ GOLDENPAY_SECRET: Redacted.value(secret) })
    try {
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP-S1", payed_amount: "99.90" }), secret)
      assert.deepStrictEqual(await server.send(raw, "/goldenpay"), { status: 200, text: "success" })
      await server.printed("goldenpay:collect:GP-S1:60")
      const line: any = server.handled()[0]
      assert.deepStrictEqual(
        [line.handled, line.tag, line.key, line.event.orderAmount, line.event.payedAmount, line.event.paidInFull],
        ["goldenpay", "CollectSucceeded", "goldenpay:collect:GP-S1:60", "100.00", "99.90", false]
      )
    } finally {
      await server.stop()
    }
  })

  it("mounts /em from EM_APP_ID + EM_APP_SECRET: JSON and form bodies, Chinese text verbatim, SUCCESS", async () => {
    const secret = Redacted.make("server-em-secret")
    const server = await startServer({ EM_APP_ID: "app-1", EM_APP_SECRET: Redacted.value(secret) })
    try {
      const requestData =
        `{"notify_type":"IN_STOCK_AUDIT","instock_no":"RK1","instock_status":1,"message":"待审核 \\"引号\\""}`
      const send = (encoding: "json" | "form") =>
        server.send(EmTesting.sign({ appId: "app-1", secret, requestData, encoding, url: "/em" }))
      assert.deepStrictEqual(await send("form"), { status: 200, text: "SUCCESS" })
      assert.deepStrictEqual(await send("json"), { status: 200, text: "SUCCESS" })
    } finally {
      await server.stop()
    }
    assert.strictEqual(server.stdout().length, 1)
    const line: any = server.handled()[0]
    assert.deepStrictEqual([line.handled, line.tag, line.key, line.event.message], [
      "em",
      "InStockAudit",
      "em:IN_STOCK_AUDIT:RK1:1",
      "待审核 \"引号\""
    ])
  })

  for (const store of ["redis", "postgres"] as const) {
    it(`HOOKLINE_STORE=${store}: a delivery handled by one server process is a Duplicate for a second one`, async () => {
      const secret = `store-test-${crypto.randomUUID()}`
      const env = { HMAC_SECRET: secret, HOOKLINE_STORE: store }
      const [first, second] = await Promise.all([startServer(env), startServer(env)])
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
        await Promise.all([first.stop(), second.stop()])
      }
    })
  }

  it("refuses to start without any provider secret", async () => {
    const error = await startServer({}).then(() => undefined, (e: Error) => e)
    assert.match(String(error?.message), /exited 2/)
  })
})

describe("reference receiver: /hmac signs <id>.<timestamp>.<body>", () => {
  // The oracle is node:crypto over the exact string, not hookline's own signer.
  const secret = "oracle-secret"
  const hex = (content: string) => createHmac("sha256", secret).update(content, "utf8").digest("hex")
  const headers = (id: string, timestamp: number, signature: string) => ({
    "content-type": "application/json",
    "x-webhook-id": id,
    "x-webhook-timestamp": String(timestamp),
    "x-signature": `sha256=${signature}`
  })

  it("accepts HMAC-SHA256 over `${id}.${ts}.${body}`; refuses `${ts}.${body}` and a signature moved to another id", async () => {
    const server = await startServer({ HMAC_SECRET: secret })
    const id = `evt-oracle-${crypto.randomUUID()}`
    try {
      const ts = Math.floor(Date.now() / 1000)
      const body = `{"orderId":"1001","note":"订单"}`
      const valid = await server.post("/hmac", headers(id, ts, hex(`${id}.${ts}.${body}`)), body)
      assert.deepStrictEqual([valid.status, valid.text], [200, `{"outcome":"Processed"}`])
      await server.printed(`hmac:${id}`)

      const oldId = `evt-oracle-old-${crypto.randomUUID()}`
      const old = await server.post("/hmac", headers(oldId, ts, hex(`${ts}.${body}`)), body)
      assert.deepStrictEqual([old.status, JSON.parse(old.text).reason], [401, "SignatureInvalid"])

      // The id is signed: a captured delivery replayed under a new id (a new idempotency key) is refused.
      const moved = await server.post("/hmac", headers(`${id}-again`, ts, hex(`${id}.${ts}.${body}`)), body)
      assert.deepStrictEqual([moved.status, JSON.parse(moved.text).reason], [401, "SignatureInvalid"])
    } finally {
      await server.stop()
    }
    // Exited: stdout is complete. Only the correctly signed delivery ran.
    assert.deepStrictEqual(server.stdout().map((line) => JSON.parse(line).key), [`hmac:${id}`])
  })
})

describe("reference receiver: stdout carries only handled events", () => {
  it("the start-up line goes to stderr; a rejected request with a forged line puts nothing on stdout", async () => {
    const server = await startServer(allProviders)
    try {
      assert.deepStrictEqual(server.stdout(), [])
      assert.match(server.stderr(), /hookline reference receiver listening on :\d+/)
      await rejectedStaysOffStdout(server)
    } finally {
      await server.stop()
    }
  })

  it("a store that cannot be reached: the delivery is answered 'retry', the errors are logged on stderr, stdout stays empty", async () => {
    const secret = "unreachable-store-secret"
    const server = await startServer({
      HMAC_SECRET: secret,
      HOOKLINE_STORE: "redis",
      HOOKLINE_REDIS_URL: "redis://127.0.0.1:1"
    })
    try {
      const raw = Hmac.testing.sign(hmacOptions(Redacted.make(secret)), {
        body: "{}",
        id: "evt-no-store",
        url: "/hmac"
      })
      const reply = await server.send(raw)
      assert.deepStrictEqual([reply.status, JSON.parse(reply.text).reason], [503, "StoreUnavailable"])
      await server.logged(/ECONNREFUSED/g)
    } finally {
      await server.stop()
    }
    // Exited: the output is complete.
    assert.deepStrictEqual(server.stdout(), [], `log lines on stdout, the event stream:\n${server.stdout().join("\n")}`)
  })
})

describeServerLimits("examples/node-http", dir)

describe("reference receiver: invalid settings", () => {
  const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
    [{ HOOKLINE_HANDLER_DELAY_MS: "abc" }, /HOOKLINE_HANDLER_DELAY_MS="abc"/],
    [{ HOOKLINE_HANDLER_DELAY_MS: "-1" }, /HOOKLINE_HANDLER_DELAY_MS="-1"/],
    [{ HOOKLINE_TIME_BUDGET_MS: "0" }, /HOOKLINE_TIME_BUDGET_MS="0"/],
    [{ HOOKLINE_TIME_BUDGET_MS: "1.5" }, /HOOKLINE_TIME_BUDGET_MS="1.5"/],
    [{ HOOKLINE_STORE: "mysql" }, /HOOKLINE_STORE="mysql"/],
    [{ HOOKLINE_MAX_CONNECTIONS: "many" }, /HOOKLINE_MAX_CONNECTIONS="many"/],
    [{ HOOKLINE_REQUEST_TIMEOUT_MS: "1000", HOOKLINE_HEADERS_TIMEOUT_MS: "5000" }, /HOOKLINE_HEADERS_TIMEOUT_MS/],
    [{ PORT: "70000" }, /PORT="70000"/]
  ]
  // Eight processes start at once (each loading the sources): on a busy machine that takes a while,
  // so the start bound and the timeout are wider than one server's.
  it("exit with status 2 and a message naming the variable on stderr, instead of a silent default", async () => {
    const errors = await Promise.all(
      cases.map(([env]) =>
        startExample(dir, { HMAC_SECRET: "s", ...env }, { startMillis: 50_000 }).then(
          (server) => server.stop(),
          (e: Error) => e
        )
      )
    )
    cases.forEach(([env, message], i) => {
      const error = String(errors[i] instanceof Error ? errors[i].message : `started (${JSON.stringify(env)})`)
      assert.match(error, /exited 2 before listening/, error)
      assert.match(error, /hookline: invalid configuration: /, error)
      assert.match(error, message, error)
    })
  }, 60_000)
})

describe("reference receiver: fails fast on a store URL that cannot work", () => {
  it("a malformed Redis or PostgreSQL URL exits 2 at start, naming the problem, never the URL's password", async () => {
    const cases = [
      [
        { HOOKLINE_STORE: "redis", HOOKLINE_REDIS_URL: "http://user:hunter2@127.0.0.1:6379" },
        /Redis URL's scheme is http:/
      ],
      [{ HOOKLINE_STORE: "postgres", HOOKLINE_PG_URL: "mysql://root:hunter2@127.0.0.1/test" }, /url's scheme is mysql:/]
    ] as const
    const errors = await Promise.all(
      cases.map(([env]) => startServer({ HMAC_SECRET: "s", ...env }).then((server) => server.stop(), (e: Error) => e))
    )
    cases.forEach(([env, message], i) => {
      const error = String(errors[i] instanceof Error ? errors[i].message : `started (${JSON.stringify(env)})`)
      assert.match(error, /exited 2 before listening/, error)
      assert.match(error, /hookline: cannot start: Misconfigured/, error)
      assert.match(error, message, error)
      assert.notInclude(error, "hunter2")
    })
  })
})

describe("reference receiver: shutdown with a handler past its time budget", () => {
  // The handler takes 1.5 s (HOOKLINE_HANDLER_DELAY_MS), the budget is 300 ms (HOOKLINE_TIME_BUDGET_MS):
  // the platform gets "retry" (503 TimedOut) while the handler goes on in the background. SIGTERM
  // then must let it finish and record its completion before the store closes, so the platform's
  // retry — to a new process on the same store — is acknowledged as a Duplicate without a second run.
  for (const store of ["redis", "postgres"] as const) {
    it(
      `HOOKLINE_STORE=${store}: SIGTERM after the 503 → the handler finishes once, exit 0; the retry to a new process is a Duplicate`,
      async () => {
        const secret = `shutdown-${crypto.randomUUID()}`
        const env = {
          HMAC_SECRET: secret,
          HOOKLINE_STORE: store,
          HOOKLINE_REDIS_PREFIX: `hookline-test-${crypto.randomUUID()}:`,
          HOOKLINE_HANDLER_DELAY_MS: "1500",
          HOOKLINE_TIME_BUDGET_MS: "300"
        }
        const sign = (id: string) =>
          Hmac.testing.sign(hmacOptions(Redacted.make(secret)), { body: { id, store }, id, url: "/hmac" })
        const id = `evt-shutdown-${crypto.randomUUID()}`
        const key = `hmac:${id}`
        const raw = sign(id)

        const first = await startServer(env)
        const sent = performance.now()
        const timedOut = await first.send(raw)
        const answeredAfter = performance.now() - sent
        assert.deepStrictEqual([timedOut.status, JSON.parse(timedOut.text)], [503, {
          outcome: "Failed",
          reason: "TimedOut"
        }])
        assert.isBelow(
          answeredAfter,
          1500,
          "answered only once the 1.5 s handler was done: the 300 ms budget did not apply"
        )

        first.kill("SIGTERM")
        await first.logged(/SIGTERM, shutting down/g)
        // While it shuts down, a new delivery is not acknowledged (refused or answered "retry"), and does not hang.
        const probeId = `evt-during-shutdown-${crypto.randomUUID()}`
        const during = await within(
          first.send(sign(probeId)).then((reply) => `${reply.status}`, (error: Error) => `refused (${error.message})`),
          3000,
          "a request sent during shutdown got no answer"
        )
        assert.notMatch(during, /^2/, "a delivery sent during shutdown was acknowledged")

        const exit = await within(
          first.exited,
          6000,
          "the receiver did not exit after SIGTERM though its only handler needed ~1.2 s more"
        )
        assert.deepStrictEqual(exit, { code: 0, signal: null }, `exit status after SIGTERM; stderr:\n${first.stderr()}`)
        assert.strictEqual(runs(first, key), 1, "the first process must finish the handler it had started, once")
        assert.strictEqual(runs(first, `hmac:${probeId}`), 0)

        const second = await startServer(env)
        let retry: { status: number; text: string }
        try {
          retry = await second.send(raw)
        } finally {
          await second.stop()
        }
        assert.deepStrictEqual(
          [retry.status, retry.text],
          [200, `{"outcome":"Duplicate"}`],
          "the retry after shutdown must be acknowledged as a Duplicate: the completion was recorded before the store closed"
        )
        assert.strictEqual(runs(second, key), 0, "the retry ran the handler a second time")
      },
      30_000
    )
  }
})
