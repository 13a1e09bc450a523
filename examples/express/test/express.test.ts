import { assert, describe, it } from "@effect/vitest"
import { toNodeListener } from "@hookline/core/node"
import express from "express"
import {
  afterBodyParser,
  bodyUnavailable,
  describeMountedExample,
  servedOver
} from "../../../test-support/MountedExample.ts"

describeMountedExample("express", import.meta.url)

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
