/**
 * The events of the Stripe provider, decoded from a verified {@link Payload}. The common types of
 * five objects are typed — `payment_intent.*`, `charge.*`, `checkout.session.*`,
 * `customer.subscription.*`, `invoice.*` — with a few fields of `data.object` each; every other
 * type is {@link Unknown} (acknowledged, the body kept). The union is keyed by `type`, Stripe's own
 * event name (`discriminator: "type"`), so handler maps read like Stripe's docs:
 * `{ "payment_intent.succeeded": (event) => … }`.
 *
 * Amounts are integers in the currency's minor unit as `bigint` (the body's digits, never a
 * double); `created` is Unix seconds as a `number`.
 *
 * @since 0.1.0
 */
import { type DecodeFailed, Provider } from "@hookline/core/provider"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Payload } from "./Provider.ts"

/**
 * An amount in the currency's minor unit (cents for USD, yen for JPY), exact: the body's digits as
 * a `bigint`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Amount = Schema.BigIntFromString

// The body is parsed with every number as its source text; these decode it.
const UnixSeconds = Schema.NumberFromString
const Metadata = Schema.Record(Schema.String, Schema.String)
const NullableString = Schema.NullOr(Schema.String)

// The envelope every event shares (https://docs.stripe.com/api/events/object).
const envelope = {
  /** The event id, `evt_…`: the idempotency key. */
  id: Schema.String,
  /** When the event was created, Unix seconds. */
  created: UnixSeconds,
  livemode: Schema.Boolean,
  /** The API version the event was rendered with (null for some old events). */
  api_version: Schema.optionalKey(NullableString)
}

const event = <const Types extends ReadonlyArray<string>, O extends Schema.Top>(types: Types, object: O) =>
  Schema.Struct({ type: Schema.Literals(types), ...envelope, data: Schema.Struct({ object }) })

/**
 * The typed `payment_intent.*` event names.
 *
 * @since 0.1.0
 * @category constants
 */
export const paymentIntentTypes = [
  "payment_intent.created",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.canceled",
  "payment_intent.processing",
  "payment_intent.requires_action",
  "payment_intent.amount_capturable_updated"
] as const

/**
 * A PaymentIntent (a few fields; https://docs.stripe.com/api/payment_intents/object).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PaymentIntent = Schema.Struct({
  id: Schema.String,
  amount: Amount,
  amount_received: Amount,
  currency: Schema.String,
  status: Schema.String,
  customer: Schema.optionalKey(NullableString),
  metadata: Schema.optionalKey(Metadata)
})

/**
 * `payment_intent.*` (see {@link paymentIntentTypes}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PaymentIntentEvent = event(paymentIntentTypes, PaymentIntent)

/**
 * @since 0.1.0
 * @category models
 */
export interface PaymentIntentEvent extends Schema.Schema.Type<typeof PaymentIntentEvent> {}

/**
 * The typed `charge.*` event names (`charge.dispute.*` and `charge.refund.*` are other objects:
 * {@link Unknown}).
 *
 * @since 0.1.0
 * @category constants
 */
export const chargeTypes = [
  "charge.succeeded",
  "charge.failed",
  "charge.pending",
  "charge.captured",
  "charge.refunded",
  "charge.updated",
  "charge.expired"
] as const

/**
 * A Charge (a few fields; https://docs.stripe.com/api/charges/object).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Charge = Schema.Struct({
  id: Schema.String,
  amount: Amount,
  amount_captured: Amount,
  amount_refunded: Amount,
  currency: Schema.String,
  status: Schema.String,
  paid: Schema.Boolean,
  refunded: Schema.Boolean,
  payment_intent: Schema.optionalKey(NullableString),
  customer: Schema.optionalKey(NullableString),
  metadata: Schema.optionalKey(Metadata)
})

/**
 * `charge.*` (see {@link chargeTypes}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChargeEvent = event(chargeTypes, Charge)

/**
 * @since 0.1.0
 * @category models
 */
export interface ChargeEvent extends Schema.Schema.Type<typeof ChargeEvent> {}

/**
 * The typed `checkout.session.*` event names.
 *
 * @since 0.1.0
 * @category constants
 */
export const checkoutSessionTypes = [
  "checkout.session.completed",
  "checkout.session.expired",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed"
] as const

/**
 * A Checkout Session (a few fields; https://docs.stripe.com/api/checkout/sessions/object).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CheckoutSession = Schema.Struct({
  id: Schema.String,
  mode: Schema.String,
  payment_status: Schema.String,
  status: Schema.optionalKey(NullableString),
  amount_total: Schema.NullOr(Amount),
  currency: NullableString,
  customer: Schema.optionalKey(NullableString),
  client_reference_id: Schema.optionalKey(NullableString),
  payment_intent: Schema.optionalKey(NullableString),
  subscription: Schema.optionalKey(NullableString),
  metadata: Schema.optionalKey(Schema.NullOr(Metadata))
})

/**
 * `checkout.session.*` (see {@link checkoutSessionTypes}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CheckoutSessionEvent = event(checkoutSessionTypes, CheckoutSession)

/**
 * @since 0.1.0
 * @category models
 */
