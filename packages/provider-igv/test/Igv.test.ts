import { assert, describe, it } from "@effect/vitest"
import {
  BodyTooLarge,
  DecodeFailed,
  defineHandler,
  HandlerFailed,
  MalformedDelivery,
  MethodNotAllowed,
  Misconfigured,
  Outcome,
  PayloadMismatch,
  SignatureInvalid,
  StoreUnavailable,
  TimedOut,
  TimestampOutOfTolerance,
  UnsupportedMediaType
} from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import { AckPolicy } from "@hookline/core/provider"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"
import { startError } from "../../../test-support/Startup.ts"

// The worked example of docs.igv.com → Seller → Callback → Signature Verification. The expected
// HMAC was computed with an independent tool:
//   printf '%s' '17348500990002002986662652579841aBcDeFgHiJkLmNoPqRsTuVwXyZ012345' \
//     | openssl dgst -sha256 -hmac 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345'
// (Python's hmac module gives the same digest.)
const docs = {
  timestamp: 1_734_850_099_000,
  requestId: "2002986662652579841",
  secret: Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"),
  signature: "fd3b0ee18d6a018a553de2b3a2e4f380daa87917401e4981f302d2abee7abd8e"
}

const secret = docs.secret
const provider = Igv.provider({ secret })

const docsDelivery = (signature: string = docs.signature): RawDelivery.RawDelivery => ({
  method: "POST",
  url: "/",
  headers: {
    "content-type": "application/json",
    "x-request-id": docs.requestId,
    "x-timestamp": String(docs.timestamp),
    "x-signature": signature
  },
  body: new TextEncoder().encode(IgvTesting.exampleBody)
})

const withHeader = (raw: RawDelivery.RawDelivery, name: string, value: string | undefined): RawDelivery.RawDelivery => {
  const { [name]: _, ...rest } = raw.headers
  return { ...raw, headers: value === undefined ? rest : { ...rest, [name]: value } }
}

const verifyAt = (raw: RawDelivery.RawDelivery, now: number = docs.timestamp, p = provider) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(now)
    return yield* p.verify(raw)
  })

// An independent HMAC: WebCrypto, not node:crypto's createHmac that the provider uses.
const webCryptoSignature = (timestamp: string, requestId: string, key: string) =>
  Effect.promise(async () => {
    const encoder = new TextEncoder()
    const cryptoKey = await crypto.subtle.importKey(
      "raw",
      encoder.encode(key),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"]
    )
    const mac = new Uint8Array(
      await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(`${timestamp}${requestId}${key}`))
    )
    return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")
  })

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const randomText = (length: number, chars: string) =>
  Array.from(crypto.getRandomValues(new Uint32Array(length)), (n) => chars[n % chars.length]).join("")

const flipHex = (c: string) => "0123456789abcdef"[(parseInt(c, 16) + 1) % 16]!
const flipDigit = (c: string) => String((Number(c) + 1) % 10)

