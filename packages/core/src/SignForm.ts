/**
 * Sign forms: complete descriptions of a "canonical string + secret + digest" signature scheme, as
 * payment gateways and ERP platforms use them. A provider whose documentation leaves a detail open
 * (where the secret goes, which case the hex is in) lists the known forms, picks a default, and
 * offers the **sign doctor** ({@link diagnose}): given a real captured callback and the secret, it
 * tells which form the platform actually uses.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import * as RedactedValue from "effect/Redacted"
import * as CanonicalString from "./CanonicalString.ts"
import * as Signing from "./Signing.ts"

/**
 * Where the secret goes relative to the canonical string:
 * - `Prefix`: `secret + separator + canonical` (e.g. `TOKEN&a=1&b=2`);
 * - `Suffix`: `canonical + separator + secret` (e.g. `a=1&b=2SECRET` with separator `""`);
 * - `Wrap`: `secret + canonical + secret`;
 * - `Param`: the secret as one more trailing parameter, `canonical&key=SECRET`.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretPlacement =
  | { readonly _tag: "Prefix"; readonly separator: string }
  | { readonly _tag: "Suffix"; readonly separator: string }
  | { readonly _tag: "Wrap" }
  | { readonly _tag: "Param"; readonly name: string }

/**
 * The digest over the final string: a plain hash of it (`md5`, `sha256`), or an HMAC keyed with the
 * secret.
 *
 * @since 0.1.0
 * @category models
 */
export type Digest = "md5" | "sha256" | { readonly hmac: Signing.HmacAlgorithm }

/**
 * A complete sign form.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignForm {
  /** Short stable name, used in options and by the sign doctor (e.g. `"token-first"`). */
  readonly name: string
  /** One sentence describing the string, e.g. `md5(TOKEN&k=v&…)`. */
  readonly description: string
  readonly canonical: CanonicalString.Options
  readonly secret: SecretPlacement
  readonly digest: Digest
  /** Case of the hex this form produces when signing. Verification accepts either case. */
  readonly output: "lower" | "upper"
}

/**
 * Builds a sign form (`output` defaults to `"lower"`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  form: Omit<SignForm, "output"> & { readonly output?: "lower" | "upper" | undefined }
): SignForm => ({ ...form, output: form.output ?? "lower" })

/**
 * The exact string that is digested, secret included. Never log it.
 *
 * @since 0.1.0
 * @category signing
 */
export const message = (form: SignForm, params: CanonicalString.Params, secret: Redacted.Redacted<string>): string =>
  withSecret(form, CanonicalString.build(params, form.canonical), secret)

// The digested string from the parameters' canonical string.
const withSecret = (form: SignForm, canonical: string, secret: Redacted.Redacted<string>): string => {
  const key = RedactedValue.value(secret)
  switch (form.secret._tag) {
    case "Prefix":
      return `${key}${form.secret.separator}${canonical}`
    case "Suffix":
      return `${canonical}${form.secret.separator}${key}`
    case "Wrap":
      return `${key}${canonical}${key}`
    case "Param": {
      const pair = `${form.secret.name}${form.canonical.keyValueSeparator ?? "="}${key}`
      return canonical.length === 0 ? pair : `${canonical}${form.canonical.pairSeparator ?? "&"}${pair}`
    }
  }
}

/**
 * The signature bytes for the parameters under this form.
 *
 * @since 0.1.0
 * @category signing
 */
export const compute = (
  form: SignForm,
  params: CanonicalString.Params,
  secret: Redacted.Redacted<string>
): Uint8Array => {
  const text = message(form, params, secret)
  return digest(form, text, secret)
}

const digest = (form: SignForm, text: string, secret: Redacted.Redacted<string>): Uint8Array => {
  if (form.digest === "md5") return Signing.md5(text)
  if (form.digest === "sha256") return Signing.sha256(text)
  return Signing.hmacWithSecret(form.digest.hmac, secret, text)
}

/**
 * The signature as hex in the form's output case, e.g. for test deliveries.
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (form: SignForm, params: CanonicalString.Params, secret: Redacted.Redacted<string>): string => {
  const hex = Signing.encode(compute(form, params, secret), "hex")
  return form.output === "upper" ? hex.toUpperCase() : hex
}

/**
 * Whether the received hex signature matches under any of the secrets (constant-time, hex of either
 * case accepted).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (
  form: SignForm,
  params: CanonicalString.Params,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  received: string
): boolean => verifyCanonical(form, CanonicalString.build(params, form.canonical), secrets, received)

/**
 * {@link verify} for parameters already joined: `canonical` is
 * `CanonicalString.build(params, form.canonical)`, built once by a provider that also keeps it (the
 * string is then not rebuilt for each secret).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verifyCanonical = (
  form: SignForm,
  canonical: string,
  secrets: ReadonlyArray<Redacted.Redacted<string>>,
  received: string
): boolean =>
  Signing.matchesAny(secrets, (secret) => digest(form, withSecret(form, canonical, secret), secret), received, "hex")

/**
 * What the sign doctor found for one form.
 *
 * @since 0.1.0
 * @category models
 */
