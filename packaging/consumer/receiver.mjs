// A receiver as a JavaScript user writes it: plain ESM, no TypeScript, the packages as installed
// from their tarballs. Run by packaging/test/Packaging.test.ts inside a fresh folder outside the
// workspace. stdout carries one JSON line when listening ({ port }) and one per handled event
// ({ orderId, type }); hookline's logs go to stderr.
import { defineHandler, Hmac } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import { Config, Effect, Layer, Logger } from "effect"
import * as http from "node:http"

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

const orders = defineHandler(
  Hmac.provider({ secret: Config.Redacted("WEBHOOK_SECRET") }),
  (event) => Effect.sync(() => say({ orderId: String(event.payload.orderId), type: typeof event.payload.orderId }))
)

const listener = toNodeListener(orders, Layer.merge(MemoryStore.layer(), Layer.succeed(Logger.LogToStderr, true)))
await listener.start()
const server = http.createServer(listener)
server.listen(0, "127.0.0.1", () => say({ port: server.address().port }))
process.once("SIGTERM", () => {
  server.close()
  listener.dispose().then(() => process.exit(0))
})
