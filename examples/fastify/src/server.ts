/**
 * hookline in a Fastify 5 app: `npm start -w examples/fastify`. Every configured provider at
 * `POST /<provider>`, next to the app's own JSON route `POST /orders` served by Fastify's default
 * JSON parser. Environment variables and output: see examples/node-http.
 */
import { toNodeListener } from "@hookline/core/node"
import Fastify from "fastify"
import { onShutdown, ordersPath, ordersReply, receiverFromEnv, startOrExit } from "../../node-http/src/receiver.ts"

const { capConnections, layer, limits, listening, port, routes, serverOptions } = receiverFromEnv()
const webhooks = toNodeListener(routes, layer)
await startOrExit(webhooks)
// Fastify sets requestTimeout and keepAliveTimeout itself (its keep-alive default is 72 s, not Node's
// 5 s); the headers timeout and the checking interval go to node:http through `http`. No
// connectionTimeout (socket inactivity): while a handler works nothing moves on the socket, and a
// handler may take its whole time budget. See examples/node-http/src/limits.ts.
const app = Fastify({
  requestTimeout: limits.requestTimeout,
  keepAliveTimeout: limits.keepAliveTimeout,
  http: serverOptions
})

// The webhook routes live in their own plugin (Fastify encapsulation): there, every content type is
// read as the exact bytes (a Buffer), while the rest of the app keeps Fastify's JSON parser. Each
// route's bodyLimit is the provider's, so Fastify's own limit (1 MiB by default) does not decide.
await app.register(async (scope) => {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body))
  for (const [path, handler] of routes.handlers) {
    scope.post(path, { bodyLimit: handler.settings.bodyLimit }, (request, reply) => {
      reply.hijack() // hookline writes the response itself
      webhooks.deliver(request.raw, reply.raw, request.body instanceof Uint8Array ? request.body : new Uint8Array(0))
    })
  }
})

app.post(ordersPath, async (request) => ordersReply(request.body))

capConnections(app.server)
await app.listen({ port, host: "0.0.0.0" })
listening("fastify example", app.server.address())
onShutdown(() => app.close(), webhooks.dispose)
