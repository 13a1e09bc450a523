/**
 * The events of an EM notification, decoded from its verified `request_data`: `OUT_TRADE_AUDIT` is
 * an {@link OrderAudit}, `IN_STOCK_AUDIT` an {@link InStockAudit}, any other type an
 * {@link UnknownNotification}. Each event is declared once, as the schema from what EM sends to the
 * event; {@link Event} is their union, which also does the dispatch.
 *
 * @since 0.1.0
 */
import { type DecodeFailed, type LosslessJson, Provider } from "@hookline/core/provider"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import type { Payload } from "./Provider.ts"

/**
 * `notify_type` of an order-audit notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const orderAuditType = "OUT_TRADE_AUDIT"

/**
 * `notify_type` of an in-stock (warehouse receipt) audit notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const inStockAuditType = "IN_STOCK_AUDIT"

const textOf = (value: LosslessJson.Json | undefined): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

/**
 * The notification type: `notify_type`, or — for notifications from before EM added the field,
 * which carried only order audits — inferred from `trade_no` (order audit) or `instock_no`
 * (in-stock audit). `undefined` when none of them is present.
 *
 * @since 0.1.0
 * @category decoding
 */
export const notifyType = (data: Payload["data"]): string | undefined =>
  textOf(data["notify_type"]) ??
    (textOf(data["trade_no"]) !== undefined
      ? orderAuditType
      : textOf(data["instock_no"]) !== undefined
      ? inStockAuditType
      : undefined)

/**
 * An audit status with a readable name: code `1` is `PendingAudit` (待审核), `2` is `Approved`
 * (审核通过; for orders "待送货", pending delivery). A code this version does not know is
 * `Unknown`; the exact code is always in `statusCode`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditStatus = Schema.Literals(["PendingAudit", "Approved", "Unknown"])

/**
 * @since 0.1.0
 * @category models
 */
export type AuditStatus = typeof AuditStatus.Type

const statusOf = (code: string): AuditStatus => code === "1" ? "PendingAudit" : code === "2" ? "Approved" : "Unknown"

// `message` may be absent or null (Java serialisers write nulls); both mean "no message".
const Message = Schema.optionalKey(Schema.NullOr(Schema.String))

// Each event decodes from the notification: its type (see `notifyType`), the parsed `request_data`
// (numbers as their exact source text) and the exact `request_data` string. Decoding only: an
// event is never encoded back into a notification.
const fromNotification = <Type extends Schema.Top, Data extends Schema.Top, To extends Schema.Top>(
  type: Type,
  data: Data,
  to: To,
  decode: (
    notification: Schema.Struct<{ notifyType: Type; data: Data; requestData: Schema.String }>["Type"]
  ) => To["Encoded"]
) =>
  Schema.Struct({ notifyType: type, data, requestData: Schema.String }).pipe(
    Schema.decodeTo(to, { decode: SchemaGetter.transform(decode), encode: SchemaGetter.forbiddenEncoding })
  )

// What the two audit events share beside their document number.
const auditFields = {
  status: AuditStatus,
  /** The status code exactly as sent (`"1"`, `"2"`, …). */
  statusCode: Schema.NonEmptyString,
  /** `message`, verbatim (absent when EM sent none). */
  message: Schema.optionalKey(Schema.String)
}
const audit = (code: string, message: string | null | undefined) => ({
  status: statusOf(code),
  statusCode: code,
  ...(message === undefined || message === null ? {} : { message })
})

/**
 * `OUT_TRADE_AUDIT`: an order's audit status changed. Decoded from `trade_no`, `trade_status` and
 * `message`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderAudit = fromNotification(
  Schema.Literal(orderAuditType),
  Schema.Struct({ trade_no: Schema.NonEmptyString, trade_status: Schema.NonEmptyString, message: Message }),
  Schema.TaggedStruct("OrderAudit", {
    /** `trade_no`, exact text. */
    tradeNo: Schema.NonEmptyString,
    ...auditFields
  }),
  ({ data }) => ({ _tag: "OrderAudit" as const, tradeNo: data.trade_no, ...audit(data.trade_status, data.message) })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface OrderAudit extends Schema.Schema.Type<typeof OrderAudit> {}

/**
 * `IN_STOCK_AUDIT`: an in-stock (warehouse receipt) document's audit status changed. Decoded from
 * `instock_no`, `instock_status` and `message`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InStockAudit = fromNotification(
  Schema.Literal(inStockAuditType),
  Schema.Struct({ instock_no: Schema.NonEmptyString, instock_status: Schema.NonEmptyString, message: Message }),
  Schema.TaggedStruct("InStockAudit", {
    /** `instock_no`, exact text. */
    instockNo: Schema.NonEmptyString,
    ...auditFields
  }),
  ({ data }) => ({
    _tag: "InStockAudit" as const,
    instockNo: data.instock_no,
    ...audit(data.instock_status, data.message)
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface InStockAudit extends Schema.Schema.Type<typeof InStockAudit> {}

/**
 * A `notify_type` this version does not know (EM adds types). The raw fields are kept, numbers as
 * their exact source text, together with the exact `request_data` string. A known type never
 * becomes one: a known notification that does not decode is `DecodeFailed`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnknownNotification = fromNotification(
  Schema.String.check(
    Schema.makeFilter((type) => type !== orderAuditType && type !== inStockAuditType, {
      expected: "a notify_type this version does not know"
    })
  ),
  Schema.JsonObject,
  Schema.TaggedStruct("UnknownNotification", {
    notifyType: Schema.String,
    /** Every `request_data` field; numbers as their exact source text. */
    fields: Schema.JsonObject,
    /** `request_data` exactly as signed. */
    requestData: Schema.String
  }),
  ({ data, notifyType, requestData }) => ({
    _tag: "UnknownNotification" as const,
    notifyType,
    fields: data,
    requestData
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface UnknownNotification extends Schema.Schema.Type<typeof UnknownNotification> {}

/**
 * The events of the EM provider, with `match`, `guards` and `cases`. Decoding picks the member by
 * the notification's type.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([OrderAudit, InStockAudit, UnknownNotification]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = OrderAudit | InStockAudit | UnknownNotification

const decodeEvent = Provider.decodeWith(Event)

/**
 * Decodes a verified payload into an {@link Event} by its {@link notifyType}: `OUT_TRADE_AUDIT` →
 * {@link OrderAudit}, `IN_STOCK_AUDIT` → {@link InStockAudit} (each needs its document number and
 * status, else `DecodeFailed`, answered 500 so a fix deployed within EM's retry hour still
 * processes it); any other type → {@link UnknownNotification}.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> =>
  decodeEvent({ notifyType: notifyType(payload.data) ?? "", data: payload.data, requestData: payload.requestData })
