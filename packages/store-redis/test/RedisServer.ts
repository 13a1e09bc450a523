/**
 * The private `redis-server` of the repository's test support (tests that stop, freeze, restart or
 * count commands on their server), the shared test Redis's URL, and a scoped server for Effect
 * tests.
 */
import * as Effect from "effect/Effect"
import { type RedisServerOptions, start } from "../../../test-support/RedisServer.ts"

export { type Monitor, monitor, type RedisServer, start } from "../../../test-support/RedisServer.ts"

/** The URL of the shared test Redis. */
export const sharedUrl = process.env["HOOKLINE_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A private server for the current scope. */
export const scoped = (options?: RedisServerOptions) =>
  Effect.acquireRelease(
    Effect.promise(() => start(options)),
    (server) =>
      Effect.promise(async () => {
        server.thaw()
        await server.stop()
      })
  )
