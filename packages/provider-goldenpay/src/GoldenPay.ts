/**
 * GoldenPay (Thailand) collect and payout order callbacks.
 *
 * GoldenPay `POST`s a JSON body to the `callback_url` given when the order was created. The body
 * carries its own signature: `sign`, the MD5 (32 hex characters, compared case-insensitively) of
 * the other non-empty parameters sorted by name and joined as `k=v&k=v`, combined with the
 * merchant's API token. **Where the token goes is not settled by any public test vector**, so the
 * known placements are offered as {@link signForms} — `"token-first"` (`TOKEN&k=v&…`, the default,
 * as the transcription of GoldenPay's "Signature Algorithm" page has it), `"key-param"`
 * (`k=v&…&key=TOKEN`) and `"secret-suffix"` (`k=v&…TOKEN`) — and the **sign doctor**
 * ({@link diagnose}) tells which one a real captured callback uses.
 *
 * ```ts
 * import { defineHandler, route } from "@hookline/core"
 * import { GoldenPay } from "@hookline/provider-goldenpay"
 * import { Config, Effect } from "effect"
 *
 * const secret = Config.Redacted("GOLDENPAY_SECRET")
 * const routes = route({
 *   "/goldenpay/collect": defineHandler(GoldenPay.provider({ secret, kind: "collect" }), {
 *     CollectSucceeded: (paid) =>
 *       paid.paidInFull ? Effect.log("paid", paid.transId) : Effect.logWarning("paid short", paid.transId),
 *     CollectProcessing: () => Effect.void,
 *     CollectFailed: (failed) => Effect.log("failed", failed.transId, failed.status)
 *   }),
 *   "/goldenpay/payout": defineHandler(GoldenPay.provider({ secret, kind: "payout" }), {
 *     PayoutSucceeded: (payout) => Effect.log("payout done", payout.transId),
 *     PayoutCanceled: (payout) => Effect.log("payout canceled", payout.transId),
 *     PayoutUnknownStatus: (payout) => Effect.logWarning("payout status", payout.status)
 *   })
 * })
 * ```
 *
 * **Collect or payout is decided by signed content only.** Empty fields are left out of the signed
 * string, so anyone holding one captured callback can add or delete them: their presence decides
 * nothing. A callback whose signed fields do not show which kind it is (a failed collect with
 * `payed_amount` and `channel` empty looks like a payout) is refused unless the route is told its
 * kind — `GoldenPay.provider({ kind: "collect" | "payout", … })`, one route per notify URL.
 *
 * The module reads top to bottom like the platform's doc: scheme (sign forms), verify, key, schema,
 * ack, the sign doctor, testing.
 *
 * @since 0.1.0
 */
import type { DeliveryError } from "@hookline/core"
import { MalformedDelivery, RawDelivery, SignatureInvalid } from "@hookline/core"
import {
  AckPolicy,
  CanonicalString,
  LocalDateTime as CoreLocalDateTime,
  LosslessJson,
  Provider,
  Secret,
  SignForm
} from "@hookline/core/provider"
import * as BigDecimal from "effect/BigDecimal"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

// ---------------------------------------------------------------------------------------------
// scheme
// ---------------------------------------------------------------------------------------------

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
 * The body field carrying the signature.
 *
 * @since 0.1.0
 * @category constants
 */
export const signField = "sign"

/**
 * How the signed parameter string is built, shared by every sign form: all parameters except
 * `sign`, without empty values (`null`, `""`), sorted by name (ASCII), joined as `k=v&k=v`.
 *
 * @since 0.1.0
 * @category constants
 */
export const canonical: CanonicalString.Options = {
  exclude: [signField],
  skipEmpty: true,
  pairSeparator: "&",
  keyValueSeparator: "=",
  sort: "ascii"
}

/**
 * `md5(TOKEN&k=v&…)`: the API token first, then `&` and the parameter string. The default, because
 * it is what the transcription of GoldenPay's "Signature Algorithm" page says; no public test
 * vector settles it, so check a real callback with {@link diagnose}.
 *
 * @since 0.1.0
 * @category sign forms
 */
export const tokenFirst: SignForm.SignForm = SignForm.make({
  name: "token-first",
  description: "md5(TOKEN&k=v&…)",
  canonical,
  secret: { _tag: "Prefix", separator: "&" },
  digest: "md5"
})

