/**
 * Pins on `Signing.ts` and `Timestamp.ts` that mutation testing showed no other test held: the
 * exact edges of strict signature decoding, of the constant-time comparisons, and of the timestamp
 * window (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { Signing, Timestamp } from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"

const hex = (bytes: Uint8Array | undefined) => bytes === undefined ? undefined : Buffer.from(bytes).toString("hex")
const utf8 = (text: string) => new TextEncoder().encode(text)

describe("Signing.decode (base64)", () => {
  // [received text, the bytes it must decode to as hex, or undefined for "not a signature"]
  const cases: ReadonlyArray<readonly [string, string | undefined]> = [
    ["", ""],
    ["QUJD", "414243"], // "ABC": whole quads
    ["QUI=", "4142"], // "AB": one padding character
    ["QQ==", "41"], // "A": two
    ["QUJDREVG", "414243444546"], // two quads
    ["QUJDRA==", "41424344"], // a quad, then a padded one
    ["+/+/", "fbffbf"], // standard alphabet
    ["-_-_", "fbffbf"], // URL-safe alphabet, no padding
    ["-_8", "fbff"], // URL-safe, unpadded tail
    ["QQ", "41"], // unpadded: read as URL-safe
    ["QQ=", undefined], // wrong padding
    ["Q===", undefined],
    ["QUJD=", undefined], // padding after a whole quad
    ["QUI=QUJD", undefined], // padding in the middle
    ["!QUJD", undefined],
    ["QUJD!", undefined],
    ["QU JD", undefined],
    ["+/+", undefined], // standard alphabet without padding
    ["-_+/", undefined], // mixed alphabets
    ["QQ==\n", undefined]
  ]
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? "refused"}`, () => {
      assert.strictEqual(hex(Signing.decode(text, "base64")), expected)
    })
  }
})

describe("Signing comparisons", () => {
  const expected = Signing.hmac("sha256", "key", "data")
  const good = Buffer.from(expected).toString("hex")

  it("timingSafeEqual: equal bytes true, different bytes or lengths false (never a throw)", () => {
    assert.isTrue(Signing.timingSafeEqual(utf8("abc"), utf8("abc")))
    assert.isFalse(Signing.timingSafeEqual(utf8("abc"), utf8("abd")))
    assert.isFalse(Signing.timingSafeEqual(utf8("abc"), utf8("abcd")))
    assert.isFalse(Signing.timingSafeEqual(utf8("abcd"), utf8("abc")))
    assert.isTrue(Signing.timingSafeEqual(new Uint8Array(0), new Uint8Array(0)))
  })

  it("matches and matchesAny ignore whitespace around the received signature", () => {
    assert.isTrue(Signing.matches(expected, ` ${good}\n`, "hex"))
    assert.isTrue(Signing.matchesAny(["key"], (k) => Signing.hmac("sha256", k, "data"), `\t${good} `, "hex"))
  })

  it("matchesAny: undecodable text matches nothing; every candidate is computed even after a match", () => {
    const computed: Array<string> = []
    const compute = (k: string) => {
      computed.push(k)
      return Signing.hmac("sha256", k, "data")
    }
    assert.isTrue(Signing.matchesAny(["key", "other", "third"], compute, good, "hex"))
    assert.deepStrictEqual(computed, ["key", "other", "third"])
    assert.isFalse(Signing.matchesAny(["key"], compute, "not hex", "hex"))
    assert.isFalse(Signing.matchesAny(["key"], compute, `${good}00`, "hex"))
    assert.isTrue(Signing.matchesAny(["other", "key"], compute, good.toUpperCase(), "hex"))
  })

  it("encode reads exactly the view's bytes (a subarray of a larger buffer)", () => {
    const whole = utf8("xxABCyy")
    const view = whole.subarray(2, 5)
    assert.strictEqual(Signing.encode(view, "hex"), "414243")
    assert.strictEqual(Signing.encode(view, "base64"), "QUJD")
  })

  it("sha256Parts frames each part by its byte length (UTF-8), not its character count", () => {
    // "é" is one character and two bytes: framed as "2:é".
    const expected = Buffer.from(Signing.sha256(Buffer.concat([utf8("2:"), utf8("é"), utf8("1:a")]))).toString("hex")
    assert.strictEqual(Signing.sha256Parts(["é", "a"]), expected)
    assert.strictEqual(Signing.sha256Parts([utf8("é"), utf8("a")]), expected)
    assert.strictEqual(Signing.sha256Parts([]), Buffer.from(Signing.sha256("")).toString("hex"))
  })
})

const now = 1_734_850_099_000

describe("Timestamp edges", () => {
  it("window resolves each form of tolerance to milliseconds", () => {
    assert.isUndefined(Timestamp.window(false))
    assert.deepStrictEqual(Timestamp.window("1 minute"), { pastMillis: 60_000, futureMillis: 60_000 })
    assert.deepStrictEqual(Timestamp.window(1500), { pastMillis: 1500, futureMillis: 1500 })
    // A duration object is one window for both directions, not a past/future pair.
    assert.deepStrictEqual(Timestamp.window({ minutes: 2 }), { pastMillis: 120_000, futureMillis: 120_000 })
    assert.deepStrictEqual(
      Timestamp.window({ past: "10 seconds", future: Duration.seconds(2) }),
      { pastMillis: 10_000, futureMillis: 2000 }
    )
  })

  it("parse: decimal digits only, surrounding whitespace ignored, at most 16 digits", () => {
    assert.strictEqual(Timestamp.parse(" 123 ", "seconds"), 123_000)
    assert.strictEqual(Timestamp.parse("123", "milliseconds"), 123)
    assert.strictEqual(Timestamp.parse("9".repeat(16), "milliseconds"), Number("9".repeat(16)))
    for (const bad of ["9".repeat(17), "", " ", "12a", "a12", "1 2", "+12", "0x1f"]) {
      assert.isUndefined(Timestamp.parse(bad, "seconds"), JSON.stringify(bad))
    }
  })

  it.effect("the window's edges are inside it, one millisecond beyond is not, in each direction", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const tolerance = { past: "10 seconds", future: "2 seconds" } as const
      const check = (at: number) => Timestamp.check(String(at), { unit: "milliseconds", tolerance })
      assert.strictEqual(yield* check(now - 10_000), now - 10_000)
      assert.strictEqual(yield* check(now + 2000), now + 2000)
      const old = yield* Effect.flip(check(now - 10_001))
      assert.strictEqual(old._tag, "TimestampOutOfTolerance")
      const ahead = yield* Effect.flip(check(now + 2001))
      assert.strictEqual(ahead._tag, "TimestampOutOfTolerance")
      // Each direction has its own window: 5 s back is fine, 5 s ahead is not.
      assert.strictEqual(yield* check(now - 5000), now - 5000)
      const future = yield* Effect.flip(check(now + 5000))
      assert.strictEqual(future._tag, "TimestampOutOfTolerance")
    }))

  it.effect("a refusal says how far off the timestamp is, which way, and the tolerance", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const options = { unit: "seconds", tolerance: { past: "1 minute", future: "30 seconds" } } as const
      const old = yield* Effect.flip(Timestamp.check(` ${(now - 90_000) / 1000} `, options))
      assert.deepStrictEqual(
        { tag: old._tag, message: old.message },
        { tag: "TimestampOutOfTolerance", message: "Timestamp is 90 s old (tolerance 60 s)" }
      )
      if (old._tag === "TimestampOutOfTolerance") {
        assert.strictEqual(old.timestamp, String((now - 90_000) / 1000))
        assert.strictEqual(old.skewMillis, 90_000)
      }
      const ahead = yield* Effect.flip(Timestamp.check(String((now + 45_000) / 1000), options))
      assert.strictEqual(ahead.message, "Timestamp is 45 s in the future (tolerance 30 s)")
      if (ahead._tag === "TimestampOutOfTolerance") assert.strictEqual(ahead.skewMillis, -45_000)
      const malformed = yield* Effect.flip(Timestamp.check("soon", options))
      assert.deepStrictEqual(
        { tag: malformed._tag, message: malformed.message },
        { tag: "MalformedDelivery", message: "Timestamp is not a number of seconds" }
      )
    }))
})
