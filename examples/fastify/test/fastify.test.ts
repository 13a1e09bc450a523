import { assert, describe, it } from "@effect/vitest"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Redacted from "effect/Redacted"
import Fastify from "fastify"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { allProviders, describeMountedExample, hmacDelivery } from "../../../test-support/MountedExample.ts"
import { makeRoutes } from "../../node-http/src/app.ts"

describeMountedExample("fastify", fileURLToPath(new URL("..", import.meta.url)))

describe("fastify: the pitfall the example avoids", () => {
  it("listener on request.raw behind Fastify's JSON parser → 500 BodyUnavailable, not a false 401", async () => {
    let runs = 0
    const routes = makeRoutes({ hmacSecret: Redacted.make(allProviders.HMAC_SECRET!), onEvent: () => runs++ })
    const webhooks = toNodeListener(routes, MemoryStore.layer())
    const app = Fastify()
    app.post("/hmac", (request, reply) => {
      reply.hijack()
      webhooks(request.raw, reply.raw)
    })
    await app.listen({ port: 0, host: "127.0.0.1" })
    try {
      const raw = hmacDelivery("evt-parsed-by-fastify")
      const response = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hmac`, {
        method: "POST",
        headers: raw.headers,
        body: Buffer.from(raw.body)
      })
      assert.deepStrictEqual([response.status, (await response.json()).reason, runs], [500, "BodyUnavailable", 0])
    } finally {
      await app.close()
      await webhooks.dispose()
    }
  })
})
