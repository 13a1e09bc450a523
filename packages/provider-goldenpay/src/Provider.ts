/**
 * GoldenPay's callback scheme: sign forms, verify, key, fingerprint, ack and defaults.
 *
 * GoldenPay `POST`s a JSON body to the `callback_url` given when the order was created. The body
 * carries its own signature: `sign`, the MD5 (32 hex characters, compared case-insensitively) of
 * the other non-empty parameters sorted by name and joined as `k=v&k=v`, combined with the
 * merchant's API token. **Where the token goes is not settled by any public test vector**, so the
 * known placements are offered as {@link signForms}, and the sign doctor (`diagnose`,
 * `goldenpay-doctor`) tells which one a real captured callback uses.
 *
 * **Collect or payout is decided by signed content only.** Empty fields are left out of the signed
 * string, so anyone holding one captured callback can add or delete them: their presence decides
 * nothing. A callback whose signed fields do not show which kind it is (a failed collect with
 * `payed_amount` and `channel` empty looks like a payout) is refused unless the route is told its
 * kind — `GoldenPay.provider({ kind: "collect" | "payout", … })`, one route per notify URL.
 *
 * @since 0.1.0
 */
import {
  AckPolicy,
  CanonicalString,
  LosslessJson,
  MalformedDelivery,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  SignForm
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { type CollectEvent, decode, type Event, type PayoutEvent } from "./Events.ts"

/**
 * The provider's name without a configured `kind` (automatic detection): the idempotency-key
 * namespace (`goldenpay:collect:<id>:<status>`) and the label in logs, spans and metrics. A route
 * with a `kind` is named by {@link nameOf}.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "goldenpay"

/**
 * How the signed parameter string is built, shared by every sign form: all parameters except
 * `sign`, without empty values (`null`, `""`), sorted by name (ASCII), joined as `k=v&k=v`.
 *
 * @since 0.1.0
 * @category constants
 */
export const canonical: CanonicalString.Options = {
  exclude: ["sign"],
  skipEmpty: true,
  pairSeparator: "&",
  keyValueSeparator: "=",
  sort: "ascii"
}

/**
 * The known sign forms, the default first:
 *
 * - `"token-first"`, `md5(TOKEN&k=v&…)` (the default): what the transcription of GoldenPay's
 *   "Signature Algorithm" page says; no public test vector settles it, so check a real callback
 *   with the sign doctor;
 * - `"key-param"`, `md5(k=v&…&key=TOKEN)`: the most common form among gateways of this family;
 * - `"secret-suffix"`, `md5(k=v&…TOKEN)`: the bare token appended, without a separator.
 *
 * A gateway that appends `&apikey=TOKEN` is a custom form:
 * `SignForm.make({ ...GoldenPay.signForms.forms["key-param"], name: "apikey-param", secret: { _tag: "Param", name: "apikey" } })`.
 *
 * @since 0.1.0
 * @category constants
 */
export const signForms = SignForm.catalog({
  "token-first": SignForm.make({
    name: "token-first",
    description: "md5(TOKEN&k=v&…)",
    canonical,
    secret: { _tag: "Prefix", separator: "&" },
    digest: "md5"
  }),
  "key-param": SignForm.make({
    name: "key-param",
    description: "md5(k=v&…&key=TOKEN)",
    canonical,
    secret: { _tag: "Param", name: "key" },
    digest: "md5"
  }),
  "secret-suffix": SignForm.make({
    name: "secret-suffix",
    description: "md5(k=v&…TOKEN)",
    canonical,
    secret: { _tag: "Suffix", separator: "" },
    digest: "md5"
  })
}, "token-first")

/**
 * The name of a known sign form.
 *
 * @since 0.1.0
 * @category models
 */
export type SignFormName = keyof typeof signForms.forms

/**
 * The shape bounds checked by one scan of the body text before it is parsed (the parse precedes
 * verification, because the signature travels inside the body): depth 1 — a flat object, since
 * GoldenPay signs only scalars — and at most 64 values, several times the dozen fields a callback
 * carries (`sign` included). A body over either bound is `MalformedDelivery` (400).
 *
 * @since 0.1.0
 * @category constants
 */
export const jsonLimits: LosslessJson.Limits = { depth: 1, members: 64 }

/**
 * The handler settings GoldenPay needs (override them in `defineHandler(provider, handle, settings)`):
 *
 * - `bodyLimit` 64 KiB: a callback is a few hundred bytes, and the body is parsed before the `sign`
 *   inside it can be checked, so the limit bounds what an unauthenticated request can make the
 *   receiver parse;
 * - `timeBudget` 4 s: GoldenPay waits 5 s for the answer; a handler still running after 4 s gets
 *   `fail` now and finishes in the background, so the single retry 60 s later is answered `success`
 *   without running it twice;
 * - `lease` 50 s, shorter than the gap to GoldenPay's only retry (+60 s): if the process holding a
 *   claim crashes, the claim has expired when the retry arrives, so the retry is processed instead of
 *   being answered "in flight". A handler still running when its lease ends is interrupted and its
 *   claim released;
 * - `retention`: core's 7 days.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  bodyLimit: 64 * 1024,
  timeBudget: Duration.seconds(4),
  lease: Duration.seconds(50)
} satisfies Provider.SettingsInput

/**
 * The two callback kinds. Only a collect callback has fields of its own (`payed_amount`,
 * `channel`); a payout callback's fields are a subset of a collect's. So a callback that *signs* a
 * non-empty `payed_amount` or `channel` is a collect, and any other could be either — a payout, or a
 * collect whose `payed_amount` and `channel` were empty (a failed one). See {@link Options.kind}.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "collect" | "payout"

/**
 * The provider name for a route: `"goldenpay"` without a kind (automatic detection),
 * `"goldenpay-collect"` / `"goldenpay-payout"` with one — distinct idempotency-key namespaces, so a
 * collect route and a payout route can be mounted side by side.
 *
 * @since 0.1.0
 * @category constants
 */
export const nameOf = (kind: Kind | undefined): string => kind === undefined ? name : `${name}-${kind}`

/**
 * Parameters as signed: every body field except `sign` whose value is not empty (`null` and `""`
 * are left out, as they are left out of the signed string), as text — numbers as their exact source
 * text (`100.10` stays `"100.10"`), booleans as `"true"` / `"false"`. Nothing unsigned is in it, so
 * nothing unsigned can decide the kind, the key or the event.
 *
 * @since 0.1.0
 * @category models
 */
export type Fields = { readonly [name: string]: string }

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  readonly kind: Kind
  readonly fields: Fields
  /** The signed parameter string, secret excluded (`channel=…&created_at=…&id=…`). */
  readonly canonical: string
}

