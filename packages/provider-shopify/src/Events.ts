/**
 * The events of Shopify webhooks, decoded from a verified {@link Payload}: the topic
 * (`X-Shopify-Topic`) picks the member, the body must fit it. The common topics are typed with a
 * few fields each; every other topic is `Unknown` (acknowledged, body kept).
 *
 * Events are a `_tag` tagged union (`OrdersCreate`, `ProductsUpdate`, …): handler maps are keyed by
 * `_tag` (see {@link tags} for the topic of each); each event also carries its `topic`. Ids are
 * strings of decimal digits — Shopify's exceed 2^53 (`820982911946154508`) — and money amounts are
 * decimal strings (`"199.65"`), never a `number`.
 *
 * @since 0.1.0
 */
import { DecodeFailed, Provider } from "@hookline/core/provider"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Payload } from "./Provider.ts"

/**
 * A Shopify id (order, product, variant, line item, shop…): the exact decimal digits. A string, not
 * a `number` (`820982911946154508` is beyond 2^53) and not a `bigint` (strings serialise to JSON,
 * logs and databases unchanged).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Id = Schema.String.check(Schema.isPattern(/^(?:0|[1-9]\d*)$/, { expected: "an id of decimal digits" }))

/**
 * A money amount as Shopify sends it, the exact decimal string (`"199.65"`, `"-3.00"`). Keep it a
 * string or turn it into a `BigDecimal`; never a `number`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Money = Schema.String.check(
  Schema.isPattern(/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/, { expected: "a decimal amount" })
)

// A small count (quantity): digits that fit a double exactly.
const Count = Schema.String.check(Schema.isPattern(/^-?(?:0|[1-9]\d{0,14})$/, { expected: "a count below 10^15" }))

/**
 * What every event carries besides its body fields: the topic and the delivery headers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Meta {
  /** `X-Shopify-Topic` (not signed). */
  readonly topic: string
  /** The idempotency key: `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id` (not signed). */
  readonly eventId: string
  /** `X-Shopify-Shop-Domain`, e.g. `shop.myshopify.com` (not signed: see the provider page). */
  readonly shopDomain: string
}

const meta = {
  topic: Schema.String,
  eventId: Schema.String,
  shopDomain: Schema.String
}

/**
 * A line item of an order.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LineItem = Schema.Struct({
  id: Id,
  /** `null` for a custom item. */
  productId: Schema.NullOr(Id),
  title: Schema.String,
  quantity: Schema.Number,
  price: Money
})

/**
 * @since 0.1.0
 * @category models
 */
export interface LineItem extends Schema.Schema.Type<typeof LineItem> {}

const order = {
  ...meta,
  id: Id,
  /** `#1001`. */
  name: Schema.String,
  email: Schema.NullOr(Schema.String),
  currency: Schema.String,
  totalPrice: Money,
  subtotalPrice: Schema.NullOr(Money),
  /** `pending`, `paid`, `refunded`, … */
  financialStatus: Schema.NullOr(Schema.String),
  cancelledAt: Schema.NullOr(Schema.String),
  cancelReason: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String,
  lineItems: Schema.Array(LineItem)
}

/**
 * `orders/create`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrdersCreate = Schema.TaggedStruct("OrdersCreate", order)

/**
 * @since 0.1.0
 * @category models
 */
export interface OrdersCreate extends Schema.Schema.Type<typeof OrdersCreate> {}

/**
 * `orders/updated`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrdersUpdated = Schema.TaggedStruct("OrdersUpdated", order)

/**
 * @since 0.1.0
 * @category models
 */
export interface OrdersUpdated extends Schema.Schema.Type<typeof OrdersUpdated> {}

/**
 * `orders/paid`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrdersPaid = Schema.TaggedStruct("OrdersPaid", order)

/**
 * @since 0.1.0
 * @category models
 */
export interface OrdersPaid extends Schema.Schema.Type<typeof OrdersPaid> {}

/**
 * `orders/cancelled` (its `cancelledAt` is always set: a body without it is `DecodeFailed`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OrdersCancelled = Schema.TaggedStruct("OrdersCancelled", { ...order, cancelledAt: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface OrdersCancelled extends Schema.Schema.Type<typeof OrdersCancelled> {}

/**
 * A product variant.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Variant = Schema.Struct({ id: Id, title: Schema.String, price: Money, sku: Schema.NullOr(Schema.String) })

/**
 * @since 0.1.0
 * @category models
 */
export interface Variant extends Schema.Schema.Type<typeof Variant> {}

const product = {
  ...meta,
  id: Id,
  title: Schema.String,
  handle: Schema.String,
  /** `active`, `draft`, `archived`. */
  status: Schema.String,
  vendor: Schema.NullOr(Schema.String),
  updatedAt: Schema.String,
  variants: Schema.Array(Variant)
}

