import { assert, describe, it } from "@effect/vitest"
import { MalformedDelivery, Misconfigured, RawDelivery, SignatureInvalid } from "@hookline/core"
import { SignForm } from "@hookline/core/provider"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { execFileSync } from "node:child_process"
import { md5Hex } from "../../../test-support/Md5.ts"

const token = "gp-api-token-3f9a"
const secret = Redacted.make(token)

// A collect callback as GoldenPay documents it, written by hand: `mch_id` and `status` are JSON
// numbers, amounts strings, `payed_at` null, plus an empty `remark` (empty values are not signed).
const fields = `"id":"GP88001","trans_id":"ORDER-7","mch_id":1001,"order_amount":"100.00","payed_amount":"100.00",` +
  `"channel":"PROMPTPAY","status":60,"created_at":"2026-05-04 10:05:00","payed_at":null,"remark":""`
// The signed parameter string, also by hand: non-empty parameters except sign, sorted by name.
const params =
  "channel=PROMPTPAY&created_at=2026-05-04 10:05:00&id=GP88001&mch_id=1001&order_amount=100.00&payed_amount=100.00" +
  "&status=60&trans_id=ORDER-7"

// The exact string each sign form digests.
const signedString = {
  "token-first": `${token}&${params}`,
  "key-param": `${params}&key=${token}`,
  "secret-suffix": `${params}${token}`
} as const

const delivery = (sign: string, body = fields): RawDelivery.RawDelivery =>
  RawDelivery.make({ headers: { "content-type": "application/json" }, body: `{${body},"sign":"${sign}"}` })

const verifyWith = (raw: RawDelivery.RawDelivery, options: Partial<GoldenPay.Options> = {}) =>
  GoldenPay.provider({ secret, ...options }).verify(raw)

const formNames = ["token-first", "key-param", "secret-suffix"] as const

describe("the independent MD5 used by these tests", () => {
  it("reproduces the RFC 1321 test suite (A.5)", () => {
    const vectors: ReadonlyArray<readonly [string, string]> = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
      [
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "57edf4a22be3c955ac49da2e2107b67a"
      ]
    ]
    for (const [input, digest] of vectors) assert.strictEqual(md5Hex(input), digest, JSON.stringify(input))
  })

  it("agrees with openssl on the signed strings of every form (UTF-8 included)", () => {
    for (const text of [...Object.values(signedString), "channel=พร้อมเพย์&id=1"]) {
      const openssl =
        execFileSync("openssl", ["md5", "-r"], { input: Buffer.from(text, "utf8") }).toString().split(" ")[0]
      assert.strictEqual(md5Hex(text), openssl)
    }
  })
})

