import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, route } from "@hookline/core"
import { HooklineHttp } from "@hookline/core/http"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("effect-http-secret")
const provider = Hmac.provider({ secret })

describe("HooklineHttp (Effect HttpRouter)", () => {
  it("mounts routes into an HttpRouter application", async () => {
    let runs = 0
    const app = HooklineHttp.layer(
      route({ "/webhooks/hmac": defineHandler(provider, () => Effect.sync(() => runs++)) })
    ).pipe(
      Layer.provide(MemoryStore.layer())
    )
    const { dispose, handler } = HttpRouter.toWebHandler(Logs.capturing(app))
    const raw = Hmac.testing.sign({ secret }, { body: `{"a":1}`, url: "/webhooks/hmac" })
    const request = () =>
      new Request(`http://app.test${raw.url}`, { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    const first = await handler(request())
    const second = await handler(request())
    const tampered = await handler(
      new Request(`http://app.test${raw.url}`, { method: "POST", headers: raw.headers, body: `{"a":2}` })
    )
    const wrongMethod = await handler(new Request(`http://app.test${raw.url}`, { method: "PUT", body: "{}" }))
    assert.deepStrictEqual(
      [first.status, (await first.json()).outcome, second.status, (await second.json()).outcome],
      [200, "Processed", 200, "Duplicate"]
    )
    assert.deepStrictEqual([tampered.status, wrongMethod.status], [401, 405])
    assert.strictEqual(runs, 1)
    await dispose()
  })

  it("enforces the body limit through Effect's MaxBodySize", async () => {
    const app = HooklineHttp.layer(defineHandler(provider, () => Effect.void, { bodyLimit: 100 }), { path: "/in" })
      .pipe(
        Layer.provide(MemoryStore.layer())
      )
    const { dispose, handler } = HttpRouter.toWebHandler(Logs.capturing(app))
    const raw = Hmac.testing.sign({ secret }, { body: JSON.stringify({ pad: "y".repeat(500) }) })
    const response = await handler(
      new Request("http://app.test/in", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    )
    assert.strictEqual(response.status, 413)
    await dispose()
  })
})
