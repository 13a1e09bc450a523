import { assert, describe, it } from "@effect/vitest"
import { toWebHandler } from "@hookline/core/web"
import { afterBodyParser, bodyUnavailable, describeMountedExample } from "../../../test-support/MountedExample.ts"

describeMountedExample("fetch-route", import.meta.url)

describe("fetch-route: the pitfall the example avoids", () => {
  it("a wrapper read request.json() before the hookline handler → 500 BodyUnavailable, not a false 401", async () => {
    const result = await afterBodyParser(toWebHandler, async (webhooks) => {
      const POST = async (request: Request) => {
        await request.json() // e.g. logging the payload first
        return webhooks(request)
      }
      return {
        fetch: (path, init) => POST(new Request(`http://app.test${path}`, init)),
        close: async () => undefined
      }
    })
    assert.deepStrictEqual(result, bodyUnavailable)
  })
})