describe("Igv signature scheme", () => {
  it.effect("the docs' worked example verifies, and signature() reproduces it", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        Igv.signature({ timestamp: String(docs.timestamp), requestId: docs.requestId, secret }),
        docs.signature
      )
      const payload = yield* verifyAt(docsDelivery())
      assert.deepStrictEqual(payload, {
        requestId: docs.requestId,
        timestamp: docs.timestamp,
        body: {
          createdAt: "2025-12-17T13:44:16",
          orderId: "1689644928115784",
          orderNum: "SO1689644928115784",
          sellerOrderStatus: "1",
          buyerId: "1907369850568257537"
        }
      })
    }))

  it.effect("upper-case hex is accepted (the docs compare case-insensitively)", () =>
    Effect.gen(function*() {
      const payload = yield* verifyAt(docsDelivery(docs.signature.toUpperCase()))
      assert.strictEqual(payload.requestId, docs.requestId)
      const mixed = docs.signature.replace(/[a-f]/g, (c, i: number) => i % 2 === 0 ? c.toUpperCase() : c)
      assert.strictEqual((yield* verifyAt(docsDelivery(mixed))).requestId, docs.requestId)
    }))

  it.effect("signatures from an independent HMAC implementation (WebCrypto) verify for random inputs", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 25; i++) {
        const key = randomText(32, alphabet)
        const requestId = randomText(19, "0123456789")
        const timestamp = String(1_700_000_000_000 + Math.floor(Math.random() * 100_000_000_000))
        const hex = yield* webCryptoSignature(timestamp, requestId, key)
        const own = Igv.signature({ timestamp, requestId, secret: Redacted.make(key) })
        assert.strictEqual(own, hex)
        const raw: RawDelivery.RawDelivery = {
          ...docsDelivery(hex),
          headers: { ...docsDelivery(hex).headers, "x-request-id": requestId, "x-timestamp": timestamp }
        }
        const payload = yield* verifyAt(raw, Number(timestamp), Igv.provider({ secret: Redacted.make(key) }))
        assert.deepStrictEqual([payload.requestId, payload.timestamp], [requestId, Number(timestamp)])
      }
    }))

  it.effect("one flipped character anywhere in the signature, timestamp or request id is rejected", () =>
    Effect.gen(function*() {
      const sig = docs.signature
      for (let i = 0; i < sig.length; i++) {
        const flipped = `${sig.slice(0, i)}${flipHex(sig[i]!)}${sig.slice(i + 1)}`
        const error = yield* Effect.flip(verifyAt(docsDelivery(flipped)))
        assert.strictEqual(error._tag, "SignatureInvalid", `signature position ${i}`)
      }
      for (
        const [header, text] of [["x-timestamp", String(docs.timestamp)], ["x-request-id", docs.requestId]] as const
      ) {
        for (let i = 0; i < text.length; i++) {
          const flipped = `${text.slice(0, i)}${flipDigit(text[i]!)}${text.slice(i + 1)}`
          const error = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), header, flipped)))
          assert.strictEqual(error._tag, "SignatureInvalid", `${header} position ${i}`)
        }
      }
    }))

  it.effect("truncated, extended, non-hex and empty signatures are rejected", () =>
    Effect.gen(function*() {
      for (
        const bad of [docs.signature.slice(0, 62), `${docs.signature}00`, `z${docs.signature.slice(1)}`, "sha256="]
      ) {
        assert.strictEqual((yield* Effect.flip(verifyAt(docsDelivery(bad))))._tag, "SignatureInvalid")
      }
      const missing = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), "x-signature", undefined)))
      assert.strictEqual(missing._tag, "SignatureInvalid")
      const blank = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), "x-signature", "  ")))
      assert.strictEqual(blank._tag, "SignatureInvalid")
    }))

  it.effect("a different secret is rejected; with rotation both secrets are accepted", () =>
    Effect.gen(function*() {
      const next = Redacted.make("ZYXWVUTSRQPONMLKJIHGFEDCBA987654")
      const onlyNext = Igv.provider({ secret: next })
      assert.strictEqual(
        (yield* Effect.flip(verifyAt(docsDelivery(), docs.timestamp, onlyNext)))._tag,
        "SignatureInvalid"
      )
      const rotating = Igv.provider({ secret: [next, secret] })
      assert.strictEqual((yield* verifyAt(docsDelivery(), docs.timestamp, rotating)).requestId, docs.requestId)
      const signedWithNext = yield* IgvTesting.signWithClock({ body: IgvTesting.exampleBody, secret: next })
      assert.isString((yield* rotating.verify(signedWithNext)).requestId)
      assert.strictEqual((yield* Effect.flip(provider.verify(signedWithNext)))._tag, "SignatureInvalid")
    }))

  it.effect("the secret can come from Config; a missing one is Misconfigured without leaking anything", () =>
    Effect.gen(function*() {
      const fromConfig = Igv.provider({ secret: Config.Redacted("IGV_SECRET") })
      const env = ConfigProvider.fromUnknown({ IGV_SECRET: Redacted.value(secret) })
      const payload = yield* verifyAt(docsDelivery(), docs.timestamp, fromConfig).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, env)
      )
      assert.strictEqual(payload.requestId, docs.requestId)
      const missing = yield* Effect.flip(
        verifyAt(docsDelivery(), docs.timestamp, fromConfig).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({}))
        )
      )
      assert.strictEqual(missing._tag, "Misconfigured")
      assert.notInclude(missing.message, Redacted.value(secret))
    }))

  it.effect("missing X-Request-Id or X-Timestamp → MalformedDelivery; a non-numeric timestamp → MalformedDelivery", () =>
    Effect.gen(function*() {
      for (const header of ["x-request-id", "x-timestamp"]) {
        const error = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), header, undefined)))
        assert.strictEqual(error._tag, "MalformedDelivery", header)
      }
      // Signed correctly over a timestamp that is not a number: the signature passes, the timestamp does not.
      const requestId = "42"
      const timestamp = "soon"
      const raw = withHeader(
        withHeader(withHeader(docsDelivery(), "x-timestamp", timestamp), "x-request-id", requestId),
        "x-signature",
        Igv.signature({ timestamp, requestId, secret })
      )
      assert.strictEqual((yield* Effect.flip(verifyAt(raw)))._tag, "MalformedDelivery")
    }))

  it.effect("Content-Type: application/json (with parameters) and none are accepted; others → UnsupportedMediaType", () =>
    Effect.gen(function*() {
      yield* verifyAt(withHeader(docsDelivery(), "content-type", "application/json; charset=UTF-8"))
      yield* verifyAt(withHeader(docsDelivery(), "content-type", undefined))
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const error = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), "content-type", type)))
        assert.strictEqual(error._tag, "UnsupportedMediaType", type)
      }
    }))

  it.effect("a hostile Content-Type (newline, forged log line) is not quoted in the error message", () =>
    Effect.gen(function*() {
      const hostile = `application/evil\n{"level":"INFO","handled":"igv","message":"webhook processed"}`
      const error = yield* Effect.flip(verifyAt(withHeader(docsDelivery(), "content-type", hostile)))
      assert.instanceOf(error, UnsupportedMediaType)
      assert.strictEqual(error.message, "Content-Type is not supported (expected application/json)")
    }))

  it.effect("the body must be UTF-8 JSON whose top level is an object", () =>
    Effect.gen(function*() {
      const bodies: Array<Uint8Array> = [
        new TextEncoder().encode("{not json"),
        new TextEncoder().encode("[1,2,3]"),
        new TextEncoder().encode(""),
        new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) // {"\xff":1}
      ]
      for (const body of bodies) {
        const error = yield* Effect.flip(verifyAt({ ...docsDelivery(), body }))
        assert.strictEqual(error._tag, "MalformedDelivery")
      }
    }))
})

