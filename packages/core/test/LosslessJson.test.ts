import { assert, describe, it } from "@effect/vitest"
import { FormUrlEncoded, LosslessJson } from "@hookline/core/provider"
import * as Result from "effect/Result"
import * as fc from "fast-check"

const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${String(result.failure)}`)
  return result.success
}

describe("LosslessJson", () => {
  it("keeps integers beyond 2^53 exact as bigint, safe numbers as number", () => {
    const parsed = ok(
      LosslessJson.parseObject(`{"big":9007199254740993,"safe":42,"neg":-18446744073709551617,"dec":1.5}`)
    )
    assert.strictEqual(parsed.big, 9007199254740993n)
    assert.strictEqual(parsed.safe, 42)
    assert.strictEqual(parsed.neg, -18446744073709551617n)
    assert.strictEqual(parsed.dec, 1.5)
  })

  it("the fast path without a reviver gives what the reviver gives, for any JSON", () => {
    // Integers of 15 to 20 digits, in and out of the safe range, as numbers and inside strings.
    const digits = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String)
    const ws = fc.constantFrom("", " ", "\n\t ")
    const json: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        digits,
        digits.map((d) => `"${d}"`),
        digits.map((d) => `"SO${d}"`),
        digits.map((d) => `"a:${d},[${d}"`),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
        fc.string().map((text) => JSON.stringify(text)),
        fc.tuple(fc.array(tie("value"), { maxLength: 4 }), ws).map(([items, w]) => `[${w}${items.join(`,${w}`)}${w}]`),
        fc.tuple(fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 4 }), ws).map((
          [entries, w]
        ) => `{${w}${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}${w}:${w}${v}`).join(`,${w}`)}${w}}`)
      )
    })).value
    const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
      typeof value === "number" && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? "")
        ? BigInt(context!.source!)
        : value
    fc.assert(
      fc.property(json, (text) => {
        assert.deepStrictEqual(ok(LosslessJson.parse(text)), JSON.parse(text, reviver as never))
      }),
      { numRuns: 2000 }
    )
  })

  it("auto mode: integers past 2^53 anywhere (deep, huge, beside large decimals) are bigint; a too-deep body still parses", () => {
    const huge = `1${"0".repeat(400)}`
    assert.deepStrictEqual(ok(LosslessJson.parse(`[1e400,${huge},-${huge},1.5e300,9007199254740992]`)), [
      Infinity,
      BigInt(huge),
      -BigInt(huge),
      1.5e300,
      9007199254740992n
    ])
    assert.deepStrictEqual(
      ok(LosslessJson.parse(`{"a":{"b":[{"c":[9007199254740991,-9007199254740993]}]},"d":"SO1689644928115784"}`)),
      { a: { b: [{ c: [9007199254740991, -9007199254740993n] }] }, d: "SO1689644928115784" }
    )
    // Deeper than the walk over the plain result can recurse: the text decides, and a body without
    // long numbers parses as it is.
    const depth = 200_000
    const deep = ok(LosslessJson.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`))
    let level: unknown = deep
    for (let i = 0; i < depth; i++) level = (level as ReadonlyArray<unknown>)[0]
    assert.strictEqual(level, 1)
  })

  it("returns every number as its exact source text in source mode", () => {
    const parsed = ok(
      LosslessJson.parseObject(`{"amount":100.10,"id":1689644928115784,"e":1e3,"arr":[0.30]}`, { numbers: "source" })
    )
    assert.deepStrictEqual(parsed, { amount: "100.10", id: "1689644928115784", e: "1e3", arr: ["0.30"] })
  })

  // "source" mode quotes the numbers and parses without a reviver; the reviver is the reference.
  const sourceReviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" ? context!.source : value
  const reference = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
    try {
      return { ok: true, value: JSON.parse(text, sourceReviver as never) }
    } catch {
      return { ok: false }
    }
  }
  const sameAsReference = (text: string) => {
    const expected = reference(text)
    const actual = LosslessJson.parse(text, { numbers: "source" })
    if (expected.ok) assert.deepStrictEqual(ok(actual), expected.value, text)
    else assert.isTrue(Result.isFailure(actual) && actual.failure._tag === "MalformedDelivery", text)
  }

  it("source mode gives what a reviver returning the source text gives, for any JSON", () => {
    const number = fc.oneof(
      fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
      fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom("", ".0", ".10", "e5", "E-3", "e+0", ".25e10"))
        .map(([n, tail]) => `${n}${tail}`)
    )
    const ws = fc.constantFrom("", " ", "\n\t ", "\r")
    const json: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        number,
        fc.constantFrom("true", "false", "null"),
        number.map((d) => `"${d}"`),
        number.map((d) => `"a:${d},[${d}\\"-${d}"`),
        fc.string({ unit: "binary" }).map((text) => JSON.stringify(text)),
        fc.tuple(fc.array(tie("value"), { maxLength: 4 }), ws).map(([items, w]) =>
          `[${w}${items.join(`${w},${w}`)}${w}]`
        ),
        fc.tuple(fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 4 }), ws).map((
          [entries, w]
        ) =>
          `{${w}${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}${w}:${w}${v}`).join(`${w},${w}`)}${w}}`
        )
      )
    })).value
    fc.assert(fc.property(json, sameAsReference), { numRuns: 3000 })
    // Broken JSON: an edit of a valid text, with the characters numbers and structure are made of.
    const edited = fc.tuple(json, fc.nat(), fc.constantFrom(...`0123456789-+.eE:,[]{}" \\xtn`), fc.nat(2)).map((
      [text, at, char, kind]
    ) => {
      const i = at % (text.length + 1)
      return kind === 0
        ? text.slice(0, i) + char + text.slice(i)
        : kind === 1
        ? text.slice(0, i) + char + text.slice(i + 1)
        : text.slice(0, i) + text.slice(i + 1)
    })
    fc.assert(fc.property(edited, sameAsReference), { numRuns: 5000 })
  })

  it("source mode refuses what JSON refuses: quoting a number never makes a text valid", () => {
    for (
      const text of [
        `{1:2}`,
        `{"a":1,2:3}`,
        `{"a":1, 2 :3}`,
        `["a" 1]`,
        `[1 2]`,
        `[1]1`,
        `"a" 1`,
        `[01]`,
        `[-01]`,
        `[1.]`,
        `[.5]`,
        `[-]`,
        `[+1]`,
        `[1e]`,
        `[1e+]`,
        `[1.5.5]`,
        `[1-2]`,
        `[1true]`,
        `{"a":1`,
        `{"a":"1}`,
        `{"a":"\\"1}`,
        `[-Infinity]`,
        `[0x10]`,
        `[1,]`,
        ``
      ]
    ) {
      const result = LosslessJson.parse(text, { numbers: "source" })
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "MalformedDelivery", text)
    }
    assert.deepStrictEqual(ok(LosslessJson.parse(` -0.5e-7 `, { numbers: "source" })), "-0.5e-7")
    assert.deepStrictEqual(
      ok(LosslessJson.parse(`{"k\\\\":1,"s":"\\\\\\\\","n" : 2 }`, { numbers: "source" })),
      { "k\\": "1", s: "\\\\", n: "2" }
    )
  })

  it("source mode parses a valid body too large for the quoting pass's regular expression (the reviver path)", () => {
    // Millions of strings exhaust the regular expression's backtracking stack; the parse falls
    // back to the reviver rather than refusing valid JSON.
    const text = `[${"\"a\",".repeat(3_000_000)}1.50]`
    const parsed = ok(LosslessJson.parse(text, { numbers: "source" })) as ReadonlyArray<unknown>
    assert.strictEqual(parsed.length, 3_000_001)
    assert.strictEqual(parsed[3_000_000], "1.50")
  }, 60_000)

  it("canonical is JSON.stringify's text with sorted keys, for any value", () => {
    // The straightforward definition it must match.
    const reference = (value: LosslessJson.Json): string => {
      if (typeof value === "bigint") return value.toString()
      if (value === null || typeof value !== "object") return JSON.stringify(value)
      if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`
      const object = value as { readonly [key: string]: LosslessJson.Json }
      const keys = Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(object[key]!)}`).join(",")}}`
    }
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.string())
    const value: fc.Arbitrary<LosslessJson.Json> = fc.letrec<{ value: LosslessJson.Json }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        text,
        fc.bigInt(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(null, true, false),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(text, tie("value"), { maxKeys: 4 })
      )
    })).value
    fc.assert(
      fc.property(value, (v) => {
        assert.strictEqual(LosslessJson.canonical(v), reference(v))
      }),
      { numRuns: 3000 }
    )
    assert.strictEqual(
      LosslessJson.canonical({ "\ud800": "\u0001\"\\", b: "\ud83d\ude00" }),
      `{"b":"😀","\\ud800":"\\u0001\\"\\\\"}`
    )
  })

  it("fails with MalformedDelivery on invalid JSON and on non-objects", () => {
    const bad = LosslessJson.parse("{nope")
    assert.isTrue(Result.isFailure(bad) && bad.failure._tag === "MalformedDelivery")
    const notObject = LosslessJson.parseObject("[1,2]")
    assert.isTrue(Result.isFailure(notObject) && notObject.failure._tag === "MalformedDelivery")
  })

  it("canonical ignores key order and whitespace, and nothing else", () => {
    const a = ok(LosslessJson.parse(`{"b":[1,{"y":2,"x":"订单"}],"a":9007199254740993,"c":null}`))
    const b = ok(LosslessJson.parse(` { "c" : null, "a":9007199254740993 ,"b":[1, {"x":"订单","y":2}]}`))
    assert.strictEqual(LosslessJson.canonical(a), LosslessJson.canonical(b))
    assert.strictEqual(LosslessJson.canonical(a), `{"a":9007199254740993,"b":[1,{"x":"订单","y":2}],"c":null}`)
    const changed = ok(LosslessJson.parse(`{"b":[1,{"y":2,"x":"订单"}],"a":9007199254740995,"c":null}`))
    assert.notStrictEqual(LosslessJson.canonical(changed), LosslessJson.canonical(a))
    const reordered = ok(LosslessJson.parse(`{"b":[{"y":2,"x":"订单"},1],"a":9007199254740993,"c":null}`))
    assert.notStrictEqual(LosslessJson.canonical(reordered), LosslessJson.canonical(a))
  })

  it("stringify writes bigints as bare integers, so round trips stay exact", () => {
    const text = `{"id":12345678901234567890,"n":1}`
    assert.strictEqual(LosslessJson.stringify(ok(LosslessJson.parse(text))), text)
  })
})

