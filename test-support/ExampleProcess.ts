/**
 * Starts an example's server (`node --conditions=@hookline/source src/server.ts`) as a real child
 * process on a free port and drives it over HTTP: the harness of the framework examples' tests.
 * The server announces `listening on :<port>` on stderr and prints one JSON line per handled event
 * on stdout (next to hookline's log lines).
 */
import type { RawDelivery } from "@hookline/core"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const node = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url))

export interface Reply {
  readonly status: number
  readonly text: string
}

export interface ExampleProcess {
  readonly port: number
  /** Handled-event lines printed so far, parsed. */
  readonly handled: () => ReadonlyArray<{ readonly handled: string; readonly key: string }>
  /** Everything printed on stderr so far. */
  readonly stderr: () => string
  /** POSTs a signed delivery to `path` (default: the delivery's own URL). */
  readonly send: (raw: RawDelivery.RawDelivery, path?: string) => Promise<Reply>
  /** POSTs any body with the given headers. */
  readonly post: (path: string, headers: Record<string, string>, body: string | Buffer<ArrayBuffer>) => Promise<Reply>
  /** Resolves once a handled line with this key was printed (rejects after 5 s). */
  readonly printed: (key: string) => Promise<void>
  /** SIGTERM, then waits for the exit. */
  readonly stop: () => Promise<void>
}

export const startExample = (dir: string, env: Record<string, string>): Promise<ExampleProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["--conditions=@hookline/source", "src/server.ts"], {
      cwd: dir,
      env: { ...process.env, PORT: "0", HOOKLINE_STORE: "memory", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const lines: Array<{ handled: string; key: string }> = []
    let partial = ""
    child.stdout.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n")
      partial = parts.pop()!
      // Handled events are JSON lines; hookline's own log lines (Effect's logger) go to stdout too.
      for (const part of parts) if (part.startsWith(`{"handled":`)) lines.push(JSON.parse(part))
    })
    let stderr = ""
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)))

    const post = async (path: string, headers: Record<string, string>, body: string | Buffer<ArrayBuffer>) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers, body })
      return { status: response.status, text: await response.text() }
    }
    const printed = async (key: string) => {
      for (let waited = 0; !lines.some((line) => line.key === key); waited += 10) {
        if (waited > 5000) throw new Error(`no handled line for ${key}; stderr: ${stderr}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    let port = 0
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = port === 0 ? /listening on :(\d+)/.exec(stderr) : null
      if (match === null) return
      port = Number(match[1])
      resolve({
        port,
        handled: () => lines,
        stderr: () => stderr,
        send: (raw, path = raw.url) => post(path, { ...raw.headers }, Buffer.from(raw.body)),
        post,
        printed,
        stop: () => {
          child.kill("SIGTERM")
          return exited
        }
      })
    })
  })
