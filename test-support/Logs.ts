/**
 * Log capture for tests: what hookline logs (rejections at WARN, failures at ERROR) goes into a
 * buffer instead of the console, so a passing `npm test` prints no log blocks, and a failing test
 * prints what was logged while it ran (`LogsOnFailure.ts`, a setup file of every project, does that
 * through `onTestFailed`).
 *
 * Where the logs come from decides how the capture is applied:
 * - `it.effect` / `it.live`: `Effect.provide(Logs.layer)` (or `Logs.capturing(storeLayer)` where a
 *   store layer is provided anyway).
 * - adapters (`toNodeListener`, `toWebHandler`, `listen`): pass `Logs.capturing(storeLayer)` as
 *   their layer (`HooklineHttp.layer`: `HttpRouter.provideRequest(Logs.capturing(storeLayer))`); the
 *   store's own construction logs are captured too.
 * - child processes (the examples' servers): `Logs.watch(label, () => stderr)`; `ExampleProcess`
 *   does it for every server it starts.
 * - logs no layer of the test reaches (core's "runtime not available" error, which goes through
 *   Effect's default logger to `console.error`; the bench's contenders, built with their own
 *   layer): `Logs.captureConsole()`.
 *
 * A test that asserts on logs takes its own capture with `Logs.make()`: its entries are its own,
 * and they are also shown when the test fails.
 */
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import { inspect } from "node:util"

/** One log call. */
export interface Entry {
  readonly level: LogLevel.LogLevel
  /** The message parts: strings as logged, other values inspected, joined by a space. */
  readonly message: string
  readonly parts: ReadonlyArray<unknown>
  readonly cause: Cause.Cause<unknown>
  readonly annotations: Readonly<Record<string, unknown>>
  readonly date: Date
  /** The test that was running when it was logged (a background fiber may outlive its test). */
  readonly test: string | undefined
}

/** A capture: its entries, the logger that records them and the ways to apply it. */
export interface Capture {
  /** Every entry this capture recorded, oldest first. */
  readonly entries: ReadonlyArray<Entry>
  readonly logger: Logger.Logger<unknown, void>
  /** Replaces the current loggers (the console one included) by this capture. */
  readonly layer: Layer.Layer<never>
  /**
   * `layer` with this capture applied: to its own construction (a store client's connection
   * errors) and to everything run with it (an adapter's runtime, an `Effect.provide`).
   */
  readonly capturing: <A, E, R>(layer: Layer.Layer<A, E, R>) => Layer.Layer<A, E, R>
  /** Entries whose message starts with `prefix` (a string) or matches `pattern`. */
  readonly matching: (pattern: string | RegExp) => ReadonlyArray<Entry>
}

export interface MakeOptions {
  /** Lowers (or raises) the minimum level while the capture is applied, e.g. `"All"` for DEBUG entries. */
  readonly minimumLevel?: LogLevel.LogLevel | undefined
}

// Everything captured in this test file (each file runs in its own module graph), for the report.
const recorded: Array<Entry> = []
let running: string | undefined

const messageOf = (parts: ReadonlyArray<unknown>): string =>
  parts.map((part) => typeof part === "string" ? part : inspect(part, { depth: 6, breakLength: Infinity })).join(" ")

const entryOf = (options: Logger.Options<unknown>): Entry => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  return {
    level: options.logLevel,
    message: messageOf(parts),
    parts,
    cause: options.cause,
    annotations: options.fiber.getRef(References.CurrentLogAnnotations),
    date: options.date,
    test: running
  }
}

const matcher = (pattern: string | RegExp) => (entry: Entry): boolean =>
  typeof pattern === "string" ? entry.message.startsWith(pattern) : pattern.test(entry.message)

/**
 * A new capture with entries of its own (they reach the failure report too). Use it where a test
 * asserts on what was logged.
 */
export const make = (options?: MakeOptions): Capture => {
  const entries: Array<Entry> = []
  const logger = Logger.make((log: Logger.Options<unknown>) => {
    const entry = entryOf(log)
    entries.push(entry)
    recorded.push(entry)
  })
  // The tracer logger stays: it turns log calls into span events, which tracing tests read.
  const loggers = Logger.layer([logger, Logger.tracerLogger])
  const layer = options?.minimumLevel === undefined
    ? loggers
    : Layer.merge(loggers, Layer.succeed(References.MinimumLogLevel, options.minimumLevel))
  return {
    entries,
    logger,
    layer,
    capturing: (self) => Layer.provideMerge(self, layer),
    matching: (pattern) => entries.filter(matcher(pattern))
  }
}