describe("Igv timestamp tolerance", () => {
  const hour = 3_600_000
  const signedAt = (timestamp: number, p = provider) =>
    Effect.gen(function*() {
      const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret, timestamp })
      return yield* p.verify(raw)
    })

  it.effect("default 1 hour, both directions, boundaries inclusive", () =>
    Effect.gen(function*() {
      const now = 1_760_000_000_000
      yield* TestClock.setTime(now)
      assert.strictEqual((yield* signedAt(now - hour)).timestamp, now - hour)
      assert.strictEqual((yield* signedAt(now + hour)).timestamp, now + hour)
      const old = yield* Effect.flip(signedAt(now - hour - 1))
      assert.strictEqual(old._tag, "TimestampOutOfTolerance")
      if (old._tag === "TimestampOutOfTolerance") assert.strictEqual(old.skewMillis, hour + 1)
      assert.strictEqual((yield* Effect.flip(signedAt(now + hour + 1)))._tag, "TimestampOutOfTolerance")
    }))

  it.effect("a retry 35 minutes after a first attempt that reused its timestamp is still accepted", () =>
    Effect.gen(function*() {
      const raw = yield* IgvTesting.signWithClock({ body: IgvTesting.exampleBody, secret })
      yield* TestClock.adjust(Duration.minutes(35))
      assert.isString((yield* provider.verify(raw)).requestId)
      yield* TestClock.adjust(Duration.minutes(26))
      assert.strictEqual((yield* Effect.flip(provider.verify(raw)))._tag, "TimestampOutOfTolerance")
    }))

  it.effect("a custom tolerance applies, up to 24 hours each way", () =>
    Effect.gen(function*() {
      const now = 1_760_000_000_000
      yield* TestClock.setTime(now)
      const strict = Igv.provider({ secret, tolerance: "5 minutes" })
      yield* signedAt(now - 300_000, strict)
      assert.strictEqual((yield* Effect.flip(signedAt(now - 300_001, strict)))._tag, "TimestampOutOfTolerance")
      const asymmetric = Igv.provider({ secret, tolerance: { past: "2 hours", future: "1 second" } })
      yield* signedAt(now - 2 * hour, asymmetric)
      assert.strictEqual((yield* Effect.flip(signedAt(now + 1001, asymmetric)))._tag, "TimestampOutOfTolerance")
      const widest = Igv.provider({ secret, tolerance: Igv.maxTolerance })
      yield* signedAt(now - 24 * hour, widest)
      yield* signedAt(now + 24 * hour, widest)
      assert.strictEqual((yield* Effect.flip(signedAt(now - 24 * hour - 1, widest)))._tag, "TimestampOutOfTolerance")
    }))

  // The signed string is `X-Timestamp + X-Request-Id` with no separator, so every split of it into a
  // run of digits and a non-empty rest carries the captured signature: a new request id, a new key.
  const resplits = (timestamp: string, requestId: string) => {
    const signed = `${timestamp}${requestId}`
    const splits: Array<{ readonly timestamp: string; readonly requestId: string }> = []
    for (let at = 1; at < Math.min(signed.length, 17); at++) {
      const t = signed.slice(0, at)
      if (at !== timestamp.length && /^\d+$/.test(t)) splits.push({ timestamp: t, requestId: signed.slice(at) })
    }
    return splits
  }

  it.effect("digit shift: a captured callback re-split between X-Timestamp and X-Request-Id (same signature) is refused by the default window", () =>
    Effect.gen(function*() {
      const timestamp = String(docs.timestamp)
      const shifted = resplits(timestamp, docs.requestId)
      // "1734850099000" + "2002986662652579841" → "173485009900" + "02002986662652579841", …,
      // "1734850099000200" + "2986662652579841": 12 shorter timestamps and 3 longer ones.
      assert.strictEqual(shifted.length, 15)
      assert.deepStrictEqual(shifted[11], { timestamp: "173485009900", requestId: "02002986662652579841" })
      const runs = yield* Ref.make<Array<string>>([])
      const handler = defineHandler(provider, (event) => Ref.update(runs, (seen) => [...seen, event.requestId]))
      yield* TestClock.setTime(docs.timestamp)
      assert.strictEqual(Outcome.label(yield* handler.process(docsDelivery())), "Processed")
      for (const split of shifted) {
        // The premise of the attack: the captured signature is valid for the re-split headers.
        assert.strictEqual(Igv.signature({ ...split, secret }), docs.signature)
        const forged = withHeader(
          withHeader(docsDelivery(), "x-timestamp", split.timestamp),
          "x-request-id",
          split.requestId
        )
        const error = yield* Effect.flip(provider.verify(forged))
        assert.instanceOf(error, TimestampOutOfTolerance, split.timestamp)
        // A power of ten away from now: decades in the past or centuries in the future.
        assert.isAbove(Math.abs(error.skewMillis), 40 * 365 * 24 * hour)
        assert.strictEqual(Outcome.label(yield* handler.process(forged)), "Rejected(TimestampOutOfTolerance)")
      }
      assert.deepStrictEqual(yield* Ref.get(runs), [docs.requestId])
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it("tolerance false is refused: excluded by the type, and Misconfigured thrown at construction naming the fix", () => {
    // @ts-expect-error -- `false` is not an iGV tolerance (see Igv.Tolerance)
    const disabled = () => Igv.provider({ secret, tolerance: false })
    assert.throws(disabled, Misconfigured, /X-Timestamp \+ X-Request-Id.*24 hours/s)
    // @ts-expect-error -- nor for verify on its own
    const verifyDisabled = () => Igv.verify({ secret, tolerance: false })
    assert.throws(verifyDisabled, Misconfigured, /cannot be false/)
  })

  it("tolerances wider than 24 hours, infinite or negative are refused at construction", () => {
    const refused: Array<Igv.Tolerance> = [
      "25 hours",
      Duration.days(7),
      { past: "1 hour", future: "2 days" },
      { past: "2 days", future: "1 hour" },
      "Infinity",
      -1
    ]
    for (const tolerance of refused) {
      assert.throws(() => Igv.provider({ secret, tolerance }), Misconfigured, undefined, String(tolerance))
    }
    assert.throws(() => Igv.provider({ secret, tolerance: "25 hours" }), Misconfigured, /at most 24 hours/)
    for (const tolerance of ["24 hours", { past: "24 hours", future: "0 millis" }, 0] as const) {
      assert.doesNotThrow(() => Igv.provider({ secret, tolerance }), String(tolerance))
    }
  })

  it("a retention not longer than the tolerance's past + future is refused by defineHandler", () => {
    const handle = () => Effect.void
    // Default tolerance 1 hour each way: a request id forgotten after 2 hours could still be replayed.
    assert.throws(() => defineHandler(provider, handle, { retention: "2 hours" }), Misconfigured, /retention/)
    assert.throws(
      () =>
        defineHandler(Igv.provider({ secret, tolerance: { past: "30 minutes", future: "30 minutes" } }), handle, {
          retention: "1 hour"
        }),
      Misconfigured
    )
    assert.doesNotThrow(() =>
      defineHandler(Igv.provider({ secret, tolerance: "59 minutes" }), handle, { retention: "2 hours" })
    )
    assert.doesNotThrow(() =>
      defineHandler(Igv.provider({ secret, tolerance: Igv.maxTolerance }), handle, { retention: "7 days" })
    )
  })

  it("a too-short retention passed to defineHandler throws Misconfigured naming igv and the fix (issue #15)", () => {
    const short = () => defineHandler(Igv.provider({ secret }), () => Effect.void, { retention: "30 minutes" })
    assert.throws(short, Misconfigured, /^igv: retention must be longer than the tolerance's past \+ future/)
    assert.throws(short, Misconfigured, /Raise retention or shorten tolerance/)
  })

  it.effect("a stale timestamp with a bad signature is SignatureInvalid (the clock is not probed first)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(docs.timestamp + 10 * hour)
      const flipped = `${flipHex(docs.signature[0]!)}${docs.signature.slice(1)}`
      assert.strictEqual((yield* Effect.flip(provider.verify(docsDelivery(flipped))))._tag, "SignatureInvalid")
      assert.strictEqual((yield* Effect.flip(provider.verify(docsDelivery())))._tag, "TimestampOutOfTolerance")
    }))
})

