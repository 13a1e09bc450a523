import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, route } from "@hookline/core"
import { HooklineHttp } from "@hookline/core/http"
import { MemoryStore } from "@hookline/store-memory"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("effect-http-secret")
const provider = Hmac.provider({ secret })

// Resolvable gate for handlers that must wait for the test.
const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { open, wait: Effect.promise(() => promise) }
}

class Greeting extends Context.Service<Greeting, { readonly text: string }>()("test/Greeting") {}

describe("HooklineHttp (Effect HttpRouter)", () => {
  it("mounts routes into an HttpRouter application", async () => {
    let runs = 0
    const app = HooklineHttp.layer(
      route({ "/webhooks/hmac": defineHandler(provider, () => Effect.sync(() => runs++)) })
    ).pipe(
      HttpRouter.provideRequest(MemoryStore.layer())
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
        HttpRouter.provideRequest(MemoryStore.layer())
      )
    const { dispose, handler } = HttpRouter.toWebHandler(Logs.capturing(app))
    const raw = Hmac.testing.sign({ secret }, { body: JSON.stringify({ pad: "y".repeat(500) }) })
    const response = await handler(
      new Request("http://app.test/in", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    )
    assert.strictEqual(response.status, 413)
    await dispose()
  })

  it("takes the store and the handlers' services from the application; the router answers unknown paths", async () => {
    const greeted: Array<string> = []
    const handler = defineHandler(provider, () =>
      Effect.gen(function*() {
        greeted.push((yield* Greeting).text)
      }))
    const app = HooklineHttp.layer(route({ "/hmac": handler })).pipe(
      Layer.provideMerge(Layer.merge(MemoryStore.layer(), Layer.succeed(Greeting, { text: "from the app" })))
    )
    const { dispose, handler: web } = HttpRouter.toWebHandler(Logs.capturing(app))
    const raw = Hmac.testing.sign({ secret }, { body: "{}", url: "/hmac" })
    const send = (path: string) =>
      web(new Request(`http://app.test${path}`, { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) }))
    assert.deepStrictEqual([(await send("/hmac")).status, (await send("/elsewhere")).status], [200, 404])
    assert.deepStrictEqual(greeted, ["from the app"])
    await dispose()
  })

  it("shutdown waits for a handler still running in the background, then the store closes", async () => {
    const slow = gate()
    const events: Array<string> = []
    const handler = defineHandler(
      provider,
      () => slow.wait.pipe(Effect.tap(() => Effect.sync(() => events.push("handler finished")))),
      { timeBudget: "50 millis" }
    )
    const store = Layer.merge(
      MemoryStore.layer(),
      Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => events.push("store closed"))))
    )
    // Built after the webhook layer, so released before it: the handler is let go once shutdown
    // has begun. A shutdown that did not wait would interrupt it and close the store first.
    const opensOnShutdown = Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(slow.open)))
    const app = opensOnShutdown.pipe(
      Layer.provideMerge(HooklineHttp.layer(handler, { path: "/in" }).pipe(HttpRouter.provideRequest(store)))
    )
    const { dispose, handler: web } = HttpRouter.toWebHandler(Logs.capturing(app))
    const raw = Hmac.testing.sign({ secret }, { body: "{}" })
    const response = await web(
      new Request("http://app.test/in", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    )
    assert.deepStrictEqual([response.status, (await response.json()).reason], [503, "TimedOut"])
    await dispose()
    assert.deepStrictEqual(events, ["handler finished", "store closed"])
  })
})
