/**
 * The reference receiver: `npm run example:server`. Mounts each configured provider at
 * `POST /<provider>` (GoldenPay: `/goldenpay` for collects, `/goldenpay/payout`) and prints one JSON line per handled event on stdout; everything else (the
 * start-up line, hookline's logs, errors) goes to stderr. Environment variables: see README.md and
 * `receiver.ts` (an invalid value exits with status 2).
 */
import { toNodeListener } from "@hookline/core/node"
import * as http from "node:http"
import { onShutdown, receiverFromEnv, startOrExit } from "./receiver.ts"

const receiver = receiverFromEnv()
const listener = toNodeListener(receiver.routes, receiver.layer)
// Connect the store and read the configuration now: a malformed store URL exits 2 here.
await startOrExit(listener)
// The timeouts (headers, whole request, idle keep-alive) and the connection cap: see limits.ts.
const server = receiver.capConnections(http.createServer(receiver.serverOptions, listener))
server.listen(receiver.port, () => receiver.listening("reference receiver", server.address()))

// Graceful shutdown, in this order: stop accepting connections (idle keep-alive ones are closed),
// then wait for requests and background handlers and close the store.
onShutdown(() => server.close(), listener.dispose)
