import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, IdempotencyStore, Misconfigured, RawDelivery, route, type Routes } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { toWebHandler } from "@hookline/core/web"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as BigDecimal from "effect/BigDecimal"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"
import { md5Hex } from "../../../test-support/Md5.ts"
import { startError } from "../../../test-support/Startup.ts"
import { captures } from "./Captures.ts"

const token = "http-token-77aa"
const secret = Redacted.make(token)
const provider = GoldenPay.provider({ secret })
const payoutRoute = GoldenPay.provider({ secret, kind: "payout" })
const { collect, payout, sign } = GoldenPayTesting

const servers: Array<TestServer> = []
const serve = async <R, E>(
  endpoint: Routes.Endpoint<R>,
  layer: Layer.Layer<R | IdempotencyStore.IdempotencyStore, E>
) => {
  const server = await listen(endpoint, Logs.capturing(layer))
  servers.push(server)
  return server
}
const serveWithMemory = (endpoint: Routes.Endpoint<never>) => serve(endpoint, MemoryStore.layer())
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A promise the test resolves, for handlers that must wait for the test (no timing assumptions).
const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { open, promise, wait: Effect.promise(() => promise) }
}

describe("GoldenPay over real HTTP", () => {
  it("a valid collect → 200 success (text/plain) and the handler runs once; repeats → success, no re-run", async () => {
    const events: Array<GoldenPay.Event> = []
    const server = await serveWithMemory(defineHandler(provider, (event) => Effect.sync(() => events.push(event))))
    const raw = sign(collect(), secret)
    const responses = [await server.send(raw), await server.send(raw), await server.send(raw)]
    assert.deepStrictEqual(responses.map((r) => [r.status, r.body]), [[200, "success"], [200, "success"], [
      200,
      "success"
    ]])
    assert.strictEqual(responses[0]!.headers.get("content-type"), "text/plain; charset=utf-8")
    assert.deepStrictEqual(events.map((event) => [event._tag, event.id]), [["CollectSucceeded", "GP202605040001"]])
  })

  it("an independently signed capture (JSON number amount) is processed with the exact amount", async () => {
    const amounts: Array<string> = []
    const server = await serveWithMemory(defineHandler(provider, {
      CollectSucceeded: (event) => Effect.sync(() => amounts.push(BigDecimal.format(event.orderAmount))),
      CollectProcessing: () => Effect.void,
      CollectFailed: () => Effect.void
    }))
    const signed = `${token}&channel=QR&created_at=2026-05-04 10:05:00&id=GP9&mch_id=1001&order_amount=100.25` +
      `&payed_amount=100.25&status=60&trans_id=T9`
    const body = `{"id":"GP9","trans_id":"T9","mch_id":1001,"order_amount":100.25,"payed_amount":"100.25",` +
      `"channel":"QR","status":60,"created_at":"2026-05-04 10:05:00","payed_at":null,"sign":"${md5Hex(signed)}"}`
    const raw: RawDelivery.RawDelivery = {
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json" },
      body: new TextEncoder().encode(body)
    }
    const response = await server.send(raw)
    assert.deepStrictEqual([response.status, response.body], [200, "success"])
    assert.deepStrictEqual(amounts, ["100.25"])
  })

  it("a payout canceled callback reaches a kind: \"payout\" route as PayoutCanceled", async () => {
    const canceled: Array<GoldenPay.PayoutCanceled> = []
    const server = await serveWithMemory(defineHandler(payoutRoute, (event) =>
      Effect.sync(() => {
        if (event._tag === "PayoutCanceled") canceled.push(event)
      })))
    const raw = sign(payout({ status: 50, payed_at: null, canceled_at: "2026-05-04 11:03:00" }), secret)
    const response = await server.send(raw)
    assert.deepStrictEqual([response.status, response.body], [200, "success"])
    assert.strictEqual(canceled.length, 1)
    assert.deepStrictEqual(
      [canceled[0]!.transId, canceled[0]!.status, canceled[0]!.canceledAt, BigDecimal.format(canceled[0]!.orderAmount)],
      ["PAYOUT-2001", "50", "2026-05-04 11:03:00", "250"]
    )
  })

  it("payed_amount 99.99 vs order_amount 100.00 reaches the handler as not paid in full, with exact decimals", async () => {
    const seen: Array<readonly [boolean, string, string]> = []
    const server = await serveWithMemory(defineHandler(provider, (event) =>
      Effect.sync(() => {
        if (event._tag === "CollectSucceeded") {
          seen.push([event.paidInFull, BigDecimal.format(event.payedAmount), BigDecimal.format(event.orderAmount)])
          // The check the docs demand, as a user writes it.
          assert.isFalse(BigDecimal.equals(event.payedAmount, event.orderAmount))
          assert.isTrue(
            BigDecimal.equals(
              BigDecimal.subtract(event.orderAmount, event.payedAmount),
              BigDecimal.fromStringUnsafe("0.01")
            )
          )
        }
      })))
    const response = await server.send(sign(collect({ payed_amount: "99.99", order_amount: "100.00" }), secret))
    assert.deepStrictEqual([response.status, response.body], [200, "success"])
    assert.deepStrictEqual(seen, [[false, "99.99", "100"]])
  })

  it("a handler slower than the budget → fail now; it completes in the background; the retry → success, one run", async () => {
    const store = MemoryStore.make()
    const completed = gate()
    // The real memory store, observed: the test learns when the background completion is recorded.
    const observed = Layer.succeed(
      IdempotencyStore.IdempotencyStore,
      IdempotencyStore.IdempotencyStore.of({
        ...store,
        complete: (key, claimToken, retain) =>
          store.complete(key, claimToken, retain).pipe(Effect.tap(() => Effect.sync(completed.open)))
      })
    )
    const release = gate()
    let runs = 0
    const server = await serve(
      defineHandler(provider, () => release.wait.pipe(Effect.andThen(Effect.sync(() => runs++))), {
        timeBudget: "100 millis"
      }),
      observed
    )
    const raw = sign(collect(), secret)
    const first = await server.send(raw)
    assert.deepStrictEqual([first.status, first.body], [503, "fail"])
    assert.strictEqual(runs, 0)
    // A retry while the handler still runs is "in flight": fail, and no second run.
    const early = await server.send(raw)
    assert.deepStrictEqual([early.status, early.body], [503, "fail"])
    release.open()
    await completed.promise
    const retry = await server.send(raw)
    assert.deepStrictEqual([retry.status, retry.body], [200, "success"])
    assert.strictEqual(runs, 1)
  })

  it("a bad sign → 401 fail and the handler never runs; a failing handler → 500 fail, the retry runs it again", async () => {
    let runs = 0
    let attempts = 0
    const server = await serveWithMemory(
      defineHandler(
        provider,
        () => Effect.suspend(() => ++attempts === 1 ? Effect.fail("db down") : Effect.sync(() => runs++))
      )
    )
    const forged = sign(collect(), Redacted.make("forged-token"))
    const bad = await server.send(forged)
    assert.deepStrictEqual([bad.status, bad.body], [401, "fail"])
    const tampered = sign(collect(), secret)
    const text = new TextDecoder().decode(tampered.body).replace(`"payed_amount":"100.00"`, `"payed_amount":"1.00"`)
    const tamperedResponse = await server.send({ ...tampered, body: new TextEncoder().encode(text) })
    assert.deepStrictEqual([tamperedResponse.status, tamperedResponse.body], [401, "fail"])
    assert.deepStrictEqual([attempts, runs], [0, 0])
    const raw = sign(collect(), secret)
    const failed = await server.send(raw)
    assert.deepStrictEqual([failed.status, failed.body], [500, "fail"])
    const retried = await server.send(raw)
    assert.deepStrictEqual([retried.status, retried.body], [200, "success"])
    assert.deepStrictEqual([attempts, runs], [2, 1])
  })

  it("a callback for another merchant (expectedMerchantId) → 401 fail, handler never runs", async () => {
    let runs = 0
    const server = await serveWithMemory(defineHandler(
      GoldenPay.provider({ secret, expectedMerchantId: "1001" }),
      () => Effect.sync(() => runs++)
    ))
    const other = await server.send(sign(collect({ mch_id: 2002 }), secret))
    assert.deepStrictEqual([other.status, other.body], [401, "fail"])
    const ours = await server.send(sign(collect(), secret))
    assert.deepStrictEqual([ours.status, ours.body], [200, "success"])
    assert.strictEqual(runs, 1)
  })
})

