/**
 * The reference receiver as `server.ts` runs it and the framework examples mount it
 * (`examples/express`, `fastify`, `koa`, `hono`, `fetch-route`, `effect-router`): the environment
 * variables (read once, here: an invalid value stops the process with status 2), the routes, the
 * store, logging on stderr and one JSON line per handled event on stdout, the server limits, and
 * the app's own JSON route that every example serves next to the webhooks (so a global JSON body
 * parser is present).
 */
import type { DeadLetterStore, IdempotencyStore, Misconfigured, Routes, StoreUnavailable } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as http from "node:http"
import type * as net from "node:net"
import { type AppConfig, formatLine, logging, makeRoutes, storeLayer, type StoreSettings } from "./app.ts"
import { capConnections, limitsConfig, limitsProblem, type ServerLimits, serverOptions } from "./limits.ts"

/** What a server mounts. */
export interface Receiver {
  readonly routes: Routes.Routes<never>
  /** The mounted webhook paths (`/hmac`, `/igv`, …), one per configured provider. */
  readonly paths: ReadonlyArray<string>
  /**
   * The store (with its dead-letter store in the same backend) and hookline's logging (on stderr):
   * the layer to give the adapter.
   */
  readonly layer: Layer.Layer<
    IdempotencyStore.IdempotencyStore | DeadLetterStore.DeadLetterStore,
    StoreUnavailable | Misconfigured
  >
  /** The listen port from `PORT` (default 3000; 0 picks a free one). */
  readonly port: number
  /** The server limits (see `limits.ts`). */
  readonly limits: ServerLimits
  /** The limits' `node:http` options (timeouts), for `http.createServer(serverOptions, …)`. */
  readonly serverOptions: http.ServerOptions
  /** Sets the connection cap on a server (returns it). */
  readonly capConnections: <S extends net.Server>(server: S) => S
  /**
   * Prints the start-up line, `hookline <name> listening on :<port> — <paths>` (on stderr: stdout carries
   * only the handled events).
   */
  readonly listening: (name: string, address: { readonly port: number } | string | null) => void
}

const nonNegativeInt = (name: string) => Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), name)
const positiveInt = (name: string) => Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name)
const secret = (name: string) => Config.option(Config.Redacted(name))

const envConfig = Config.all({
  port: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), "PORT").pipe(
    Config.withDefault(3000)
  ),
  store: Config.Literals(["memory", "redis", "postgres"], "HOOKLINE_STORE").pipe(Config.withDefault("memory")),
  redisUrl: Config.Redacted("HOOKLINE_REDIS_URL").pipe(
    Config.withDefault(Redacted.make("redis://127.0.0.1:6379"))
  ),
  redisPrefix: Config.String("HOOKLINE_REDIS_PREFIX").pipe(Config.withDefault(RedisStore.defaultPrefix)),
  pgUrl: Config.Redacted("HOOKLINE_PG_URL").pipe(
    Config.withDefault(Redacted.make("postgres://postgres@127.0.0.1:5432/test"))
  ),
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
  stripeSecret: secret("STRIPE_WEBHOOK_SECRET"),
  limits: limitsConfig
})

/** Everything the receiver reads from the environment. */
export type Settings = Config.Success<typeof envConfig>

// "Expected an integer\n  at ["HOOKLINE_TIME_BUDGET_MS"]" → HOOKLINE_TIME_BUDGET_MS="1.5": Expected an integer
const describeProblem = (message: string, env: NodeJS.ProcessEnv): string => {
  const match = /^([\s\S]*?)\s*at \["([A-Z0-9_]+)"\]\s*$/.exec(message)
  if (match === null) return message
  const name = match[2]!
  // Secrets and URLs (which may hold a password) are never echoed.
  const shown = /SECRET|URL/.test(name) ? "<redacted>" : JSON.stringify(env[name])
  return `${name}=${shown}: ${match[1]}`
}

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).flatMap(([name, value]) => value === undefined ? [] : [[name, value]]))

/** Reads the settings; a value that cannot be used is an error naming the variable. */
export const settingsFromEnv = (env: NodeJS.ProcessEnv): Result.Result<Settings, string> =>
  Effect.runSync(Effect.result(
    envConfig.parse(ConfigProvider.fromEnv({ env: definedOnly(env) })).pipe(
      Effect.mapError((error) => describeProblem(error.cause.message, env)),
      Effect.flatMap((settings) => {
        const problem = limitsProblem(settings.limits)
        return problem === undefined ? Effect.succeed(settings) : Effect.fail(problem)
      })
    )
  ))