describe("Igv events", () => {
  const decode = (body: string, requestId = "r-1") =>
    Effect.gen(function*() {
      const raw = IgvTesting.sign({ body, secret, requestId, timestamp: docs.timestamp })
      const payload = yield* verifyAt(raw)
      return yield* provider.decode(payload, raw)
    })
  const order = (fields: Record<string, string>) => {
    const base: Record<string, string> = {
      createdAt: `"2025-12-17T13:44:16"`,
      orderId: "1689644928115784",
      orderNum: `"SO1689644928115784"`,
      sellerOrderStatus: "1",
      buyerId: `"1907369850568257537"`
    }
    return `{${
      Object.entries({ ...base, ...fields }).filter(([, v]) => v !== "").map(([k, v]) => `"${k}":${v}`).join(",")
    }}`
  }

  it.effect("status 1 decodes to OrderPendingDelivery with exact ids and the local createdAt", () =>
    Effect.gen(function*() {
      const event = yield* decode(IgvTesting.exampleBody, docs.requestId)
      assert.deepStrictEqual(event, {
        _tag: "OrderPendingDelivery",
        requestId: docs.requestId,
        orderId: "1689644928115784",
        orderNum: "SO1689644928115784",
        buyerId: "1907369850568257537",
        createdAt: "2025-12-17T13:44:16",
        status: 1
      })
      assert.isTrue(Igv.Event.guards.OrderPendingDelivery(event))
    }))

  it.effect("ids above 2^53 stay exact, as numbers or strings; buyerId as a large number too", () =>
    Effect.gen(function*() {
      const event = yield* decode(order({ orderId: "9007199254740993", buyerId: "19073698505682575371" }))
      assert.strictEqual(event._tag, "OrderPendingDelivery")
      if (event._tag !== "OrderPendingDelivery") return
      assert.strictEqual(event.orderId, "9007199254740993")
      assert.strictEqual(event.buyerId, "19073698505682575371")
      assert.strictEqual(BigInt(event.orderId), 2n ** 53n + 1n)
      const quoted = yield* decode(order({ orderId: `"9007199254740993"` }))
      assert.strictEqual(quoted._tag === "OrderPendingDelivery" ? quoted.orderId : "", "9007199254740993")
    }))

  it.effect("createdAt: fractional seconds accepted; zones, bad dates and other shapes are DecodeFailed", () =>
    Effect.gen(function*() {
      const ok = yield* decode(order({ createdAt: `"2024-02-29T23:59:59.123"` }))
      assert.strictEqual(ok._tag === "OrderPendingDelivery" ? ok.createdAt : "", "2024-02-29T23:59:59.123")
      for (
        const bad of [
          "2025-12-17T13:44:16Z",
          "2025-12-17T13:44:16+08:00",
          "2025-12-17 13:44:16",
          "2025-02-29T00:00:00",
          "2025-13-01T00:00:00",
          "2025-12-17T24:00:00",
          "2025-12-17",
          "1734850099000"
        ]
      ) {
        const error = yield* Effect.flip(decode(order({ createdAt: `"${bad}"` })))
        assert.instanceOf(error, DecodeFailed, bad)
        // The member is chosen by status first, so the message names only the bad field.
        assert.include(error.message, `["createdAt"]`, bad)
        assert.notInclude(error.message, "sellerOrderStatus", bad)
      }
    }))

  it.effect("status 1 with a missing, empty or inexact field is DecodeFailed (not UnknownStatus)", () =>
    Effect.gen(function*() {
      const cases = [
        order({ orderId: "" }),
        order({ orderId: "1.5" }),
        order({ orderId: "-7" }),
        order({ orderId: "1e20" }),
        order({ orderId: `"SO1"` }),
        order({ orderNum: `""` }),
        order({ buyerId: "" }),
        order({ buyerId: "null" }),
        order({ createdAt: "" })
      ]
      for (const body of cases) {
        const error = yield* Effect.flip(decode(body))
        assert.strictEqual(error._tag, "DecodeFailed", body)
      }
    }))

  it.effect("any other status decodes to UnknownStatus with the exact status and every raw field", () =>
    Effect.gen(function*() {
      const event = yield* decode(
        `{"sellerOrderStatus":2,"orderId":9007199254740993,"note":"refund","amount":100.10,"items":[{"sku":"A"}],"paid":true}`,
        "r-2"
      )
      assert.deepStrictEqual(event, {
        _tag: "UnknownStatus",
        requestId: "r-2",
        status: "2",
        fields: {
          sellerOrderStatus: "2",
          orderId: "9007199254740993",
          note: "refund",
          amount: "100.10",
          items: [{ sku: "A" }],
          paid: true
        }
      })
      const text = yield* decode(order({ sellerOrderStatus: `"CANCELLED"` }))
      assert.strictEqual(text._tag === "UnknownStatus" ? text.status : "", "CANCELLED")
      // `1.0` is not the documented `1`: kept for the handler to decide rather than guessed.
      const decimal = yield* decode(order({ sellerOrderStatus: "1.0" }))
      assert.strictEqual(decimal._tag === "UnknownStatus" ? decimal.status : "", "1.0")
    }))

  it.effect("a missing or non-scalar sellerOrderStatus is DecodeFailed", () =>
    Effect.gen(function*() {
      for (const status of ["", "null", "{}", "[1]", "true"]) {
        const error = yield* Effect.flip(decode(order({ sellerOrderStatus: status })))
        assert.strictEqual(error._tag, "DecodeFailed", status)
      }
    }))

  it.effect("EventFromPayload decodes a payload into the same event as decode; it is decode only", () =>
    Effect.gen(function*() {
      for (const body of [IgvTesting.exampleBody, order({ sellerOrderStatus: "2" })]) {
        const raw = IgvTesting.sign({ body, secret, requestId: "r-3", timestamp: docs.timestamp })
        const payload = yield* verifyAt(raw)
        const event = yield* Schema.decodeUnknownEffect(Igv.EventFromPayload)(payload)
        assert.deepStrictEqual(event, yield* provider.decode(payload, raw))
        const encoded = yield* Effect.flip(Schema.encodeEffect(Igv.EventFromPayload)(event))
        assert.include(encoded.message, "Encoding is not supported")
      }
    }))
})