describe("LosslessJson limits (a parse before verification)", () => {
  const limits = { depth: 3, members: 5 }
  const failure = (result: Result.Result<unknown, { readonly message: string }>): string => {
    if (Result.isSuccess(result)) throw new Error("expected a failure")
    return result.failure.message
  }

  it("accepts a body within the bounds, counting values outside strings only", () => {
    // Commas, brackets and braces inside strings (escaped quotes too) are not structure.
    const text = `{"a":[1,2],"b":{"c":"x,y,[{\\"}]"}}`
    assert.deepStrictEqual(ok(LosslessJson.parse(text, { limits })), { a: [1, 2], b: { c: `x,y,[{"}]` } })
  })

  it("refuses nesting and value counts past the bounds before parsing, without quoting the body", () => {
    assert.strictEqual(
      failure(LosslessJson.parse(`{"a":{"b":{"c":{}}}}`, { limits })),
      "Body nests deeper than 3 levels"
    )
    assert.strictEqual(failure(LosslessJson.parse(`[1,2,3,4,5,6]`, { limits })), "Body has more than 5 values")
    // A body far too deep for a recursive walker is refused by the scan at the bound.
    const deep = "[".repeat(100_000) + "]".repeat(100_000)
    assert.strictEqual(failure(LosslessJson.parse(deep, { limits })), "Body nests deeper than 3 levels")
  })

  it("checkLimits answers what a character-by-character scan answers, for any text", () => {
    // The reference: walk the text, skipping strings (escapes included), count and nest.
    const reference = (text: string, bounds: LosslessJson.Limits): string | undefined => {
      let depth = 0
      let members = 0
      let inString = false
      for (let i = 0; i < text.length; i++) {
        const c = text[i]
        if (inString) {
          if (c === "\\") i++
          else if (c === "\"") inString = false
          continue
        }
        if (c === "\"") inString = true
        else if (c === "{" || c === "[") {
          if (++depth > bounds.depth) return `Body nests deeper than ${bounds.depth} levels`
          members++
        } else if (c === "}" || c === "]") depth--
        else if (c === ",") members++
        if (members > bounds.members) return `Body has more than ${bounds.members} values`
      }
      return undefined
    }
    const text = fc.array(
      fc.oneof(
        fc.constantFrom("{", "}", "[", "]", ",", ":", "\"", "\\", "\\\"", " ", "1", "a", "\n"),
        fc.string({ maxLength: 4 })
      ),
      { maxLength: 60 }
    ).map((parts) => parts.join(""))
    const bounds = fc.record({ depth: fc.integer({ min: 1, max: 4 }), members: fc.integer({ min: 1, max: 12 }) })
    fc.assert(
      fc.property(text, bounds, (body, b) => {
        const result = LosslessJson.checkLimits(body, b)
        assert.strictEqual(Result.isSuccess(result) ? undefined : result.failure.message, reference(body, b), body)
      }),
      { numRuns: 5000 }
    )
  })

  it("checkLimits still counts past a run of strings too long for its regular expression", () => {
    // Three million strings in a row, no structure between them, exhaust the scan's backtracking
    // stack; the character-by-character scan takes over and still finds the values past the bound.
    const text = `[${"\"a\" ".repeat(3_000_000)},1,2,3,4,5,6]`
    assert.strictEqual(failure(LosslessJson.checkLimits(text, limits)), "Body has more than 5 values")
    assert.isTrue(Result.isSuccess(LosslessJson.checkLimits(`[${"\"a\" ".repeat(3_000_000)}]`, limits)))
  }, 60_000)

  it("an invalid body's error names no byte of it (V8's message quotes the text)", () => {
    const message = failure(LosslessJson.parse(`{"x": "\n{"handled":1}" oops`))
    assert.strictEqual(message, "Body is not valid JSON")
  })
})

