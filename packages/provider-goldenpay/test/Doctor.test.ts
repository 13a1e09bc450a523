import { assert, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core"
import { SignDoctor, SignForm } from "@hookline/core/provider"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { doctor } from "@hookline/provider-goldenpay/doctor"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCommand } from "../../../test-support/Command.ts"
import { md5Hex } from "../../../test-support/Md5.ts"

const token = "doctor-token-5c1e"
const secret = Redacted.make(token)

// A captured collect callback, body bytes as GoldenPay would send them, signed independently.
const params =
  "channel=PROMPTPAY&created_at=2026-05-04 10:05:00&id=GP77&mch_id=1001&order_amount=100.10&payed_amount=100.10" +
  "&status=60&trans_id=ORDER-77"
const capture = (signedString: string) =>
  `{"id":"GP77","trans_id":"ORDER-77","mch_id":1001,"order_amount":100.10,"payed_amount":"100.10",` +
  `"channel":"PROMPTPAY","status":60,"created_at":"2026-05-04 10:05:00","payed_at":null,` +
  `"sign":"${md5Hex(signedString)}"}`
const captures = {
  "token-first": capture(`${token}&${params}`),
  "key-param": capture(`${params}&key=${token}`),
  "secret-suffix": capture(`${params}${token}`)
} as const
const formNames = ["token-first", "key-param", "secret-suffix"] as const

const diagnoseText = (body: string, key: Redacted.Redacted<string> = secret) =>
  GoldenPay.diagnose(RawDelivery.make({ body }), key)

describe("GoldenPay.diagnose (the sign doctor)", () => {
  it("identifies each known form on an independently signed capture", () => {
    for (const form of formNames) {
      const diagnosis = diagnoseText(captures[form])
      assert.deepStrictEqual(diagnosis.matched, [form])
      assert.deepStrictEqual(
        diagnosis.checks.map((check) => [check.name, check.matches]),
        formNames.map((name) => [name, name === form])
      )
      assert.deepStrictEqual(diagnosis.canonical, [params])
      assert.include(diagnosis.summary, `"${form}"`)
    }
  })

  it("identifies the form of deliveries made by testing.sign, upper-case sign included", () => {
    for (const form of formNames) {
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect(), secret, form)
      assert.deepStrictEqual(GoldenPay.diagnose(raw, secret).matched, [form])
      const text = new TextDecoder().decode(raw.body)
      const upper = text.replace(/"sign":"([0-9a-f]{32})"/, (_, sign: string) => `"sign":"${sign.toUpperCase()}"`)
      assert.notStrictEqual(upper, text)
      assert.deepStrictEqual(diagnoseText(upper).matched, [form])
    }
  })

  it("matches the published examples of sibling gateways (key-param, upper-case key-param, secret-suffix)", () => {
    // No public GoldenPay vector exists; these are other gateways' documented examples of the same
    // forms (each md5 re-checked with `printf '%s' '<signed string>' | openssl md5`).
    const keyParamChinese = `{"merchantid":"3991585","orderid":"121232er2242444ewrwrw3r2w","money":200,` +
      `"memberid":"asfawewwrwrwr","type":"1","realname":"张小三","bankname":"工商银行","bankcode":"icbc",` +
      `"cardid":"2302323230131311","callbackurl":"http://129.1.2.1/","demotxt":"测试订单",` +
      `"sign":"a21c693bb13ba865e81019dda9b837fc"}`
    assert.deepStrictEqual(diagnoseText(keyParamChinese, Redacted.make("4477a632cf55f01cf8d68c07dcd34a4d")).matched, [
      "key-param"
    ])
    const keyParamUpper = `{"mchId":"IPq15ZFXBFLIqRuY","mchTransNo":"123456789","coinName":"INR","amount":100,` +
      `"notifyUrl":"https://test.com","paymentNotifyUrl":"https://test.com","sign":"F694ED4D44A60DB500045184BD13AF84"}`
    assert.deepStrictEqual(diagnoseText(keyParamUpper, Redacted.make("IPq15ZFXBFLIqRuY")).matched, ["key-param"])
    const suffix = `{"apiKey":"testApiKey","customerNo":"test100000","channel":"bank","amount":"100.00",` +
      `"notifyUrl":"http://test.com/getNotify","ip":"127.0.0.1","sign":"5d50a182db6fa8a347cc85f36ca492f2"}`
    assert.deepStrictEqual(diagnoseText(suffix, Redacted.make("testSecretKey")).matched, ["secret-suffix"])
  })

  it("a wrong token → no match, with a next step; the report never contains the token", () => {
    const wrong = diagnoseText(captures["key-param"], Redacted.make("not-the-token"))
    assert.deepStrictEqual(wrong.matched, [])
    assert.isTrue(wrong.checks.every((check) => !check.matches))
    assert.include(wrong.summary, "No known sign form matches")
    for (const form of formNames) {
      const serialized = JSON.stringify(diagnoseText(captures[form]))
      assert.notInclude(serialized, token)
      // Nor any expected signature (the captured one is the only hex in it, and it is not echoed).
      assert.notInclude(serialized, md5Hex(`${token}&${params}`))
    }
  })

  it("a re-serialised capture (100.10 written as 100.1) matches nothing: the doctor needs the exact bytes", () => {
    const reserialised = captures["token-first"].replace(`"order_amount":100.10`, `"order_amount":100.1`)
    assert.deepStrictEqual(diagnoseText(reserialised).matched, [])
  })

  it("a capture without sign, or that is not a JSON object of scalars, says so and matches nothing", () => {
    const unsigned = diagnoseText(`{"id":"GP77","status":60}`)
    assert.deepStrictEqual(unsigned.matched, [])
    assert.include(unsigned.summary, "no signature")
    for (const body of ["<xml/>", `{"id":{"nested":1},"sign":"00"}`]) {
      const diagnosis = diagnoseText(body)
      assert.deepStrictEqual(diagnosis.matched, [])
      assert.include(diagnosis.summary, "not a GoldenPay callback")
    }
  })

  it("extra forms can be tried", () => {
    const apikey = SignForm.make({
      ...GoldenPay.signForms.forms["key-param"],
      name: "apikey-param",
      secret: { _tag: "Param", name: "apikey" }
    })
    const diagnosis = diagnoseText(capture(`${params}&apikey=${token}`))
    assert.deepStrictEqual(diagnosis.matched, [])
    const extended = GoldenPay.diagnose(
      RawDelivery.make({ body: capture(`${params}&apikey=${token}`) }),
      secret,
      [...SignForm.formsOf(GoldenPay.signForms), apikey]
    )
    assert.deepStrictEqual(extended.matched, ["apikey-param"])
  })
})