/**
 * `md5(k=v&…&key=TOKEN)`: the token as a trailing `key` parameter, the most common form among
 * gateways of this family.
 *
 * @since 0.1.0
 * @category sign forms
 */
export const keyParam: SignForm.SignForm = SignForm.make({
  name: "key-param",
  description: "md5(k=v&…&key=TOKEN)",
  canonical,
  secret: { _tag: "Param", name: "key" },
  digest: "md5"
})

/**
 * `md5(k=v&…TOKEN)`: the bare token appended to the parameter string, without a separator.
 *
 * @since 0.1.0
 * @category sign forms
 */
export const secretSuffix: SignForm.SignForm = SignForm.make({
  name: "secret-suffix",
  description: "md5(k=v&…TOKEN)",
  canonical,
  secret: { _tag: "Suffix", separator: "" },
  digest: "md5"
})

/**
 * The known sign forms, the default first. The sign doctor tries all of them.
 *
 * @since 0.1.0
 * @category sign forms
 */
export const signForms: readonly [SignForm.SignForm, SignForm.SignForm, SignForm.SignForm] = [
  tokenFirst,
  keyParam,
  secretSuffix
]

/**
 * The name of a known sign form.
 *
 * @since 0.1.0
 * @category sign forms
 */
export type SignFormName = "token-first" | "key-param" | "secret-suffix"

/**
 * A sign form by name, or any `SignForm` (e.g. a gateway that appends `&apikey=TOKEN`:
 * `SignForm.make({ ...GoldenPay.keyParam, name: "apikey-param", secret: { _tag: "Param", name: "apikey" } })`).
 *
 * @since 0.1.0
 * @category sign forms
 */
export type SignFormInput = SignFormName | SignForm.SignForm

/**
 * The default sign form: {@link tokenFirst}.
 *
 * @since 0.1.0
 * @category sign forms
 */
export const defaultSignForm: SignForm.SignForm = tokenFirst

/**
 * Resolves a {@link SignFormInput} (default {@link defaultSignForm}).
 *
 * @since 0.1.0
 * @category sign forms
 */
export const signForm = (input?: SignFormInput | undefined): SignForm.SignForm => {
  if (input === undefined) return defaultSignForm
  if (typeof input !== "string") return input
  switch (input) {
    case "token-first":
      return tokenFirst
    case "key-param":
      return keyParam
    case "secret-suffix":
      return secretSuffix
  }
}

/**
 * Default body limit: 64 KiB. A callback is a few hundred bytes; the limit bounds what an
 * unauthenticated request can make the receiver parse before the `sign` inside the body can be
 * checked. Raise it with `GoldenPay.provider({ bodyLimit })` (or `defineHandler(…, { bodyLimit })`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBodyLimit = 64 * 1024

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
 * Default time budget: 4 seconds. GoldenPay waits 5 s for the answer; a handler still running after
 * 4 s gets `fail` now and finishes in the background, so the single retry 60 s later is answered
 * `success` without running it twice.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeBudget: Duration.Duration = Duration.seconds(4)

/**
 * Default lease: 50 seconds, shorter than the gap to GoldenPay's only retry (+60 s). If the process
 * holding a claim crashes, the claim has expired when the retry arrives, so the retry is processed
 * instead of being answered "in flight" — there is no later retry to catch it. A handler still
 * running when its lease ends is interrupted and its claim released.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLease: Duration.Duration = Duration.seconds(50)

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

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
 * Options of {@link provider}.
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
  /** Where the token goes in the signed string. Default `"token-first"`; see {@link signForms}. */
  readonly signForm?: SignFormInput | undefined
  /**
   * When set, a callback whose `mch_id` differs (compared as exact text: `"1001"`, not a number) or
   * is missing is rejected as `SignatureInvalid` (401): it is authentic for some merchant that
   * shares the token, but not for this endpoint.
   */
  readonly expectedMerchantId?: string | undefined
  /** How long to wait for the handler before answering `fail`. Default {@link defaultTimeBudget} (4 s). */
  readonly timeBudget?: Duration.Input | undefined
  /** How long a claim stays exclusive. Default {@link defaultLease} (50 s). */
  readonly lease?: Duration.Input | undefined
  /** How long a completed key is remembered. Default 7 days (core's default). */
  readonly retention?: Duration.Input | undefined
  /**
   * Largest accepted body in bytes. Default {@link defaultBodyLimit} (64 KiB): callbacks are a few
   * hundred bytes, and the body is parsed before its `sign` can be checked.
   */
  readonly bodyLimit?: number | undefined
}

