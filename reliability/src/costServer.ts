/**
 * The receiver of the pre-verification cost run (`PreVerification.ts`): the four providers on
 * their default body limits, GoldenPay and EM again with the limit raised to 1 MiB, on a memory
 * store, behind `node:http`. `GET /cpu` answers this process's `process.cpuUsage()`, so the driver
 * measures the receiver's CPU alone (not its own, spent building and sending the requests).
 *
 *   SECRET    the signing secret of every provider;  EM_APP_ID  EM's app id
 *
 * Logs (the rejections at Warning among them, as in production) go to stderr; stdout carries the
 * `listening` line only.
 */
import { defineHandler, Hmac, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"
import { hmacOptions, raisedLimit } from "./PreVerification.ts"

const secretText = process.env.SECRET
const appId = process.env.EM_APP_ID
if (secretText === undefined || appId === undefined) {
  process.stderr.write("SECRET and EM_APP_ID are required\n")
  process.exit(2)
}
const secret = Redacted.make(secretText)
const handle = () => Effect.void

const routes = route({
  "/goldenpay": defineHandler(GoldenPay.provider({ secret, kind: "collect" }), handle),
  "/goldenpay-1m": defineHandler(GoldenPay.provider({ secret, kind: "collect", name: "goldenpay-1m" }), handle, {
    bodyLimit: raisedLimit
  }),
  "/em": defineHandler(Em.provider({ appId, secret }), handle),
  "/hmac": defineHandler(Hmac.provider({ ...hmacOptions, secret }), handle),
  "/igv": defineHandler(Igv.provider({ secret }), handle)
})
// EM takes no provider name, and `route` refuses two handlers of one name (one key namespace):
// the raised-limit EM route gets a listener of its own.
const emRaised = defineHandler(Em.provider({ appId, secret }), handle, { bodyLimit: raisedLimit })

const layer = Layer.mergeAll(MemoryStore.layer(), Layer.succeed(Logger.LogToStderr, true))
const listener = toNodeListener(routes, layer)
const emRaisedListener = toNodeListener(emRaised, layer)
await Promise.all([listener.start(), emRaisedListener.start()])
const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/cpu") {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(process.cpuUsage()))
    return
  }
  if (req.url === "/em-1m") emRaisedListener(req, res)
  else listener(req, res)
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`${JSON.stringify({ event: "listening", pid: process.pid, port })}\n`)
})
const shutdown = () => {
  server.close()
  void Promise.all([listener.dispose(), emRaisedListener.dispose()]).then(() => process.exit(0))
}
process.once("SIGTERM", shutdown)
process.once("SIGINT", shutdown)
