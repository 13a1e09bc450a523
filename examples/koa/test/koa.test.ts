import { assert, describe, it } from "@effect/vitest"
import { toNodeListener } from "@hookline/core/node"
import { bodyParser } from "@koa/bodyparser"
import Koa from "koa"
import {
  afterBodyParser,
  bodyUnavailable,
  describeMountedExample,
  servedOver
} from "../../../test-support/MountedExample.ts"

describeMountedExample("koa", import.meta.url)

describe("koa: the pitfall the example avoids", () => {
  it("webhooks AFTER a global @koa/bodyparser → 500 BodyUnavailable naming the fix, not a false 401", async () => {
    const result = await afterBodyParser(toNodeListener, (webhooks) => {
      const app = new Koa()
      app.use(bodyParser())
      app.use((ctx) => {
        ctx.respond = false
        webhooks(ctx.req, ctx.res)
      })
      return servedOver(app.listen(0))
    })
    assert.deepStrictEqual(result, bodyUnavailable)
  })
})
