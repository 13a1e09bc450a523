/**
 * The reference receiver's application: one route per configured provider, a store chosen by
 * `HOOKLINE_STORE`, and handlers that report each handled event as one JSON line. Shared by the
 * standalone server (`server.ts`) and the scripted demo (`demo.ts`).
 */
import {
  defineHandler,
  Hmac,
  type IdempotencyStore,
  type Misconfigured,
  route,
  type StoreUnavailable,
  type WebhookHandler
} from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import { MemoryStore } from "@hookline/store-memory"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import * as BigDecimal from "effect/BigDecimal"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/** One handled event, as printed by the server. */
export interface HandledLine {
  readonly handled: string
  readonly tag: string
  readonly key: string
  readonly event: unknown
}

/** Extra behaviour the demo injects into every handler (the server injects none). */
export type Behavior = (
  provider: string,
  key: string,
  event: unknown
) => Effect.Effect<void, DemoFailure>

/** A handler failure the demo scripts ("the database blipped"). */
export class DemoFailure extends Data.TaggedError("DemoFailure")<{ readonly message: string }> {}

export interface AppConfig {
  readonly hmacSecret?: Redacted.Redacted<string> | undefined
  readonly igvSecret?: Redacted.Redacted<string> | undefined
  readonly goldenpaySecret?: Redacted.Redacted<string> | undefined
  readonly em?: { readonly appId: string; readonly secret: Redacted.Redacted<string> } | undefined
  readonly onEvent: (line: HandledLine) => void
  readonly behavior?: Behavior | undefined
  /** Time budget override for every handler (the demo shortens it). */
  readonly timeBudget?: Duration.Input | undefined
}

/** The HMAC scheme the server mounts at `/hmac`: `X-Signature: sha256=<hex>` over `<timestamp>.<body>`. */
export const hmacOptions = (secret: Redacted.Redacted<string>) => ({
  secret,
  header: "x-signature",
  prefix: "sha256=",
  idHeader: "x-webhook-id",
  timestampHeader: "x-webhook-timestamp",
  signedContent: "timestamp.body" as const,
  tolerance: "5 minutes" as const
})

// A decimal with its scale kept ("100.00", not "100"): amounts print as the platform sent them.
const decimalText = (d: BigDecimal.BigDecimal): string => {
  if (d.scale <= 0) return (d.value * 10n ** BigInt(-d.scale)).toString()
  const negative = d.value < 0n
  const digits = (negative ? -d.value : d.value).toString().padStart(d.scale + 1, "0")
  return `${negative ? "-" : ""}${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`
}

// bigints and BigDecimals as strings, so ids and amounts print exactly. (BigDecimal has its own
// toJSON, which JSON.stringify applies before any replacer, so convert first.)
const printable = (value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (BigDecimal.isBigDecimal(value)) return decimalText(value)
  if (Array.isArray(value)) return value.map(printable)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printable(v)]))
  }
  return value
}

/** Serialises a handled event line (exact ids and amounts). */
export const formatLine = (line: HandledLine): string => JSON.stringify(printable(line))

const tagOf = (event: unknown): string =>
  typeof event === "object" && event !== null && "_tag" in event && typeof event._tag === "string" ? event._tag : "?"

/** Builds the routes for the configured providers. */
export const makeRoutes = (config: AppConfig) => {
  const report = (provider: string) => (event: unknown, context: WebhookHandler.DeliveryContext) =>
    (config.behavior?.(provider, context.key, event) ?? Effect.void).pipe(
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
    table["/goldenpay"] = defineHandler(
      GoldenPay.provider({ secret: config.goldenpaySecret }),
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
  return route(table)
}

/** The idempotency store named by `HOOKLINE_STORE` (`memory`, the default, `redis` or `postgres`). */
export const storeLayer = (
  env: NodeJS.ProcessEnv
): Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured> => {
  const kind = env.HOOKLINE_STORE ?? "memory"
  switch (kind) {
    case "memory":
      return MemoryStore.layer()
    case "redis":
      return RedisStore.layerNode({ url: Redacted.make(env.HOOKLINE_REDIS_URL ?? "redis://127.0.0.1:6379") })
    case "postgres":
      return SqlStore.layerPg({ url: Redacted.make(env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test") })
    default:
      throw new Error(`HOOKLINE_STORE must be memory, redis or postgres (got ${kind})`)
  }
}

/** Reads the provider secrets from the environment (only configured providers are mounted). */
export const configFromEnv = (env: NodeJS.ProcessEnv, onEvent: (line: HandledLine) => void): AppConfig => ({
  hmacSecret: env.HMAC_SECRET ? Redacted.make(env.HMAC_SECRET) : undefined,
  igvSecret: env.IGV_SECRET ? Redacted.make(env.IGV_SECRET) : undefined,
  goldenpaySecret: env.GOLDENPAY_SECRET ? Redacted.make(env.GOLDENPAY_SECRET) : undefined,
  em: env.EM_APP_ID && env.EM_APP_SECRET
    ? { appId: env.EM_APP_ID, secret: Redacted.make(env.EM_APP_SECRET) }
    : undefined,
  onEvent
})
