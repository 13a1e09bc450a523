import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, route } from "@hookline/core"
import { toWebHandler } from "@hookline/core/web"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("web-adapter-secret")
const provider = Hmac.provider({ secret })
const toRequest = (raw: ReturnType<typeof Hmac.testing.sign>, base = "http://hooks.test") =>
  new Request(`${base}${raw.url}`, { method: raw.method, headers: raw.headers, body: Buffer.from(raw.body) })

describe("toWebHandler with Request objects", () => {
  it("valid → 200, repeat → Duplicate, tampered → 401, handler once", async () => {
    let runs = 0
    const handle = toWebHandler(
      defineHandler(provider, () => Effect.sync(() => runs++)),
      Logs.capturing(MemoryStore.layer())
    )
    const raw = Hmac.testing.sign({ secret }, { body: `{"id":1}` })
    const first = await handle(toRequest(raw))
    const second = await handle(toRequest(raw))
    const tampered = await handle(toRequest({ ...raw, body: new TextEncoder().encode(`{"id":2}`) }))
    assert.deepStrictEqual(
      [first.status, (await first.json()).outcome, second.status, (await second.json()).outcome, tampered.status],
      [200, "Processed", 200, "Duplicate", 401]
    )
    assert.strictEqual(runs, 1)
    await handle.dispose()
  })

  it("a streamed body over the limit → 413 (reading stops at the limit)", async () => {
    const handle = toWebHandler(
      defineHandler(provider, () => Effect.void, { bodyLimit: 1000 }),
      Logs.capturing(MemoryStore.layer())
    )
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(400))
      }
    })
    const request = new Request("http://hooks.test/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endless,
      duplex: "half"
    } as RequestInit)
    const response = await handle(request)
    assert.deepStrictEqual([response.status, (await response.json()).reason], [413, "BodyTooLarge"])
    assert.isBelow(pulled, 10)
    await handle.dispose()
  })

  it("405 for GET, 400 for malformed, 500 for a failing handler, routes by path with 404", async () => {
    const handle = toWebHandler(
      route({
        "/hooks/hmac": defineHandler(provider, (event) => event.id === "boom" ? Effect.fail("boom") : Effect.void)
      }),
      Logs.capturing(MemoryStore.layer())
    )
    const get = await handle(new Request("http://hooks.test/hooks/hmac"))
    const malformed = await handle(toRequest(Hmac.testing.sign({ secret }, { body: "nope", url: "/hooks/hmac" })))
    const failing = await handle(
      toRequest(Hmac.testing.sign({ secret }, { body: "{}", id: "boom", url: "/hooks/hmac" }))
    )
    const unknown = await handle(toRequest(Hmac.testing.sign({ secret }, { body: "{}", url: "/elsewhere" })))
    assert.deepStrictEqual([get.status, malformed.status, failing.status, unknown.status], [405, 400, 500, 404])
    await handle.dispose()
  })
})

describe("toWebHandler after a body read", () => {
  it("answers a clear BodyUnavailable (500), not a false 401, when the body was already read", async () => {
    let runs = 0
    const handle = toWebHandler(
      defineHandler(provider, () => Effect.sync(() => runs++)),
      Logs.capturing(MemoryStore.layer())
    )
    const request = toRequest(Hmac.testing.sign({ secret }, { body: `{"id":"read-first"}` }))
    await request.json() // what a JSON middleware would do before the route
    const response = await handle(request)
    assert.deepStrictEqual([response.status, (await response.json()).reason, runs], [500, "BodyUnavailable", 0])
    await handle.dispose()
  })
})
