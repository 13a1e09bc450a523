/**
 * The sign doctor as a command: `goldenpay-doctor` (this package's `bin`) reads a captured callback
 * body from a file (or stdin) and the API token from the `GOLDENPAY_SECRET` environment variable —
 * never from the command line, where it would land in the shell history and the process list — and
 * prints which sign form matches.
 *
 * ```sh
 * GOLDENPAY_SECRET='…' npx goldenpay-doctor capture.json          # text report
 * GOLDENPAY_SECRET='…' npx goldenpay-doctor --json < capture.json  # the Diagnosis as JSON
 * ```
 *
 * Exit codes: 0 a form matches, 1 none matches, 2 usage error (no token, unreadable arguments).
 * This module only formats; the `bin` script does the reading and writing.
 *
 * @since 0.1.0
 */
import { RawDelivery } from "@hookline/core"
import type { SignForm } from "@hookline/core/provider"
import * as Redacted from "effect/Redacted"
import * as GoldenPay from "./GoldenPay.ts"

/**
 * The environment variable the command reads the API token from.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenVariable = "GOLDENPAY_SECRET"

/**
 * The command's help text.
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = `Usage: ${tokenVariable}=<api token> goldenpay-doctor [--json] [capture-file]

Tells which GoldenPay sign form produced the "sign" of a captured callback.
capture-file: the exact request body as received (default: read stdin).
--json:       print the diagnosis as JSON.
Exit code: 0 a sign form matches, 1 none matches, 2 usage error.
`

/**
 * What the command prints and the exit code it ends with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly exitCode: 0 | 1 | 2
  /** For stdout (or stderr when `exitCode` is 2). */
  readonly output: string
  /** The diagnosis, when the command got as far as running it. */
  readonly diagnosis: SignForm.Diagnosis | undefined
}

/**
 * Input of {@link report}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReportInput {
  /** The captured body, exact bytes. */
  readonly body: Uint8Array
  /** The API token (from {@link tokenVariable}); `undefined` or empty is a usage error. */
  readonly token: string | undefined
  /** Print JSON instead of text. Default `false`. */
  readonly json?: boolean | undefined
}

const text = (diagnosis: SignForm.Diagnosis): string => {
  const width = Math.max(...diagnosis.checks.map((check) => check.name.length))
  const lines = [
    "GoldenPay sign doctor",
    "",
    ...diagnosis.checks.map((check) =>
      `  ${check.matches ? "MATCH   " : "no match"}  ${check.name.padEnd(width)}  ${check.description}`
    ),
    "",
    ...diagnosis.canonical.map((canonical) => `Signed parameters (token excluded): ${canonical}`),
    `Verdict: ${diagnosis.summary}`
  ]
  const [first] = diagnosis.matched
  if (first !== undefined) {
    lines.push(`Configure: GoldenPay.provider({ secret, signForm: "${first}" })`)
  }
  return `${lines.join("\n")}\n`
}

/**
 * Runs the sign doctor on a captured body and formats the result. Pure: reads no files, writes
 * nothing. The output never contains the token.
 *
 * @since 0.1.0
 * @category diagnosing
 */
export const report = (input: ReportInput): Report => {
  if (input.token === undefined || input.token === "") {
    return { exitCode: 2, output: `${tokenVariable} is not set.\n\n${usage}`, diagnosis: undefined }
  }
  const diagnosis = GoldenPay.diagnose(RawDelivery.make({ body: input.body }), Redacted.make(input.token))
  return {
    exitCode: diagnosis.matched.length > 0 ? 0 : 1,
    output: input.json === true ? `${JSON.stringify(diagnosis, null, 2)}\n` : text(diagnosis),
    diagnosis
  }
}

/**
 * Parsed command-line arguments.
 *
 * @since 0.1.0
 * @category models
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
 * @category diagnosing
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
