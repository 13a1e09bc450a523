/**
 * A private Redis Sentinel setup for tests: one master and one replica started from the local
 * `redis-server` on free ports of 127.0.0.1, and one Sentinel (`redis-server <conf> --sentinel`)
 * monitoring them as `mymaster` with a 1 s `down-after-milliseconds`. Ready once the Sentinel knows
 * the replica and the replica is synchronised. A missing binary is an error, never a skip.
 */
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { freePort, type RedisServer, start as startServer } from "./RedisServer.ts"

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface RedisSentinel {
  /** The name the Sentinel monitors the master under. */
  readonly name: string
  /** The Sentinel's port. */
  readonly sentinelPort: number
  readonly master: RedisServer
  readonly replica: RedisServer
  /** The port of the master as the Sentinel reports it now. */
  readonly masterPort: () => Promise<number>
  /**
   * `SENTINEL FAILOVER`: the replica is promoted and the old master made its replica. Resolves once
   * the Sentinel reports the new master and it answers as one.
   */
  readonly failover: () => Promise<number>
  readonly stop: () => Promise<void>
}

const cli = async (port: number, ...args: ReadonlyArray<string>) =>
  (await run("redis-cli", ["-p", String(port), ...args], { timeout: 10_000 })).stdout

const until = async (what: string, check: () => Promise<boolean>) => {
  const deadline = Date.now() + 30_000
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Sentinel setup: ${what} did not happen within 30 s`)
    await sleep(100)
  }
}

export const start = async (): Promise<RedisSentinel> => {
  const name = "mymaster"
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookline-redis-sentinel-"))
  const started: Array<RedisServer> = []
  let sentinel: ReturnType<typeof spawn> | undefined
  const stop = async () => {
    if (sentinel !== undefined && sentinel.exitCode === null) {
      const exited = new Promise((resolve) => sentinel!.once("exit", resolve))
      sentinel.kill("SIGKILL")
      await exited
    }
    await Promise.all(started.map((server) => server.stop()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    const own = (what: string) => {
      fs.mkdirSync(path.join(dir, what))
      return path.join(dir, what)
    }
    const master = await startServer({ args: ["--dir", own("master")] })
    started.push(master)
    const replica = await startServer({
      args: ["--dir", own("replica"), "--replicaof", "127.0.0.1", String(master.port)]
    })
    started.push(replica)
    const sentinelPort = await freePort()
    // The Sentinel rewrites its config file: it lives in the temporary directory.
    const conf = path.join(dir, "sentinel.conf")
    fs.writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        ""
      ].join("\n")
    )
    sentinel = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" })
    const spawned = sentinel
    await new Promise<void>((resolve, reject) => {
      spawned.once("spawn", () => resolve())
      spawned.once("error", (error) => reject(new Error(`cannot run redis-server --sentinel: ${error.message}`)))
    })
    process.once("exit", () => spawned.kill("SIGKILL"))
    await until(
      "replica synchronised",
      async () => (await cli(replica.port, "INFO", "replication")).includes("master_link_status:up")
    )
    await until(
      "the Sentinel sees the replica",
      async () => (await cli(sentinelPort, "SENTINEL", "REPLICAS", name)).includes(String(replica.port))
    )
    const masterPort = async () =>
      Number((await cli(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)).trim().split("\n")[1])
    const failover = async () => {
      const before = await masterPort()
      await cli(sentinelPort, "SENTINEL", "FAILOVER", name)
      let after = before
      await until("the failover", async () => {
        after = await masterPort()
        return after !== before && (await cli(after, "INFO", "replication")).includes("role:master")
      })
      return after
    }
    return { name, sentinelPort, master, replica, masterPort, failover, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
