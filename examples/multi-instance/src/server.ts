/**
 * One receiver instance: `npm run server -w @hookline/example-multi-instance`. Serves core's HMAC
 * provider at `POST /hmac` and prints one JSON line per handled event on stdout; the start-up line
 * (`{"event":"listening",…}`) and hookline's logs go to stderr. Start several, on different ports,
 * sharing one Redis.
 *
 *   PORT                 listen port (default 3000; 0 picks a free one)
 *   INSTANCE             name shown in the output (default pid-<pid>)
 *   HMAC_SECRET          the shared signing secret (required)
 *   HOOKLINE_STORE       redis (default) | memory — see stores.ts
 *   HOOKLINE_REDIS_URL   default redis://127.0.0.1:6379
 *   WORK_MS              how long the handler works (default 200), so duplicates overlap
 */
import { defineHandler, Hmac, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import { logging } from "../../node-http/src/app.ts"
import { capConnections, defaultLimits, serverOptions } from "../../node-http/src/limits.ts"
import { startOrExit } from "../../node-http/src/receiver.ts"
import { isStoreKind, storeLayer } from "./stores.ts"

const env = process.env
const instance = env.INSTANCE ?? `pid-${process.pid}`
const store = env.HOOKLINE_STORE ?? "redis"
if (!isStoreKind(store)) {
  process.stderr.write(`HOOKLINE_STORE must be redis or memory (got ${store})\n`)
  process.exit(2)
}
const work = Duration.millis(Number(env.WORK_MS ?? 200))

const hmac = defineHandler(
  Hmac.provider({ secret: Config.Redacted("HMAC_SECRET") }),
  (event, context) =>
    Effect.gen(function*() {
      // The business effect would go here (ship the order, credit the account, …).
      yield* Effect.sleep(work)
      yield* Console.log(
        JSON.stringify({ event: "handled", instance, pid: process.pid, key: context.key, id: event.id })
      )
    })
)

// hookline's logs on stderr, as in examples/node-http: stdout carries only the handled events.
const listener = toNodeListener(route({ "/hmac": hmac }), storeLayer(store, env).pipe(Layer.provideMerge(logging)))
await startOrExit(listener)
// The reference receiver's server limits (timeouts, connection cap), at their defaults.
const server = capConnections(http.createServer(serverOptions(defaultLimits), listener), defaultLimits)
server.listen(Number(env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stderr.write(`${JSON.stringify({ event: "listening", instance, pid: process.pid, port, store })}\n`)
})

// Graceful shutdown: stop accepting, wait for requests and background handlers, close the store.
const shutdown = () => {
  server.close()
  void listener.dispose().then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
