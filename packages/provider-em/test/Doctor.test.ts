import { assert, describe, it } from "@effect/vitest"
import { RawDelivery, SignDoctor, type SignForm } from "@hookline/core/provider"
import { Em } from "@hookline/provider-em"
import { doctor } from "@hookline/provider-em/doctor"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCommand } from "../../../test-support/Command.ts"
import { md5Hex } from "../../../test-support/Md5.ts"

const appId = "KEY_AAAAAA"
const secretText = "SECRET_DOCTOR_7f3a"
const secret = Redacted.make(secretText)
const timestamp = "1727324523"
const requestData =
  `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD202409250002","trade_status":2,"message":"审核通过"}`
const concatenated = `appid${appId}request_data${requestData}timestamp${timestamp}`

// Captures signed independently (md5 of the spelled-out string), as EM would send them.
const suffixSign = md5Hex(`${concatenated}${secretText}`)
const jsonCapture = JSON.stringify({ appid: appId, request_data: requestData, timestamp, sign: suffixSign })
const formCapture = new URLSearchParams({
  appid: appId,
  request_data: requestData,
  timestamp,
  sign: md5Hex(`${secretText}${concatenated}${secretText}`)
}).toString()

describe("Em.doctor", () => {
  it("is the EM doctor of the em-doctor command, over Em.signForms", () => {
    assert.strictEqual(doctor, Em.doctor)
    assert.deepStrictEqual([doctor.platform, doctor.command, doctor.secretVariable], [
      "EM",
      "em-doctor",
      "EM_APP_SECRET"
    ])
    assert.strictEqual(doctor.catalog, Em.signForms)
    assert.strictEqual(doctor.configure("suffix"), `Em.provider({ appId, secret, signForm: "suffix" })`)
  })

  it("a capture lacking appid, request_data or timestamp is still checked, and the verdict names what is missing", () => {
    const unsigned = Em.diagnose(RawDelivery.make({ body: `timestamp=${timestamp}&sign=${suffixSign}` }), secret)
    assert.deepStrictEqual(unsigned.matched, [])
    assert.match(unsigned.summary, /^No known sign form matches .* Note: the capture lacks appid, request_data\.$/u)
    const complete = Em.diagnose(RawDelivery.make({ body: jsonCapture }), secret)
    assert.deepStrictEqual(complete.matched, ["suffix"])
    assert.notInclude(complete.summary, "lacks")
  })

  it("the text report names the matching form, the canonical string and the option to set", () => {
    const report = SignDoctor.report(doctor, { body: new TextEncoder().encode(jsonCapture), secret: secretText })
    assert.strictEqual(report.exitCode, 0)
    assert.match(report.output, /^EM sign doctor\n/u)
    assert.match(report.output, /MATCH\s+suffix/u)
    assert.include(report.output, `Signed parameters (secret excluded): ${concatenated}`)
    assert.include(report.output, `Configure: Em.provider({ appId, secret, signForm: "suffix" })`)
    assert.notInclude(report.output, secretText)
  })
})

describe("em-doctor (the command)", () => {
  const bin = fileURLToPath(new URL("../bin/em-doctor.js", import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), "em-doctor-"))
  const jsonFile = join(dir, "capture.json")
  const formFile = join(dir, "capture.txt")
  writeFileSync(jsonFile, jsonCapture)
  writeFileSync(formFile, formCapture)

  // Runs the documented command as a real process.
  const run = (args: ReadonlyArray<string>, env: Record<string, string>, input?: string) =>
    runCommand(bin, args, env, input)

  it("reports the matching form of a captured JSON body, exit 0, without printing the secret", () => {
    const result = run([jsonFile], { EM_APP_SECRET: secretText })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.match(result.stdout, /MATCH\s+suffix/u)
    assert.match(result.stdout, /no match\s+wrap/u)
    assert.include(result.stdout, `Signed parameters (secret excluded): ${concatenated}`)
    assert.include(result.stdout, `signForm: "suffix"`)
    assert.notInclude(result.stdout + result.stderr, secretText)
  })

  it("--json on a form capture from stdin prints the Diagnosis (wrap), exit 0", () => {
    const result = run(["--json"], { EM_APP_SECRET: secretText }, formCapture)
    assert.strictEqual(result.status, 0, result.stderr)
    const diagnosis: SignForm.Diagnosis = JSON.parse(result.stdout)
    assert.deepStrictEqual(diagnosis.matched, ["wrap"])
    assert.notInclude(result.stdout + result.stderr, secretText)
  })

  it("a wrong secret → exit 1 and no match; no EM_APP_SECRET → exit 2 with the usage; neither prints a secret", () => {
    const wrong = run([formFile], { EM_APP_SECRET: "WRONG_SECRET_ZZZ" })
    assert.strictEqual(wrong.status, 1)
    assert.include(wrong.stdout, "No known sign form matches")
    assert.notInclude(wrong.stdout + wrong.stderr, "WRONG_SECRET_ZZZ")
    assert.notInclude(wrong.stdout + wrong.stderr, secretText)
    const missing = run([formFile], {})
    assert.strictEqual(missing.status, 2)
    assert.strictEqual(missing.stdout, "")
    assert.include(missing.stderr, "EM_APP_SECRET is not set")
    assert.include(missing.stderr, "Usage: EM_APP_SECRET=<secret> em-doctor [--json] [capture-file]")
    const unreadable = run([join(dir, "missing.txt")], { EM_APP_SECRET: secretText })
    assert.strictEqual(unreadable.status, 2)
  })

  it("a capture that is not an EM notification → exit 1, saying why", () => {
    const result = run([], { EM_APP_SECRET: secretText }, "{not json")
    assert.strictEqual(result.status, 1)
    assert.include(result.stdout, "Verdict: The capture is not a EM callback: ")
    assert.notInclude(result.stdout, secretText)
  })
})
