import { assert, describe, it } from "@effect/vitest"
import { FormUrlEncoded, RawDelivery, SignDoctor, SignForm } from "@hookline/core/provider"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { md5Hex } from "../../../test-support/Md5.ts"

// A made-up form-encoded platform with two documented-ambiguous placements of its secret.
const secretText = "doctor-secret-91f"
const forms = SignForm.catalog({
  suffix: SignForm.make({
    name: "suffix",
    description: "md5(k1=v1&k2=v2… + SECRET)",
    canonical: { exclude: ["sign"] },
    secret: { _tag: "Suffix", separator: "" },
    digest: "md5"
  }),
  "key-param": SignForm.make({
    name: "key-param",
    description: "MD5(k1=v1&k2=v2…&key=SECRET), upper-case hex",
    canonical: { exclude: ["sign"] },
    secret: { _tag: "Param", name: "key" },
    digest: "md5",
    output: "upper"
  })
}, "suffix")

const doctor = SignDoctor.make({
  platform: "Acme",
  command: "acme-doctor",
  secretVariable: "ACME_SECRET",
  catalog: forms,
  parse: (raw) =>
    Result.map(FormUrlEncoded.parse(new TextDecoder().decode(raw.body)), (pairs) => ({
      params: pairs,
      signature: pairs.find(([name]) => name === "sign")?.[1] ?? "",
      note: pairs.some(([name]) => name === "ts") ? undefined : "Note: the capture lacks ts."
    })),
  configure: (form) => `Acme.provider({ secret, signForm: "${form}" })`
})

const signed = "amount=10.00&order=A1&ts=1700000000"
const captures = {
  suffix: `${signed}&sign=${md5Hex(`${signed}${secretText}`)}`,
  "key-param": `${signed}&sign=${md5Hex(`${signed}&key=${secretText}`).toUpperCase()}`
}
const bytes = (text: string) => new TextEncoder().encode(text)

describe("SignForm catalogs", () => {
  it("resolve: the default, a name, or a custom form", () => {
    assert.strictEqual(SignForm.resolve(forms, undefined).name, "suffix")
    assert.strictEqual(SignForm.resolve(forms, "key-param").name, "key-param")
    const custom = SignForm.make({ ...forms.forms.suffix, name: "mine" })
    assert.strictEqual(SignForm.resolve(forms, custom), custom)
    assert.deepStrictEqual(SignForm.formsOf(forms).map((form) => form.name), ["suffix", "key-param"])
  })

  it("a form listed under another name is refused", () => {
    assert.throws(
      () => SignForm.catalog({ wrong: forms.forms.suffix }, "wrong"),
      /form "suffix" is listed as "wrong"/
    )
  })
})

