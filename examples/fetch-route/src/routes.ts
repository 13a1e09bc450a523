/**
 * The app's route handlers, each a `(request: Request) => Promise<Response>` as Next.js
 * (`app/<provider>/route.ts`: `export const POST = webhooks`), Remix actions, Bun (`Bun.serve`) and
 * Deno (`Deno.serve`) take them. The webhook handler serves every configured provider by path.
 */
import { toWebHandler } from "@hookline/core/web"
import { ordersPath, ordersReply, receiverFromEnv } from "../../node-http/src/receiver.ts"

const receiver = receiverFromEnv()

/** Every configured provider, by path (`/hmac`, `/igv`, …): the hookline route handler. */
export const webhooks = toWebHandler(receiver.routes, receiver.layer)

/** The app's own JSON route (400 for a body that is not JSON). */
export const orders = (request: Request): Promise<Response> =>
  request.json().then(
    (parsed) => Response.json(ordersReply(parsed)),
    () => Response.json({ error: "invalid JSON" }, { status: 400 })
  )

/** `POST` route handlers by path, as a file-system router would find them. */
export const POST: ReadonlyMap<string, (request: Request) => Promise<Response>> = new Map([
  ...receiver.paths.map((path) => [path, webhooks] as const),
  [ordersPath, orders]
])

export const { capConnections, listening, port, serverOptions } = receiver