/**
 * `products/create`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProductsCreate = Schema.TaggedStruct("ProductsCreate", product)

/**
 * @since 0.1.0
 * @category models
 */
export interface ProductsCreate extends Schema.Schema.Type<typeof ProductsCreate> {}

/**
 * `products/update`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProductsUpdate = Schema.TaggedStruct("ProductsUpdate", product)

/**
 * @since 0.1.0
 * @category models
 */
export interface ProductsUpdate extends Schema.Schema.Type<typeof ProductsUpdate> {}

/**
 * `products/delete`: only the id is sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProductsDelete = Schema.TaggedStruct("ProductsDelete", { ...meta, id: Id })

/**
 * @since 0.1.0
 * @category models
 */
export interface ProductsDelete extends Schema.Schema.Type<typeof ProductsDelete> {}

/**
 * `app/uninstalled`: the body is the shop. Its `myshopifyDomain` is signed and must equal the
 * `X-Shopify-Shop-Domain` header (else `DecodeFailed`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AppUninstalled = Schema.TaggedStruct("AppUninstalled", {
  ...meta,
  /** The shop's id. */
  id: Id,
  name: Schema.String,
  domain: Schema.NullOr(Schema.String),
  myshopifyDomain: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AppUninstalled extends Schema.Schema.Type<typeof AppUninstalled> {}

/**
 * A topic this version does not model (`customers/create`, `fulfillments/create`, …), acknowledged
 * like any other: the handler decides. The body is kept, every number as its exact source text.
 *
 * `topic` is the **unsigned** `X-Shopify-Topic` header: a captured delivery replayed under another
 * unmodelled topic lands here with the original body (see the provider page's security notes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Unknown = Schema.TaggedStruct("Unknown", { ...meta, body: Schema.JsonObject })

/**
 * @since 0.1.0
 * @category models
 */
export interface Unknown extends Schema.Schema.Type<typeof Unknown> {}

/**
 * The events of the Shopify provider, with `match`, `guards` and `cases`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event = Schema.Union([
  OrdersCreate,
  OrdersUpdated,
  OrdersPaid,
  OrdersCancelled,
  ProductsCreate,
  ProductsUpdate,
  ProductsDelete,
  AppUninstalled,
  Unknown
]).pipe(Schema.toTaggedUnion("_tag"))

/**
 * @since 0.1.0
 * @category models
 */
export type Event =
  | OrdersCreate
  | OrdersUpdated
  | OrdersPaid
  | OrdersCancelled
  | ProductsCreate
  | ProductsUpdate
  | ProductsDelete
  | AppUninstalled
  | Unknown

/**
 * The topic (`X-Shopify-Topic`) of each typed member; every other topic is `Unknown`.
 *
 * @since 0.1.0
 * @category constants
 */
export const tags = {
  "orders/create": "OrdersCreate",
  "orders/updated": "OrdersUpdated",
  "orders/paid": "OrdersPaid",
  "orders/cancelled": "OrdersCancelled",
  "products/create": "ProductsCreate",
  "products/update": "ProductsUpdate",
  "products/delete": "ProductsDelete",
  "app/uninstalled": "AppUninstalled"
} as const satisfies { readonly [topic: string]: Event["_tag"] }

// ---------------------------------------------------------------------------------------------
// The wire: Shopify's snake_case bodies, numbers as their source text (LosslessJson "source").

const WireOrder = Schema.Struct({
  id: Id,
  name: Schema.String,
  email: Schema.optionalKey(Schema.NullOr(Schema.String)),
  currency: Schema.String,
  total_price: Money,
  subtotal_price: Schema.optionalKey(Schema.NullOr(Money)),
  financial_status: Schema.optionalKey(Schema.NullOr(Schema.String)),
  cancelled_at: Schema.NullOr(Schema.String),
  cancel_reason: Schema.optionalKey(Schema.NullOr(Schema.String)),
  created_at: Schema.String,
  updated_at: Schema.String,
  line_items: Schema.Array(Schema.Struct({
    id: Id,
    product_id: Schema.optionalKey(Schema.NullOr(Id)),
    title: Schema.String,
    quantity: Count,
    price: Money
  }))
})

const WireProduct = Schema.Struct({
  id: Id,
  title: Schema.String,
  handle: Schema.String,
  status: Schema.String,
  vendor: Schema.optionalKey(Schema.NullOr(Schema.String)),
  updated_at: Schema.String,
  variants: Schema.Array(Schema.Struct({
    id: Id,
    title: Schema.String,
    price: Money,
    sku: Schema.optionalKey(Schema.NullOr(Schema.String))
  }))
})

const WireProductDelete = Schema.Struct({ id: Id })