interface Parsed {
  readonly sign: string | undefined
  readonly fields: Fields
  /** Some field name, or non-empty value, contains `&` or `=` (see {@link verify}). */
  readonly separatorInside: boolean
}

const separators = /[&=]/

// The signature travels inside the body, so the body must be parsed before it can be verified.
// Nothing is re-serialised: numbers keep their exact source text, which is what GoldenPay signed.
// The body is not authenticated yet, so error messages are constant text: no name or value of it.
const parse = (
  raw: RawDelivery.RawDelivery,
  limits: LosslessJson.Limits | undefined
): Result.Result<Parsed, MalformedDelivery> =>
  Result.flatMap(
    RawDelivery.bodyText(raw),
    (text) =>
      Result.flatMap(LosslessJson.parseObject(text, { numbers: "source", limits }), (json) => {
        const entries: Array<readonly [string, string]> = []
        let sign: string | undefined
        let separatorInside = false
        for (const [field, value] of Object.entries(json)) {
          if (field === signField) {
            sign = typeof value === "string" && value.trim() !== "" ? value.trim() : undefined
            continue
          }
          if (separators.test(field)) separatorInside = true
          // Empty values are not signed, so they are not kept: nothing downstream can see them.
          if (value === null || value === "") continue
          const signed = typeof value === "string"
            ? value
            : typeof value === "boolean" || typeof value === "number" || typeof value === "bigint"
            ? String(value)
            : undefined
          if (signed === undefined) {
            return Result.fail(
              new MalformedDelivery({ message: "A field is an object or array; GoldenPay signs only scalars" })
            )
          }
          if (separators.test(signed)) separatorInside = true
          entries.push([field, signed])
        }
        // `Object.fromEntries` defines own properties, so a field named `__proto__` stays a field.
        return Result.succeed({ sign, fields: Object.fromEntries(entries), separatorInside })
      })
  )

// Collect-only fields. Only a signed (non-empty) one is evidence: `Fields` holds nothing else.
const collectOnlyFields = ["payed_amount", "channel"] as const
const signsCollectField = (fields: Fields): boolean => collectOnlyFields.some((field) => Object.hasOwn(fields, field))

