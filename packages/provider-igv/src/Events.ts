/**
 * The events of iGV's order-status callbacks, decoded from a verified {@link Payload}:
 * `sellerOrderStatus` 1 is `OrderPendingDelivery`, any other status `UnknownStatus`.
 *
 * @since 0.1.0
 */
import { type DecodeFailed, LocalDateTime as CoreLocalDateTime, Provider } from "@hookline/core/provider"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import type { Payload } from "./Provider.ts"

/**
 * A local date-time without a zone, as iGV sends `createdAt`: `YYYY-MM-DDTHH:mm:ss`, optionally with
 * fractional seconds, a real calendar date. Kept as the exact string: iGV does not say which zone it
 * means, so none is invented (no `Date`, no UTC assumption).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LocalDateTime = CoreLocalDateTime.schema({ separator: "T", fractionalSeconds: true })

/**
 * An iGV order id: the exact decimal digits (`"1689644928115784"`). A string, not a `number`
 * (ids exceed 2^53) and not a `bigint` (strings serialise to JSON, logs and databases unchanged).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderId = Schema.String.check(Schema.isPattern(/^(?:0|[1-9]\d*)$/, {
  expected: "an order id of decimal digits"
}))

// The fields of a pending-delivery body, validated where they arrive and kept in the event.
const order = {
  /** Exact digits. */
  orderId: OrderId,
  orderNum: Schema.NonEmptyString,
  /** The exact text whether iGV sent a JSON string or a number. */
  buyerId: Schema.NonEmptyString,
  /** Order creation time, local, without a zone. */
  createdAt: LocalDateTime
}

/**
 * `sellerOrderStatus = 1`, "Pending Delivery": the order is paid and passed risk review; the seller
 * should deliver. Before delivering goods, confirm the order with iGV's Order Query API (the body is
 * not signed).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrderPendingDelivery = Schema.TaggedStruct("OrderPendingDelivery", {
  /** The callback's `X-Request-Id`. */
  requestId: Schema.String,
  ...order,
  status: Schema.Literal(1)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface OrderPendingDelivery extends Schema.Schema.Type<typeof OrderPendingDelivery> {}

/**
 * A status this version does not know (iGV announces more). Handlers decide what to do; the raw
 * body fields are kept, numbers as their exact source text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnknownStatus = Schema.TaggedStruct("UnknownStatus", {
  /** The callback's `X-Request-Id`. */
  requestId: Schema.String,
  /** `sellerOrderStatus` exactly as sent (source text of the number). */
  status: Schema.String,
  /** Every body field, numbers as their exact source text. */
  fields: Schema.JsonObject
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UnknownStatus extends Schema.Schema.Type<typeof UnknownStatus> {}

/**
 * The events of the iGV provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([OrderPendingDelivery, UnknownStatus]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event = OrderPendingDelivery | UnknownStatus

const pendingDelivery = "1"

// Decode only: no event is ever encoded back into a callback.
const decodeOnly = <T, E>(decode: (payload: E) => T) => ({
  decode: SchemaGetter.transform(decode),
  encode: SchemaGetter.forbiddenEncoding
})

const OrderPendingDeliveryFromPayload = Schema.Struct({
  requestId: Schema.String,
  body: Schema.Struct({ sellerOrderStatus: Schema.Literal(pendingDelivery), ...order })
}).pipe(Schema.decodeTo(
  OrderPendingDelivery,
  decodeOnly(({ body: { sellerOrderStatus: _, ...fields }, requestId }) => ({
    _tag: "OrderPendingDelivery",
    requestId,
    ...fields,
    status: 1
  }))
))

const UnknownStatusFromPayload = Schema.Struct({
  requestId: Schema.String,
  body: Schema.StructWithRest(
    Schema.Struct({
      sellerOrderStatus: Schema.String.check(Schema.makeFilter((status: string) => status !== pendingDelivery, {
        expected: "a status other than 1"
      }))
    }),
    [Schema.Record(Schema.String, Schema.Json)]
  )
}).pipe(Schema.decodeTo(
  UnknownStatus,
  decodeOnly(({ body, requestId }) => ({
    _tag: "UnknownStatus",
    requestId,
    status: body.sellerOrderStatus,
    fields: body
  }))
))

/**
 * The decode-only schema from a verified {@link Payload} to an {@link Event}, as a union (see
 * {@link decode} for the error messages).
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventFromPayload = Schema.Union([OrderPendingDeliveryFromPayload, UnknownStatusFromPayload])

const decodeOrderPendingDelivery = Provider.decodeWith(OrderPendingDeliveryFromPayload)
const decodeUnknownStatus = Provider.decodeWith(UnknownStatusFromPayload)

/**
 * Decodes a verified {@link Payload} into an {@link Event}: `sellerOrderStatus` 1 (source text `1`)
 * becomes `OrderPendingDelivery` (every field required and validated, else `DecodeFailed`, answered
 * 500 so a fix deployed before iGV's last retry still processes it); any other status becomes
 * `UnknownStatus` with the raw fields. A missing or non-scalar `sellerOrderStatus` is `DecodeFailed`.
 *
 * The member is chosen by status before decoding: the union would try `UnknownStatus` after a
 * status-1 payload failed and report both members' issues, where one bad field is the news.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> =>
  payload.body["sellerOrderStatus"] === pendingDelivery
    ? decodeOrderPendingDelivery(payload)
    : decodeUnknownStatus(payload)