const shared = make()

/** The file-wide capture's layer: replaces the console logger by the capture. */
export const layer: Layer.Layer<never> = shared.layer

/** A layer (a store's, usually) with the file-wide capture applied: see {@link Capture.capturing}. */
export const capturing: <A, E, R>(layer: Layer.Layer<A, E, R>) => Layer.Layer<A, E, R> = shared.capturing

/** The deep rendering of an entry (message, cause, annotations), for searching it for secrets. */
export const render = (entry: Entry): string =>
  inspect({ message: entry.parts, cause: entry.cause, annotations: entry.annotations }, { depth: 10 })

// ---------------------------------------------------------------------------------------------
// Text sources (a child process's stderr) and the console

interface Source {
  readonly label: string
  readonly read: () => string
}
const sources: Array<Source> = []

/**
 * Registers a text that grows while tests run (a child process's stderr): what it gained during a
 * failing test is shown with that test's logs. Returns a function that unregisters it.
 */
export const watch = (label: string, read: () => string): () => void => {
  const source = { label, read }
  sources.push(source)
  return () => {
    const index = sources.indexOf(source)
    if (index >= 0) sources.splice(index, 1)
  }
}

// What `captureConsole` captured, as one source for the report.
let consoleText = ""
const restorers = new Set<() => void>()

/**
 * Captures `console.log` and `console.error` until `restore` is called (the setup file restores
 * them when the test ends in any case), for logs that no layer of the test can reach: the one core
 * writes through Effect's default logger when the user's layer could not be built, and runtimes
 * built where a test cannot pass a layer (the bench's contenders). `lines` is live.
 */
export const captureConsole = (): { readonly lines: ReadonlyArray<string>; readonly restore: () => void } => {
  if (!sources.some((source) => source.label === "console")) watch("console", () => consoleText)
  const lines: Array<string> = []
  const original = { log: console.log, error: console.error }
  const capture = (...args: Array<unknown>) => {
    const line = messageOf(args)
    lines.push(line)
    consoleText += `${line}\n`
  }
  const restore = () => {
    if (console.log === capture) console.log = original.log
    if (console.error === capture) console.error = original.error
    restorers.delete(restore)
  }
  console.log = capture
  console.error = capture
  restorers.add(restore)
  return { lines, restore }
}

// ---------------------------------------------------------------------------------------------
// Per-test bookkeeping, driven by LogsOnFailure.ts

/** Where the current test began: counts of entries and of each source's text. */
export interface Mark {
  readonly test: string
  readonly entries: number
  readonly texts: ReadonlyMap<Source, number>
}

/** Called as a test begins. */
export const begin = (test: string): Mark => {
  running = test
  return { test, entries: recorded.length, texts: new Map(sources.map((source) => [source, source.read().length])) }
}

/** Called as a test ends, passed or failed. */
export const end = (): void => {
  for (const restore of Array.from(restorers)) restore()
  running = undefined
}

const time = (date: Date) => date.toISOString().slice(11, 23)

const indent = (text: string) => text.replace(/^/gm, "    ")

/**
 * One entry as the report shows it: time, level, message, annotations, the test it was logged
 * during when that is not `test`, then the cause.
 */
const format = (entry: Entry, test?: string): string => {
  const annotations = Object.keys(entry.annotations).length > 0
    ? ` ${inspect(entry.annotations, { depth: 4, breakLength: Infinity })}`
    : ""
  const cause = entry.cause.reasons.length > 0 ? `\n${indent(Cause.pretty(entry.cause))}` : ""
  const elsewhere = entry.test !== undefined && entry.test !== test ? ` (logged during "${entry.test}")` : ""
  return `[${time(entry.date)}] ${entry.level.toUpperCase()} ${entry.message}${annotations}${elsewhere}${cause}`
}

/** What was captured since `mark`: entries, then each source's new text. Empty when nothing was. */
export const report = (mark: Mark): string => {
  const sections: Array<string> = []
  const entries = recorded.slice(mark.entries)
  if (entries.length > 0) {
    sections.push(
      `── logs captured during "${mark.test}" (${entries.length}) ──\n${
        entries.map((entry) => format(entry, mark.test)).join("\n")
      }`
    )
  }
  for (const source of sources) {
    const text = source.read().slice(mark.texts.get(source) ?? 0)
    if (text.trim() !== "") sections.push(`── ${source.label}, during "${mark.test}" ──\n${text.trimEnd()}`)
  }
  return sections.join("\n")
}