/**
 * Options of {@link provider}. The handler settings are not options: see {@link defaults}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Which callbacks this route receives. GoldenPay takes one notify URL per order, so give collect
   * orders and payout orders each their own URL and route:
   *
   * - `"collect"`: every callback is a collect (`Collect*` events);
   * - `"payout"`: every callback is a payout (`Payout*` events); one that signs a non-empty
   *   `payed_amount` or `channel` (collect-only fields) is refused as `MalformedDelivery` (400);
   * - not set (automatic detection): a callback that signs a non-empty `payed_amount` or `channel` is
   *   a collect; any other is refused as `MalformedDelivery` (400) — a payout and a failed collect
   *   with those fields empty sign the same kind of content, and the kind is never guessed. Payouts
   *   therefore need a `kind: "payout"` route, and failed collects a `kind: "collect"` one.
   *
   * The kind also names the route (see {@link nameOf}).
   */
  readonly kind?: Kind | undefined
  /**
   * The provider name: the idempotency-key namespace and the label in logs, spans and metrics.
   * Default {@link nameOf}`(kind)`: `"goldenpay"`, `"goldenpay-collect"` or `"goldenpay-payout"`.
   * Keys carry the kind too (`collect:<id>:<status>`), so `name: "goldenpay"` on a collect route
   * keeps the keys an automatic-detection route stored (a switch without re-running retries).
   */
  readonly name?: string | undefined
  /**
   * The merchant's API token (`Config.Redacted("GOLDENPAY_SECRET")`), or several during a rotation:
   * a `sign` made with any of them is accepted.
   */
  readonly secret: Secret.SecretInput
  /** Where the token goes in the signed string: a {@link signForms} name (default `"token-first"`) or a custom form. */
  readonly signForm?: SignForm.Input<SignFormName> | undefined
  /**
   * When set, a callback whose `mch_id` differs (compared as exact text: `"1001"`, not a number) or
   * is missing is rejected as `SignatureInvalid` (401): it is authentic for some merchant that
   * shares the token, but not for this endpoint.
   */
  readonly expectedMerchantId?: string | undefined
}