// Both refusals are `MalformedDelivery` (400, a rejection: nothing is claimed, nothing retried as
// "ours"): the signed content lacks what identifies the delivery's kind, or contradicts this route,
// just as a callback without `id` lacks what identifies it. Not `Misconfigured`: anyone holding a
// capture can strip its empty fields and send it, and that must not read as (or page like) a broken
// configuration; not `DecodeFailed`: that would claim an authentic delivery of a known kind, and
// there is no kind to decode it as.
const kindOf = (fields: Fields, configured: Kind | undefined): Result.Result<Kind, MalformedDelivery> => {
  const collect = signsCollectField(fields)
  if (configured === "collect") return Result.succeed("collect")
  if (configured === "payout") {
    return collect
      ? Result.fail(
        new MalformedDelivery({
          message: "A signed payed_amount or channel marks a collect callback, but this route has kind \"payout\""
        })
      )
      : Result.succeed("payout")
  }
  return collect ? Result.succeed("collect") : Result.fail(
    new MalformedDelivery({
      message: "The callback's signed fields do not tell a collect from a payout (no non-empty payed_amount or " +
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
export const verify = (options: Pick<Options, "secret" | "signForm" | "expectedMerchantId" | "kind">) => {
  const form = signForm(options.signForm)
  return (
    raw: RawDelivery.RawDelivery
  ): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
    Effect.gen(function*() {
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
      if (!SignForm.verify(form, parsed.fields, secrets, parsed.sign)) {
        return yield* new SignatureInvalid({
          message: `sign does not match under sign form "${form.name}"; if the token is right, run the sign doctor ` +
            "(GoldenPay.diagnose or goldenpay-doctor) on a captured callback"
        })
      }
      const merchantId = parsed.fields.mch_id ?? undefined
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
        canonical: CanonicalString.build(parsed.fields, canonical)
      }
    })
}

// ---------------------------------------------------------------------------------------------
// key
// ---------------------------------------------------------------------------------------------

/**
 * The idempotency key: `<kind>:<id>:<status>`, from signed values only, namespaced by core with the
 * provider name — `goldenpay:collect:<id>:<status>` without a configured kind,
 * `goldenpay-collect:collect:<id>:<status>` / `goldenpay-payout:payout:<id>:<status>` with one. The
 * status is part of it, so a `20` (processing) and the later `60` (success) of one order are two
 * deliveries, while a retry of either is a duplicate. A missing or empty `id` or `status` is
 * `MalformedDelivery`.
 *
 * @since 0.1.0
 * @category key
 */
export const key = (payload: Payload): Result.Result<string, MalformedDelivery> => {
  const id = payload.fields.id
  const status = payload.fields.status
  if (id === undefined) return Result.fail(new MalformedDelivery({ message: "Missing id" }))
  if (status === undefined) return Result.fail(new MalformedDelivery({ message: "Missing status" }))
  return Result.succeed(`${payload.kind}:${id}:${status}`)
}

// ---------------------------------------------------------------------------------------------
// schema
// ---------------------------------------------------------------------------------------------

/**
 * A local date-time as GoldenPay sends it, `YYYY-MM-DD HH:mm:ss` (`"2026-05-04 10:05:00"`), a real
 * calendar date. Kept as the exact string: GoldenPay does not state the zone (presumably Thailand's),
 * so none is invented.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LocalDateTime = CoreLocalDateTime.schema({ separator: " " })

/**
 * An amount as GoldenPay sends it (`"100.00"`, or a JSON number's exact source text) decoded to an
 * exact `BigDecimal` — never a `number`. Only plain non-negative decimals are accepted (no sign,
 * exponent or empty string).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Amount = Schema.String.check(Schema.isPattern(/^\d+(?:\.\d+)?$/, {
  expected: "a decimal amount such as 100.00"
})).pipe(Schema.decodeTo(Schema.BigDecimal, SchemaTransformation.bigDecimalFromString))

const collectFields = {
  /** GoldenPay's order id (`id`). */
  id: Schema.String,
  /** The merchant's order id (`trans_id`). */
  transId: Schema.String,
  /** `mch_id`, exact text. */
  merchantId: Schema.String,
  /** `order_amount`: the amount the order was created with. */
  orderAmount: Schema.BigDecimal,
  /** `payed_amount`: what was actually paid. `null` when GoldenPay sent none. */
  payedAmount: Schema.NullOr(Schema.BigDecimal),
  /** Whether `payed_amount` equals `order_amount` by decimal value (`"100"` equals `"100.00"`). */
  paidInFull: Schema.Boolean,
  /** `channel`, or `null` when empty. */
  channel: Schema.NullOr(Schema.String),
  /** `created_at`, local time without a zone. */
  createdAt: LocalDateTime,
  /** `payed_at`, local time without a zone, or `null`. */
  payedAt: Schema.NullOr(LocalDateTime)
}

/**
 * A collect order was paid (`status` 60). **Check `paidInFull`** (or compare `payedAmount` with the
 * amount you expect) before crediting: GoldenPay's docs warn to compare `payed_amount`, not only
 * `order_amount`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CollectSucceeded = Schema.TaggedStruct("CollectSucceeded", {
  ...collectFields,
  payedAmount: Schema.BigDecimal,
  status: Schema.Literal("60")
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CollectSucceeded extends Schema.Schema.Type<typeof CollectSucceeded> {}

/**
 * A collect order is still processing (`status` 20): not final; a later callback with the final
 * status follows (a different idempotency key).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CollectProcessing = Schema.TaggedStruct("CollectProcessing", {
  ...collectFields,
  status: Schema.Literal("20")
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CollectProcessing extends Schema.Schema.Type<typeof CollectProcessing> {}

/**
 * A collect order ended without success (a status other than 60 and 20). `status` keeps the code
 * exactly as sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CollectFailed = Schema.TaggedStruct("CollectFailed", {
  ...collectFields,
  status: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CollectFailed extends Schema.Schema.Type<typeof CollectFailed> {}

const payoutFields = {
  /** GoldenPay's order id (`id`). */
  id: Schema.String,
  /** The merchant's order id (`trans_id`). */
  transId: Schema.String,
  /** `mch_id`, exact text. */
  merchantId: Schema.String,
  /** `order_amount`. */
  orderAmount: Schema.BigDecimal,
  /** `created_at`, local time without a zone. */
  createdAt: LocalDateTime
}

/**
 * A payout was paid out (`status` 60).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutSucceeded = Schema.TaggedStruct("PayoutSucceeded", {
  ...payoutFields,
  status: Schema.Literal("60"),
  /** `payed_at`, or `null` when GoldenPay sent none. */
  payedAt: Schema.NullOr(LocalDateTime)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PayoutSucceeded extends Schema.Schema.Type<typeof PayoutSucceeded> {}

/**
 * A payout was canceled (`status` 50).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutCanceled = Schema.TaggedStruct("PayoutCanceled", {
  ...payoutFields,
  status: Schema.Literal("50"),
  /** `canceled_at`, or `null` when GoldenPay sent none. */
  canceledAt: Schema.NullOr(LocalDateTime)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PayoutCanceled extends Schema.Schema.Type<typeof PayoutCanceled> {}

/**
 * A payout status the docs do not list (only 60 and 50 are documented). Handlers decide; every
 * signed field is kept as signed text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutUnknownStatus = Schema.TaggedStruct("PayoutUnknownStatus", {
  id: Schema.String,
  /** The status code exactly as sent. */
  status: Schema.String,
  /** Every signed field (not `sign`, not the empty ones, which are not signed), as signed text. */
  fields: Schema.Record(Schema.String, Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PayoutUnknownStatus extends Schema.Schema.Type<typeof PayoutUnknownStatus> {}

/**
 * The events of the GoldenPay provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([
  CollectSucceeded,
  CollectProcessing,
  CollectFailed,
  PayoutSucceeded,
  PayoutCanceled,
  PayoutUnknownStatus
]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = CollectEvent | PayoutEvent

/**
 * The events of a collect callback: what a `kind: "collect"` route (and automatic detection, which
 * accepts only callbacks that sign a collect field) delivers.
 *
 * @since 0.1.0
 * @category models
 */
export type CollectEvent = CollectSucceeded | CollectProcessing | CollectFailed

/**
 * The events of a payout callback: what a `kind: "payout"` route delivers.
 *
 * @since 0.1.0
 * @category models
 */
export type PayoutEvent = PayoutSucceeded | PayoutCanceled | PayoutUnknownStatus

const statusOtherThan = (...statuses: ReadonlyArray<string>) =>
  Schema.NonEmptyString.check(Schema.makeFilter((status: string) => !statuses.includes(status), {
    expected: `a status other than ${statuses.join(", ")}`
  }))

// A verified payload never holds `null` (empty fields are dropped), but events carry `null` for
// "not sent", so encoding an event back through `EventFromPayload` writes `null`.
const optional = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

const CollectWireFields = {
  id: Schema.String,
  trans_id: Schema.String,
  mch_id: Schema.String,
  order_amount: Amount,
  payed_amount: optional(Amount),
  channel: optional(Schema.String),
  created_at: LocalDateTime,
  payed_at: optional(LocalDateTime)
}

const collectWire = <Status extends Schema.Top>(status: Status) =>
  Schema.Struct({
    kind: Schema.Literal("collect"),
    fields: Schema.Struct({ ...CollectWireFields, status })
  })

interface CollectWire {
  readonly id: string
  readonly trans_id: string
  readonly mch_id: string
  readonly order_amount: BigDecimal.BigDecimal
  readonly payed_amount?: BigDecimal.BigDecimal | null
  readonly channel?: string | null
  readonly created_at: string
  readonly payed_at?: string | null
}

const collectEvent = (fields: CollectWire) => {
  const payedAmount = fields.payed_amount ?? null
  return {
    id: fields.id,
    transId: fields.trans_id,
    merchantId: fields.mch_id,
    orderAmount: fields.order_amount,
    payedAmount,
    paidInFull: payedAmount !== null && BigDecimal.equals(payedAmount, fields.order_amount),
    channel: fields.channel ?? null,
    createdAt: fields.created_at,
    payedAt: fields.payed_at ?? null
  }
}

const collectWireOf = <S extends string>(
  event: CollectSucceeded | CollectProcessing | CollectFailed,
  status: S
): { readonly kind: "collect"; readonly fields: CollectWire & { readonly status: S } } => ({
  kind: "collect",
  fields: {
    id: event.id,
    trans_id: event.transId,
    mch_id: event.merchantId,
    order_amount: event.orderAmount,
    payed_amount: event.payedAmount,
    channel: event.channel,
    created_at: event.createdAt,
    payed_at: event.payedAt,
    status
  }
})

const CollectSucceededFromPayload = Schema.Struct({
  kind: Schema.Literal("collect"),
  fields: Schema.Struct({ ...CollectWireFields, payed_amount: Amount, status: Schema.Literal("60") })
}).pipe(Schema.decodeTo(
  CollectSucceeded,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof CollectSucceeded.Encoded => ({
      ...collectEvent(fields),
      _tag: "CollectSucceeded",
      payedAmount: fields.payed_amount,
      status: "60"
    }),
    encode: (event) => {
      const wire = collectWireOf(event, "60")
      return { ...wire, fields: { ...wire.fields, payed_amount: event.payedAmount } }
    }
  })
))