describe("Igv provider defaults and ack", () => {
  it("defaults: key namespace igv, POST only, budget 10 s, lease 4 min, retention 7 days, 1 MiB", () => {
    const handler = defineHandler(provider, () => Effect.void)
    assert.strictEqual(handler.name, "igv")
    assert.deepStrictEqual(handler.methods, ["POST"])
    assert.deepStrictEqual(
      [
        Duration.toMillis(handler.settings.timeBudget),
        Duration.toMillis(handler.settings.lease),
        Duration.toMillis(handler.settings.retention),
        handler.settings.bodyLimit
      ],
      [10_000, 240_000, 7 * 24 * 3_600_000, 1024 * 1024]
    )
    // The lease must run out before iGV's first retry (+5 min), or a crashed holder's claim would
    // answer that retry InFlight.
    assert.isBelow(Duration.toMillis(handler.settings.lease), 5 * 60_000)
    const custom = defineHandler(
      provider,
      () => Effect.void,
      { timeBudget: "3 seconds", lease: "1 minute", retention: "30 days", bodyLimit: 4096 }
    )
    assert.deepStrictEqual(
      [
        Duration.toMillis(custom.settings.timeBudget),
        Duration.toMillis(custom.settings.lease),
        Duration.toMillis(custom.settings.retention),
        custom.settings.bodyLimit
      ],
      [3_000, 60_000, 30 * 24 * 3_600_000, 4096]
    )
  })

  it("every outcome gets the status iGV needs: 200 only for Processed and Duplicate", () => {
    const key = "igv:1"
    const cases: Array<[Outcome.Outcome, number]> = [
      [Outcome.Processed({ key, eventTag: "OrderPendingDelivery" }), 200],
      [Outcome.Duplicate({ key }), 200],
      [Outcome.InFlight({ key }), 503],
      [Outcome.Rejected({ key: undefined, reason: new SignatureInvalid({ message: "x" }) }), 401],
      [
        Outcome.Rejected({
          key: undefined,
          reason: new TimestampOutOfTolerance({ message: "x", timestamp: "1", skewMillis: 1 })
        }),
        401
      ],
      [Outcome.Rejected({ key: undefined, reason: new MalformedDelivery({ message: "x" }) }), 400],
      [Outcome.Rejected({ key, reason: new PayloadMismatch({ message: "x", key }) }), 409],
      [Outcome.Rejected({ key: undefined, reason: new BodyTooLarge({ message: "x", limit: 1 }) }), 413],
      [
        Outcome.Rejected({
          key: undefined,
          reason: new UnsupportedMediaType({ message: "x", contentType: "text/plain" })
        }),
        415
      ],
      [Outcome.Rejected({ key: undefined, reason: new MethodNotAllowed({ message: "x", method: "GET" }) }), 405],
      [Outcome.Failed({ key, reason: new StoreUnavailable({ message: "x" }) }), 503],
      [Outcome.Failed({ key, reason: new TimedOut({ message: "x", budgetMillis: 10_000 }) }), 503],
      [Outcome.Failed({ key, reason: new HandlerFailed({ message: "x", error: "boom", defect: false }) }), 500],
      [Outcome.Failed({ key, reason: new DecodeFailed({ message: "x" }) }), 500]
    ]
    for (const [outcome, status] of cases) {
      const ack = provider.ack(outcome)
      assert.strictEqual(ack.status, status, Outcome.label(outcome))
      assert.strictEqual(ack.status === 200, Outcome.isAcknowledged(outcome), Outcome.label(outcome))
      assert.strictEqual(ack.status, AckPolicy.statusOf(outcome), Outcome.label(outcome))
    }
  })

  it.effect("a handler slower than the budget → 503 TimedOut; it finishes in the background and the retry is a Duplicate", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const handler = defineHandler(
        provider,
        () => Effect.sleep(Duration.seconds(15)).pipe(Effect.andThen(Ref.update(runs, (n) => n + 1)))
      )
      const raw = yield* IgvTesting.signWithClock({ body: IgvTesting.exampleBody, secret })
      const first = yield* Effect.forkChild(handler.run(raw))
      yield* TestClock.adjust(Duration.seconds(10))
      const ack = yield* Fiber.join(first)
      assert.deepStrictEqual([ack.status, JSON.parse(ack.body)], [503, { outcome: "Failed", reason: "TimedOut" }])
      yield* TestClock.adjust(Duration.seconds(5))
      yield* Effect.yieldNow
      const retry = yield* handler.run(raw)
      assert.deepStrictEqual([retry.status, JSON.parse(retry.body)], [200, { outcome: "Duplicate" }])
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})

describe("start-up", () => {
  it("a missing secret is reported by the listener's start(), not on every delivery", async () => {
    const provider = Igv.provider({ secret: Config.Redacted("HOOKLINE_TEST_UNSET_IGV_SECRET") })
    const error = await startError(provider)
    assert.instanceOf(error, Misconfigured)
    assert.include((error as Misconfigured).message, "iGV callback secret")
  })
})
