/**
 * Starts an example's server (`node --conditions=@hookline/source src/server.ts`) as a real child
 * process on a free port and drives it over HTTP: the harness of the reference receiver's and the
 * framework examples' tests. The server announces `listening on :<port>` on stderr, where all its
 * logs go; stdout carries one JSON line per handled event and nothing else.
 *
 * Every wait is on an event (a line printed, the process exiting) with a bound, and fails with a
 * message saying what did not happen. The server's stderr is kept, not printed: a failing test shows
 * what the server wrote while it ran (`Logs.watch`).
 */
import type { RawDelivery } from "@hookline/core"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Logs from "./Logs.ts"
import { within } from "./Wait.ts"

const node = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url))

export interface Reply {
  readonly status: number
  readonly text: string
}

/** How the process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A handled-event line as the examples print it. */
export interface Handled {
  readonly handled: string
  readonly key: string
  readonly tag?: string
  readonly event?: unknown
}

export interface ExampleProcess {
  readonly port: number
  /** Every complete line printed on stdout so far. */
  readonly stdout: () => ReadonlyArray<string>
  /** Handled-event lines printed so far, parsed (stdout lines that are not one are left out). */
  readonly handled: () => ReadonlyArray<Handled>
  /** Everything printed on stderr so far. */
  readonly stderr: () => string
  /** POSTs a signed delivery to `path` (default: the delivery's own URL). */
  readonly send: (raw: RawDelivery.RawDelivery, path?: string) => Promise<Reply>
  /** POSTs any body with the given headers. */
  readonly post: (path: string, headers: Record<string, string>, body: string | Buffer<ArrayBuffer>) => Promise<Reply>
  /** Resolves once a handled line with this key was printed (rejects after `millis`, default 5 s). */
  readonly printed: (key: string, millis?: number) => Promise<void>
  /**
   * Resolves once stderr holds `count` matches of `pattern` (default 1); rejects after `millis`
   * (default 5 s) naming the pattern. `pattern` must have the `g` flag.
   */
  readonly logged: (pattern: RegExp, count?: number, millis?: number) => Promise<void>
  /** Sends a signal (default SIGTERM). */
  readonly kill: (signal?: NodeJS.Signals) => void
  /** Resolves when the process has exited (its output is complete by then). */
  readonly exited: Promise<Exit>
  /** SIGTERM, then waits for the exit. */
  readonly stop: () => Promise<Exit>
}

const isHandled = (value: unknown): value is Handled =>
  typeof value === "object" && value !== null && "handled" in value && typeof value.handled === "string" &&
  "key" in value && typeof value.key === "string"

const parseHandled = (line: string): Handled | undefined => {
  if (!line.startsWith("{")) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return isHandled(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Starts `src/server.ts` of the example in `dir`, with `PORT=0`, the memory store unless `env` says
 * otherwise, and `env`. Rejects when the process exits before it listens, or has not listened
 * within `startMillis` (default 25 s; the process is killed then), with its stderr.
 */
export const startExample = (
  dir: string,
  env: Record<string, string>,
  options?: {
    readonly startMillis?: number
    /** What node runs, relative to `dir` (default `["src/server.ts"]`), e.g. a `bin` with its arguments. */
    readonly args?: ReadonlyArray<string>
  }
): Promise<ExampleProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["--conditions=@hookline/source", ...(options?.args ?? ["src/server.ts"])], {
      cwd: dir,
      env: { ...process.env, PORT: "0", HOOKLINE_STORE: "memory", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const lines: Array<string> = []
    let partial = ""
    let stderr = ""
    Logs.watch(`stderr of ${path.relative(process.cwd(), dir) || dir} server (pid ${child.pid})`, () => stderr)
    // Checked again after every chunk of output and at the exit.
    const waiters = new Set<() => void>()
    const notify = () => {
      for (const waiter of waiters) waiter()
    }
    const until = (done: () => boolean, millis: number, what: () => string): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!done()) return
          finish()
          resolve()
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`${what()} (waited ${millis} ms); stderr:\n${stderr}`))
        }, millis)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })

    child.stdout.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n")
      partial = parts.pop()!
      lines.push(...parts)
      notify()
    })
    const exited = new Promise<Exit>((done) =>
      child.once("exit", (code, signal) => {
        done({ code, signal })
        notify()
      })
    )
    void exited.then(({ code }) => reject(new Error(`server exited ${code} before listening: ${stderr}`)))
    const startMillis = options?.startMillis ?? 25_000
    const starting = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`server neither listened nor exited within ${startMillis} ms; stderr:\n${stderr}`))
    }, startMillis)
    void exited.then(() => clearTimeout(starting))

    const post = async (path: string, headers: Record<string, string>, body: string | Buffer<ArrayBuffer>) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers, body })
      return { status: response.status, text: await response.text() }
    }
    const handled = () => lines.flatMap((line) => parseHandled(line) ?? [])
    const matches = (pattern: RegExp) => stderr.match(pattern)?.length ?? 0

    let port = 0
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      notify()
      const match = port === 0 ? /listening on :(\d+)/.exec(stderr) : null
      if (match === null) return
      port = Number(match[1])
      clearTimeout(starting)
      resolve({
        port,
        stdout: () => lines,
        handled,
        stderr: () => stderr,
        send: (raw, path = raw.url) => post(path, { ...raw.headers }, Buffer.from(raw.body)),
        post,
        printed: (key, millis = 5000) =>
          until(() => handled().some((line) => line.key === key), millis, () => `no handled line for ${key}`),
        logged: (pattern, count = 1, millis = 5000) =>
          until(() => matches(pattern) >= count, millis, () => `stderr has not ${count} × ${pattern}`),
        kill: (signal = "SIGTERM") => child.kill(signal),
        exited,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
          // Bounded: a server that ignores SIGTERM fails the test with its stderr, and is killed.
          return within(exited, 15_000, "the server did not exit on SIGTERM").catch((error: Error) => {
            child.kill("SIGKILL")
            throw new Error(`${error.message}; stderr:\n${stderr}`)
          })
        }
      })
    })
  })