const CollectProcessingFromPayload = collectWire(Schema.Literal("20")).pipe(Schema.decodeTo(
  CollectProcessing,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof CollectProcessing.Encoded => ({
      ...collectEvent(fields),
      _tag: "CollectProcessing",
      status: "20"
    }),
    encode: (event) => collectWireOf(event, "20")
  })
))

const CollectFailedFromPayload = collectWire(statusOtherThan("60", "20")).pipe(Schema.decodeTo(
  CollectFailed,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof CollectFailed.Encoded => ({
      ...collectEvent(fields),
      _tag: "CollectFailed",
      status: fields.status
    }),
    encode: (event) => collectWireOf(event, event.status)
  })
))

const PayoutWireFields = {
  id: Schema.String,
  trans_id: Schema.String,
  mch_id: Schema.String,
  order_amount: Amount,
  created_at: LocalDateTime
}

const PayoutSucceededFromPayload = Schema.Struct({
  kind: Schema.Literal("payout"),
  fields: Schema.Struct({ ...PayoutWireFields, status: Schema.Literal("60"), payed_at: optional(LocalDateTime) })
}).pipe(Schema.decodeTo(
  PayoutSucceeded,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof PayoutSucceeded.Encoded => ({
      _tag: "PayoutSucceeded",
      id: fields.id,
      transId: fields.trans_id,
      merchantId: fields.mch_id,
      orderAmount: fields.order_amount,
      createdAt: fields.created_at,
      status: "60",
      payedAt: fields.payed_at ?? null
    }),
    encode: (event) => ({
      kind: "payout" as const,
      fields: {
        id: event.id,
        trans_id: event.transId,
        mch_id: event.merchantId,
        order_amount: event.orderAmount,
        created_at: event.createdAt,
        status: event.status,
        payed_at: event.payedAt
      }
    })
  })
))

