/**
 * hookline in a Koa 3 app: `npm start -w examples/koa`. Every configured provider at
 * `POST /<provider>`, next to the app's own JSON route `POST /orders` behind a global
 * `@koa/bodyparser`. Environment variables and output: see examples/node-http.
 */
import { toNodeListener } from "@hookline/core/node"
import { bodyParser } from "@koa/bodyparser"
import Router from "@koa/router"
import Koa from "koa"
import * as http from "node:http"
import { onShutdown, ordersPath, ordersReply, receiverFromEnv, startOrExit } from "../../node-http/src/receiver.ts"

const { capConnections, layer, listening, paths, port, routes, serverOptions } = receiverFromEnv()
const webhooks = toNodeListener(routes, layer)
await startOrExit(webhooks)
const app = new Koa()

// The webhook router comes BEFORE the body parser: hookline reads the exact bytes from the Node
// request and writes the Node response itself (`ctx.respond = false`).
const hooks = new Router()
hooks.post([...paths], (ctx) => {
  ctx.respond = false
  webhooks(ctx.req, ctx.res)
})
app.use(hooks.routes())

app.use(bodyParser())
const api = new Router()
api.post(ordersPath, (ctx) => {
  ctx.body = ordersReply(ctx.request.body)
})
app.use(api.routes())

// `app.listen` would create the server with Node's defaults; the limits need the options at creation
// (timeouts) and a property (connection cap): see examples/node-http/src/limits.ts.
const server = capConnections(http.createServer(serverOptions, app.callback()))
server.listen(port, () => listening("koa example", server.address()))
onShutdown(() => server.close(), webhooks.dispose)
