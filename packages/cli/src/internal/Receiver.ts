/**
 * The reference receiver `hookline listen` runs: one route per provider whose secret is set, on
 * the store `HOOKLINE_STORE` names — the same routes, variables and store selection as
 * `examples/node-http`'s server (the examples are private workspaces, so this publishable package
 * carries its own copy of the table, built on the public packages only).
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
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as http from "node:http"

/**
 * The HMAC scheme mounted at `/hmac` (as in examples/node-http): `X-Signature: sha256=<hex>` over
 * `<X-Webhook-Id>.<X-Webhook-Timestamp>.<body>`; the id is signed because it is the idempotency key.
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

const nonNegativeInt = (name: string) => Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), name)
const positiveInt = (name: string) => Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name)
const secret = (name: string) => Config.option(Config.Redacted(name))

/**
 * The store the reference receiver uses, from `HOOKLINE_STORE` (`memory`, `redis`, `postgres`),
 * `HOOKLINE_REDIS_URL`, `HOOKLINE_REDIS_PREFIX` and `HOOKLINE_PG_URL`. A command that works on the
 * receiver's store (e.g. a future `hookline dead-letters`) reads this same configuration.
 */
export const storeConfig = Config.all({
  kind: Config.Literals(["memory", "redis", "postgres"], "HOOKLINE_STORE").pipe(Config.withDefault("memory")),
  redisUrl: Config.Redacted("HOOKLINE_REDIS_URL").pipe(Config.withDefault(Redacted.make("redis://127.0.0.1:6379"))),
  redisPrefix: Config.String("HOOKLINE_REDIS_PREFIX").pipe(Config.withDefault(RedisStore.defaultPrefix)),
  pgUrl: Config.Redacted("HOOKLINE_PG_URL").pipe(
    Config.withDefault(Redacted.make("postgres://postgres@127.0.0.1:5432/test"))
  )
})

export type StoreSettings = Config.Success<typeof storeConfig>

/** Everything the receiver reads from the environment (the reference receiver's variables). */
export const settingsConfig = Config.all({
  port: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), "PORT").pipe(
    Config.withDefault(3000)
  ),
  store: storeConfig,
  handlerDelay: nonNegativeInt("HOOKLINE_HANDLER_DELAY_MS").pipe(Config.withDefault(0)),
  timeBudget: Config.option(positiveInt("HOOKLINE_TIME_BUDGET_MS")),
  hmacSecret: secret("HMAC_SECRET"),
  igvSecret: secret("IGV_SECRET"),
  goldenpaySecret: secret("GOLDENPAY_SECRET"),
  emAppId: Config.option(Config.String("EM_APP_ID")),
  emSecret: secret("EM_APP_SECRET"),
  githubSecret: secret("GITHUB_WEBHOOK_SECRET"),
  shopifySecret: secret("SHOPIFY_WEBHOOK_SECRET"),
  standardWebhooksSecret: secret("STANDARD_WEBHOOKS_SECRET"),
  stripeSecret: secret("STRIPE_WEBHOOK_SECRET")
})

export type Settings = Config.Success<typeof settingsConfig>

/** The variables that mount a provider, for the "no provider configured" message. */
export const secretVariables =
  "HMAC_SECRET, IGV_SECRET, GOLDENPAY_SECRET, EM_APP_ID + EM_APP_SECRET, GITHUB_WEBHOOK_SECRET, " +
  "SHOPIFY_WEBHOOK_SECRET, STANDARD_WEBHOOKS_SECRET or STRIPE_WEBHOOK_SECRET"

/** One handled event: the route's provider, the idempotency key, the event's tag and the event. */
export interface Handled {
  readonly provider: string
  readonly key: string
  readonly tag: string
  readonly event: unknown
}

// The event's `_tag`, or its `type` for providers keyed by `type` (Standard Webhooks, Stripe).
const tagOf = (event: unknown): string =>
  typeof event === "object" && event !== null && "_tag" in event && typeof event._tag === "string"
    ? event._tag
    : typeof event === "object" && event !== null && "type" in event && typeof event.type === "string"
    ? event.type
    : "?"

