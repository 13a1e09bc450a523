/**
 * One contender as its own server process: `node --conditions=@hookline/source src/server.ts <name>`.
 * Listens on an ephemeral port of 127.0.0.1 and prints `{"port":N}` on stdout; SIGTERM closes it.
 * The bench starts it pinned to one CPU (`taskset -c 0`).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { type ContenderName, contenderNames, makeContender } from "./contenders.ts"

const name = process.argv[2] as ContenderName | undefined
if (name === undefined || !contenderNames.includes(name)) {
  console.error(`usage: server.ts <${contenderNames.join("|")}>`)
  process.exit(2)
}
const contender = makeContender(name)
const server = http.createServer({ keepAliveTimeout: 60_000 }, contender.listener)
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }))
})
process.once("SIGTERM", () => {
  server.closeAllConnections()
  server.close()
  // process.exit runs the exit hooks, so --cpu-prof writes its profile.
  void contender.dispose().then(() => process.exit(0), () => process.exit(0))
})