describe("LosslessJson.checkRuntime", () => {
  it("a runtime without source text access gets Misconfigured naming the Node.js version; this one passes", () => {
    const refused = LosslessJson.checkRuntime(false)
    assert.strictEqual(refused?._tag, "Misconfigured")
    assert.include(refused?.message, "requires Node.js >= 22.19")
    assert.include(refused?.message, `Node.js ${process.versions.node} does not`)
    assert.include(refused?.message, "9007199254740993 would arrive as 9007199254740992")
    assert.isUndefined(LosslessJson.checkRuntime(true))
    // The probe ran on the Node.js that runs the tests (>= 22.19): lossless, so no error by default.
    assert.isTrue(LosslessJson.sourceTextAvailable)
    assert.isUndefined(LosslessJson.checkRuntime())
  })
})

describe("FormUrlEncoded", () => {
  it("maxFields refuses a body with more pairs before decoding any", () => {
    assert.strictEqual(ok(FormUrlEncoded.parse("a=1&b=2&c=3", { maxFields: 3 })).length, 3)
    const bad = FormUrlEncoded.parse("a=1&b=2&c=3&d=%zz", { maxFields: 3 })
    assert.isTrue(Result.isFailure(bad) && bad.failure.message === "Body has more than 3 form fields")
    const repeated = FormUrlEncoded.parseRecord("secret%0Aname=1&secret%0Aname=2")
    assert.isTrue(Result.isFailure(repeated) && !repeated.failure.message.includes("secret"))
  })

  it("decodes +, percent-escapes and UTF-8, keeping order", () => {
    assert.deepStrictEqual(ok(FormUrlEncoded.parse("a=1+2&b=%E8%AE%A2%E5%8D%95&c=&d")), [
      ["a", "1 2"],
      ["b", "订单"],
      ["c", ""],
      ["d", ""]
    ])
  })

  it("fails on malformed escapes instead of replacing them", () => {
    const bad = FormUrlEncoded.parse("a=%E8%AE")
    assert.isTrue(Result.isFailure(bad) && bad.failure._tag === "MalformedDelivery")
    assert.isTrue(Result.isFailure(FormUrlEncoded.parse("a=%zz")))
  })

  it("parseRecord rejects repeated names", () => {
    assert.deepStrictEqual({ ...ok(FormUrlEncoded.parseRecord("x=1&y=2")) }, { x: "1", y: "2" })
    assert.isTrue(Result.isFailure(FormUrlEncoded.parseRecord("x=1&x=2")))
  })
})