describe("GoldenPay sign forms", () => {
  it("the known forms, default first, with stable names; resolve() takes names and passes forms through", () => {
    const { forms } = GoldenPay.signForms
    assert.deepStrictEqual(SignForm.formsOf(GoldenPay.signForms).map((form) => form.name), [...formNames])
    assert.strictEqual(GoldenPay.signForms.default, "token-first")
    assert.strictEqual(SignForm.resolve(GoldenPay.signForms, undefined), forms["token-first"])
    assert.strictEqual(SignForm.resolve(GoldenPay.signForms, "key-param"), forms["key-param"])
    assert.strictEqual(SignForm.resolve(GoldenPay.signForms, forms["secret-suffix"]), forms["secret-suffix"])
  })

  it.effect("a sign from the independent MD5 verifies under its form and no other", () =>
    Effect.gen(function*() {
      for (const form of formNames) {
        const raw = delivery(md5Hex(signedString[form]))
        for (const configured of formNames) {
          const result = yield* Effect.result(verifyWith(raw, { signForm: configured }))
          assert.strictEqual(result._tag, form === configured ? "Success" : "Failure", `${form} under ${configured}`)
        }
      }
    }))

  it.effect("the verified payload: kind, the signed fields as text (empty ones left out), the signed string", () =>
    Effect.gen(function*() {
      const payload = yield* verifyWith(delivery(md5Hex(signedString["token-first"])))
      assert.strictEqual(payload.kind, "collect")
      assert.strictEqual(payload.canonical, params)
      assert.strictEqual(payload.fields.mch_id, "1001")
      assert.strictEqual(payload.fields.status, "60")
      // Were `null`: empty values are not signed, so they are not in the verified fields (issue #15).
      assert.isFalse("payed_at" in payload.fields)
      assert.isFalse("remark" in payload.fields)
      assert.isFalse("sign" in payload.fields)
    }))

  it.effect("an upper-case sign is accepted", () =>
    Effect.gen(function*() {
      const payload = yield* verifyWith(delivery(md5Hex(signedString["token-first"]).toUpperCase()))
      assert.strictEqual(payload.fields.id, "GP88001")
    }))

  it.effect("empty and null values are excluded: a sign over `payed_at=&remark=` is rejected", () =>
    Effect.gen(function*() {
      const withEmpties = `${token}&` + params.replace("&payed_amount=100.00", "&payed_amount=100.00&payed_at=") +
        "&remark="
      const error = yield* Effect.flip(verifyWith(delivery(md5Hex(withEmpties))))
      assert.instanceOf(error, SignatureInvalid)
    }))

  it.effect("a tampered amount is rejected", () =>
    Effect.gen(function*() {
      const sign = md5Hex(signedString["token-first"])
      const tampered = fields.replace(`"payed_amount":"100.00"`, `"payed_amount":"1000.00"`)
      const error = yield* Effect.flip(verifyWith(delivery(sign, tampered)))
      assert.instanceOf(error, SignatureInvalid)
      // A sign that changes one hex digit is rejected too.
      const flipped = `${sign.slice(0, 31)}${sign[31] === "0" ? "1" : "0"}`
      assert.instanceOf(yield* Effect.flip(verifyWith(delivery(flipped))), SignatureInvalid)
    }))

  it.effect("a JSON number amount is signed as its source text: 100.10 is \"100.10\", never \"100.1\"", () =>
    Effect.gen(function*() {
      const body = `"id":"GP1","mch_id":1001,"order_amount":100.10,"status":60,"trans_id":"T1"`
      const exact = md5Hex(`${token}&id=GP1&mch_id=1001&order_amount=100.10&status=60&trans_id=T1`)
      const lossy = md5Hex(`${token}&id=GP1&mch_id=1001&order_amount=100.1&status=60&trans_id=T1`)
      // No payed_amount or channel: only a route with a kind can take it.
      const payload = yield* verifyWith(delivery(exact, body), { kind: "collect" })
      assert.strictEqual(payload.fields.order_amount, "100.10")
      assert.instanceOf(yield* Effect.flip(verifyWith(delivery(lossy, body), { kind: "collect" })), SignatureInvalid)
    }))

  it.effect("integers beyond 2^53 are signed and kept exactly", () =>
    Effect.gen(function*() {
      const body = `"id":9007199254740993,"mch_id":1001,"status":60`
      const sign = md5Hex(`${token}&id=9007199254740993&mch_id=1001&status=60`)
      const payload = yield* verifyWith(delivery(sign, body), { kind: "payout" })
      assert.strictEqual(payload.fields.id, "9007199254740993")
    }))

  it.effect("rotation: every configured token is accepted; a retired one is rejected", () =>
    Effect.gen(function*() {
      const next = Redacted.make("gp-api-token-next")
      const oldSigned = GoldenPayTesting.sign(GoldenPayTesting.collect(), secret)
      const newSigned = GoldenPayTesting.sign(GoldenPayTesting.collect(), next)
      const both = GoldenPay.provider({ secret: [secret, next] })
      assert.strictEqual((yield* both.verify(oldSigned)).kind, "collect")
      assert.strictEqual((yield* both.verify(newSigned)).kind, "collect")
      const onlyNext = GoldenPay.provider({ secret: next })
      assert.instanceOf(yield* Effect.flip(onlyNext.verify(oldSigned)), SignatureInvalid)
    }))

  it.effect("the token can come from Config; a missing one is Misconfigured and names the setting only", () =>
    Effect.gen(function*() {
      const fromConfig = GoldenPay.provider({ secret: Config.Redacted("GOLDENPAY_SECRET") })
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect(), secret)
      const payload = yield* fromConfig.verify(raw).pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnv({ env: { GOLDENPAY_SECRET: token } })
        )
      )
      assert.strictEqual(payload.kind, "collect")
      const error = yield* Effect.flip(
        fromConfig.verify(raw).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))
        )
      )
      assert.instanceOf(error, Misconfigured)
      assert.include(error.message, "GoldenPay API token")
    }))

  it.effect("missing, empty or non-string sign → SignatureInvalid", () =>
    Effect.gen(function*() {
      for (const body of [`{${fields}}`, `{${fields},"sign":""}`, `{${fields},"sign":12345}`]) {
        const error = yield* Effect.flip(verifyWith(RawDelivery.make({ body })))
        assert.instanceOf(error, SignatureInvalid, body)
      }
    }))

  it.effect("a body that is not a JSON object of scalars → MalformedDelivery", () =>
    Effect.gen(function*() {
      const bodies = [
        "{not json",
        `[{"id":"1"}]`,
        `{${fields},"extra":{"a":1},"sign":"${md5Hex("x")}"}`,
        `{${fields},"extra":[1],"sign":"${md5Hex("x")}"}`
      ]
      for (const body of bodies) {
        assert.instanceOf(yield* Effect.flip(verifyWith(RawDelivery.make({ body }))), MalformedDelivery, body)
      }
      const invalidUtf8 = RawDelivery.make({ body: new Uint8Array([0x7b, 0xff, 0x7d]) })
      assert.instanceOf(yield* Effect.flip(verifyWith(invalidUtf8)), MalformedDelivery)
    }))

  it.effect("any Content-Type is accepted: the sign authenticates the body, not the header", () =>
    Effect.gen(function*() {
      const raw = delivery(md5Hex(signedString["token-first"]))
      for (const type of ["text/plain", "application/json; charset=utf-8", undefined]) {
        const { "content-type": _, ...rest } = raw.headers
        const headers = type === undefined ? rest : { ...rest, "content-type": type }
        assert.strictEqual((yield* verifyWith({ ...raw, headers })).fields.id, "GP88001")
      }
    }))

  it.effect("expectedMerchantId: equal text accepted; another merchant, other spelling or none → SignatureInvalid", () =>
    Effect.gen(function*() {
      // `mch_id` as written in the JSON (`null` → absent from the signed string), signed independently.
      const withMerchant = (json: string) => {
        const text = json === "null" ? undefined : json.replaceAll(`"`, "")
        const signed = params.replace("&mch_id=1001", text === undefined ? "" : `&mch_id=${text}`)
        return delivery(md5Hex(`${token}&${signed}`), fields.replace(`"mch_id":1001`, `"mch_id":${json}`))
      }
      const provider = GoldenPay.provider({ secret, expectedMerchantId: "1001" })
      assert.strictEqual((yield* provider.verify(withMerchant("1001"))).fields.mch_id, "1001")
      assert.strictEqual((yield* provider.verify(withMerchant(`"1001"`))).fields.mch_id, "1001")
      for (const other of ["1002", "1001.0", "1.001e3", `"01001"`, "null"]) {
        const raw = withMerchant(other)
        // Each is authentic (verifies without the merchant check) but not for this merchant.
        assert.strictEqual((yield* verifyWith(raw)).kind, "collect")
        assert.instanceOf(yield* Effect.flip(provider.verify(raw)), SignatureInvalid, other)
      }
      // Exact text, no number parsing: a merchant id beyond 2^53 is compared digit for digit.
      const big = GoldenPay.provider({ secret, expectedMerchantId: "9007199254740993" })
      assert.strictEqual((yield* big.verify(withMerchant("9007199254740993"))).fields.mch_id, "9007199254740993")
      assert.instanceOf(yield* Effect.flip(big.verify(withMerchant("9007199254740992"))), SignatureInvalid)
    }))

  it.effect("the merchant check runs after the signature: a bad sign for another merchant is a sign failure", () =>
    Effect.gen(function*() {
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ mch_id: 2002 }), Redacted.make("other-token"))
      const error = yield* Effect.flip(GoldenPay.provider({ secret, expectedMerchantId: "1001" }).verify(raw))
      assert.instanceOf(error, SignatureInvalid)
      assert.include(error.message, "token-first")
    }))

  it.effect("a custom sign form (`&mch_key=SECRET`, as a sibling gateway documents it) plugs in", () =>
    Effect.gen(function*() {
      // Public example of a sibling gateway (key appended as `&mch_key=`); its md5 was checked with
      // `printf '%s' '…&mch_key=hkdrg' | openssl md5`.
      const mchKey = SignForm.make({
        ...GoldenPay.signForms.forms["key-param"],
        name: "mch-key-param",
        secret: { _tag: "Param", name: "mch_key" }
      })
      const raw = RawDelivery.make({
        body: `{"identifier":null,"tp_trade_no":"1484657785743165","pay_status":0,"total_fee":0.01,` +
          `"out_trade_no":"1271TP1487057748363124","sign":"c3b50fe314c06b05d57f478709368304"}`
      })
      const provider = GoldenPay.provider({ secret: Redacted.make("hkdrg"), signForm: mchKey, kind: "payout" })
      const payload = yield* provider.verify(raw)
      assert.strictEqual(payload.fields.total_fee, "0.01")
      assert.instanceOf(
        yield* Effect.flip(GoldenPay.provider({ secret: Redacted.make("hkdrg") }).verify(raw)),
        SignatureInvalid
      )
    }))

  it.effect("testing.sign signs in every form, as the independent MD5 computes it", () =>
    Effect.gen(function*() {
      for (const form of formNames) {
        const raw = GoldenPayTesting.sign(GoldenPayTesting.payout(), secret, form)
        const body = JSON.parse(new TextDecoder().decode(raw.body))
        const canonical = "created_at=2026-05-04 11:00:00&id=GP202605040002&mch_id=1001&order_amount=250.00" +
          "&payed_at=2026-05-04 11:02:30&status=60&trans_id=PAYOUT-2001"
        const expected = form === "token-first"
          ? `${token}&${canonical}`
          : form === "key-param"
          ? `${canonical}&key=${token}`
          : `${canonical}${token}`
        assert.strictEqual(body.sign, md5Hex(expected), form)
        assert.strictEqual(raw.headers["content-type"], "application/json")
        assert.strictEqual((yield* verifyWith(raw, { signForm: form, kind: "payout" })).kind, "payout")
      }
    }))
})
