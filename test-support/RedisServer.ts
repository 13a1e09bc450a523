/**
 * A private `redis-server` on a free port of 127.0.0.1, for tests, the bench and the reliability run
 * that stop, crash, freeze, restart or count commands on their server: never the shared one on
 * 6379, which other tests use concurrently. Spawned from `redis-server` on the PATH (a missing
 * binary is an error, never a skip). Without persistence unless `appendOnly` is set.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` (with the password when one is set). */
  readonly url: string
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit; removes its files. */
  readonly stop: () => Promise<void>
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit; keeps its files for `restart`. */
  readonly kill: () => Promise<void>
  /** Starts it again on the same port: empty, or with its data when `appendOnly`. */
  readonly restart: () => Promise<void>
  /** `stop`, wait `downMs`, `restart`: a crash and a recovery. */
  readonly crashAndRestart: (downMs: number) => Promise<void>
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open, replies stop. */
  readonly freeze: () => void
  readonly thaw: () => void
}

export interface RedisServerOptions {
  readonly password?: string | undefined
  /** An append-only file fsynced on every write, in a temporary directory removed by `stop`. */
  readonly appendOnly?: boolean | undefined
  /** The port to listen on (default: a free one). */
  readonly port?: number | undefined
  /** More `redis-server` arguments, e.g. `["--cluster-enabled", "yes", …]`. */
  readonly args?: ReadonlyArray<string> | undefined
}

/** A port nothing listens on right now. */
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

// Servers still running when the process exits are killed with it (a failed test must not leave
// a redis-server behind).
const running = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

const launch = (port: number, options: RedisServerOptions, dir: string | undefined) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"]
    args.push(
      ...(dir === undefined ? ["--appendonly", "no"] : ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"])
    )
    if (options.password !== undefined) args.push("--requirepass", options.password)
    if (options.args !== undefined) args.push(...options.args)
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] })
    running.add(child)
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`redis-server on port ${port} did not start:\n${output}`))
    }, 10_000)
    child.once("error", (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot run redis-server (is it installed?): ${error.message}`))
    })
    child.once("exit", (code) => {
      running.delete(child)
      clearTimeout(timer)
      reject(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`))
    })
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
  })

/** Starts a private server. */
export const start = async (options: RedisServerOptions = {}): Promise<RedisServer> => {
  const port = options.port ?? await freePort()
  const dir = options.appendOnly === true
    ? fs.mkdtempSync(path.join(os.tmpdir(), "hookline-redis-"))
    : undefined
  let child = await launch(port, options, dir)
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    child.kill("SIGKILL")
    await exited
  }
  const restart = async () => {
    await kill()
    child = await launch(port, options, dir)
  }
  return {
    port,
    url: options.password === undefined
      ? `redis://127.0.0.1:${port}`
      : `redis://:${options.password}@127.0.0.1:${port}`,
    stop: async () => {
      await kill()
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
    },
    kill,
    restart,
    crashAndRestart: async (downMs) => {
      await kill()
      // The scenario: an outage that lasts `downMs` of live time.
      await new Promise((resolve) => setTimeout(resolve, downMs))
      child = await launch(port, options, dir)
    },
    freeze: () => {
      child.kill("SIGSTOP")
    },
    thaw: () => {
      child.kill("SIGCONT")
    }
  }
}

/**
 * Watches every command clients send to a server with `MONITOR`, over a raw connection. Commands a
 * Lua script runs (`[0 lua]`) are left out: they are not round trips.
 */
export interface Monitor {
  /** Commands seen since the last `take`, e.g. `["EVALSHA", "…"]`, and forgets them. */
  readonly take: () => Promise<ReadonlyArray<ReadonlyArray<string>>>
  readonly close: () => void
}

const encode = (args: ReadonlyArray<string>) =>
  `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`

const connect = (port: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket))
    socket.once("error", reject)
  })

// `"EVALSHA" "abc" "1"` → ["EVALSHA", "abc", "1"], undoing MONITOR's escapes (\n, \", \xNN, …).
const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b" }
const parseArgs = (text: string): Array<string> =>
  Array.from(
    text.matchAll(/"((?:[^"\\]|\\.)*)"/g),
    (match) =>
      match[1]!.replace(
        /\\(x[0-9a-f]{2}|.)/g,
        (_, escaped: string) =>
          escaped.length === 3 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : escapes[escaped] ?? escaped
      )
  )

export const monitor = async (port: number): Promise<Monitor> => {
  const socket = await connect(port)
  let buffer = ""
  const seen: Array<ReadonlyArray<string>> = []
  const waiting = new Map<string, () => void>()
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString()
    let end: number
    while ((end = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line)
      if (match === null || match[1] === "lua") continue
      const args = parseArgs(match[2]!)
      const marker = args[0]?.toUpperCase() === "ECHO" ? waiting.get(args[1] ?? "") : undefined
      if (marker !== undefined) marker()
      else seen.push(args)
    }
  })
  await new Promise<void>((resolve) => {
    socket.once("data", () => resolve())
    socket.write(encode(["MONITOR"]))
  })
  return {
    // MONITOR reports commands in execution order: once a marker sent afterwards shows up, every
    // command before it has been reported.
    take: async () => {
      const marker = `marker-${crypto.randomUUID()}`
      const other = await connect(port)
      await new Promise<void>((resolve) => {
        waiting.set(marker, resolve)
        other.write(encode(["ECHO", marker]))
      })
      waiting.delete(marker)
      other.destroy()
      return seen.splice(0)
    },
    close: () => {
      socket.destroy()
    }
  }
}