const PayoutCanceledFromPayload = Schema.Struct({
  kind: Schema.Literal("payout"),
  fields: Schema.Struct({ ...PayoutWireFields, status: Schema.Literal("50"), canceled_at: optional(LocalDateTime) })
}).pipe(Schema.decodeTo(
  PayoutCanceled,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof PayoutCanceled.Encoded => ({
      _tag: "PayoutCanceled",
      id: fields.id,
      transId: fields.trans_id,
      merchantId: fields.mch_id,
      orderAmount: fields.order_amount,
      createdAt: fields.created_at,
      status: "50",
      canceledAt: fields.canceled_at ?? null
    }),
    encode: (event) => ({
      kind: "payout" as const,
      fields: {
        id: event.id,
        trans_id: event.transId,
        mch_id: event.merchantId,
        order_amount: event.orderAmount,
        created_at: event.createdAt,
        status: event.status,
        canceled_at: event.canceledAt
      }
    })
  })
))

const PayoutUnknownStatusFromPayload = Schema.Struct({
  kind: Schema.Literal("payout"),
  fields: Schema.StructWithRest(
    Schema.Struct({ id: Schema.String, status: statusOtherThan("60", "50") }),
    [Schema.Record(Schema.String, Schema.String)]
  )
}).pipe(Schema.decodeTo(
  PayoutUnknownStatus,
  SchemaTransformation.transform({
    decode: ({ fields }): typeof PayoutUnknownStatus.Encoded => ({
      _tag: "PayoutUnknownStatus",
      id: fields.id,
      status: fields.status,
      fields
    }),
    encode: (event) => ({ kind: "payout" as const, fields: { ...event.fields, id: event.id, status: event.status } })
  })
))

