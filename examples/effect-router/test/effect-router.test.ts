import { assert, describe, it } from "@effect/vitest"
import { HooklineHttp } from "@hookline/core/http"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import { afterBodyParser, describeMountedExample } from "../../../test-support/MountedExample.ts"

describeMountedExample("effect-router", import.meta.url)

describe("effect-router: no body-parser pitfall", () => {
  it("a middleware that read request.json first leaves the exact bytes (Effect caches them): Processed", async () => {
    const result = await afterBodyParser(
      (routes, layer) =>
        HttpRouter.toWebHandler(HooklineHttp.layer(routes).pipe(HttpRouter.provideRequest(layer)), {
          disableLogger: true,
          middleware: (app) =>
            Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => request.json).pipe(
              Effect.orDie,
              Effect.andThen(app)
            )
        }),
      async (web) => ({
        fetch: (path, init) => web.handler(new Request(`http://app.test${path}`, init)),
        close: async () => undefined
      })
    )
    assert.deepStrictEqual(result, { status: 200, reason: undefined, runs: 1 })
  })
})
