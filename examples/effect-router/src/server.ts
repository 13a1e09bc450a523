/**
 * hookline in an Effect `HttpRouter` app on `NodeHttpServer`: `npm start -w examples/effect-router`.
 * Every configured provider at `POST /<provider>` (`HooklineHttp.layer`), next to the app's own
 * JSON route `POST /orders`. Environment variables and output: see examples/node-http.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { HooklineHttp } from "@hookline/core/http"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import { logging } from "../../node-http/src/app.ts"
import { ordersPath, ordersReply, receiverFromEnv } from "../../node-http/src/receiver.ts"

const { capConnections, layer, listening, port, routes, serverOptions } = receiverFromEnv()

// The webhook routes read the exact body themselves (with the provider's body limit); the store is
// their request requirement, given to them alone here (or provide it to the whole served app).
const Webhooks = HooklineHttp.layer(routes).pipe(HttpRouter.provideRequest(layer))

const Orders = HttpRouter.add(
  "POST",
  ordersPath,
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    return yield* HttpServerResponse.json(ordersReply(yield* request.json))
  })
)

const Listening = Layer.effectDiscard(
  Effect.map(
    HttpServer.HttpServer,
    (server) => listening("effect-router example", "port" in server.address ? server.address : String(server.address))
  )
)

// SIGINT/SIGTERM interrupt the app: the server stops and the webhook layer waits for handlers still
// running before the store closes.
Layer.mergeAll(
  HttpRouter.serve(Layer.mergeAll(Webhooks, Orders), { disableLogger: true, disableListenLog: true }),
  Listening
).pipe(
  // The timeouts and the connection cap on the server NodeHttpServer listens with: see
  // examples/node-http/src/limits.ts.
  Layer.provide(NodeHttpServer.layer(() => capConnections(createServer(serverOptions)), { port })),
  // The whole app logs on stderr (the webhook layer gets the same through `layer`).
  Layer.provide(logging),
  Layer.launch,
  NodeRuntime.runMain
)
