// `@hookline/core/testing` without Vitest (issue #17): a `node:test` file using `listen`, core's HMAC
// signer, a provider's signer and `fetch(RawDelivery.toRequest(...))` runs as a real process with a
// guard that refuses any import of `vitest`/`@effect/vitest`; and `RawDelivery.toRequest` itself.
import { assert, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const run = promisify(execFile)

describe("@hookline/core/testing without Vitest", () => {
  it("node --test node-test/listen.ts: every test passes with Vitest refused in its module graph", async () => {
    const file = fileURLToPath(new URL("node-test/listen.ts", import.meta.url))
    const { stdout } = await run(process.execPath, [
      "--conditions=@hookline/source",
      "--test",
      "--test-reporter=tap",
      file
    ], { env: { PATH: process.env.PATH ?? "" } }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`node --test failed:\n${error.stdout}\n${error.stderr}`)
    })
    assert.match(stdout, /^# pass 3$/m)
    assert.match(stdout, /^# fail 0$/m)
    assert.include(stdout, "ok 3 - the guard works")
  })
})

describe("RawDelivery.toRequest", () => {
  it("a Request to the delivery's URL on baseUrl, with its method, headers and exact body bytes", async () => {
    const body = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xe8, 0xae, 0xa2, 0x7d, 0xff])
    const raw = RawDelivery.make({
      url: "/igv?retry=1",
      headers: { "Content-Type": "application/json", "X-Signature": ["a", "b"] },
      body
    })
    const request = RawDelivery.toRequest(raw, "http://127.0.0.1:4000")
    assert.strictEqual(request.url, "http://127.0.0.1:4000/igv?retry=1")
    assert.strictEqual(request.method, "POST")
    assert.deepStrictEqual(Object.fromEntries(request.headers), {
      "content-type": "application/json",
      "x-signature": "a, b"
    })
    assert.deepStrictEqual(new Uint8Array(await request.arrayBuffer()), body)
  })

  it("a relative URL resolves against baseUrl; GET and HEAD carry no body", async () => {
    const get = RawDelivery.toRequest(RawDelivery.make({ method: "get", url: "health" }), new URL("http://h:1/"))
    assert.deepStrictEqual([get.url, get.method, get.body], ["http://h:1/health", "GET", null])
    const head = RawDelivery.toRequest(RawDelivery.make({ method: "HEAD", url: "/" }), "http://h:1")
    assert.deepStrictEqual([head.method, head.body], ["HEAD", null])
  })
})