const WireShop = Schema.Struct({
  id: Id,
  name: Schema.String,
  domain: Schema.optionalKey(Schema.NullOr(Schema.String)),
  myshopify_domain: Schema.String
})

const metaOf = ({ eventId, shopDomain, topic }: Payload): Meta => ({ topic, eventId, shopDomain })

const orderFields = (wire: typeof WireOrder.Type, payload: Payload) => ({
  ...metaOf(payload),
  id: wire.id,
  name: wire.name,
  email: wire.email ?? null,
  currency: wire.currency,
  totalPrice: wire.total_price,
  subtotalPrice: wire.subtotal_price ?? null,
  financialStatus: wire.financial_status ?? null,
  cancelledAt: wire.cancelled_at,
  cancelReason: wire.cancel_reason ?? null,
  createdAt: wire.created_at,
  updatedAt: wire.updated_at,
  lineItems: wire.line_items.map((item) => ({
    id: item.id,
    productId: item.product_id ?? null,
    title: item.title,
    quantity: Number(item.quantity),
    price: item.price
  }))
})

const productFields = (wire: typeof WireProduct.Type, payload: Payload) => ({
  ...metaOf(payload),
  id: wire.id,
  title: wire.title,
  handle: wire.handle,
  status: wire.status,
  vendor: wire.vendor ?? null,
  updatedAt: wire.updated_at,
  variants: wire.variants.map((variant) => ({
    id: variant.id,
    title: variant.title,
    price: variant.price,
    sku: variant.sku ?? null
  }))
})

const member = Provider.namedMember

// Keys that tell the modelled body kinds apart: an order has line_items, a product variants, a
// shop myshopify_domain.
const notOrder = ["variants", "myshopify_domain"]
const notProduct = ["line_items", "myshopify_domain"]
// The order topics whose body is the order as is, and the product topics.
const orderMember = (_tag: "OrdersCreate" | "OrdersUpdated" | "OrdersPaid") =>
  member(WireOrder, (wire, payload: Payload) => ({ _tag, ...orderFields(wire, payload) }), notOrder)
const productMember = (_tag: "ProductsCreate" | "ProductsUpdate") =>
  member(WireProduct, (wire, payload: Payload) => ({ _tag, ...productFields(wire, payload) }), notProduct)

const members: { readonly [topic: string]: Provider.NamedMember<Event, Payload> } = {
  "orders/create": orderMember("OrdersCreate"),
  "orders/updated": orderMember("OrdersUpdated"),
  "orders/paid": orderMember("OrdersPaid"),
  "orders/cancelled": member(
    WireOrder,
    (wire, payload) => {
      const fields = orderFields(wire, payload)
      return fields.cancelledAt === null
        ? new DecodeFailed({ message: "orders/cancelled: the order has no cancelled_at (the topic is not signed)" })
        : { _tag: "OrdersCancelled", ...fields, cancelledAt: fields.cancelledAt }
    },
    notOrder
  ),
  "products/create": productMember("ProductsCreate"),
  "products/update": productMember("ProductsUpdate"),
  "products/delete": member(
    WireProductDelete,
    (wire, payload) => ({ _tag: "ProductsDelete", ...metaOf(payload), id: wire.id }),
    // Shopify sends only the id: any body of another modelled topic has more.
    ["line_items", "variants", "myshopify_domain", "title"]
  ),
  "app/uninstalled": member(
    WireShop,
    (wire, payload) =>
      wire.myshopify_domain.toLowerCase() !== payload.shopDomain.toLowerCase()
        ? new DecodeFailed({
          message: "app/uninstalled: X-Shopify-Shop-Domain differs from the signed body's myshopify_domain"
        })
        : {
          _tag: "AppUninstalled",
          ...metaOf(payload),
          id: wire.id,
          name: wire.name,
          domain: wire.domain ?? null,
          myshopifyDomain: wire.myshopify_domain
        },
    ["line_items", "variants"]
  )
}

/**
 * Decodes a verified {@link Payload}: a modelled topic (see {@link tags}) decodes its body with that
 * member's schema — a body that does not fit (an order without `line_items`, a product body under
 * an `orders/*` topic, an `orders/cancelled` order that is not cancelled, an `app/uninstalled` shop
 * whose domain is not the header's) is `DecodeFailed` (500): the topic is not signed, so it must
 * agree with the signed body. Any other topic is `Unknown` with the body.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: (payload: Payload) => Effect.Effect<Event, DecodeFailed> = Provider.decodeByName({
  header: "X-Shopify-Topic",
  noun: "topic",
  name: (payload) => payload.topic,
  members,
  unknown: (payload) => ({ _tag: "Unknown", ...metaOf(payload), body: payload.body as Schema.JsonObject })
})
