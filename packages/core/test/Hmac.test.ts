/**
 * The generic HMAC provider against independent oracles: each signed-content form's bytes are built
 * here by hand with `node:crypto` (never with the provider's own signer), an unsigned timestamp is
 * refused at construction, and a repeated id header is refused over real HTTP.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, Misconfigured } from "@hookline/core"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { createHmac } from "node:crypto"
import * as http from "node:http"
import * as Logs from "../../../test-support/Logs.ts"

const secretText = "hmac-oracle-secret"
const secret = Redacted.make(secretText)
const body = `{"order":9007199254740993,"note":"a.b"}`
const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"
const nowSeconds = () => String(Math.floor(Date.now() / 1000))

// The oracle: what the platform computes, written out independently of the provider.
const oracle = (signed: string) => createHmac("sha256", secretText).update(signed, "utf8").digest("hex")

const post = (url: string, headers: http.OutgoingHttpHeaders, payload: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers }, (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => (text += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    request.on("error", reject)
    request.end(payload)
  })

describe("Hmac provider against a hand-written createHmac", () => {
  const forms = [
    { signedContent: "timestamp.body" as const, signed: (ts: string) => `${ts}.${body}` },
    { signedContent: "id.timestamp.body" as const, signed: (ts: string) => `${id}.${ts}.${body}` }
  ]
  for (const form of forms) {
    it(`"${form.signedContent}" accepts the oracle's signature and refuses the other form's`, async () => {
      const runs: Array<string> = []
      const options = { secret, timestampHeader: "x-webhook-timestamp", signedContent: form.signedContent }
      const handler = defineHandler(Hmac.provider(options), (event) => Effect.sync(() => runs.push(event.id)))
      const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
      try {
        const ts = nowSeconds()
        const headers = (signature: string, deliveryId = id) => ({
          "content-type": "application/json",
          "x-webhook-id": deliveryId,
          "x-webhook-timestamp": ts,
          "x-signature": signature
        })
        const other = forms.find((f) => f !== form)!
        const wrong = await post(server.url, headers(oracle(other.signed(ts))), body)
        assert.strictEqual(wrong.status, 401, "a signature over the other form's bytes is refused")
        const bodyOnly = await post(server.url, headers(oracle(body)), body)
        assert.strictEqual(bodyOnly.status, 401, "a signature over the body alone is refused")
        const right = await post(server.url, headers(oracle(form.signed(ts))), body)
        assert.strictEqual(right.status, 200, right.body)
        assert.deepStrictEqual(runs, [id])
        if (form.signedContent === "id.timestamp.body") {
          // The id is signed: a captured delivery replayed under a new id does not verify.
          const renamed = await post(server.url, headers(oracle(form.signed(ts)), "msg_other"), body)
          assert.strictEqual(renamed.status, 401)
        }
      } finally {
        await server.close()
      }
    })
  }
})

describe("Hmac provider refuses what it cannot verify", () => {
  it("an unsigned timestamp (signedContent \"body\" with a timestampHeader) is refused at construction", () => {
    const unsigned = { secret, timestampHeader: "x-webhook-timestamp" }
    // @ts-expect-error -- the options type excludes a timestamp header with signedContent "body"
    const construct = () => Hmac.provider(unsigned)
    assert.throws(construct, Misconfigured, /unsigned timestamp/)
    const missing = { secret, signedContent: "timestamp.body" as const }
    // @ts-expect-error -- a signed timestamp needs its header
    assert.throws(() => Hmac.provider(missing), Misconfigured, /needs a timestampHeader/)
  })

  it("a repeated id header is refused with 400, never joined into one key", async () => {
    const runs: Array<string> = []
    const handler = defineHandler(Hmac.provider({ secret }), (event) => Effect.sync(() => runs.push(event.id)))
    const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
    try {
      const signature = oracle(body)
      const twice = await post(
        server.url,
        { "content-type": "application/json", "x-webhook-id": ["id-1", "id-2"], "x-signature": signature },
        body
      )
      assert.strictEqual(twice.status, 400, twice.body)
      assert.include(twice.body, "MalformedDelivery")
      assert.deepStrictEqual(runs, [], "the handler never ran under a key nobody sent")
      const once = await post(
        server.url,
        { "content-type": "application/json", "x-webhook-id": "id-1", "x-signature": signature },
        body
      )
      assert.strictEqual(once.status, 200, once.body)
      assert.deepStrictEqual(runs, ["id-1"])
    } finally {
      await server.close()
    }
  })
})