/** The store the settings name. */
export const storeSettings = (settings: Settings): StoreSettings =>
  settings.store === "redis"
    ? { kind: "redis", url: settings.redisUrl, prefix: settings.redisPrefix }
    : settings.store === "postgres"
    ? { kind: "postgres", url: settings.pgUrl }
    : { kind: "memory" }

/** The application configuration the settings describe (providers with a secret are mounted). */
export const appConfig = (settings: Settings, onEvent: AppConfig["onEvent"]): AppConfig => ({
  hmacSecret: Option.getOrUndefined(settings.hmacSecret),
  igvSecret: Option.getOrUndefined(settings.igvSecret),
  goldenpaySecret: Option.getOrUndefined(settings.goldenpaySecret),
  em: Option.isSome(settings.emAppId) && Option.isSome(settings.emSecret)
    ? { appId: settings.emAppId.value, secret: settings.emSecret.value }
    : undefined,
  githubSecret: Option.getOrUndefined(settings.githubSecret),
  shopifySecret: Option.getOrUndefined(settings.shopifySecret),
  standardWebhooksSecret: Option.getOrUndefined(settings.standardWebhooksSecret),
  stripeSecret: Option.getOrUndefined(settings.stripeSecret),
  handlerDelay: settings.handlerDelay,
  timeBudget: Option.getOrUndefined(settings.timeBudget),
  onEvent
})

const exit2 = (message: string): never => {
  process.stderr.write(`${message}\n`)
  return process.exit(2)
}

/**
 * Reads the configuration from the environment; exits with status 2 and a message on stderr when a
 * variable holds a value that cannot be used, or when no provider is configured.
 */
export const receiverFromEnv = (env: NodeJS.ProcessEnv = process.env): Receiver => {
  const settings = Result.getOrElse(
    settingsFromEnv(env),
    (problem) => exit2(`hookline: invalid configuration: ${problem}`)
  )
  const routes = makeRoutes(appConfig(settings, (line) => process.stdout.write(`${formatLine(line)}\n`)))
  if (routes.handlers.size === 0) {
    exit2(
      "No provider configured: set HMAC_SECRET (and/or IGV_SECRET, GOLDENPAY_SECRET, EM_APP_ID + EM_APP_SECRET, GITHUB_WEBHOOK_SECRET, SHOPIFY_WEBHOOK_SECRET, STANDARD_WEBHOOKS_SECRET, STRIPE_WEBHOOK_SECRET)"
    )
  }
  const paths = [...routes.handlers.keys()]
  return {
    routes,
    paths,
    // Provided to the store too, so its own logs (a Redis client's connection errors) go to stderr.
    layer: storeLayer(storeSettings(settings)).pipe(Layer.provideMerge(logging)),
    port: settings.port,
    limits: settings.limits,
    serverOptions: serverOptions(settings.limits),
    capConnections: (server) => capConnections(server, settings.limits),
    listening: (name, address) => {
      const bound = typeof address === "object" && address !== null ? address.port : address
      process.stderr.write(`hookline ${name} listening on :${bound} — ${paths.join(", ")}\n`)
    }
  }
}

/**
 * Starts hookline before the server listens (`listener.start()`): a configuration problem — a
 * malformed store URL, a secret that cannot be read — exits with status 2 and the problem on
 * stderr, instead of answering every delivery "retry". A store that cannot be reached yet is only
 * reported: deliveries are answered "retry" until it is back (the next request tries again).
 */
export const startOrExit = (webhooks: { readonly start: () => Promise<void> }): Promise<void> =>
  webhooks.start().catch((error: unknown) => {
    if (Predicate.isTagged(error, "Misconfigured")) exit2(`hookline: cannot start: ${String(error)}`)
    process.stderr.write(
      `hookline: the store is not reachable yet; deliveries are answered "retry": ${String(error)}\n`
    )
  })

/** The app's own JSON route, served next to the webhooks by every example. */
export const ordersPath = "/orders"

/** The JSON route's answer: what the app's JSON body parser made of the body. */
export const ordersReply = (parsed: unknown) => ({ accepted: parsed })

/**
 * Graceful shutdown on SIGINT/SIGTERM: says so on stderr, runs the steps in order (stop the server,
 * dispose hookline: it waits for handlers still running, then closes the store), then exits 0 (1
 * when a step failed).
 */
export const onShutdown = (...steps: ReadonlyArray<() => unknown>): void => {
  const shutdown = (signal: NodeJS.Signals) => {
    process.stderr.write(`hookline: ${signal}, shutting down\n`)
    void steps.reduce<Promise<unknown>>((done, step) => done.then(step), Promise.resolve())
      .then(() => process.exit(0), (error: unknown) => {
        process.stderr.write(`hookline: shutdown failed: ${String(error)}\n`)
        process.exit(1)
      })
  }
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
}