/**
 * A body read as GoldenPay signs it, not verified yet: see {@link parse}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parsed {
  readonly sign: string | undefined
  readonly fields: Fields
  /** Some field name, or non-empty value, contains `&` or `=` (see {@link verify}). */
  readonly separatorInside: boolean
}

const separators = /[&=]/

/**
 * Reads a body's `sign` and signed fields within `limits` (verification uses {@link jsonLimits}),
 * without verifying anything. The signature travels
 * inside the body, so the body must be parsed before it can be verified; nothing is re-serialised:
 * numbers keep their exact source text, which is what GoldenPay signed. The body is not
 * authenticated, so error messages are constant text: no name or value of it.
 *
 * @since 0.1.0
 * @category verifying
 */
export const parse = (
  raw: RawDelivery.RawDelivery,
  limits: LosslessJson.Limits | undefined
): Result.Result<Parsed, MalformedDelivery> =>
  Result.flatMap(
    RawDelivery.bodyText(raw),
    (text) =>
      Result.flatMap(LosslessJson.parseObject(text, { numbers: "source", limits }), (json) => {
        const fields: { [name: string]: string } = {}
        let sign: string | undefined
        let separatorInside = false
        for (const field of Object.keys(json)) {
          const value = json[field]
          if (field === "sign") {
            sign = typeof value === "string" && value.trim() !== "" ? value.trim() : undefined
            continue
          }
          if (separators.test(field)) separatorInside = true
          // Empty values are not signed, so they are not kept: nothing downstream can see them.
          if (value === null || value === "") continue
          if (typeof value === "object") {
            return Result.fail(
              new MalformedDelivery({ message: "A field is an object or array; GoldenPay signs only scalars" })
            )
          }
          const signed = String(value)
          if (separators.test(signed)) separatorInside = true
          // Defined, not assigned: a field named `__proto__` stays a field.
          if (field === "__proto__") {
            Object.defineProperty(fields, field, {
              value: signed,
              enumerable: true,
              writable: true,
              configurable: true
            })
          } else fields[field] = signed
        }
        return Result.succeed({ sign, fields, separatorInside })
      })
  )

// Both refusals are `MalformedDelivery` (400, a rejection: nothing is claimed, nothing retried as
// "ours"): the signed content lacks what identifies the delivery's kind, or contradicts this route,
// just as a callback without `id` lacks what identifies it. Not `Misconfigured`: anyone holding a
// capture can strip its empty fields and send it, and that must not read as (or page like) a broken
// configuration; not `DecodeFailed`: that would claim an authentic delivery of a known kind, and
// there is no kind to decode it as. Only a signed (non-empty) collect-only field is evidence.
const kindOf = (fields: Fields, configured: Kind | undefined): Result.Result<Kind, MalformedDelivery> => {
  const collect = Object.hasOwn(fields, "payed_amount") || Object.hasOwn(fields, "channel")
  if (configured === "collect" || (configured === undefined && collect)) return Result.succeed("collect")
  if (configured === "payout" && !collect) return Result.succeed("payout")
  return Result.fail(
    new MalformedDelivery({
      message: configured === "payout"
        ? "A signed payed_amount or channel marks a collect callback, but this route has kind \"payout\""
        : "The callback's signed fields do not tell a collect from a payout (no non-empty payed_amount or " +
          "channel), and the kind is not guessed: mount one route per notify URL with " +
          "GoldenPay.provider({ kind: \"collect\" | \"payout\", … })"
    })
  )
}

