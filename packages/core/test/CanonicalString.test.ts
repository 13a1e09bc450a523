import { assert, describe, it } from "@effect/vitest"
import { CanonicalString, SignForm, Signing } from "@hookline/core/provider"
import * as Redacted from "effect/Redacted"
import * as fc from "fast-check"

const md5 = (text: string) => Buffer.from(Signing.md5(text)).toString("hex")

describe("CanonicalString", () => {
  it("sorts by name, skips empty values and excluded names", () => {
    assert.strictEqual(
      CanonicalString.build({ b: "2", a: "1", sign: "x", c: "", d: null, e: undefined, f: 0 }, { exclude: ["sign"] }),
      "a=1&b=2&f=0"
    )
  })

  it("keeps empty values when asked, and supports other separators", () => {
    assert.strictEqual(CanonicalString.build({ b: "", a: "1" }, { skipEmpty: false }), "a=1&b=")
    assert.strictEqual(
      CanonicalString.build([["timestamp", "1"], ["appid", "x"]], { pairSeparator: "", keyValueSeparator: "" }),
      "appidxtimestamp1"
    )
  })

  it("sorts in code-unit (ASCII) order, upper case before lower case", () => {
    assert.strictEqual(CanonicalString.build({ b: "1", B: "2", a_b: "3", a: "4" }), "B=2&a=4&a_b=3&b=1")
  })

  it("keeps insertion order with sort: none", () => {
    assert.strictEqual(CanonicalString.build([["z", "1"], ["a", "2"]], { sort: "none" }), "z=1&a=2")
  })

  it("is the straightforward filter, stable sort and join, for any parameters and options", () => {
    // The definition it must match.
    const reference = (pairs: ReadonlyArray<readonly [string, CanonicalString.Value]>, o: CanonicalString.Options) => {
      const empty = (v: CanonicalString.Value) => v === null || v === undefined || v === ""
      const kept = pairs.filter(([k, v]) => !(o.exclude ?? []).includes(k) && !((o.skipEmpty ?? true) && empty(v)))
      const sorted = (o.sort ?? "ascii") === "ascii"
        ? [...kept].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        : kept
      return sorted.map(([k, v]) => `${k}${o.keyValueSeparator ?? "="}${empty(v) ? "" : String(v)}`)
        .join(o.pairSeparator ?? "&")
    }
    const name = fc.constantFrom("a", "B", "b", "a_b", "sign", "key", "é", "__proto__", "10", "9")
    const value = fc.oneof(
      fc.string({ maxLength: 3 }),
      fc.constantFrom<CanonicalString.Value>(null, undefined, "", 0, 10n, true)
    )
    const options = fc.record({
      exclude: fc.option(fc.subarray(["sign", "key", "a"]), { nil: undefined }),
      skipEmpty: fc.option(fc.boolean(), { nil: undefined }),
      pairSeparator: fc.option(fc.constantFrom("&", "", ";"), { nil: undefined }),
      keyValueSeparator: fc.option(fc.constantFrom("=", ""), { nil: undefined }),
      sort: fc.option(fc.constantFrom("ascii" as const, "none" as const), { nil: undefined })
    })
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), options, (pairs, o) => {
        // As pairs (repeated names kept, in order) and as a record (one value per name, own keys).
        assert.strictEqual(CanonicalString.build(pairs, o), reference(pairs, o))
        const record: Record<string, CanonicalString.Value> = {}
        for (const [k, v] of pairs) Object.defineProperty(record, k, { value: v, enumerable: true, writable: true })
        assert.strictEqual(CanonicalString.build(record, o), reference(Object.entries(record), o))
      }),
      { numRuns: 2000 }
    )
  })
})

describe("SignForm", () => {
  const secret = Redacted.make("SECRET")
  const params = { amount: "100.00", id: "7", empty: "", sign: "ignored" }
  const canonical = { exclude: ["sign"] }
  const forms = [
    SignForm.make({
      name: "prefix",
      description: "",
      canonical,
      secret: { _tag: "Prefix", separator: "&" },
      digest: "md5"
    }),
    SignForm.make({
      name: "suffix",
      description: "",
      canonical,
      secret: { _tag: "Suffix", separator: "" },
      digest: "md5"
    }),
    SignForm.make({
      name: "param",
      description: "",
      canonical,
      secret: { _tag: "Param", name: "key" },
      digest: "md5",
      output: "upper"
    }),
    SignForm.make({
      name: "wrap",
      description: "",
      canonical: { exclude: ["sign"], pairSeparator: "", keyValueSeparator: "" },
      secret: { _tag: "Wrap" },
      digest: "md5"
    })
  ] as const

  it("builds each secret placement's string", () => {
    assert.strictEqual(SignForm.message(forms[0], params, secret), "SECRET&amount=100.00&id=7")
    assert.strictEqual(SignForm.message(forms[1], params, secret), "amount=100.00&id=7SECRET")
    assert.strictEqual(SignForm.message(forms[2], params, secret), "amount=100.00&id=7&key=SECRET")
    assert.strictEqual(SignForm.message(forms[3], params, secret), "SECRETamount100.00id7SECRET")
  })

  it("signs with the form's output case and verifies either case", () => {
    const upper = SignForm.sign(forms[2], params, secret)
    assert.strictEqual(upper, md5("amount=100.00&id=7&key=SECRET").toUpperCase())
    assert.isTrue(SignForm.verify(forms[2], params, [secret], upper.toLowerCase()))
    assert.isFalse(SignForm.verify(forms[2], { ...params, amount: "100.01" }, [secret], upper))
  })

  it("verifyCanonical checks a prebuilt canonical string under every secret, as verify does the params", () => {
    const other = Redacted.make("OTHER")
    for (const form of forms) {
      const signature = SignForm.sign(form, params, secret)
      const built = CanonicalString.build(params, form.canonical)
      // Either secret of a rotation; a signature of other content, or none of the secrets, fails.
      assert.isTrue(SignForm.verifyCanonical(form, built, [other, secret], signature), form.name)
      assert.isTrue(SignForm.verify(form, params, [other, secret], signature), form.name)
      assert.isFalse(SignForm.verifyCanonical(form, `${built}0`, [other, secret], signature), form.name)
      assert.isFalse(SignForm.verifyCanonical(form, built, [other], signature), form.name)
    }
  })

  it("signs with an HMAC digest keyed with the secret", () => {
    const form = SignForm.make({
      name: "hmac",
      description: "",
      canonical,
      secret: { _tag: "Suffix", separator: "" },
      digest: { hmac: "sha256" }
    })
    const expected = Buffer.from(Signing.hmac("sha256", "SECRET", "amount=100.00&id=7SECRET")).toString("hex")
    assert.strictEqual(SignForm.sign(form, params, secret), expected)
  })

  it("the doctor names the matching form, and never prints the secret", () => {
    for (const form of forms) {
      const signature = SignForm.sign(form, params, secret)
      const diagnosis = SignForm.diagnose(forms, params, secret, signature)
      assert.deepStrictEqual(diagnosis.matched, [form.name])
      const printed = JSON.stringify(diagnosis).toLowerCase()
      assert.notInclude(printed, "secret")
      // No expected signature (an oracle for the secret) appears in the report.
      for (const other of forms) assert.notInclude(printed, SignForm.sign(other, params, secret).toLowerCase())
    }
    const wrong = SignForm.diagnose(forms, params, Redacted.make("OTHER"), SignForm.sign(forms[0], params, secret))
    assert.deepStrictEqual(wrong.matched, [])
    assert.include(wrong.summary, "No known sign form matches")
    assert.include(wrong.canonical, "amount=100.00&id=7")
  })
})
