import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, RawDelivery, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import express from "express"
import type { AddressInfo } from "node:net"
import * as Logs from "../../../test-support/Logs.ts"
import {
  afterBodyParser,
  allProviders,
  bodyUnavailable,
  describeMountedExample,
  describeOnSharedStores,
  hmacDelivery,
  servedOver
} from "../../../test-support/MountedExample.ts"
import { hmacOptions } from "../../node-http/src/app.ts"

describeMountedExample("express", import.meta.url)
describeOnSharedStores("express", import.meta.url)

describe("express: the pitfall the example avoids", () => {
  it("webhook route AFTER a global express.json() → 500 BodyUnavailable naming the fix, not a false 401", async () => {
    const result = await afterBodyParser(toNodeListener, (webhooks) => {
      const app = express()
      app.use(express.json())
      app.post("/hmac", webhooks)
      return servedOver(app.listen(0))
    })
    assert.deepStrictEqual(result, bodyUnavailable)
  })
})

describe("express: webhooks in a sub-router (app.use(\"/api\", router))", () => {
  it("routes keyed by the full path answer a signed delivery 200 (the listener reads req.originalUrl)", async () => {
    const handled: Array<string> = []
    const options = hmacOptions(Redacted.make(allProviders.HMAC_SECRET!))
    const orders = defineHandler(Hmac.provider(options), (event) => Effect.sync(() => handled.push(event.id)))
    const webhooks = toNodeListener(route({ "/api/webhooks/hmac": orders }), Logs.capturing(MemoryStore.layer()))
    const api = express.Router()
    api.post("/webhooks/hmac", webhooks) // the router sees req.url = "/webhooks/hmac"
    const app = express()
    app.use("/api", api)
    const server = app.listen(0, "127.0.0.1")
    await new Promise((resolve) => server.once("listening", resolve))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const id = `evt-subrouter-${crypto.randomUUID()}`
      const raw = { ...hmacDelivery(id), url: "/api/webhooks/hmac" }
      const first = await fetch(RawDelivery.toRequest(raw, base))
      const again = await fetch(RawDelivery.toRequest(raw, base))
      assert.deepStrictEqual(
        [first.status, await first.json(), again.status, await again.json(), handled],
        [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }, [id]]
      )
    } finally {
      await new Promise((resolve) => server.close(resolve))
      await webhooks.dispose()
    }
  })
})
