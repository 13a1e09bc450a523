import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"

describe("smoke", () => {
  it("valid then duplicate through real HTTP", async () => {
    const secret = Redacted.make("s3cret")
    let runs = 0
    const handler = defineHandler(Hmac.provider({ secret }), () => Effect.sync(() => { runs++ }))
    const listener = toNodeListener(handler, MemoryStore.layer())
    const server = http.createServer(listener)
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as import("node:net").AddressInfo).port
    const raw = Hmac.testing.sign({ secret }, { body: { hello: 1 } })
    const send = () => fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    const a = await send()
    const b = await send()
    console.log(a.status, await a.text(), b.status, await b.text())
    assert.strictEqual(a.status, 200)
    assert.strictEqual(runs, 1)
    server.close()
    await listener.dispose()
  })
})
