/**
 * Serves the fetch-style route handlers of `routes.ts` on `node:http`: `npm start -w
 * examples/fetch-route`. Next.js, Remix, Bun or Deno do this part themselves; here a minimal
 * bridge turns the Node request into a `Request` (its body a stream, unread) and writes the
 * `Response` back. Environment variables and output: see examples/node-http.
 */
import * as http from "node:http"
import { Readable } from "node:stream"
import { onShutdown, startOrExit } from "../../node-http/src/receiver.ts"
import { capConnections, listening, port, POST, serverOptions, webhooks } from "./routes.ts"

await startOrExit(webhooks)

const toRequest = (req: http.IncomingMessage): Request => {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const hasBody = req.method !== "GET" && req.method !== "HEAD"
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method ?? "GET",
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {})
  })
}

const send = async (req: http.IncomingMessage, res: http.ServerResponse, response: Response): Promise<void> => {
  const body = Buffer.from(await response.arrayBuffer())
  // A route may answer without reading the body (hookline refuses a declared length over the limit
  // before reading a byte): close that connection instead of leaving it half-read for the next request.
  const close = req.complete ? {} : { connection: "close" }
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...close })
  res.end(body)
}

// The timeouts and the connection cap: see examples/node-http/src/limits.ts.
const server = capConnections(http.createServer(serverOptions, (req, res) => {
  const route = req.method === "POST" ? POST.get(new URL(req.url ?? "/", "http://localhost").pathname) : undefined
  const answer = route === undefined ? Promise.resolve(new Response(null, { status: 404 })) : route(toRequest(req))
  answer.then((response) => send(req, res, response)).catch(() => send(req, res, new Response(null, { status: 500 })))
}))
server.listen(port, () => listening("fetch-route example", server.address()))

onShutdown(() => server.close(), webhooks.dispose)
