/**
 * The reference receiver as the framework examples mount it (`examples/express`, `fastify`, `koa`,
 * `hono`, `fetch-route`, `effect-router`): the same environment variables, routes, store and
 * one-JSON-line-per-handled-event output as this package's `server.ts`, plus the app's own JSON
 * route that every example serves next to the webhooks (so a global JSON body parser is present).
 */
import type { IdempotencyStore, Misconfigured, Routes, StoreUnavailable } from "@hookline/core"
import type * as Layer from "effect/Layer"
import { configFromEnv, formatLine, makeRoutes, storeLayer } from "./app.ts"

/** What a framework example mounts. */
export interface Receiver {
  readonly routes: Routes.Routes<never>
  /** The mounted webhook paths (`/hmac`, `/igv`, …), one per configured provider. */
  readonly paths: ReadonlyArray<string>
  readonly layer: Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured>
  /** The listen port from `PORT` (default 3000; 0 picks a free one). */
  readonly port: number
  /** Prints the start-up line with the bound port (on stderr; stdout carries the handled events). */
  readonly listening: (stack: string, address: { readonly port: number } | string | null) => void
}

/**
 * Reads the configuration from the environment; exits with status 2 when no provider is
 * configured (as the reference receiver does).
 */
export const receiverFromEnv = (env: NodeJS.ProcessEnv = process.env): Receiver => {
  const routes = makeRoutes(configFromEnv(env, (line) => process.stdout.write(`${formatLine(line)}\n`)))
  if (routes.handlers.size === 0) {
    process.stderr.write(
      "No provider configured: set HMAC_SECRET (and/or IGV_SECRET, GOLDENPAY_SECRET, EM_APP_ID + EM_APP_SECRET)\n"
    )
    process.exit(2)
  }
  const paths = [...routes.handlers.keys()]
  return {
    routes,
    paths,
    layer: storeLayer(env),
    port: Number(env.PORT ?? 3000),
    listening: (stack, address) => {
      const bound = typeof address === "object" && address !== null ? address.port : address
      process.stderr.write(`hookline ${stack} example listening on :${bound} — ${paths.join(", ")}\n`)
    }
  }
}

/** The app's own JSON route, served next to the webhooks by every example. */
export const ordersPath = "/orders"

/** The JSON route's answer: what the app's JSON body parser made of the body. */
export const ordersReply = (parsed: unknown) => ({ accepted: parsed })

/**
 * Graceful shutdown on SIGINT/SIGTERM: runs the steps in order (stop the server, dispose hookline:
 * it waits for handlers still running, then closes the store), then exits 0.
 */
export const onShutdown = (...steps: ReadonlyArray<() => unknown>): void => {
  const shutdown = () =>
    void steps.reduce<Promise<unknown>>((done, step) => done.then(step), Promise.resolve())
      .then(() => process.exit(0), () => process.exit(1))
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
}
