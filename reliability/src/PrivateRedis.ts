/**
 * A private `redis-server` for one run, on a free port, with an append-only file fsynced on every
 * write: the run kills and restarts it (a crash, not a clean shutdown) without touching the shared
 * Redis on 6379.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.setTimeout(500)
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.once("data", (data) => {
      socket.destroy()
      resolve(data.toString().startsWith("+PONG"))
    })
    socket.once("error", () => resolve(false))
    socket.once("timeout", () => {
      socket.destroy()
      resolve(false)
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface PrivateRedis {
  readonly url: string
  /** SIGKILL the server (a crash), wait `downMs`, start it again on the same port and data. */
  readonly crashAndRestart: (downMs: number) => Promise<void>
  readonly stop: () => Promise<void>
}

export const start = async (): Promise<PrivateRedis> => {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookline-reliability-redis-"))
  let child: ChildProcess | undefined
  const launch = async () => {
    child = spawn("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always"
    ], { stdio: "ignore" })
    for (let i = 0; i < 200; i++) {
      if (await ping(port)) return
      await sleep(25)
    }
    throw new Error(`private redis-server on ${port} did not start`)
  }
  const kill = async () => {
    const current = child
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return
    const exited = new Promise((resolve) => current.once("exit", resolve))
    current.kill("SIGKILL")
    await exited
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    crashAndRestart: async (downMs) => {
      await kill()
      await sleep(downMs)
      await launch()
    },
    stop: async () => {
      await kill()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
