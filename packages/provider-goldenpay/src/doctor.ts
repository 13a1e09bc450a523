/**
 * The GoldenPay sign doctor: given a real captured callback (the exact body bytes as received) and
 * the API token, it tells which of the {@link signForms} produced its `sign`. The command
 * `goldenpay-doctor` (this package's `bin`) runs it on a file or stdin, with the token read from the
 * `GOLDENPAY_SECRET` environment variable:
 *
 * ```sh
 * GOLDENPAY_SECRET='…' npx goldenpay-doctor capture.json          # text report
 * GOLDENPAY_SECRET='…' npx goldenpay-doctor --json < capture.json  # the Diagnosis as JSON
 * ```
 *
 * Exit codes: 0 a form matches, 1 none matches, 2 usage error (no token, unreadable arguments).
 *
 * @since 0.1.0
 */
import { type RawDelivery, SignDoctor, type SignForm } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { jsonLimits, parse, signForms } from "./Provider.ts"

/**
 * The GoldenPay sign doctor, for core's `SignDoctor` (`SignDoctor.main(doctor, readFileSync)` is
 * the whole command).
 *
 * @since 0.1.0
 * @category diagnosing
 */
export const doctor = SignDoctor.make({
  platform: "GoldenPay",
  command: "goldenpay-doctor",
  secretVariable: "GOLDENPAY_SECRET",
  catalog: signForms,
  parse: (raw) => Result.map(parse(raw, jsonLimits), ({ fields, sign }) => ({ params: fields, signature: sign ?? "" })),
  configure: (form) => `GoldenPay.provider({ secret, signForm: "${form}" })`
})

/**
 * Tells which sign form — if any — produced a captured callback's `sign`. The report contains
 * neither the token nor any expected signature, so it is safe to print and share. A capture that is
 * not a JSON object of scalars yields no match and says why. Pass `forms` to try other placements
 * too (default: every form of {@link signForms}).
 *
 * @since 0.1.0
 * @category diagnosing
 * @example
 * ```ts
 * import { RawDelivery } from "@hookline/core"
 * import { GoldenPay } from "@hookline/provider-goldenpay"
 * import { Redacted } from "effect"
 * import { readFileSync } from "node:fs"
 *
 * const capture = RawDelivery.make({ body: readFileSync("capture.json") })
 * const report = GoldenPay.diagnose(capture, Redacted.make(process.env.GOLDENPAY_SECRET ?? ""))
 * report.summary // 'The captured signature matches sign form "key-param".'
 * ```
 */
export const diagnose = (
  raw: RawDelivery.RawDelivery,
  secret: Redacted.Redacted<string>,
  forms?: ReadonlyArray<SignForm.SignForm>
): SignForm.Diagnosis => SignDoctor.diagnose(doctor, raw, secret, forms)