describe("GoldenPay over real HTTP: signed content decides, unsigned fields do not (issue #15)", () => {
  const capture = captures(token)
  const at = (url: string, body: string) =>
    RawDelivery.make({ method: "POST", url, headers: { "content-type": "application/json" }, body })
  const textOf = (raw: RawDelivery.RawDelivery) => new TextDecoder().decode(raw.body)
  const answers = (responses: ReadonlyArray<{ readonly status: number; readonly body: string }>) =>
    responses.map((response) => [response.status, response.body])

  it("without a kind: a failed collect with payed_amount/channel null, and its stripped copy → 400 fail, no run", async () => {
    const events: Array<string> = []
    const server = await serveWithMemory(defineHandler(provider, (event) => Effect.sync(() => events.push(event._tag))))
    const responses = [
      await server.send(at("/", capture.failedCollect)),
      await server.send(at("/", capture.failedCollectStripped)),
      await server.send(at("/", capture.payoutWithNullChannel))
    ]
    // Before: 200 CollectFailed, 200 PayoutCanceled (a second event from the same capture), 200 CollectFailed.
    assert.deepStrictEqual(answers(responses), [[400, "fail"], [400, "fail"], [400, "fail"]])
    assert.deepStrictEqual(events, [])
  })

  it("a collect route and a payout route side by side: each takes its callbacks once, re-spellings are duplicates", async () => {
    const events: Array<readonly [string, string]> = []
    const server = await serveWithMemory(route({
      "/goldenpay/collect": defineHandler(
        GoldenPay.provider({ secret, kind: "collect" }),
        (event, context) => Effect.sync(() => events.push([event._tag, context.key]))
      ),
      "/goldenpay/payout": defineHandler(
        GoldenPay.provider({ secret, kind: "payout" }),
        (event, context) => Effect.sync(() => events.push([event._tag, context.key]))
      )
    }))
    const responses = [
      await server.send(at("/goldenpay/collect", capture.failedCollect)),
      await server.send(at("/goldenpay/collect", capture.failedCollectStripped)),
      await server.send(at("/goldenpay/collect", textOf(sign(collect(), secret)))),
      await server.send(at("/goldenpay/payout", capture.payoutCanceled)),
      await server.send(at("/goldenpay/payout", capture.payoutWithNullChannel)),
      await server.send(at("/goldenpay/payout", textOf(sign(payout(), secret)))),
      // A signed collect field on the payout route contradicts its kind.
      await server.send(at("/goldenpay/payout", textOf(sign(collect({ id: "GP9" }), secret))))
    ]
    assert.deepStrictEqual(answers(responses), [
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [400, "fail"]
    ])
    assert.deepStrictEqual(events, [
      ["CollectFailed", "goldenpay-collect:collect:GP7:50"],
      ["CollectSucceeded", "goldenpay-collect:collect:GP202605040001:60"],
      ["PayoutCanceled", "goldenpay-payout:payout:GP8:50"],
      ["PayoutSucceeded", "goldenpay-payout:payout:GP202605040002:60"]
    ])
  })

  it("a field value with & or = → 400 fail (it would sign like two fields), the handler never runs", async () => {
    let runs = 0
    const server = await serveWithMemory(defineHandler(provider, () => Effect.sync(() => runs++)))
    // The honest sign, over …&zz_note=1&zz_tail=2, on a body whose one field signs the same string.
    const honest = JSON.parse(textOf(sign(collect({ zz_note: "1", zz_tail: "2" }), secret))) as Record<string, unknown>
    const smuggled = {
      ...Object.fromEntries(Object.entries(honest).filter(([name]) => name !== "zz_tail")),
      zz_note: "1&zz_tail=2"
    }
    const responses = [
      await server.send(at("/", JSON.stringify(smuggled))),
      await server.send(sign(collect({ remark: "a=b" }), secret)),
      await server.send(sign(collect({ "a&b": "c" }), secret))
    ]
    assert.deepStrictEqual(answers(responses), [[400, "fail"], [400, "fail"], [400, "fail"]])
    assert.strictEqual(runs, 0)
  })

  it("the default 64 KiB body limit → 413 fail for a bigger body, before any parse", async () => {
    let runs = 0
    const server = await serveWithMemory(defineHandler(provider, () => Effect.sync(() => runs++)))
    const big = await server.send(at("/", `{"id":"${"a".repeat(64 * 1024)}"}`))
    assert.deepStrictEqual([big.status, big.body], [413, "fail"])
    const small = await server.send(sign(collect({ remark: "r".repeat(60 * 1024) }), secret))
    assert.deepStrictEqual([small.status, small.body], [200, "success"])
    assert.strictEqual(runs, 1)
  })
})