const present = (value: Option.Option<Redacted.Redacted<string>>): Redacted.Redacted<string> | undefined =>
  Option.isSome(value) && Redacted.value(value.value) !== "" ? value.value : undefined

/** The routes of the providers whose secrets are set; each handler reports its event. */
export const makeRoutes = (settings: Settings, onEvent: (handled: Handled) => void): Routes.Routes<never> => {
  const delay = settings.handlerDelay === 0 ? Effect.void : Effect.sleep(settings.handlerDelay)
  const report = (provider: string) => (event: unknown, context: WebhookHandler.DeliveryContext) =>
    Effect.andThen(delay, Effect.sync(() => onEvent({ provider, key: context.key, tag: tagOf(event), event })))
  const options = Option.match(settings.timeBudget, {
    onNone: () => undefined,
    onSome: (millis): { readonly timeBudget: Duration.Input } => ({ timeBudget: millis })
  })
  const table: Record<string, WebhookHandler.WebhookHandler<never>> = {}
  const hmac = present(settings.hmacSecret)
  if (hmac !== undefined) table["/hmac"] = defineHandler(Hmac.provider(hmacOptions(hmac)), report("hmac"), options)
  const igv = present(settings.igvSecret)
  if (igv !== undefined) table["/igv"] = defineHandler(Igv.provider({ secret: igv }), report("igv"), options)
  const goldenpay = present(settings.goldenpaySecret)
  if (goldenpay !== undefined) {
    // One route per notify URL, as GoldenPay merchants configure them (the kind is never guessed).
    table["/goldenpay"] = defineHandler(
      GoldenPay.provider({ secret: goldenpay, kind: "collect", name: "goldenpay" }),
      report("goldenpay"),
      options
    )
    table["/goldenpay/payout"] = defineHandler(
      GoldenPay.provider({ secret: goldenpay, kind: "payout" }),
      report("goldenpay"),
      options
    )
  }
  const emSecret = present(settings.emSecret)
  if (Option.isSome(settings.emAppId) && settings.emAppId.value !== "" && emSecret !== undefined) {
    table["/em"] = defineHandler(
      Em.provider({ appId: settings.emAppId.value, secret: emSecret }),
      report("em"),
      options
    )
  }
  const github = present(settings.githubSecret)
  if (github !== undefined) {
    table["/github"] = defineHandler(GitHub.provider({ secret: github }), report("github"), options)
  }
  const shopify = present(settings.shopifySecret)
  if (shopify !== undefined) {
    table["/shopify"] = defineHandler(Shopify.provider({ secret: shopify }), report("shopify"), options)
  }
  const standardWebhooks = present(settings.standardWebhooksSecret)
  if (standardWebhooks !== undefined) {
    table["/standard-webhooks"] = defineHandler(
      StandardWebhooks.provider({ secret: standardWebhooks }),
      report("standard-webhooks"),
      options
    )
  }
  const stripe = present(settings.stripeSecret)
  if (stripe !== undefined) {
    table["/stripe"] = defineHandler(Stripe.provider({ secret: stripe }), report("stripe"), options)
  }
  return route(table)
}

/**
 * The idempotency store `HOOKLINE_STORE` names and, in the same backend, the dead-letter store
 * (failed authentic deliveries, for `hookline dead-letters`) — as examples/node-http's receiver.
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
        RedisStore.layerNode({ url: store.redisUrl, prefix: store.redisPrefix }),
        RedisDeadLetterStore.layerNode({ url: store.redisUrl, prefix: store.redisPrefix })
      )
    case "postgres":
      return SqlDeadLetterStore.layer().pipe(Layer.provideMerge(SqlStore.layerPg({ url: store.pgUrl })))
  }
}

/**
 * The reference receiver's server limits, at its defaults (docs/mounting.md, "What your server must
 * set"): 10 s for a whole request, 5 s for its headers and for an idle keep-alive connection, and
 * at most 128 connections.
 */
export const serverOptions: http.ServerOptions = {
  requestTimeout: 10_000,
  headersTimeout: 5_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000
}

/** The reference receiver's connection cap. */
export const maxConnections = 128
