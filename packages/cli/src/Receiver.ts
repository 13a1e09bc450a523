/**
 * The reference receiver's application, in one place: one route per configured provider
 * (`/hmac`, `/igv`, `/goldenpay`, `/goldenpay/payout`, `/em`, `/github`, `/shopify`,
 * `/standard-webhooks`, `/stripe`), handlers that report each handled event, and the store — the
 * idempotency store and, in the same backend, the dead-letter store. `hookline listen` runs it, and
 * examples/node-http (with the framework examples) mounts it.
 *
 * ```ts
 * import * as Receiver from "@hookline/cli/receiver"
 * import { toNodeListener } from "@hookline/core/node"
 * import * as Redacted from "effect/Redacted"
 * import * as http from "node:http"
 *
 * const routes = Receiver.makeRoutes({
 *   hmacSecret: Redacted.make("dev-secret"),
 *   onEvent: (line) => console.log(Receiver.formatLine(line))
 * })
 * http.createServer(toNodeListener(routes, Receiver.storeLayer({ kind: "memory" }))).listen(3000)
 * ```
 *
 * @since 0.1.0
 */
import {
  type DeadLetterStore,
  defineHandler,
  Hmac,
  type IdempotencyStore,
  type Misconfigured,
  route,
  type Routes,
  type StoreUnavailable,
  type WebhookHandler
} from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { GitHub } from "@hookline/provider-github"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import { Shopify } from "@hookline/provider-shopify"
import { StandardWebhooks } from "@hookline/provider-standard-webhooks"
import { Stripe } from "@hookline/provider-stripe"
import { MemoryDeadLetterStore, MemoryStore } from "@hookline/store-memory"
import { RedisDeadLetterStore, RedisStore } from "@hookline/store-redis"
import { SqlDeadLetterStore, SqlStore } from "@hookline/store-sql"
import * as BigDecimal from "effect/BigDecimal"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

/**
 * One handled event, as the reference receiver prints it: the route's provider, the event's tag (its
 * `_tag`, or its `type`), the idempotency key and the event.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandledLine {
  readonly handled: string
  readonly tag: string
  readonly key: string
  readonly event: unknown
}

/**
 * Extra behaviour run in every handler before it reports (a demo's scripted failures).
 *
 * @since 0.1.0
 * @category models
 */
export type Behavior = (provider: string, key: string, event: unknown) => Effect.Effect<void, unknown>

/**
 * What the receiver mounts: a provider for each secret given, and what its handlers do.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppConfig {
  readonly hmacSecret?: Redacted.Redacted<string> | undefined
  readonly igvSecret?: Redacted.Redacted<string> | undefined
  readonly goldenpaySecret?: Redacted.Redacted<string> | undefined
  readonly em?: { readonly appId: string; readonly secret: Redacted.Redacted<string> } | undefined
  readonly githubSecret?: Redacted.Redacted<string> | undefined
  readonly shopifySecret?: Redacted.Redacted<string> | undefined
  /** A `whsec_…` Standard Webhooks secret (`STANDARD_WEBHOOKS_SECRET`). */
  readonly standardWebhooksSecret?: Redacted.Redacted<string> | undefined
  /** Stripe's endpoint secret (`STRIPE_WEBHOOK_SECRET`). */
  readonly stripeSecret?: Redacted.Redacted<string> | undefined
  readonly onEvent: (line: HandledLine) => void
  readonly behavior?: Behavior | undefined
  /** Time budget override for every handler (`HOOKLINE_TIME_BUDGET_MS`). */
  readonly timeBudget?: Duration.Input | undefined
  /** How long every handler works before reporting (`HOOKLINE_HANDLER_DELAY_MS`). */
  readonly handlerDelay?: Duration.Input | undefined
}

/**
 * The HMAC scheme mounted at `/hmac`: `X-Signature: sha256=<hex>` over
 * `<X-Webhook-Id>.<X-Webhook-Timestamp>.<body>` (standard-webhooks' signed content). The id is
 * signed because it is the idempotency key: were it not, a captured delivery replayed within the
 * tolerance under a new id would be handled again.
 *
 * @since 0.1.0
 * @category providers
 */
export const hmacOptions = (secret: Redacted.Redacted<string>) => ({
  secret,
  header: "x-signature",
  prefix: "sha256=",
  idHeader: "x-webhook-id",
  timestampHeader: "x-webhook-timestamp",
  signedContent: "id.timestamp.body" as const,
  tolerance: "5 minutes" as const
})

// A decimal with its scale kept ("100.00", not "100"): amounts print as the platform sent them.
const decimalText = (d: BigDecimal.BigDecimal): string => {
  if (d.scale <= 0) return (d.value * 10n ** BigInt(-d.scale)).toString()
  const negative = d.value < 0n
  const digits = (negative ? -d.value : d.value).toString().padStart(d.scale + 1, "0")
  return `${negative ? "-" : ""}${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`
}

/**
 * A value with its bigints and BigDecimals as strings, so ids and amounts print exactly.
 * (BigDecimal has its own toJSON, which JSON.stringify applies before any replacer.)
 *
 * @since 0.1.0
 * @category printing
 */