describe("SignDoctor", () => {
  const secret = Redacted.make(secretText)

  it("names the form of each independently signed capture, with the canonical string", () => {
    for (const name of ["suffix", "key-param"] as const) {
      const diagnosis = SignDoctor.diagnose(doctor, RawDelivery.make({ body: captures[name] }), secret)
      assert.deepStrictEqual(diagnosis.matched, [name])
      assert.deepStrictEqual(diagnosis.checks.map((check) => check.matches), [name === "suffix", name === "key-param"])
      assert.deepStrictEqual(diagnosis.canonical, [signed])
      assert.include(diagnosis.summary, `"${name}"`)
    }
  })

  it("a capture that is not one says why; a parsed capture's note is appended", () => {
    const broken = SignDoctor.diagnose(doctor, RawDelivery.make({ body: "a=%ZZ" }), secret)
    assert.deepStrictEqual(broken.matched, [])
    assert.deepStrictEqual(broken.checks.map((check) => check.name), ["suffix", "key-param"])
    assert.match(broken.summary, /^The capture is not a Acme callback: /)
    const noTs = "order=A1"
    const noted = SignDoctor.diagnose(
      doctor,
      RawDelivery.make({ body: `${noTs}&sign=${md5Hex(`${noTs}${secretText}`)}` }),
      secret
    )
    assert.deepStrictEqual(noted.matched, ["suffix"])
    assert.isTrue(noted.summary.endsWith(" Note: the capture lacks ts."), noted.summary)
  })

  it("extra forms can be tried", () => {
    const prefix = SignForm.make({
      name: "prefix",
      description: "md5(SECRET + k1=v1…)",
      canonical: { exclude: ["sign"] },
      secret: { _tag: "Prefix", separator: "" },
      digest: "md5"
    })
    const body = `${signed}&sign=${md5Hex(`${secretText}${signed}`)}`
    assert.deepStrictEqual(SignDoctor.diagnose(doctor, RawDelivery.make({ body }), secret).matched, [])
    assert.deepStrictEqual(
      SignDoctor.diagnose(doctor, RawDelivery.make({ body }), secret, [...SignForm.formsOf(forms), prefix]).matched,
      ["prefix"]
    )
  })

  it("report: exit 0 with the option to set, 1 for no match, 2 without a secret; never prints the secret", () => {
    const match = SignDoctor.report(doctor, { body: bytes(captures["key-param"]), secret: secretText })
    assert.strictEqual(match.exitCode, 0)
    assert.include(match.output, "Acme sign doctor")
    assert.match(match.output, /MATCH {3} {2}key-param/)
    assert.include(match.output, `Configure: Acme.provider({ secret, signForm: "key-param" })`)
    const none = SignDoctor.report(doctor, { body: bytes(captures.suffix), secret: "another-secret" })
    assert.strictEqual(none.exitCode, 1)
    assert.notInclude(none.output, "Configure:")
    const json = SignDoctor.report(doctor, { body: bytes(captures.suffix), secret: secretText, json: true })
    assert.deepStrictEqual(JSON.parse(json.output).matched, ["suffix"])
    for (const output of [match.output, none.output, json.output]) {
      assert.notInclude(output, secretText)
      assert.notInclude(output, "another-secret")
    }
    const missing = SignDoctor.report(doctor, { body: bytes(captures.suffix), secret: "" })
    assert.strictEqual(missing.exitCode, 2)
    assert.isTrue(missing.output.startsWith("ACME_SECRET is not set."))
    assert.isUndefined(missing.diagnosis)
  })

  it("run: arguments, stdin, unreadable files and help", () => {
    const files: Record<string, string> = { "capture.txt": captures.suffix }
    const read = (file: string | undefined) => {
      if (file === undefined) return bytes(captures["key-param"])
      const text = files[file]
      if (text === undefined) throw new Error("ENOENT: no such file")
      return bytes(text)
    }
    const env = { ACME_SECRET: secretText }
    const fromFile = SignDoctor.run(doctor, { args: ["capture.txt"], env, read })
    assert.deepStrictEqual([fromFile.exitCode, fromFile.stderr], [0, ""])
    assert.include(fromFile.stdout, `signForm: "suffix"`)
    const fromStdin = SignDoctor.run(doctor, { args: ["--json", "-"], env, read })
    assert.deepStrictEqual(JSON.parse(fromStdin.stdout).matched, ["key-param"])
    const unreadable = SignDoctor.run(doctor, { args: ["missing.txt"], env, read })
    assert.deepStrictEqual(unreadable, {
      exitCode: 2,
      stdout: "",
      stderr: "Cannot read missing.txt: ENOENT: no such file\n"
    })
    const help = SignDoctor.run(doctor, { args: ["--help"], env, read })
    assert.deepStrictEqual([help.exitCode, help.stdout, help.stderr], [0, SignDoctor.usage(doctor), ""])
    assert.isTrue(help.stdout.startsWith("Usage: ACME_SECRET=<secret> acme-doctor [--json] [capture-file]"))
    for (const args of [["--verbose"], ["a", "b"]]) {
      const wrong = SignDoctor.run(doctor, { args, env, read })
      assert.deepStrictEqual([wrong.exitCode, wrong.stdout, wrong.stderr], [2, "", SignDoctor.usage(doctor)])
    }
    const noSecret = SignDoctor.run(doctor, { args: ["capture.txt"], env: {}, read })
    assert.strictEqual(noSecret.exitCode, 2)
    assert.include(noSecret.stderr, "ACME_SECRET is not set.")
  })
})
