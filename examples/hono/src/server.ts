/**
 * hookline in a Hono app on `@hono/node-server`: `npm start -w examples/hono`. Every configured
 * provider at `POST /<provider>` through `toWebHandler`, next to the app's own JSON route
 * `POST /orders` (`c.req.json()`). Environment variables and output: see examples/node-http.
 */
import { serve } from "@hono/node-server"
import { toWebHandler } from "@hookline/core/web"
import { Hono } from "hono"
import { onShutdown, ordersPath, ordersReply, receiverFromEnv, startOrExit } from "../../node-http/src/receiver.ts"

const { capConnections, layer, listening, paths, port, routes, serverOptions } = receiverFromEnv()
const webhooks = toWebHandler(routes, layer)
await startOrExit(webhooks)
const app = new Hono()

// The untouched `Request` (`c.req.raw`): hookline reads its exact bytes, with the provider's body
// limit. No middleware may read the body of these routes first (`c.req.json()`, validators).
for (const path of paths) app.post(path, (c) => webhooks(c.req.raw))

app.post(ordersPath, async (c) => c.json(ordersReply(await c.req.json())))

// `serverOptions` reach node:http's createServer (timeouts); the connection cap is a property of the
// server: see examples/node-http/src/limits.ts.
const server = capConnections(
  serve({ fetch: app.fetch, port, serverOptions }, (info) => listening("hono example", info))
)
onShutdown(() => server.close(), webhooks.dispose)
