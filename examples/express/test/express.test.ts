import { assert, describe, it } from "@effect/vitest"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Redacted from "effect/Redacted"
import express from "express"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { allProviders, describeMountedExample, hmacDelivery } from "../../../test-support/MountedExample.ts"
import { makeRoutes } from "../../node-http/src/app.ts"

describeMountedExample("express", fileURLToPath(new URL("..", import.meta.url)))

describe("express: the pitfall the example avoids", () => {
  it("webhook route AFTER a global express.json() → 500 BodyUnavailable naming the fix, not a false 401", async () => {
    let runs = 0
    const routes = makeRoutes({ hmacSecret: Redacted.make(allProviders.HMAC_SECRET!), onEvent: () => runs++ })
    const webhooks = toNodeListener(routes, MemoryStore.layer())
    const app = express()
    app.use(express.json())
    app.post("/hmac", webhooks)
    const server = app.listen(0)
    await new Promise((resolve) => server.once("listening", resolve))
    try {
      const raw = hmacDelivery("evt-misplaced")
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hmac`, {
        method: "POST",
        headers: raw.headers,
        body: Buffer.from(raw.body)
      })
      assert.deepStrictEqual([response.status, (await response.json()).reason, runs], [500, "BodyUnavailable", 0])
    } finally {
      server.close()
      await webhooks.dispose()
    }
  })
})
