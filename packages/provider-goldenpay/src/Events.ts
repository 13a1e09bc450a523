/**
 * GoldenPay's callback events. Each is declared once, over the signed fields as GoldenPay names
 * them (`trans_id`, `order_amount`, …): the schema decodes those fields into the tagged event, and
 * encodes it back. A collect route decodes with {@link CollectEvent}, a payout route with
 * {@link PayoutEvent}: the kind comes from the route and signed content (see `provider`), the event
 * from the status.
 *
 * @since 0.1.0
 */
import { type DecodeFailed, LocalDateTime as CoreLocalDateTime, Provider } from "@hookline/core/provider"
import * as BigDecimal from "effect/BigDecimal"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaTransformation from "effect/SchemaTransformation"
import type { Payload } from "./Provider.ts"

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

// Empty fields are not signed, so a verified payload lacks them: the event says `null`.
const orNull = <S extends Schema.Top>(schema: S) =>
  Schema.NullOr(schema).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

const statusOtherThan = (...statuses: ReadonlyArray<string>) =>
  Schema.NonEmptyString.check(Schema.makeFilter((status: string) => !statuses.includes(status), {
    expected: `a status other than ${statuses.join(", ")}`
  }))

// GoldenPay's names for the event fields named otherwise; the others are the same on the wire.
const wireNames = {
  transId: "trans_id",
  merchantId: "mch_id",
  orderAmount: "order_amount",
  payedAmount: "payed_amount",
  createdAt: "created_at",
  payedAt: "payed_at",
  canceledAt: "canceled_at"
} as const

type WireName<K> = K extends keyof typeof wireNames ? typeof wireNames[K] : K

const wireName = (name: string): string =>
  Object.hasOwn(wireNames, name) ? wireNames[name as keyof typeof wireNames] : name

// The signed fields under GoldenPay's names, each with its decoding schema.
type Wire<Fields extends Schema.Struct.Fields> = { readonly [K in keyof Fields as WireName<K>]: Fields[K] }

// The event: its tag, each field's decoded type under the event's name, and the fields computed
// from them.
type Typed<Tag extends string, Fields extends Schema.Struct.Fields, Computed extends Schema.Struct.Fields> =
  & { readonly _tag: Schema.Literal<Tag> }
  & { readonly [K in keyof Fields]: Schema.toType<Fields[K]> }
  & Computed

// An event over the signed fields: the fields are decoded under GoldenPay's names, then renamed to
// the event's, tagged, and completed with the fields computed from them (`compute`, not on the
// wire); encoding goes back the same way. The tag is not on the wire either: a signed field named
// `_tag` stays unread, as any other unknown field. One decoding pass over the wire fields and a
// check of the result (`Schema.encodeKeys` decodes twice: about 9 µs against 4 per collect event).
const event = <
  const Tag extends string,
  const Fields extends Schema.Struct.Fields,
  const Computed extends Schema.Struct.Fields = {}
>(
  tag: Tag,
  fields: Fields,
  computed?: {
    readonly fields: Computed
    readonly compute: (event: { readonly [K in keyof Fields]: Fields[K]["Type"] }) => Schema.Struct.Type<Computed>
  }
): Schema.decodeTo<Schema.Struct<Typed<Tag, Fields, Computed>>, Schema.Struct<Wire<Fields>>> => {
  // Each field's name in the event and on the wire, paired once.
  const names = Object.keys(fields).map((name) => [name, wireName(name)] as const)
  const wire: Record<string, Schema.Constraint> = {}
  const typed: Record<string, Schema.Constraint> = { _tag: Schema.Literal(tag), ...computed?.fields }
  for (const [name, onWire] of names) {
    wire[onWire] = fields[name]!
    typed[name] = Schema.toType(fields[name]!)
  }
  const decode = (input: Record<string, unknown>) => {
    const out: Record<string, unknown> = { _tag: tag }
    for (const [name, onWire] of names) out[name] = input[onWire]
    return computed === undefined ? out : Object.assign(out, computed.compute(out as never))
  }
  const encode = (event: Record<string, unknown>) => {
    const out: Record<string, unknown> = {}
    for (const [name, onWire] of names) out[onWire] = event[name]
    return out
  }
  return Schema.Struct(wire).pipe(
    Schema.decodeTo(Schema.Struct(typed), SchemaTransformation.transform({ decode, encode }))
  ) as never
}

const order = {
  /** GoldenPay's order id (`id`). */
  id: Schema.String,
  /** The merchant's order id (`trans_id`). */
  transId: Schema.String,
  /** `mch_id`, exact text. */
  merchantId: Schema.String,
  /** `order_amount`: the amount the order was created with. */
  orderAmount: Amount
}

