/**
 * hookline in an Express 5 app: `npm start -w examples/express`. Every configured provider at
 * `POST /<provider>`, next to the app's own JSON route `POST /orders` behind a global
 * `express.json()`. Environment variables and output: see examples/node-http.
 */
import { toNodeListener } from "@hookline/core/node"
import express from "express"
import * as http from "node:http"
import { onShutdown, ordersPath, ordersReply, receiverFromEnv, startOrExit } from "../../node-http/src/receiver.ts"

const { capConnections, layer, listening, paths, port, routes, serverOptions } = receiverFromEnv()
const webhooks = toNodeListener(routes, layer)
await startOrExit(webhooks)

const app = express()
// The webhook routes come BEFORE the global JSON parser: hookline reads the exact bytes itself
// (with the provider's body limit, not express.json()'s 100 KB).
app.post([...paths], webhooks)
app.use(express.json())
app.post(ordersPath, (req, res) => {
  res.json(ordersReply(req.body))
})

// `app.listen` would create the server with Node's defaults; the limits need the options at creation
// (timeouts) and a property (connection cap): see examples/node-http/src/limits.ts.
const server = capConnections(http.createServer(serverOptions, app))
server.listen(port, () => listening("express example", server.address()))
onShutdown(() => server.close(), webhooks.dispose)