/**
 * Verifies a delivery, in this order:
 *
 * 1. the body is strict UTF-8 JSON whose top level is a flat object (within {@link jsonLimits},
 *    checked by one scan before it is parsed) of scalar values (any `Content-Type` is accepted: the
 *    signature, not the header, authenticates it), else `MalformedDelivery` (400);
 * 2. no field name and no non-empty value contains `&` or `=`, else `MalformedDelivery` (400): the
 *    signed `k=v&…` string has no escaping, so `{"a":"1&b=2"}` and `{"a":"1","b":"2"}` would sign
 *    the same string;
 * 3. `sign` is present, else `SignatureInvalid` (401);
 * 4. `sign` matches under the configured sign form and one of the secrets (constant time, hex of
 *    either case), else `SignatureInvalid` (401);
 * 5. when `expectedMerchantId` is set, `mch_id` equals it exactly, else `SignatureInvalid` (401) —
 *    checked only after the signature, so an unauthenticated request learns nothing from it;
 * 6. the kind, from signed content and the configured `kind` (see {@link Options.kind}), else
 *    `MalformedDelivery` (400).
 *
 * Messages of refusals before step 4 are constant text: the request is not authenticated yet, and
 * its names and values must not reach the logs.
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (
  options: Pick<Options, "secret" | "signForm" | "expectedMerchantId" | "kind">
): Provider.Verify<Payload> => {
  const form = SignForm.resolve(signForms, options.signForm)
  // Eager: with plain secrets nothing in it waits, so it answers at once, without a fiber.
  return Effect.fnUntracedEager(function*(
    raw: RawDelivery.RawDelivery
  ): Provider.VerifySteps<Payload> {
    const parsed = yield* Effect.fromResult(parse(raw, jsonLimits))
    if (parsed.separatorInside) {
      return yield* new MalformedDelivery({
        message: "A field name or value contains & or =, which the signed k=v&… string cannot carry unambiguously"
      })
    }
    if (parsed.sign === undefined) {
      return yield* new SignatureInvalid({ message: "Missing sign (a non-empty string field)" })
    }
    const secrets = yield* Secret.resolve(options.secret, "GoldenPay API token")
    // The signed string is built once: verified under every secret, and kept in the payload.
    const signed = CanonicalString.build(parsed.fields, form.canonical)
    if (!SignForm.verifyCanonical(form, signed, secrets, parsed.sign)) {
      return yield* new SignatureInvalid({
        message: `sign does not match under sign form "${form.name}"; if the token is right, run the sign doctor ` +
          "(GoldenPay.diagnose or goldenpay-doctor) on a captured callback"
      })
    }
    const merchantId = parsed.fields.mch_id
    if (options.expectedMerchantId !== undefined && merchantId !== options.expectedMerchantId) {
      return yield* new SignatureInvalid({
        message: merchantId === undefined
          ? "The callback has no mch_id, but expectedMerchantId is set"
          : "The callback's mch_id is not the expected merchant"
      })
    }
    return {
      kind: yield* Effect.fromResult(kindOf(parsed.fields, options.kind)),
      fields: parsed.fields,
      canonical: form.canonical === canonical ? signed : CanonicalString.build(parsed.fields, canonical)
    }
  })
}

/**
 * The idempotency key: `<kind>:<id>:<status>`, from signed values only, namespaced by core with the
 * provider name — `goldenpay:collect:<id>:<status>` without a configured kind,
 * `goldenpay-collect:collect:<id>:<status>` / `goldenpay-payout:payout:<id>:<status>` with one. The
 * status is part of it, so a `20` (processing) and the later `60` (success) of one order are two
 * deliveries, while a retry of either is a duplicate. A missing or empty `id` or `status` is
 * `MalformedDelivery`.
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = ({ fields, kind }: Payload): Result.Result<string, MalformedDelivery> =>
  fields.id === undefined
    ? Result.fail(new MalformedDelivery({ message: "Missing id" }))
    : fields.status === undefined
    ? Result.fail(new MalformedDelivery({ message: "Missing status" }))
    : Result.succeed(`${kind}:${fields.id}:${fields.status}`)

/**
 * GoldenPay's answers: `success` (text/plain, 200) for `Processed` and `Duplicate`; `fail` with the
 * outcome's status otherwise (401 bad sign, 400 malformed, 409 payload mismatch, 500 handler or
 * decode failure, 503 in flight / store down / time budget spent). GoldenPay reads only the body:
 * anything but `success` is a failure and is retried (once, after 60 s).
 *
 * @since 0.1.0
 * @category constants
 */
