// The snippets of README.md and docs/providers/igv.md, compiled and run.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import { listen } from "@hookline/core/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

describe("docs snippets", () => {
  const previous = process.env["IGV_SECRET"]
  afterAll(() => {
    if (previous === undefined) delete process.env["IGV_SECRET"]
    else process.env["IGV_SECRET"] = previous
  })

  it("setup: Config.Redacted(\"IGV_SECRET\") read from the environment, per-tag handlers, real HTTP", async () => {
    process.env["IGV_SECRET"] = "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
    const shipped: Array<string> = []
    const orders = defineHandler(Igv.provider({ secret: Config.Redacted("IGV_SECRET") }), {
      OrderPendingDelivery: (order) => Effect.sync(() => shipped.push(`${order.orderNum} (${order.orderId})`)),
      UnknownStatus: (event) => Effect.logWarning(`iGV status ${event.status} is new to us`)
    })
    const server = await listen(orders, Logs.capturing(MemoryStore.layer()))
    try {
      const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
      const ok = await server.send(IgvTesting.sign({ body: IgvTesting.exampleBody, secret }))
      const wrong = await server.send(
        IgvTesting.sign({ body: IgvTesting.exampleBody, secret: Redacted.make("another-secret-another-secret-00") })
      )
      assert.deepStrictEqual([ok.status, wrong.status], [200, 401])
      assert.deepStrictEqual(shipped, ["SO1689644928115784 (1689644928115784)"])
    } finally {
      await server.close()
    }
  })

  const secret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
  const orders = defineHandler(Igv.provider({ secret }), (event) => Effect.log(event._tag))

  it.effect("processes a pending-delivery callback once", () =>
    Effect.gen(function*() {
      const raw = yield* IgvTesting.signWithClock({ body: IgvTesting.exampleBody, secret })
      assert.strictEqual((yield* orders.process(raw))._tag, "Processed")
      assert.strictEqual((yield* orders.process(raw))._tag, "Duplicate")
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})