/**
 * Decodes a verified {@link Payload} into an {@link Event}, by kind and status:
 *
 * | kind    | status      | event                 |
 * |---------|-------------|-----------------------|
 * | collect | 60          | `CollectSucceeded`    |
 * | collect | 20          | `CollectProcessing`   |
 * | collect | other       | `CollectFailed`       |
 * | payout  | 60          | `PayoutSucceeded`     |
 * | payout  | 50          | `PayoutCanceled`      |
 * | payout  | other       | `PayoutUnknownStatus` |
 *
 * Amounts become exact `BigDecimal`s, ids and `mch_id` stay exact text, date-times stay local
 * strings. A required field missing or malformed (an amount that is not a plain decimal, a date
 * that is not `YYYY-MM-DD HH:mm:ss`) is `DecodeFailed`, answered `fail` with 500 so a fix deployed
 * before the retry still processes it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventFromPayload = Schema.Union([
  CollectSucceededFromPayload,
  CollectProcessingFromPayload,
  CollectFailedFromPayload,
  PayoutSucceededFromPayload,
  PayoutCanceledFromPayload,
  PayoutUnknownStatusFromPayload
])

const decoders = {
  collectSucceeded: Provider.decodeWith<CollectEvent>(CollectSucceededFromPayload),
  collectProcessing: Provider.decodeWith<CollectEvent>(CollectProcessingFromPayload),
  collectFailed: Provider.decodeWith<CollectEvent>(CollectFailedFromPayload),
  payoutSucceeded: Provider.decodeWith<PayoutEvent>(PayoutSucceededFromPayload),
  payoutCanceled: Provider.decodeWith<PayoutEvent>(PayoutCanceledFromPayload),
  payoutUnknownStatus: Provider.decodeWith<PayoutEvent>(PayoutUnknownStatusFromPayload)
}

/**
 * Decodes a verified collect payload by status (60, 20, other). A payload of the other kind fails
 * the schema's `kind` literal: `DecodeFailed`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodeCollect = (payload: Payload): Effect.Effect<CollectEvent, DeliveryError.DecodeFailed> => {
  const status = payload.fields.status
  return status === "60"
    ? decoders.collectSucceeded(payload)
    : status === "20"
    ? decoders.collectProcessing(payload)
    : decoders.collectFailed(payload)
}

/**
 * Decodes a verified payout payload by status (60, 50, other). A payload of the other kind fails
 * the schema's `kind` literal: `DecodeFailed`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodePayout = (payload: Payload): Effect.Effect<PayoutEvent, DeliveryError.DecodeFailed> => {
  const status = payload.fields.status
  return status === "60"
    ? decoders.payoutSucceeded(payload)
    : status === "50"
    ? decoders.payoutCanceled(payload)
    : decoders.payoutUnknownStatus(payload)
}

/**
 * Decodes a verified payload with the one {@link EventFromPayload} member its kind and status
 * select, so a `DecodeFailed` names exactly what is wrong with that callback.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decode = (payload: Payload): Effect.Effect<Event, DeliveryError.DecodeFailed> =>
  payload.kind === "collect" ? decodeCollect(payload) : decodePayout(payload)

// ---------------------------------------------------------------------------------------------
// provider and ack
// ---------------------------------------------------------------------------------------------

/**
 * GoldenPay's answers: `success` (text/plain, 200) for `Processed` and `Duplicate`; `fail` with the
 * outcome's status otherwise (401 bad sign, 400 malformed, 409 payload mismatch, 500 handler or
 * decode failure, 503 in flight / store down / time budget spent). GoldenPay reads only the body:
 * anything but `success` is a failure and is retried (once, after 60 s).
 *
 * @since 0.1.0
 * @category ack
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
 * - decode: {@link decodePayout} on a `kind: "payout"` route, giving {@link PayoutEvent}s;
 *   {@link decodeCollect} otherwise, giving {@link CollectEvent}s (without a kind only collect
 *   callbacks get through `verify`);
 * - ack: {@link ack};
 * - defaults: time budget 4 s, lease 50 s, retention 7 days, body limit 64 KiB.
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
  return options.kind === "payout" ? make(options, decodePayout) : make(options, decodeCollect)
}

// Without a kind, `verify` only lets collect callbacks through, hence `decodeCollect` for both.
const make = <A>(
  options: Options,
  decode: (payload: Payload) => Effect.Effect<A, DeliveryError.DecodeFailed>
): Provider.Provider<A, Payload> =>
  Provider.make<A, Payload>({
    name: options.name ?? nameOf(options.kind),
    verify: verify(options),
    validate: Secret.resolve(options.secret, "GoldenPay API token"),
    key,
    fingerprint: (payload) => payload.canonical,
    decode,
    ack,
    defaults: {
      bodyLimit: options.bodyLimit ?? defaultBodyLimit,
      timeBudget: options.timeBudget ?? defaultTimeBudget,
      lease: options.lease ?? defaultLease,
      retention: options.retention
    }
  })

// ---------------------------------------------------------------------------------------------
// sign doctor
// ---------------------------------------------------------------------------------------------

/**
 * The sign doctor: given a real captured callback (the exact body bytes as received) and the API
 * token, tells which sign form — if any — produced its `sign`. Built on core's `SignForm.diagnose`.
 * The report contains neither the token nor any expected signature, so it is safe to print and
 * share. A capture that is not a JSON object of scalars yields no match and says why.
 *
 * Pass `forms` to try other placements too (default {@link signForms}).
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
  forms: ReadonlyArray<SignForm.SignForm> = signForms
): SignForm.Diagnosis => {
  const parsed = parse(raw, jsonLimits)
  if (Result.isFailure(parsed)) {
    return {
      matched: [],
      checks: forms.map((form) => ({ name: form.name, description: form.description, matches: false })),
      canonical: [],
      summary: `The capture is not a GoldenPay callback body: ${parsed.failure.message}.`
    }
  }
  return SignForm.diagnose(forms, parsed.success.fields, secret, parsed.success.sign ?? "")
}

// ---------------------------------------------------------------------------------------------
// testing
// ---------------------------------------------------------------------------------------------

/**
 * A body field for {@link testing}`.sign`: text, a number or `bigint` (written as a bare JSON
 * number), a boolean, or `null`.
 *
 * @since 0.1.0
 * @category testing
 */
