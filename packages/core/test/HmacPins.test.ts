/**
 * Pins on the generic HMAC provider (`Hmac.ts`) that mutation testing showed no other test held:
 * each default checked against a request built here by hand (never by the provider's own signer),
 * header names in any case, the prefix, blank and missing headers, the tolerance default, `Config`
 * secrets, and the test signer's own options (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, Outcome, RawDelivery } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { createHmac } from "node:crypto"

const secretText = "hmac-pins-secret"
const secret = Redacted.make(secretText)
const body = `{"order":9007199254740993}`
const nowSeconds = 1_734_850_099

const mac = (algorithm: string, signed: string, key = secretText) => createHmac(algorithm, key).update(signed, "utf8")

const request = (headers: Record<string, string>, text = body) =>
  RawDelivery.make({ method: "POST", url: "/", headers, body: new TextEncoder().encode(text) })

// The outcome label of verifying `raw` (Processed when verification passed).
const verify = (provider: ReturnType<typeof Hmac.provider>, raw: RawDelivery.RawDelivery) =>
  Effect.match(provider.verify(raw), {
    onFailure: (error) => `${error._tag}: ${error.message}`,
    onSuccess: () => "verified"
  })

describe("Hmac defaults, against requests built by hand", () => {
  it.effect("x-signature, sha256, hex, no prefix, id from x-webhook-id, body only, name hmac", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ secret })
      const signature = mac("sha256", body).digest("hex")
      assert.strictEqual(
        yield* verify(provider, request({ "x-signature": signature, "x-webhook-id": "d1" })),
        "verified"
      )
      const payload = yield* provider.verify(request({ "x-signature": signature, "x-webhook-id": "d1" }))
      assert.deepStrictEqual(payload, { id: "d1", json: { order: 9007199254740993n }, timestamp: undefined })
      assert.strictEqual(provider.name, "hmac")
      // The same bytes under another header name, algorithm, or encoding do not verify.
      assert.strictEqual(
        yield* verify(provider, request({ "x-hub-signature": signature, "x-webhook-id": "d1" })),
        "SignatureInvalid: Missing signature header x-signature"
      )
      assert.strictEqual(
        yield* verify(provider, request({ "x-signature": mac("sha512", body).digest("hex"), "x-webhook-id": "d1" })),
        "SignatureInvalid: Signature does not match"
      )
      assert.strictEqual(
        yield* verify(provider, request({ "x-signature": mac("sha256", body).digest("base64"), "x-webhook-id": "d1" })),
        "SignatureInvalid: Signature does not match"
      )
      const missingId = yield* verify(provider, request({ "x-signature": signature, "x-request-id": "d1" }))
      assert.include(missingId, "MalformedDelivery")
      assert.include(missingId, "x-webhook-id")
    }))

  it.effect("the key is namespaced by the provider's name; the default event carries the id and the lossless body", () =>
    Effect.gen(function*() {
      const events: Array<unknown> = []
      const handler = defineHandler(Hmac.provider({ secret }), (event) => Effect.sync(() => events.push(event)))
      const raw = request({ "x-signature": mac("sha256", body).digest("hex"), "x-webhook-id": "d2" })
      const outcome = yield* handler.process(raw).pipe(Effect.provide(MemoryStore.layer()))
      assert.deepStrictEqual(outcome, Outcome.Processed({ key: "hmac:d2", eventTag: "HmacEvent" }))
      assert.deepStrictEqual(events, [{ _tag: "HmacEvent", id: "d2", payload: { order: 9007199254740993n } }])
    }))

  it.effect("header options in any case match the (lower-cased) request headers", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(nowSeconds * 1000)
      const provider = Hmac.provider({
        secret,
        header: "X-Hub-Signature-256",
        idHeader: "X-GitHub-Delivery",
        timestampHeader: "X-Webhook-Timestamp",
        signedContent: "timestamp.body"
      })
      const signature = mac("sha256", `${nowSeconds}.${body}`).digest("hex")
      const raw = request({
        "x-hub-signature-256": signature,
        "x-github-delivery": "d3",
        "x-webhook-timestamp": String(nowSeconds)
      })
      assert.strictEqual(yield* verify(provider, raw), "verified")
      assert.strictEqual((yield* provider.verify(raw)).timestamp, nowSeconds * 1000)
      const noTimestamp = yield* verify(
        provider,
        request({ "x-hub-signature-256": signature, "x-github-delivery": "d3" })
      )
      assert.include(noTimestamp, "MalformedDelivery")
      assert.include(noTimestamp, "x-webhook-timestamp")
    }))

  it.effect("the default tolerance is five minutes each way, in seconds", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(nowSeconds * 1000)
      const provider = Hmac.provider({ secret, timestampHeader: "x-ts", signedContent: "timestamp.body" })
      const at = (seconds: number) =>
        request({
          "x-signature": mac("sha256", `${seconds}.${body}`).digest("hex"),
          "x-webhook-id": "d4",
          "x-ts": String(seconds)
        })
      assert.strictEqual(yield* verify(provider, at(nowSeconds - 300)), "verified")
      assert.strictEqual(yield* verify(provider, at(nowSeconds + 300)), "verified")
      assert.include(yield* verify(provider, at(nowSeconds - 301)), "TimestampOutOfTolerance")
      assert.include(yield* verify(provider, at(nowSeconds + 301)), "TimestampOutOfTolerance")
    }))

  it.effect("the signature is checked before the timestamp (a forger learns nothing about the clock)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(nowSeconds * 1000)
      const provider = Hmac.provider({ secret, timestampHeader: "x-ts", signedContent: "timestamp.body" })
      const old = nowSeconds - 3600
      const forged = request({ "x-signature": "00".repeat(32), "x-webhook-id": "d5", "x-ts": String(old) })
      assert.strictEqual(yield* verify(provider, forged), "SignatureInvalid: Signature does not match")
    }))
})

describe("Hmac signature header", () => {
  it.effect("a prefix is required and stripped; whitespace around the header is ignored", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ secret, prefix: "sha256=" })
      const hex = mac("sha256", body).digest("hex")
      const withHeader = (value: string) => verify(provider, request({ "x-signature": value, "x-webhook-id": "d6" }))
      assert.strictEqual(yield* withHeader(`sha256=${hex}`), "verified")
      assert.strictEqual(yield* withHeader(`  sha256=${hex} `), "verified")
      assert.strictEqual(yield* withHeader(hex), "SignatureInvalid: Signature does not match")
      assert.strictEqual(yield* withHeader(`sha1=${hex}`), "SignatureInvalid: Signature does not match")
    }))

  it.effect("a blank or missing header is refused as missing", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ secret })
      const missing = "SignatureInvalid: Missing signature header x-signature"
      assert.strictEqual(yield* verify(provider, request({ "x-signature": "   ", "x-webhook-id": "d7" })), missing)
      assert.strictEqual(yield* verify(provider, request({ "x-signature": "", "x-webhook-id": "d7" })), missing)
      assert.strictEqual(yield* verify(provider, request({ "x-webhook-id": "d7" })), missing)
    }))

  it.effect("an algorithm and encoding other than the defaults", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ secret, algorithm: "sha1", encoding: "base64" })
      const raw = request({ "x-signature": mac("sha1", body).digest("base64"), "x-webhook-id": "d8" })
      assert.strictEqual(yield* verify(provider, raw), "verified")
    }))

  it.effect("timestamps in milliseconds when the unit says so", () =>
    Effect.gen(function*() {
      const nowMillis = nowSeconds * 1000 + 123
      yield* TestClock.setTime(nowMillis)
      const provider = Hmac.provider({
        secret,
        timestampHeader: "x-ts",
        signedContent: "id.timestamp.body",
        timestampUnit: "milliseconds",
        tolerance: "1 second"
      })
      const raw = request({
        "x-signature": mac("sha256", `d9.${nowMillis}.${body}`).digest("hex"),
        "x-webhook-id": "d9",
        "x-ts": String(nowMillis)
      })
      assert.strictEqual((yield* provider.verify(raw)).timestamp, nowMillis)
    }))
})

describe("Hmac secrets", () => {
  it("refusals at construction say exactly what to do", () => {
    const messageOf = (construct: () => unknown): string | undefined => {
      try {
        construct()
        return undefined
      } catch (error) {
        return error instanceof Error ? error.message : String(error)
      }
    }
    const unsigned = { secret, timestampHeader: "X-TS" }
    assert.strictEqual(
      // @ts-expect-error -- the options type excludes a timestamp header with signedContent "body"
      messageOf(() => Hmac.provider(unsigned)),
      "Hmac: timestampHeader x-ts with signedContent \"body\" is an unsigned timestamp (an old capture replays " +
        "with a fresh one): use signedContent \"timestamp.body\" or \"id.timestamp.body\" if the platform signs it, " +
        "or drop timestampHeader"
    )
    const missing = { secret, signedContent: "id.timestamp.body" as const }
    assert.strictEqual(
      // @ts-expect-error -- a signed timestamp needs its header
      messageOf(() => Hmac.provider(missing)),
      "Hmac: signedContent \"id.timestamp.body\" needs a timestampHeader"
    )
  })

  it.effect("an empty static secret fails every delivery with Misconfigured naming the provider", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ name: "shop", secret: Redacted.make("") })
      const raw = request({ "x-signature": mac("sha256", body).digest("hex"), "x-webhook-id": "d10" })
      assert.strictEqual(yield* verify(provider, raw), "Misconfigured: shop secret is empty")
      assert.strictEqual(yield* verify(provider, raw), "Misconfigured: shop secret is empty")
    }))

  it.effect("a Config secret is read per delivery from the ConfigProvider in context", () =>
    Effect.gen(function*() {
      const provider = Hmac.provider({ name: "cfg", secret: Config.Redacted("HMAC_PINS_SECRET") })
      const raw = request({ "x-signature": mac("sha256", body).digest("hex"), "x-webhook-id": "d11" })
      const withSecret = ConfigProvider.layer(ConfigProvider.fromUnknown({ HMAC_PINS_SECRET: secretText }))
      assert.strictEqual(yield* verify(provider, raw).pipe(Effect.provide(withSecret)), "verified")
      const other = ConfigProvider.layer(ConfigProvider.fromUnknown({ HMAC_PINS_SECRET: "another" }))
      assert.strictEqual(
        yield* verify(provider, raw).pipe(Effect.provide(other)),
        "SignatureInvalid: Signature does not match"
      )
      const none = ConfigProvider.layer(ConfigProvider.fromUnknown({}))
      assert.include(yield* verify(provider, raw).pipe(Effect.provide(none)), "Misconfigured: Cannot read cfg secret")
    }))
})

describe("Hmac.testing.sign", () => {
  const options = {
    secret: [secret, Redacted.make("second")],
    header: "X-Sig",
    prefix: "v1=",
    idHeader: "X-Id",
    timestampHeader: "X-TS",
    signedContent: "id.timestamp.body" as const
  }

  it("signs the given id, timestamp, body and url with the first secret, headers lower-cased", () => {
    const raw = Hmac.testing.sign(options, { body: "text body", id: "s1", timestamp: 42, url: "/hooks" })
    assert.strictEqual(raw.method, "POST")
    assert.strictEqual(raw.url, "/hooks")
    assert.strictEqual(new TextDecoder().decode(raw.body), "text body")
    assert.deepStrictEqual(raw.headers, {
      "content-type": "application/json",
      "x-id": "s1",
      "x-ts": "42",
      "x-sig": `v1=${mac("sha256", "s1.42.text body").digest("hex")}`
    })
  })

  it("bytes are sent as they are, values as lossless JSON; another secret when asked; url / by default", () => {
    const bytes = Hmac.testing.sign({ secret }, { body: new Uint8Array([1, 2, 3]), id: "s2" })
    assert.deepStrictEqual([...bytes.body], [1, 2, 3])
    assert.strictEqual(bytes.url, "/")
    assert.strictEqual(bytes.headers["x-signature"], mac("sha256", "\u0001\u0002\u0003").digest("hex"))
    // No timestamp header is configured: none is sent (not even one named "undefined").
    assert.deepStrictEqual(Object.keys(bytes.headers).toSorted(), ["content-type", "x-signature", "x-webhook-id"])
    const json = Hmac.testing.sign({ secret }, { body: { n: 9007199254740993n }, id: "s3" })
    assert.strictEqual(new TextDecoder().decode(json.body), `{"n":9007199254740993}`)
    const second = Hmac.testing.sign(options, { body: "x", id: "s4", timestamp: 1, secret: Redacted.make("second") })
    assert.strictEqual(second.headers["x-sig"], `v1=${mac("sha256", "s4.1.x", "second").digest("hex")}`)
  })

  it("without an id or timestamp: a fresh UUID, and now in the configured unit", () => {
    const before = Date.now()
    const seconds = Hmac.testing.sign(options, { body: "x" })
    const millis = Hmac.testing.sign({ ...options, timestampUnit: "milliseconds" }, { body: "x" })
    const after = Date.now()
    const id = seconds.headers["x-id"]!
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.notStrictEqual(millis.headers["x-id"], id)
    const ts = Number(seconds.headers["x-ts"])
    assert.isAtLeast(ts, Math.floor(before / 1000))
    assert.isAtMost(ts, Math.floor(after / 1000))
    const ms = Number(millis.headers["x-ts"])
    assert.isAtLeast(ms, before)
    assert.isAtMost(ms, after)
  })

  it("a Config secret cannot sign without an explicit one", () => {
    assert.throws(
      () => Hmac.testing.sign({ secret: Config.Redacted("NOPE") }, { body: "x" }),
      "Hmac.sign: pass `secret` when the provider's secret is a Config"
    )
    const raw = Hmac.testing.sign({ secret: Config.Redacted("NOPE") }, { body: "x", id: "s5", secret })
    assert.strictEqual(raw.headers["x-signature"], mac("sha256", "x").digest("hex"))
  })
})
