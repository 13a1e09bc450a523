/**
 * The sign doctor, once for every provider whose platform leaves its signing rule open (where the
 * secret goes, which case the hex is in): given a real captured callback and the secret, it tells
 * which {@link SignForm.SignForm} the platform actually uses. A provider describes itself with
 * {@link make}; {@link run} is the whole command-line program, minus the file system, so a
 * provider's `bin` script is three lines:
 *
 * ```js
 * import { readFileSync } from "node:fs"
 * import { SignDoctor } from "@hookline/core/provider"
 * import { doctor } from "@hookline/provider-x/doctor"
 * SignDoctor.main(doctor, readFileSync)
 * ```
 *
 * The secret is read from an environment variable — never from the command line, where it would
 * land in the shell history and the process list — and never appears in a report.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as CanonicalString from "./CanonicalString.ts"
import * as RawDelivery from "./RawDelivery.ts"
import * as SignForm from "./SignForm.ts"

/**
 * What a captured delivery holds for the doctor: the signed parameters and the received signature.
 *
 * @since 0.1.0
 * @category models
 */
export interface Capture {
  readonly params: CanonicalString.Params
  /** The received signature (empty when the capture carries none). */
  readonly signature: string
  /** Appended to the verdict, e.g. "the capture lacks timestamp". */
  readonly note?: string | undefined
}

/**
 * A provider's sign doctor.
 *
 * @since 0.1.0
 * @category models
 */
export interface Doctor {
  /** The platform's name as users know it, e.g. `"GoldenPay"`. */
  readonly platform: string
  /** The command's name, e.g. `"goldenpay-doctor"`. */
  readonly command: string
  /** The environment variable holding the secret, e.g. `"GOLDENPAY_SECRET"`. */
  readonly secretVariable: string
  /** The known forms. */
  readonly catalog: SignForm.Catalog
  /** Reads a capture's parameters and signature; a failure's message says why it is not one. */
  readonly parse: (raw: RawDelivery.RawDelivery) => Result.Result<Capture, { readonly message: string }>
  /** The option a user sets once a form matched, e.g. `GoldenPay.provider({ secret, signForm: "key-param" })`. */
  readonly configure: (form: string) => string
}

/**
 * Builds a doctor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (doctor: Doctor): Doctor => doctor

/**
 * Tries every form (the catalog's, or `forms`) on a captured delivery. The diagnosis contains
 * neither the secret nor an expected signature, so it is safe to print and share; a capture that
 * cannot be parsed matches nothing and says why.
 *
 * @since 0.1.0
 * @category diagnosing
 */
export const diagnose = (
  doctor: Doctor,
  raw: RawDelivery.RawDelivery,
  secret: Redacted.Redacted<string>,
  forms: ReadonlyArray<SignForm.SignForm> = SignForm.formsOf(doctor.catalog)
): SignForm.Diagnosis => {
  const capture = doctor.parse(raw)
  if (Result.isFailure(capture)) {
    return {
      matched: [],
      checks: forms.map((form) => ({ name: form.name, description: form.description, matches: false })),
      canonical: [],
      summary: `The capture is not a ${doctor.platform} callback: ${capture.failure.message}`
    }
  }
  const diagnosis = SignForm.diagnose(forms, capture.success.params, secret, capture.success.signature)
  const note = capture.success.note
  return note === undefined ? diagnosis : { ...diagnosis, summary: `${diagnosis.summary} ${note}` }
}

/**
 * The command's help text.
 *
 * @since 0.1.0
 * @category command
 */
export const usage = (doctor: Doctor): string =>
  `Usage: ${doctor.secretVariable}=<secret> ${doctor.command} [--json] [capture-file]

Tells which ${doctor.platform} sign form produced the signature of a captured callback.
capture-file: the exact request body as received (default: read stdin).
--json:       print the diagnosis as JSON.
Exit code: 0 a sign form matches, 1 none matches, 2 usage error.
`

/**
 * Parsed command-line arguments.
 *
 * @since 0.1.0
 * @category command
 */
export interface Arguments {
  readonly json: boolean
  /** The capture file, or `undefined` for stdin. */
  readonly file: string | undefined
}

/**
 * Parses the command's arguments; `undefined` means "print the usage" (help asked for, unknown
 * option, more than one file).
 *
 * @since 0.1.0
 * @category command
 */
export const parseArguments = (args: ReadonlyArray<string>): Arguments | undefined => {
  let json = false
  const files: Array<string> = []
  for (const arg of args) {
    if (arg === "--json") json = true
    else if (arg === "-") continue
    else if (arg.startsWith("-")) return undefined
    else files.push(arg)
  }
  return files.length > 1 ? undefined : { json, file: files[0] }
}