export const ack: AckPolicy.AckPolicy = AckPolicy.text({ ok: "success", fail: "fail" })

/**
 * The GoldenPay callback provider.
 *
 * - verify: see {@link verify};
 * - name: {@link nameOf}`(kind)` unless `name` is set — `goldenpay`, `goldenpay-collect` or
 *   `goldenpay-payout`;
 * - key: {@link key} (`<kind>:<id>:<status>`, kind from signed content and `kind`);
 * - fingerprint: the signed parameter string without the secret — stable across retries (and JSON
 *   key order), so a retry after success is a `Duplicate`, and the same key with other signed
 *   values is a `PayloadMismatch`;
 * - decode: `decode`, giving {@link PayoutEvent}s on a `kind: "payout"` route and
 *   {@link CollectEvent}s otherwise (without a kind only collect callbacks get through `verify`);
 * - ack: {@link ack};
 * - settings: {@link defaults} (time budget 4 s, lease 50 s, retention 7 days, body limit 64 KiB).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { defineHandler, route } from "@hookline/core"
 * import { toNodeListener } from "@hookline/core/node"
 * import { GoldenPay } from "@hookline/provider-goldenpay"
 * import { MemoryStore } from "@hookline/store-memory"
 * import { Config, Effect } from "effect"
 * import * as http from "node:http"
 *
 * // One notify URL per order type: collect orders get …/goldenpay/collect, payouts …/goldenpay/payout.
 * const secret = Config.Redacted("GOLDENPAY_SECRET")
 * const routes = route({
 *   "/goldenpay/collect": defineHandler(
 *     GoldenPay.provider({ secret, kind: "collect", expectedMerchantId: "1001" }),
 *     (event) => Effect.log(event._tag, event.id)
 *   ),
 *   "/goldenpay/payout": defineHandler(
 *     GoldenPay.provider({ secret, kind: "payout", expectedMerchantId: "1001" }),
 *     (event) => Effect.log(event._tag, event.id)
 *   )
 * })
 * http.createServer(toNodeListener(routes, MemoryStore.layer())).listen(3000)
 * ```
 */
export function provider(options: Options & { readonly kind: "payout" }): Provider.Provider<PayoutEvent, Payload>
export function provider(
  options: Options & { readonly kind?: "collect" | undefined }
): Provider.Provider<CollectEvent, Payload>
export function provider(options: Options): Provider.Provider<Event, Payload>
export function provider(options: Options): Provider.Provider<Event, Payload> {
  return Provider.make<Event, Payload>({
    name: options.name ?? nameOf(options.kind),
    verify: verify(options),
    validate: Secret.resolve(options.secret, "GoldenPay API token"),
    key,
    fingerprint: (payload) => payload.canonical,
    decode,
    ack,
    defaults
  })
}