describe("goldenpay-doctor (the command)", () => {
  const bin = fileURLToPath(new URL("../bin/goldenpay-doctor.js", import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), "goldenpay-doctor-"))
  const file = join(dir, "capture.json")
  writeFileSync(file, captures["key-param"])

  // Runs the documented command as a real process.
  const run = (args: ReadonlyArray<string>, env: Record<string, string>, input?: string) =>
    runCommand(bin, args, env, input)

  it("reports the matching form of a captured body file, exit 0, without printing the token", () => {
    const result = run([file], { GOLDENPAY_SECRET: token })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.match(result.stdout, /MATCH\s+key-param/)
    assert.match(result.stdout, /no match\s+token-first/)
    assert.include(result.stdout, `Signed parameters (secret excluded): ${params}`)
    assert.include(result.stdout, `signForm: "key-param"`)
    assert.notInclude(result.stdout + result.stderr, token)
  })

  it("--json from stdin prints the Diagnosis", () => {
    const result = run(["--json"], { GOLDENPAY_SECRET: token }, captures["secret-suffix"])
    assert.strictEqual(result.status, 0, result.stderr)
    const diagnosis: SignForm.Diagnosis = JSON.parse(result.stdout)
    assert.deepStrictEqual(diagnosis.matched, ["secret-suffix"])
    assert.notInclude(result.stdout, token)
  })

  it("a wrong token → exit 1 and no match; no token → exit 2 with the usage", () => {
    const wrong = run([file], { GOLDENPAY_SECRET: "wrong-token" })
    assert.strictEqual(wrong.status, 1)
    assert.include(wrong.stdout, "No known sign form matches")
    assert.notInclude(wrong.stdout, "wrong-token")
    const missing = run([file], {})
    assert.strictEqual(missing.status, 2)
    assert.include(missing.stderr, "GOLDENPAY_SECRET is not set")
    const unreadable = run([join(dir, "missing.json")], { GOLDENPAY_SECRET: token })
    assert.strictEqual(unreadable.status, 2)
  })

  it("SignDoctor.report() and parseArguments() behave as the command uses them", () => {
    const { parseArguments } = SignDoctor
    assert.deepStrictEqual(parseArguments(["--json", "a.json"]), { json: true, file: "a.json" })
    assert.deepStrictEqual(parseArguments([]), { json: false, file: undefined })
    assert.deepStrictEqual(parseArguments(["-"]), { json: false, file: undefined })
    assert.isUndefined(parseArguments(["--help"]))
    assert.isUndefined(parseArguments(["a.json", "b.json"]))
    const body = new TextEncoder().encode(captures["token-first"])
    assert.strictEqual(SignDoctor.report(doctor, { body, secret: token }).exitCode, 0)
    assert.strictEqual(SignDoctor.report(doctor, { body, secret: "" }).exitCode, 2)
    assert.deepStrictEqual(SignDoctor.report(doctor, { body, secret: token, json: true }).diagnosis?.matched, [
      "token-first"
    ])
  })
})
