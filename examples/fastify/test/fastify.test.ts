import { assert, describe, it } from "@effect/vitest"
import { toNodeListener } from "@hookline/core/node"
import Fastify from "fastify"
import {
  afterBodyParser,
  bodyUnavailable,
  describeMountedExample,
  servedOver
} from "../../../test-support/MountedExample.ts"

describeMountedExample("fastify", import.meta.url)

describe("fastify: the pitfall the example avoids", () => {
  it("listener on request.raw behind Fastify's JSON parser → 500 BodyUnavailable, not a false 401", async () => {
    const result = await afterBodyParser(toNodeListener, async (webhooks) => {
      const app = Fastify()
      app.post("/hmac", (request, reply) => {
        reply.hijack()
        webhooks(request.raw, reply.raw)
      })
      await app.listen({ port: 0, host: "127.0.0.1" })
      const served = await servedOver(app.server)
      return { fetch: served.fetch, close: () => app.close() }
    })
    assert.deepStrictEqual(result, bodyUnavailable)
  })
})
