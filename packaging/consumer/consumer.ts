// A TypeScript user's module, type-checked by packaging/test/Packaging.test.ts against the installed
// tarballs (module/moduleResolution nodenext, strict, noUnusedLocals): each import must resolve to
// the published declarations, and the types must arrive as the packages declare them — the
// assignments below fail to compile if an event or a payload collapses to `unknown`/`any`.
import { defineHandler, Hmac, type Outcome, route, SignatureInvalid } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { LosslessJson, Signing } from "@hookline/core/provider"
import { Igv } from "@hookline/provider-igv"
import { MemoryStore } from "@hookline/store-memory"
import { Config, Effect, type Result } from "effect"
import * as http from "node:http"

const shipped: Array<string> = []

const orders = defineHandler(Igv.provider({ secret: Config.Redacted("IGV_SECRET") }), {
  OrderPendingDelivery: (event) => Effect.sync(() => shipped.push(event.orderId)),
  UnknownStatus: (event) => Effect.logWarning(`new iGV status ${event.status}`)
})

const github = defineHandler(
  Hmac.provider({ secret: Config.Redacted("GITHUB_SECRET"), header: "x-hub-signature-256", prefix: "sha256=" }),
  (event) => Effect.log(`delivery ${event.id}`, event.payload)
)

// The provider author's toolkit: lossless parsing and constant-time comparison.
const parsed: Result.Result<LosslessJson.Json, unknown> = LosslessJson.parse(`{"id":9007199254740993}`)
const mac: Uint8Array = Signing.hmac("sha256", "secret", new TextEncoder().encode("body"))

export const describe = (outcome: Outcome.Outcome): string => outcome._tag
export const refused = new SignatureInvalid({ message: "Signature does not match" })

const listener = toNodeListener(route({ "/igv": orders, "/github": github }), MemoryStore.layer())
export const server = http.createServer(listener)
export const checks = { parsed, mac }
