import { assert, describe, it } from "@effect/vitest"
import { LocalDateTime, Timestamp } from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"

const now = 1_734_850_099_000

describe("Timestamp", () => {
  it.effect("accepts timestamps within the window in both units", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      assert.strictEqual(
        yield* Timestamp.check(String(now - 59_000), { unit: "milliseconds", tolerance: "1 minute" }),
        now - 59_000
      )
      assert.strictEqual(
        yield* Timestamp.check(String(now / 1000 + 59), { unit: "seconds", tolerance: "1 minute" }),
        now + 59_000
      )
    }))

  it.effect("rejects too old and too far in the future", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const old = yield* Effect.flip(
        Timestamp.check(String(now - 61_000), { unit: "milliseconds", tolerance: "1 minute" })
      )
      assert.strictEqual(old._tag, "TimestampOutOfTolerance")
      if (old._tag === "TimestampOutOfTolerance") assert.strictEqual(old.skewMillis, 61_000)
      const future = yield* Effect.flip(
        Timestamp.check(String(now / 1000 + 61), { unit: "seconds", tolerance: "1 minute" })
      )
      assert.strictEqual(future._tag, "TimestampOutOfTolerance")
    }))

  it.effect("supports separate past and future windows", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const tolerance = { past: Duration.hours(1), future: Duration.seconds(5) }
      yield* Timestamp.check(String(now - 3_500_000), { unit: "milliseconds", tolerance })
      const future = yield* Effect.flip(Timestamp.check(String(now + 6_000), { unit: "milliseconds", tolerance }))
      assert.strictEqual(future._tag, "TimestampOutOfTolerance")
    }))

  it.effect("tolerance false accepts any time but still requires a number", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      assert.strictEqual(yield* Timestamp.check("1", { unit: "seconds", tolerance: false }), 1000)
      for (const bad of ["", "12.5", "-5", "1e9", "abc", "99999999999999999999"]) {
        const error = yield* Effect.flip(Timestamp.check(bad, { unit: "seconds", tolerance: false }))
        assert.strictEqual(error._tag, "MalformedDelivery", bad)
      }
    }))
})

describe("LocalDateTime", () => {
  it("accepts real calendar dates in the format, without inventing a zone", () => {
    const iso = LocalDateTime.schema({ separator: "T", fractionalSeconds: true })
    const spaced = LocalDateTime.schema({ separator: " " })
    assert.strictEqual(Schema.decodeUnknownSync(iso)("2025-12-17T13:44:16"), "2025-12-17T13:44:16")
    assert.strictEqual(Schema.decodeUnknownSync(iso)("2024-02-29T23:59:59.123"), "2024-02-29T23:59:59.123")
    assert.strictEqual(Schema.decodeUnknownSync(spaced)("2026-05-04 10:05:00"), "2026-05-04 10:05:00")
    for (
      const bad of [
        "2025-02-29T00:00:00",
        "2025-12-17T13:44:16Z",
        "2025-12-17T13:44:16+08:00",
        "2025-13-01T00:00:00",
        "2025-12-17 13:44:16",
        "2025-12-17T24:00:00"
      ]
    ) {
      assert.isFalse(LocalDateTime.isValid(bad, { separator: "T", fractionalSeconds: true }), bad)
    }
    assert.isFalse(LocalDateTime.isValid("2026-05-04 10:05:00.5", { separator: " " }))
    assert.throws(() => Schema.decodeUnknownSync(spaced)("2026-04-31 10:05:00"))
  })

  // The definition the character scan replaced: an anchored pattern, then the calendar through `Date`.
  const reference = (text: string, format: LocalDateTime.Format): boolean => {
    const match = new RegExp(
      `^(\\d{4})-(\\d{2})-(\\d{2})${format.separator}(\\d{2}):(\\d{2}):(\\d{2})${
        format.fractionalSeconds === true ? "(?:\\.\\d{1,9})?" : ""
      }$`
    ).exec(text)
    if (match === null) return false
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, ...Array<number>]
    const date = new Date(Date.UTC(2000, month! - 1, day!))
    date.setUTCFullYear(year)
    return month! >= 1 && month! <= 12 && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day &&
      hour! <= 23 && minute! <= 59 && second! <= 59
  }

  it("agrees with a pattern + Date definition on valid, near-valid and mutated texts (both separators, fractions)", () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"))
    const stamp = fc.tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")),
      two(13),
      two(32),
      fc.constantFrom("T", " ", "t", "_"),
      two(25),
      two(60),
      two(60),
      fc.oneof(fc.constant(""), fc.stringMatching(/^\.\d{0,11}$/))
    ).map(([y, mo, d, sep, h, mi, s, fraction]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${fraction}`)
    // One character replaced, removed or inserted anywhere.
    const mutated = fc.tuple(
      stamp,
      fc.nat(),
      fc.constantFrom("", "0", "9", "-", ":", ".", "a", " ", "١", "\n"),
      fc.nat(2)
    )
      .map(([text, at, char, mode]) => {
        const i = at % (text.length + 1)
        return mode === 0
          ? text.slice(0, i) + char + text.slice(i + 1)
          : mode === 1
          ? text.slice(0, i) + text.slice(i + 1)
          : text.slice(0, i) + char + text.slice(i)
      })
    fc.assert(
      fc.property(
        fc.oneof(stamp, mutated),
        fc.constantFrom("T" as const, " " as const),
        fc.boolean(),
        (text, separator, fractionalSeconds) => {
          const format = { separator, fractionalSeconds }
          assert.strictEqual(
            LocalDateTime.isValid(text, format),
            reference(text, format),
            `${JSON.stringify(text)} ${JSON.stringify(format)}`
          )
        }
      ),
      { numRuns: 20_000 }
    )
  })
})
