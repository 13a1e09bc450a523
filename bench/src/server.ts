/**
 * One contender as its own server process: `node --conditions=@hookline/source src/server.ts <name>`.
 * Listens on an ephemeral port of 127.0.0.1 once the contender is ready (store connected) and prints
 * `{"port":N}` on stdout; SIGTERM closes it. The bench starts it pinned to one CPU (`taskset -c 0`).
 * The Redis contenders read their server from `BENCH_REDIS_URL`.
 *
 * With `BENCH_PROFILE=<file>`, SIGUSR2 starts the V8 CPU profiler (after the warm-up, so start-up
 * and JIT are left out) and SIGTERM writes the profile to `<file>` before exiting.
 */
import { writeFileSync } from "node:fs"
import * as http from "node:http"
import { Session } from "node:inspector/promises"
import type { AddressInfo } from "node:net"
import { type ContenderName, contenderNames, makeContender } from "./contenders.ts"

const name = process.argv[2] as ContenderName | undefined
if (name === undefined || !contenderNames.includes(name)) {
  console.error(`usage: server.ts <${contenderNames.join("|")}>`)
  process.exit(2)
}
const contender = makeContender(name, { redisUrl: process.env["BENCH_REDIS_URL"] })
const server = http.createServer({ keepAliveTimeout: 60_000 }, contender.listener)
await contender.ready
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }))
})

const profileFile = process.env["BENCH_PROFILE"]
let stopProfile = async (): Promise<void> => {}
if (profileFile !== undefined) {
  const session = new Session()
  session.connect()
  process.on("SIGUSR2", () => {
    void (async () => {
      await session.post("Profiler.enable")
      await session.post("Profiler.setSamplingInterval", { interval: 200 })
      await session.post("Profiler.start")
      stopProfile = async () => {
        const { profile } = await session.post("Profiler.stop")
        writeFileSync(profileFile, JSON.stringify(profile))
      }
    })()
  })
}

process.once("SIGTERM", () => {
  void (async () => {
    await stopProfile()
    server.closeAllConnections()
    server.close()
    await contender.dispose().catch(() => undefined)
    process.exit(0)
  })()
})
