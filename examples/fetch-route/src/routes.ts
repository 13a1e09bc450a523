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

/** The app's own JSON route. */
export const orders = async (request: Request): Promise<Response> => Response.json(ordersReply(await request.json()))

/** `POST` route handlers by path, as a file-system router would find them. */
export const POST: ReadonlyMap<string, (request: Request) => Promise<Response>> = new Map([
  ...receiver.paths.map((path) => [path, webhooks] as const),
  [ordersPath, orders]
])

export const { listening, port } = receiver