export interface FormCheck {
  readonly name: string
  readonly description: string
  readonly matches: boolean
}

/**
 * The sign doctor's report: which forms match the captured signature. Contains neither the secret
 * nor any expected signature, so it is safe to print and share.
 *
 * @since 0.1.0
 * @category models
 */
export interface Diagnosis {
  /** Names of the matching forms (usually one; empty when none matches). */
  readonly matched: ReadonlyArray<string>
  readonly checks: ReadonlyArray<FormCheck>
  /** The canonical parameter string under each distinct canonical option set, secret excluded. */
  readonly canonical: ReadonlyArray<string>
  /** A human-readable verdict and next step. */
  readonly summary: string
}

/**
 * The sign doctor: tries every form against a real captured signature and reports which match.
 *
 * @since 0.1.0
 * @category diagnosing
 */
export const diagnose = (
  forms: ReadonlyArray<SignForm>,
  params: CanonicalString.Params,
  secret: Redacted.Redacted<string>,
  received: string
): Diagnosis => {
  const entries = Symbol.iterator in params
    ? Array.from(params as Iterable<readonly [string, CanonicalString.Value]>)
    : params
  const checks = forms.map((form) => ({
    name: form.name,
    description: form.description,
    matches: verify(form, entries, [secret], received)
  }))
  const matched = checks.filter((check) => check.matches).map((check) => check.name)
  const canonical = Array.from(new Set(forms.map((form) => CanonicalString.build(entries, form.canonical))))
  const summary = matched.length > 0
    ? `The captured signature matches sign form ${matched.map((name) => `"${name}"`).join(", ")}.`
    : received.trim().length === 0
    ? "The capture carries no signature."
    : `No known sign form matches (tried ${checks.map((check) => check.name).join(", ")}). ` +
      "Check that the secret is the one configured for this account, and that the capture is the exact request " +
      "body as received (not re-serialised)."
  return { matched, checks, canonical, summary }
}

/**
 * A provider's known sign forms by name, with the one used when the user picks none. Built with
 * {@link catalog}; read with {@link resolve}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Catalog<Name extends string = string> {
  readonly forms: { readonly [K in Name]: SignForm }
  readonly default: Name
}

/**
 * Builds a catalog. Each form is listed under its own `name` (a mismatch throws, so options,
 * the doctor's report and the catalog can never disagree).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { SignForm } from "@hookline/core/provider"
 *
 * const forms = SignForm.catalog({
 *   "secret-suffix": SignForm.make({
 *     name: "secret-suffix",
 *     description: "md5(k1=v1&k2=v2… + SECRET)",
 *     canonical: { exclude: ["sign"] },
 *     secret: { _tag: "Suffix", separator: "" },
 *     digest: "md5"
 *   })
 * }, "secret-suffix")
 * SignForm.resolve(forms, undefined).name // "secret-suffix"
 * ```
 */
export const catalog = <const Forms extends Readonly<Record<string, SignForm>>>(
  forms: Forms,
  defaultForm: keyof Forms & string
): Catalog<keyof Forms & string> => {
  for (const [name, form] of Object.entries(forms)) {
    if (form.name !== name) throw new Error(`SignForm.catalog: form "${form.name}" is listed as "${name}"`)
  }
  return { forms, default: defaultForm }
}

/**
 * A sign form as written in a provider's options: a catalog name, or a custom form.
 *
 * @since 0.1.0
 * @category models
 */
export type Input<Name extends string = string> = Name | SignForm

/**
 * The form an option selects: the catalog's default when `undefined`, the named form, or the
 * custom form itself.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = <Name extends string>(catalog: Catalog<Name>, input: Input<Name> | undefined): SignForm =>
  input === undefined ? catalog.forms[catalog.default] : typeof input === "string" ? catalog.forms[input] : input

/**
 * Every form of a catalog, in declaration order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const formsOf = (catalog: Catalog): ReadonlyArray<SignForm> => Object.values(catalog.forms)
