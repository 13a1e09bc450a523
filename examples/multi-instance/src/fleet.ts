/**
 * Runs receiver instances as separate OS processes and plays the sending platform against them:
 * every delivery is sent to every instance at the same moment (a platform that delivered twice, or
 * a load balancer that retried on another node), and every sender retries until it gets an ack.
 * Used by `run.ts` (the demo) and by the test.
 */
import { Hmac, type RawDelivery } from "@hookline/core"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { StoreKind } from "./stores.ts"

const serverScript = fileURLToPath(new URL("./server.ts", import.meta.url))

/** A line an instance printed for an event it handled. */
export interface Handled {
  readonly instance: string
  readonly pid: number
  readonly key: string
  readonly id: string
}

export interface Instance {
  readonly name: string
  readonly pid: number
  readonly url: string
  /** Events this instance handled (complete once `stop` resolved). */
  readonly handled: ReadonlyArray<Handled>
  /** SIGTERM (graceful shutdown) and wait for the process to exit. */
  readonly stop: () => Promise<void>
}

export interface InstanceOptions {
  readonly name: string
  readonly store: StoreKind
  readonly secret: Redacted.Redacted<string>
  /** Environment for the instance (e.g. `HOOKLINE_REDIS_URL`). */
  readonly env?: NodeJS.ProcessEnv | undefined
  /** The Node.js binary (24+). Default: the one running this code. */
  readonly node?: string | undefined
}

const field = (value: object, name: string): unknown => (name in value ? Reflect.get(value, name) : undefined)

const isHandled = (line: object): line is Handled & { readonly event: "handled" } =>
  field(line, "event") === "handled" && typeof field(line, "key") === "string" &&
  typeof field(line, "id") === "string" && typeof field(line, "instance") === "string"

/** Starts `server.ts` in a new process on a free port and waits until it listens. */
export const startInstance = (options: InstanceOptions): Promise<Instance> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      options.node ?? process.execPath,
      ["--conditions=@hookline/source", serverScript],
      {
        env: {
          ...process.env,
          ...options.env,
          PORT: "0",
          INSTANCE: options.name,
          HOOKLINE_STORE: options.store,
          HMAC_SECRET: Redacted.value(options.secret)
        },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    const handled: Array<Handled> = []
    let stderr = ""
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.once("exit", (code) => reject(new Error(`instance ${options.name} exited (${code}):\n${stderr}`)))
    // stdout carries the handled-event lines only; the start-up line and the logs come on stderr.
    child.stdout?.on(
      "data",
      lines((text) => {
        if (!text.startsWith("{")) return
        const line: unknown = JSON.parse(text)
        if (typeof line === "object" && line !== null && isHandled(line)) {
          handled.push({ instance: line.instance, pid: line.pid, key: line.key, id: line.id })
        }
      })
    )
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stderr?.on(
      "data",
      lines((text) => {
        if (!text.startsWith("{\"event\":\"listening\"")) return
        const line: object = JSON.parse(text)
        const url = `http://127.0.0.1:${String(field(line, "port"))}`
        // The first request builds the instance's runtime (connects the store): do it now, so
        // the race below is between handlers, not between start-ups. A 404 is enough.
        void fetch(`${url}/warm-up`).then((response) => response.arrayBuffer()).then(() =>
          resolve({
            name: options.name,
            pid: child.pid ?? 0,
            url,
            handled,
            stop: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
              await exited
            }
          }), reject)
      })
    )
  })

// Calls `onLine` with each complete line of a stream's chunks.
const lines = (onLine: (text: string) => void) => {
  let buffered = ""
  return (chunk: Buffer) => {
    buffered += chunk.toString()
    let end: number
    while ((end = buffered.indexOf("\n")) >= 0) {
      const text = buffered.slice(0, end)
      buffered = buffered.slice(end + 1)
      onLine(text)
    }
  }
}