export type TestField = string | number | bigint | boolean | null

const encoder = new TextEncoder()

const sign = (
  fields: Readonly<Record<string, TestField>>,
  secret: Redacted.Redacted<string>,
  form?: SignFormInput | undefined
): RawDelivery.RawDelivery => {
  const { [signField]: _, ...unsigned } = fields
  // Sign what the receiver will read: the serialised fields parsed back with numbers as their
  // source text, exactly as verification sees them.
  const text = LosslessJson.stringify(unsigned)
  const params = Result.getOrElse(
    // No shape limits here: a test may sign a body the receiver must refuse for its shape.
    Result.map(parse(RawDelivery.make({ body: text }), undefined), (parsed) => parsed.fields),
    (): Fields => ({})
  )
  return RawDelivery.make({
    method: "POST",
    url: "/",
    headers: { "content-type": "application/json" },
    body: encoder.encode(LosslessJson.stringify({ ...unsigned, sign: SignForm.sign(signForm(form), params, secret) }))
  })
}

const collectExample: Readonly<Record<string, TestField>> = {
  id: "GP202605040001",
  trans_id: "ORDER-1001",
  mch_id: 1001,
  order_amount: "100.00",
  payed_amount: "100.00",
  channel: "PROMPTPAY",
  status: 60,
  created_at: "2026-05-04 10:05:00",
  payed_at: "2026-05-04 10:06:12"
}

const payoutExample: Readonly<Record<string, TestField>> = {
  id: "GP202605040002",
  trans_id: "PAYOUT-2001",
  mch_id: 1001,
  order_amount: "250.00",
  status: 60,
  created_at: "2026-05-04 11:00:00",
  payed_at: "2026-05-04 11:02:30"
}

/**
 * Test helpers: callbacks signed the way GoldenPay signs them, for tests, the demo and benchmarks.
 *
 * - `sign(fields, secret, signForm?)`: a `RawDelivery` whose JSON body is `fields` plus `sign`
 *   (default sign form `"token-first"`). Numbers and `bigint`s are written as bare JSON numbers and
 *   signed as written.
 * - `collect(overrides?)` / `payout(overrides?)`: the fields of a successful collect / payout
 *   callback (`mch_id` 1001), with overrides; set a field to `null` to send it as `null`.
 *
 * @since 0.1.0
 * @category testing
 */
export const testing = {
  sign,
  collect: (overrides?: Readonly<Record<string, TestField>>): Readonly<Record<string, TestField>> => ({
    ...collectExample,
    ...overrides
  }),
  payout: (overrides?: Readonly<Record<string, TestField>>): Readonly<Record<string, TestField>> => ({
    ...payoutExample,
    ...overrides
  })
} as const