/**
 * What the command prints and the exit code it ends with.
 *
 * @since 0.1.0
 * @category command
 */
export interface Report {
  readonly exitCode: 0 | 1 | 2
  /** For stdout (or stderr when `exitCode` is 2). */
  readonly output: string
  /** The diagnosis, when the command got as far as running it. */
  readonly diagnosis: SignForm.Diagnosis | undefined
}

const text = (doctor: Doctor, diagnosis: SignForm.Diagnosis): string => {
  const width = Math.max(...diagnosis.checks.map((check) => check.name.length))
  const lines = [
    `${doctor.platform} sign doctor`,
    "",
    ...diagnosis.checks.map((check) =>
      `  ${check.matches ? "MATCH   " : "no match"}  ${check.name.padEnd(width)}  ${check.description}`
    ),
    "",
    ...diagnosis.canonical.map((canonical) => `Signed parameters (secret excluded): ${canonical}`),
    `Verdict: ${diagnosis.summary}`
  ]
  const [first] = diagnosis.matched
  if (first !== undefined) lines.push(`Configure: ${doctor.configure(first)}`)
  return `${lines.join("\n")}\n`
}

/**
 * Runs the doctor on a captured body and formats the result. Pure: reads no files, writes nothing.
 * The output never contains the secret.
 *
 * @since 0.1.0
 * @category command
 */
export const report = (
  doctor: Doctor,
  input: { readonly body: Uint8Array; readonly secret: string | undefined; readonly json?: boolean | undefined }
): Report => {
  if (input.secret === undefined || input.secret === "") {
    return { exitCode: 2, output: `${doctor.secretVariable} is not set.\n\n${usage(doctor)}`, diagnosis: undefined }
  }
  const diagnosis = diagnose(doctor, RawDelivery.make({ body: input.body }), Redacted.make(input.secret))
  return {
    exitCode: diagnosis.matched.length > 0 ? 0 : 1,
    output: input.json === true ? `${JSON.stringify(diagnosis, null, 2)}\n` : text(doctor, diagnosis),
    diagnosis
  }
}

/**
 * The whole command: arguments, environment and a reader in; exit code and what to print out.
 * `read(undefined)` reads stdin. Pure apart from `read`.
 *
 * @since 0.1.0
 * @category command
 */
export const run = (
  doctor: Doctor,
  input: {
    readonly args: ReadonlyArray<string>
    readonly env: { readonly [name: string]: string | undefined }
    readonly read: (file: string | undefined) => Uint8Array
  }
): { readonly exitCode: 0 | 1 | 2; readonly stdout: string; readonly stderr: string } => {
  const parsed = parseArguments(input.args)
  if (parsed === undefined) {
    const help = input.args.includes("--help") || input.args.includes("-h")
    return help
      ? { exitCode: 0, stdout: usage(doctor), stderr: "" }
      : { exitCode: 2, stdout: "", stderr: usage(doctor) }
  }
  let body: Uint8Array
  try {
    body = input.read(parsed.file)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { exitCode: 2, stdout: "", stderr: `Cannot read ${parsed.file ?? "stdin"}: ${reason}\n` }
  }
  const result = report(doctor, { body, secret: input.env[doctor.secretVariable], json: parsed.json })
  return result.exitCode === 2
    ? { exitCode: 2, stdout: "", stderr: result.output }
    : { exitCode: result.exitCode, stdout: result.output, stderr: "" }
}

/**
 * {@link run} on `process.argv`, `process.env`, stdout and stderr, setting `process.exitCode`.
 * `readFile` is `node:fs`'s `readFileSync` (passed in, so this module imports nothing from Node).
 *
 * @since 0.1.0
 * @category command
 */
export const main = (doctor: Doctor, readFile: (path: string | number) => Uint8Array): void => {
  const process = (globalThis as unknown as { process: NodeProcess }).process
  const result = run(doctor, {
    args: process.argv.slice(2),
    env: process.env,
    read: (file) => readFile(file ?? 0)
  })
  if (result.stdout !== "") process.stdout.write(result.stdout)
  if (result.stderr !== "") process.stderr.write(result.stderr)
  process.exitCode = result.exitCode
}

interface NodeProcess {
  readonly argv: ReadonlyArray<string>
  readonly env: { readonly [name: string]: string | undefined }
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  exitCode: number | undefined
}