describe("GoldenPay through toWebHandler", () => {
  const toRequest = (raw: RawDelivery.RawDelivery) =>
    new Request(`http://hooks.test/goldenpay${raw.url}`, {
      method: raw.method,
      headers: raw.headers,
      body: Buffer.from(raw.body)
    })

  it("valid → success, repeat → success without re-run, bad sign → 401 fail, GET → 405 fail", async () => {
    let runs = 0
    const handle = toWebHandler(
      defineHandler(payoutRoute, () => Effect.sync(() => runs++)),
      Logs.capturing(MemoryStore.layer())
    )
    try {
      const raw = sign(payout(), secret, "token-first")
      const first = await handle(toRequest(raw))
      const second = await handle(toRequest(raw))
      const forged = await handle(toRequest(sign(payout(), Redacted.make("nope"))))
      const get = await handle(new Request("http://hooks.test/goldenpay", { method: "GET" }))
      assert.deepStrictEqual(
        [
          [first.status, await first.text()],
          [second.status, await second.text()],
          [forged.status, await forged.text()],
          [get.status, await get.text()]
        ],
        [[200, "success"], [200, "success"], [401, "fail"], [405, "fail"]]
      )
      assert.strictEqual(runs, 1)
    } finally {
      await handle.dispose()
    }
  })
})

describe("start-up", () => {
  it("a missing API token is reported by the listener's start(), not on every delivery", async () => {
    const provider = GoldenPay.provider({ secret: Config.Redacted("HOOKLINE_TEST_UNSET_GOLDENPAY_TOKEN") })
    const error = await startError(provider)
    assert.instanceOf(error, Misconfigured)
    assert.include((error as Misconfigured).message, "GoldenPay API token")
  })
})