export const printable = (value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (BigDecimal.isBigDecimal(value)) return decimalText(value)
  if (Array.isArray(value)) return value.map(printable)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printable(v)]))
  }
  return value
}

/**
 * A handled event line as JSON (exact ids and amounts).
 *
 * @since 0.1.0
 * @category printing
 */
export const formatLine = (line: HandledLine): string => JSON.stringify(printable(line))

// The event's `_tag`, or its `type` for providers keyed by `type` (Standard Webhooks, Stripe).
const tagOf = (event: unknown): string =>
  typeof event === "object" && event !== null && "_tag" in event && typeof event._tag === "string"
    ? event._tag
    : typeof event === "object" && event !== null && "type" in event && typeof event.type === "string"
    ? event.type
    : "?"

/**
 * The routes of the configured providers.
 *
 * @since 0.1.0
 * @category routes
 */
export const makeRoutes = (config: AppConfig): Routes.Routes<never> => {
  // Effect.sleep, so a delayed handler is interruptible like real work (shutdown, lease expiry).
  const delay = config.handlerDelay === undefined ? Effect.void : Effect.sleep(config.handlerDelay)
  const report = (provider: string) => (event: unknown, context: WebhookHandler.DeliveryContext) =>
    delay.pipe(
      Effect.andThen(config.behavior?.(provider, context.key, event) ?? Effect.void),
      Effect.andThen(
        Effect.sync(() => config.onEvent({ handled: provider, tag: tagOf(event), key: context.key, event }))
      )
    )
  const options = config.timeBudget === undefined ? undefined : { timeBudget: config.timeBudget }
  const table: Record<string, WebhookHandler.WebhookHandler<never>> = {}
  if (config.hmacSecret !== undefined) {
    table["/hmac"] = defineHandler(Hmac.provider(hmacOptions(config.hmacSecret)), report("hmac"), options)
  }
  if (config.igvSecret !== undefined) {
    table["/igv"] = defineHandler(Igv.provider({ secret: config.igvSecret }), report("igv"), options)
  }
  if (config.goldenpaySecret !== undefined) {
    // One route per notify URL, as GoldenPay merchants configure them: the kind is never guessed
    // from fields the signature does not cover. The collect route keeps the name "goldenpay" (keys
    // `goldenpay:collect:<id>:<status>`); the payout route is "goldenpay-payout".
    table["/goldenpay"] = defineHandler(
      GoldenPay.provider({ secret: config.goldenpaySecret, kind: "collect", name: "goldenpay" }),
      report("goldenpay"),
      options
    )
    table["/goldenpay/payout"] = defineHandler(
      GoldenPay.provider({ secret: config.goldenpaySecret, kind: "payout" }),
      report("goldenpay"),
      options
    )
  }
  if (config.em !== undefined) {
    table["/em"] = defineHandler(
      Em.provider({ appId: config.em.appId, secret: config.em.secret }),
      report("em"),
      options
    )
  }
  if (config.githubSecret !== undefined) {
    table["/github"] = defineHandler(GitHub.provider({ secret: config.githubSecret }), report("github"), options)
  }
  if (config.shopifySecret !== undefined) {
    table["/shopify"] = defineHandler(Shopify.provider({ secret: config.shopifySecret }), report("shopify"), options)
  }
  if (config.standardWebhooksSecret !== undefined) {
    table["/standard-webhooks"] = defineHandler(
      StandardWebhooks.provider({ secret: config.standardWebhooksSecret }),
      report("standard-webhooks"),
      options
    )
  }
  if (config.stripeSecret !== undefined) {
    table["/stripe"] = defineHandler(Stripe.provider({ secret: config.stripeSecret }), report("stripe"), options)
  }
  return route(table)
}

/**
 * Which store to use, and where it is.
 *
 * @since 0.1.0
 * @category stores
 */
export type StoreSettings =
  | { readonly kind: "memory" }
  | { readonly kind: "redis"; readonly url: Redacted.Redacted<string>; readonly prefix: string }
  | { readonly kind: "postgres"; readonly url: Redacted.Redacted<string> }

/**
 * The idempotency store and, in the same backend, the dead-letter store: every authentic delivery
 * that fails is kept there (`hookline dead-letters` lists and replays them).
 *
 * @since 0.1.0
 * @category stores
 */
export const storeLayer = (
  store: StoreSettings
): Layer.Layer<
  IdempotencyStore.IdempotencyStore | DeadLetterStore.DeadLetterStore,
  StoreUnavailable | Misconfigured
> => {
  switch (store.kind) {
    case "memory":
      return Layer.mergeAll(MemoryStore.layer(), MemoryDeadLetterStore.layer())
    case "redis":
      return Layer.mergeAll(
        RedisStore.layerNode({ url: store.url, prefix: store.prefix }),
        RedisDeadLetterStore.layerNode({ url: store.url, prefix: store.prefix })
      )
    case "postgres":
      return SqlDeadLetterStore.layer().pipe(Layer.provideMerge(SqlStore.layerPg({ url: store.url })))
  }
}