const collect = <const Tag extends string, PayedAmount extends Schema.Top, Status extends Schema.Top>(
  tag: Tag,
  payedAmount: PayedAmount,
  status: Status
) =>
  event(tag, {
    ...order,
    /** `payed_amount`: what was actually paid. `null` when GoldenPay sent none. */
    payedAmount,
    /** `channel`, or `null` when empty. */
    channel: orNull(Schema.String),
    /** `created_at`, local time without a zone. */
    createdAt: LocalDateTime,
    /** `payed_at`, local time without a zone, or `null`. */
    payedAt: orNull(LocalDateTime),
    status
  }, {
    fields: {
      /** Whether `payed_amount` equals `order_amount` by decimal value (`"100"` equals `"100.00"`). */
      paidInFull: Schema.Boolean
    },
    compute: ({ orderAmount, payedAmount }) => ({
      paidInFull: payedAmount !== null && BigDecimal.equals(payedAmount as BigDecimal.BigDecimal, orderAmount)
    })
  })

const payout = <const Tag extends string, const Fields extends Schema.Struct.Fields>(tag: Tag, fields: Fields) =>
  event(tag, {
    ...order,
    /** `created_at`, local time without a zone. */
    createdAt: LocalDateTime,
    ...fields
  })

/**
 * A collect order was paid (`status` 60). **Check `paidInFull`** (or compare `payedAmount` with the
 * amount you expect) before crediting: GoldenPay's docs warn to compare `payed_amount`, not only
 * `order_amount`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CollectSucceeded = collect("CollectSucceeded", Amount, Schema.Literal("60"))

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
export const CollectProcessing = collect("CollectProcessing", orNull(Amount), Schema.Literal("20"))

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
export const CollectFailed = collect("CollectFailed", orNull(Amount), statusOtherThan("60", "20"))

/**
 * @since 0.1.0
 * @category models
 */
export interface CollectFailed extends Schema.Schema.Type<typeof CollectFailed> {}

/**
 * A payout was paid out (`status` 60).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutSucceeded = payout("PayoutSucceeded", {
  status: Schema.Literal("60"),
  /** `payed_at`, or `null` when GoldenPay sent none. */
  payedAt: orNull(LocalDateTime)
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
export const PayoutCanceled = payout("PayoutCanceled", {
  status: Schema.Literal("50"),
  /** `canceled_at`, or `null` when GoldenPay sent none. */
  canceledAt: orNull(LocalDateTime)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PayoutCanceled extends Schema.Schema.Type<typeof PayoutCanceled> {}

const SignedFields = Schema.Record(Schema.String, Schema.String)

/**
 * A payout status the docs do not list (only 60 and 50 are documented). Handlers decide; every
 * signed field is kept as signed text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutUnknownStatus = SignedFields.pipe(Schema.decodeTo(
  Schema.Struct({
    _tag: Schema.tagDefaultOmit("PayoutUnknownStatus"),
    id: Schema.String,
    /** The status code exactly as sent. */
    status: statusOtherThan("60", "50"),
    /** Every signed field (not `sign`, not the empty ones, which are not signed), as signed text. */
    fields: SignedFields
  }),
  {
    decode: SchemaGetter.transform((fields) => ({ id: fields.id, status: fields.status, fields })),
    encode: SchemaGetter.transform(({ fields }) => fields)
  }
))

/**
 * @since 0.1.0
 * @category models
 */
export interface PayoutUnknownStatus extends Schema.Schema.Type<typeof PayoutUnknownStatus> {}

/**
 * The events of a collect callback, tried by status (60, 20, other): what a `kind: "collect"` route
 * (and automatic detection, which accepts only callbacks that sign a collect field) delivers.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CollectEvent = Schema.Union([CollectSucceeded, CollectProcessing, CollectFailed])

/**
 * @since 0.1.0
 * @category models
 */
export type CollectEvent = CollectSucceeded | CollectProcessing | CollectFailed

/**
 * The events of a payout callback, tried by status (60, 50, other): what a `kind: "payout"` route
 * delivers.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PayoutEvent = Schema.Union([PayoutSucceeded, PayoutCanceled, PayoutUnknownStatus])

/**
 * @since 0.1.0
 * @category models
 */
export type PayoutEvent = PayoutSucceeded | PayoutCanceled | PayoutUnknownStatus

/**
 * Every GoldenPay event, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([...CollectEvent.members, ...PayoutEvent.members]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = CollectEvent | PayoutEvent

const decodeCollect = Provider.decodeWith(CollectEvent)
const decodePayout = Provider.decodeWith(PayoutEvent)

/**
 * Decodes a verified {@link Payload}'s signed fields with the union of its kind:
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
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> =>
  payload.kind === "payout" ? decodePayout(payload.fields) : decodeCollect(payload.fields)