/** A delivery signed the way the platform signs it. */
export const delivery = (secret: Redacted.Redacted<string>, id: string): RawDelivery.RawDelivery =>
  Hmac.testing.sign({ secret }, { id, body: { id, order: { amount: "12.30", currency: "EUR" } }, url: "/hmac" })

/** One answer an instance gave, e.g. `503 InFlight` or `200 Duplicate`. */
export interface Answer {
  readonly status: number
  readonly outcome: string
}

const send = async (url: string, raw: RawDelivery.RawDelivery): Promise<Answer> => {
  const response = await fetch(`${url}${raw.url}`, {
    method: raw.method,
    headers: raw.headers,
    body: Buffer.from(raw.body)
  })
  const body: unknown = await response.json()
  const outcome = typeof body === "object" && body !== null ? field(body, "outcome") : undefined
  return { status: response.status, outcome: typeof outcome === "string" ? outcome : "?" }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** Sends until acknowledged (2xx), like a platform's retries, and returns every answer. */
const deliverUntilAcked = async (
  url: string,
  raw: RawDelivery.RawDelivery,
  retryAfterMillis: number,
  maxAttempts: number
): Promise<ReadonlyArray<Answer>> => {
  const answers: Array<Answer> = []
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const answer = await send(url, raw)
    answers.push(answer)
    if (answer.status >= 200 && answer.status < 300) break
    await sleep(retryAfterMillis)
  }
  return answers
}

/** What happened to one delivery. */
export interface Result {
  readonly id: string
  readonly key: string
  /** The answers each instance gave, by instance name. */
  readonly answers: Readonly<Record<string, ReadonlyArray<Answer>>>
}

/**
 * Signs one delivery per id and sends each to every instance at once, retrying non-acks (default
 * every 300 ms, at most 20 times). Deliveries start `spacingMillis` apart (default 20 ms) and overlap.
 */
export const fire = (
  instances: ReadonlyArray<Instance>,
  secret: Redacted.Redacted<string>,
  ids: ReadonlyArray<string>,
  options?: { readonly retryAfterMillis?: number; readonly maxAttempts?: number; readonly spacingMillis?: number }
): Promise<ReadonlyArray<Result>> =>
  Promise.all(ids.map(async (id, i) => {
    await sleep(i * (options?.spacingMillis ?? 20))
    const raw = delivery(secret, id)
    // Who gets the delivery first rotates, so no instance is always ahead.
    const order = instances.map((_, j) => instances[(i + j) % instances.length]!)
    const answers = new Map(
      await Promise.all(order.map(async (instance) =>
        [
          instance,
          await deliverUntilAcked(instance.url, raw, options?.retryAfterMillis ?? 300, options?.maxAttempts ?? 20)
        ] as const
      ))
    )
    return {
      id,
      key: `hmac:${id}`,
      answers: Object.fromEntries(instances.map((instance) => [instance.name, answers.get(instance) ?? []]))
    }
  }))

/** Per key: how many times a handler ran, and where. */
export const tally = (instances: ReadonlyArray<Instance>, results: ReadonlyArray<Result>) =>
  results.map((result) => {
    const runs = instances.flatMap((instance) => instance.handled.filter((line) => line.key === result.key))
    return { ...result, runs: runs.length, handledBy: runs.map((line) => `${line.instance} (pid ${line.pid})`) }
  })

/** The tally as a text table. */
export const table = (rows: ReturnType<typeof tally>, instances: ReadonlyArray<Instance>): string => {
  const header = ["key", "runs", "handled by", ...instances.map((instance) => `answers from ${instance.name}`)]
  const body = rows.map((row) => [
    row.key,
    String(row.runs),
    row.handledBy.join(", ") || "-",
    ...instances.map((instance) =>
      (row.answers[instance.name] ?? []).map((answer) => `${answer.status} ${answer.outcome}`).join(" → ")
    )
  ])
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((cells) => cells[column]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...body.map(line)].join("\n")
}