export interface CheckoutSessionEvent extends Schema.Schema.Type<typeof CheckoutSessionEvent> {}

/**
 * The typed `customer.subscription.*` event names.
 *
 * @since 0.1.0
 * @category constants
 */
export const subscriptionTypes = [
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "customer.subscription.trial_will_end"
] as const

/**
 * A Subscription (a few fields; https://docs.stripe.com/api/subscriptions/object).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Subscription = Schema.Struct({
  id: Schema.String,
  customer: Schema.String,
  status: Schema.String,
  cancel_at_period_end: Schema.Boolean,
  currency: Schema.optionalKey(Schema.String),
  metadata: Schema.optionalKey(Metadata)
})

/**
 * `customer.subscription.*` (see {@link subscriptionTypes}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SubscriptionEvent = event(subscriptionTypes, Subscription)

/**
 * @since 0.1.0
 * @category models
 */
export interface SubscriptionEvent extends Schema.Schema.Type<typeof SubscriptionEvent> {}

/**
 * The typed `invoice.*` event names.
 *
 * @since 0.1.0
 * @category constants
 */
export const invoiceTypes = [
  "invoice.created",
  "invoice.updated",
  "invoice.finalized",
  "invoice.paid",
  "invoice.payment_succeeded",
  "invoice.payment_failed",
  "invoice.upcoming",
  "invoice.voided",
  "invoice.marked_uncollectible"
] as const

/**
 * An Invoice (a few fields; https://docs.stripe.com/api/invoices/object). `id` is absent on
 * `invoice.upcoming` (the invoice does not exist yet).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Invoice = Schema.Struct({
  id: Schema.optionalKey(Schema.String),
  customer: NullableString,
  status: Schema.optionalKey(NullableString),
  currency: Schema.String,
  amount_due: Amount,
  amount_paid: Amount,
  amount_remaining: Amount,
  metadata: Schema.optionalKey(Schema.NullOr(Metadata))
})

/**
 * `invoice.*` (see {@link invoiceTypes}).
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvoiceEvent = event(invoiceTypes, Invoice)

/**
 * @since 0.1.0
 * @category models
 */
export interface InvoiceEvent extends Schema.Schema.Type<typeof InvoiceEvent> {}

/**
 * Any event type this version does not type (`customer.created`, `charge.dispute.created`, a type
 * Stripe adds next year…): acknowledged like any other, never a 500 that Stripe retries for three
 * days. Its `type` is the literal `"unknown"` — so a handler map has one key for all of them —
 * and Stripe's name is in `eventType`; `data.object` is the raw object, every number as its exact
 * source text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Unknown = Schema.Struct({
  type: Schema.Literal("unknown"),
  /** Stripe's event name, e.g. `customer.created`. */
  eventType: Schema.String,
  ...envelope,
  data: Schema.Struct({ object: Schema.JsonObject })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Unknown extends Schema.Schema.Type<typeof Unknown> {}

/**
 * The events of the Stripe provider.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([
  PaymentIntentEvent,
  ChargeEvent,
  CheckoutSessionEvent,
  SubscriptionEvent,
  InvoiceEvent,
  Unknown
])

/**
 * @since 0.1.0
 * @category models
 */
export type Event = PaymentIntentEvent | ChargeEvent | CheckoutSessionEvent | SubscriptionEvent | InvoiceEvent | Unknown

const decoders = new Map<string, (body: unknown) => Effect.Effect<Event, DecodeFailed>>()
for (
  const [types, schema] of [
    [paymentIntentTypes, PaymentIntentEvent],
    [chargeTypes, ChargeEvent],
    [checkoutSessionTypes, CheckoutSessionEvent],
    [subscriptionTypes, SubscriptionEvent],
    [invoiceTypes, InvoiceEvent]
  ] as const
) {
  const decode = Provider.decodeWith<Event>(schema)
  for (const type of types) decoders.set(type, decode)
}
const decodeUnknownEvent = Provider.decodeWith<Event>(Unknown)
// Stripe's name moves to `eventType`; `type` becomes the one handler-map key of every unmodelled type.
const decodeUnknown = (body: Payload["body"]) =>
  decodeUnknownEvent({ ...body, type: "unknown", eventType: body["type"] })

/**
 * Decodes a verified {@link Payload} into an {@link Event}. The member is chosen by the signed
 * `type` before decoding: a typed event with a missing or invalid field is `DecodeFailed` (500,
 * retried by Stripe, so a fix deployed within its three days still processes it), never silently
 * `Unknown`; any other type is {@link Unknown}.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> => {
  const typed = decoders.get(payload.type)
  return typed === undefined ? decodeUnknown(payload.body) : typed(payload.body)
}
