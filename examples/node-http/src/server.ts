/**
 * The reference receiver: `npm run example:server`. Mounts each configured provider at
 * `POST /<provider>` and prints one JSON line per handled event.
 *
 *   PORT            listen port (default 3000)
 *   HOOKLINE_STORE  memory (default) | redis (HOOKLINE_REDIS_URL) | postgres (HOOKLINE_PG_URL)
 *   HMAC_SECRET     mounts /hmac
 *   IGV_SECRET      mounts /igv
 *   GOLDENPAY_SECRET  mounts /goldenpay
 *   EM_APP_ID + EM_APP_SECRET  mount /em
 */
import { toNodeListener } from "@hookline/core/node"
import * as http from "node:http"
import { configFromEnv, formatLine, makeRoutes, storeLayer } from "./app.ts"

const port = Number(process.env.PORT ?? 3000)
const config = configFromEnv(process.env, (line) => process.stdout.write(`${formatLine(line)}\n`))
const routes = makeRoutes(config)
if (routes.handlers.size === 0) {
  process.stderr.write(
    "No provider configured: set HMAC_SECRET (and/or IGV_SECRET, GOLDENPAY_SECRET, EM_APP_ID + EM_APP_SECRET)\n"
  )
  process.exit(2)
}
const listener = toNodeListener(routes, storeLayer(process.env))
const server = http.createServer(listener).listen(port, () => {
  const address = server.address()
  const actual = typeof address === "object" && address !== null ? address.port : port
  process.stderr.write(
    `hookline reference receiver listening on :${actual} — ${[...routes.handlers.keys()].join(", ")}\n`
  )
})

// Graceful shutdown: stop accepting, wait for requests and background handlers, close the store.
const shutdown = () => {
  server.close()
  void listener.dispose().then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
