/**
 * What `hookline listen` and `hookline dead-letters` read from the environment — the variables of
 * examples/node-http's server — turned into the reference receiver of `../Receiver.ts` (the routes
 * and the store, shared with examples/node-http).
 */
import type { Routes } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as http from "node:http"
import * as Receiver from "../Receiver.ts"

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

const present = (value: Option.Option<Redacted.Redacted<string>>): Redacted.Redacted<string> | undefined =>
  Option.isSome(value) && Redacted.value(value.value) !== "" ? value.value : undefined

/** The routes (`Receiver.makeRoutes`) of the providers whose secrets are set. */
export const makeRoutes = (settings: Settings, onEvent: (line: Receiver.HandledLine) => void): Routes.Routes<never> => {
  const emSecret = present(settings.emSecret)
  return Receiver.makeRoutes({
    hmacSecret: present(settings.hmacSecret),
    igvSecret: present(settings.igvSecret),
    goldenpaySecret: present(settings.goldenpaySecret),
    em: Option.isSome(settings.emAppId) && settings.emAppId.value !== "" && emSecret !== undefined
      ? { appId: settings.emAppId.value, secret: emSecret }
      : undefined,
    githubSecret: present(settings.githubSecret),
    shopifySecret: present(settings.shopifySecret),
    standardWebhooksSecret: present(settings.standardWebhooksSecret),
    stripeSecret: present(settings.stripeSecret),
    onEvent,
    handlerDelay: settings.handlerDelay === 0 ? undefined : settings.handlerDelay,
    timeBudget: Option.getOrUndefined(settings.timeBudget)
  })
}

/** The store (`Receiver.storeLayer`) `HOOKLINE_STORE` names. */
export const storeLayer = (store: StoreSettings): ReturnType<typeof Receiver.storeLayer> =>
  Receiver.storeLayer(
    store.kind === "memory"
      ? { kind: "memory" }
      : store.kind === "redis"
      ? { kind: "redis", url: store.redisUrl, prefix: store.redisPrefix }
      : { kind: "postgres", url: store.pgUrl }
  )

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
