/**
 * The EM sign doctor: given a real captured notification (the exact request as received) and the
 * appSecret, it tries every built-in sign form over `appid`, `request_data` and `timestamp` and
 * reports which one the platform used. The `em-doctor` command (this package's `bin`) runs it:
 *
 * ```sh
 * EM_APP_SECRET='…' npx em-doctor capture.txt          # text report
 * EM_APP_SECRET='…' npx em-doctor --json < capture.txt  # the Diagnosis as JSON
 * ```
 *
 * Exit codes: 0 a form matches, 1 none matches, 2 usage error (no secret, unreadable arguments).
 *
 * @since 0.1.0
 */
import { type RawDelivery, SignDoctor, type SignForm } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { parseEnvelope, signedParams, signForms } from "./Provider.ts"

/**
 * The sign doctor of EM. A capture that is not an EM notification matches nothing and says why; a
 * capture lacking `appid`, `request_data` or `timestamp` is checked with the missing ones empty, and
 * the verdict names them.
 *
 * @since 0.1.0
 * @category diagnosing
 */
export const doctor: SignDoctor.Doctor = SignDoctor.make({
  platform: "EM",
  command: "em-doctor",
  secretVariable: "EM_APP_SECRET",
  catalog: signForms,
  parse: (raw) =>
    Result.map(parseEnvelope(raw), ({ appId, requestData, sign, timestamp }) => {
      const missing = Object.entries({ appid: appId, request_data: requestData, timestamp })
        .filter(([, value]) => value === undefined).map(([name]) => name)
      return {
        params: signedParams(appId ?? "", requestData ?? "", timestamp ?? ""),
        signature: sign ?? "",
        note: missing.length === 0 ? undefined : `Note: the capture lacks ${missing.join(", ")}.`
      }
    }),
  configure: (form) => `Em.provider({ appId, secret, signForm: "${form}" })`
})

/**
 * Runs the {@link doctor} on a captured notification: which of the built-in sign forms (or of
 * `forms`, e.g. `[...SignForm.formsOf(Em.signForms), myForm]`) produced its `sign`. The report names
 * forms and shows the canonical strings without the secret; it never contains the secret or an
 * expected signature, so it is safe to print and share.
 *
 * @since 0.1.0
 * @category diagnosing
 * @example
 * ```ts
 * import { Em } from "@hookline/provider-em"
 * import { Redacted } from "effect"
 *
 * declare const captured: import("@hookline/core").RawDelivery.RawDelivery
 * export const report = Em.diagnose(captured, Redacted.make(process.env.EM_APP_SECRET ?? ""))
 * // report.matched → ["wrap"]: pass `signForm: "wrap"` (the default)
 * ```
 */
export const diagnose = (
  raw: RawDelivery.RawDelivery,
  secret: Redacted.Redacted<string>,
  forms?: ReadonlyArray<SignForm.SignForm>
): SignForm.Diagnosis => SignDoctor.diagnose(doctor, raw, secret, forms)
