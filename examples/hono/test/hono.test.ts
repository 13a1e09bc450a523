import { assert, describe, it } from "@effect/vitest"
import { toWebHandler } from "@hookline/core/web"
import { Hono } from "hono"
import {
  afterBodyParser,
  bodyUnavailable,
  describeMountedExample,
  describeOnSharedStores
} from "../../../test-support/MountedExample.ts"

describeMountedExample("hono", import.meta.url)
describeOnSharedStores("hono", import.meta.url)

describe("hono: the pitfall the example avoids", () => {
  it("a middleware read c.req.json() first → 500 BodyUnavailable naming the fix, not a false 401", async () => {
    const result = await afterBodyParser(toWebHandler, async (webhooks) => {
      const app = new Hono()
      app.use(async (c, next) => {
        await c.req.json() // e.g. a logging or validation middleware
        await next()
      })
      app.post("/hmac", (c) => webhooks(c.req.raw))
      return { fetch: async (path, init) => app.request(path, init), close: async () => undefined }
    })
    assert.deepStrictEqual(result, bodyUnavailable)
  })
})
