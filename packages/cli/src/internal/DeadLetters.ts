/**
 * `hookline dead-letters list | show | replay | purge`: the failed authentic deliveries the
 * reference receiver keeps (docs/dead-letters.md), in the store `HOOKLINE_STORE` names — the same
 * variables as `hookline listen` and examples/node-http. A table for humans, `--json` for scripts.
 *
 * `replay` runs the kept requests through the reference receiver's own handlers (those of
 * `hookline listen`, mounted from the same secrets): signature verified again, the timestamp
 * tolerance measured from the first receipt, the same idempotency key. An application with handlers
 * of its own replays with `DeadLetters.replay` from `@hookline/core` instead.
 */
import { DeadLetters, DeadLetterStore, type Misconfigured, type StoreUnavailable } from "@hookline/core"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import { CommandFailed, describeConfigProblem, ExitCode, readConfig, usage } from "./Failure.ts"
import { makeRoutes, settingsConfig, storeConfig, storeLayer } from "./Receiver.ts"

/** The time a `--since` / `--before` value names: an ISO date, or a duration ago (`"2 hours"`). */
export const parseTime = (text: string, now: number): number | undefined => {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text)
    return Number.isNaN(at) ? undefined : at
  }
  const duration = Duration.fromInput(text as Duration.Input)
  return Option.isSome(duration) && Duration.isFinite(duration.value)
    ? now - Duration.toMillis(duration.value)
    : undefined
}

const timeFlag = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.optional, Flag.withMetavar("time"), Flag.withDescription(description))

const providerFlag = Flag.String("provider").pipe(
  Flag.optional,
  Flag.withDescription("Only this provider's dead letters (hmac, igv, goldenpay, em, github, shopify, …)")
)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print JSON"))

const readTime = (flag: string, value: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isNone(value)) return undefined
    // eslint-disable-next-line no-restricted-properties
    const at = parseTime(value.value, Date.now())
    if (at === undefined) {
      return yield* usage(
        `hookline dead-letters: --${flag} ${JSON.stringify(value.value)} is neither an ISO date ` +
          `(2026-12-01T10:00:00Z) nor a duration ago ("2 hours", "30 minutes")`
      )
    }
    return at
  })

// The store from the receiver's variables. The memory store lives in the receiver's own process:
// another process cannot see its dead letters.
const stores = Effect.gen(function*() {
  const settings = yield* readConfig(storeConfig).pipe(
    Effect.mapError((error) =>
      usage(`hookline dead-letters: invalid configuration: ${describeConfigProblem(error.cause.message, process.env)}`)
    )
  )
  if (settings.kind === "memory") {
    return yield* usage(
      "hookline dead-letters: HOOKLINE_STORE is memory (the default), whose dead letters live in the receiver's " +
        "own process; set HOOKLINE_STORE=redis or postgres (and its URL) as for the receiver"
    )
  }
  // Warnings only, on stderr: the pipeline's per-delivery logs are the replay's own output here.
  const quiet = Layer.mergeAll(
    Layer.succeed(References.MinimumLogLevel, "Warn"),
    Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)])
  )
  return storeLayer(settings).pipe(Layer.provideMerge(quiet))
})

// What the user sees of a failure: a command's own, or the store's (a bad URL is a usage problem,
// an unreachable store exit 3), or a replay's typed error.
const failure = (
  error: CommandFailed | StoreUnavailable | Misconfigured | DeadLetters.DeadLetterNotFound | DeadLetters.NoHandler
): CommandFailed => {
  if (error instanceof CommandFailed) return error
  switch (error._tag) {
    case "Misconfigured":
      return usage(`hookline dead-letters: ${error.message}`)
    case "StoreUnavailable":
      return new CommandFailed({
        message: `hookline dead-letters: the store is not available: ${error.message}`,
        exitCode: ExitCode.unreachable
      })
    default:
      return new CommandFailed({
        message: `hookline dead-letters: ${error.message}`,
        exitCode: ExitCode.notAcknowledged
      })
  }
}

const withStore = <A>(
  f: (store: DeadLetterStore.DeadLetterStore["Service"]) => Effect.Effect<A, StoreUnavailable>
) =>
  Effect.flatMap(stores, (layer) => Effect.provide(DeadLetterStore.DeadLetterStore.use(f), layer)).pipe(
    Effect.mapError(failure)
  )

const iso = (at: number | undefined) => (at === undefined ? "-" : new Date(at).toISOString())

/** A dead letter as `--json` prints it: the body as text when it is UTF-8, else base64. */
export const toJson = (entry: DeadLetterStore.DeadLetter) => {
  const text = utf8(entry.delivery.body)
  return {
    key: entry.key,
    provider: entry.provider,
    status: entry.resolvedAt === undefined ? "open" : "resolved",
    attempts: entry.attempts,
    firstFailedAt: iso(entry.firstFailedAt),
    lastFailedAt: iso(entry.lastFailedAt),
    receivedAt: iso(entry.receivedAt),
    resolvedAt: entry.resolvedAt === undefined ? null : iso(entry.resolvedAt),
    reason: entry.reason,
    request: {
      method: entry.delivery.method,
      url: entry.delivery.url,
      headers: entry.delivery.headers,
      ...(text === undefined
        ? { bodyBase64: Buffer.from(entry.delivery.body).toString("base64") }
        : { body: text })
    }
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true })
const utf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** The table `list` prints. */
export const table = (entries: ReadonlyArray<DeadLetterStore.DeadLetter>): string => {
  const rows = entries.map((e) => [
    e.key,
    e.provider,
    e.resolvedAt === undefined ? "open" : "resolved",
    String(e.attempts),
    iso(e.lastFailedAt).slice(0, 19).replace("T", " "),
    `${e.reason.tag}: ${e.reason.message}`.slice(0, 60)
  ])
  const header = ["KEY", "PROVIDER", "STATUS", "ATTEMPTS", "LAST FAILED (UTC)", "REASON"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

const list = Command.make("list", {
  provider: providerFlag,
  status: Flag.Literals("status", ["open", "resolved", "all"] as const).pipe(
    Flag.withDefault("open" as const),
    Flag.withDescription("open (default), resolved or all")
  ),
  since: timeFlag(
    "since",
    "Only those that last failed at or after this time (ISO date, or a duration ago: \"2 hours\")"
  ),
  limit: Flag.Int("limit").pipe(
    Flag.withDefault(100),
    Flag.withDescription("At most this many, newest first (default 100)")
  ),
  json: jsonFlag
}, (input) =>
  Effect.gen(function*() {
    const since = yield* readTime("since", input.since)
    const entries = yield* withStore((store) =>
      store.list({
        provider: Option.getOrUndefined(input.provider),
        status: input.status,
        since,
        limit: input.limit
      })
    )
    if (input.json) {
      for (const entry of entries) yield* Console.log(JSON.stringify(toJson(entry)))
      return
    }
    yield* Console.log(entries.length === 0 ? "No dead letters." : table(entries))
  })).pipe(Command.withDescription("List the dead letters, newest failure first"))

const show = Command.make("show", {
  key: Argument.String("key").pipe(Argument.withDescription("The dead letter's key, as list prints it")),
  json: jsonFlag
}, (input) =>
  Effect.gen(function*() {
    const entry = yield* withStore((store) => store.get(input.key))
    if (entry === undefined) {
      return yield* new CommandFailed({
        message: `hookline dead-letters show: no dead letter has the key ${input.key}`,
        exitCode: ExitCode.notAcknowledged
      })
    }
    const shown = toJson(entry)
    if (input.json) return yield* Console.log(JSON.stringify(shown))
    yield* Console.log(
      [
        `key          ${shown.key}`,
        `provider     ${shown.provider}`,
        `status       ${shown.status}${shown.resolvedAt === null ? "" : ` (${shown.resolvedAt})`}`,
        `attempts     ${shown.attempts}`,
        `first failed ${shown.firstFailedAt}`,
        `last failed  ${shown.lastFailedAt}`,
        `received     ${shown.receivedAt}`,
        `reason       ${shown.reason.tag}: ${shown.reason.message}`,
        "",
        `${shown.request.method} ${shown.request.url}`,
        ...Object.entries(shown.request.headers).map(([name, value]) => `${name}: ${value}`),
        "",
        "body" in shown.request ? shown.request.body : `(binary, base64) ${shown.request.bodyBase64}`
      ].join("\n")
    )
  })).pipe(Command.withDescription("Show one dead letter: its reason, attempts and exact request"))

const replay = Command.make("replay", {
  key: Argument.String("key").pipe(
    Argument.optional,
    Argument.withDescription("The dead letter to replay; or --all")
  ),
  all: Flag.Boolean("all").pipe(Flag.withDefault(false), Flag.withDescription("Replay every open dead letter")),
  provider: providerFlag,
  since: timeFlag("since", "With --all: only those that last failed at or after this time"),
  json: jsonFlag
}, (input) =>
  Effect.gen(function*() {
    if (Option.isSome(input.key) === input.all) {
      return yield* usage("hookline dead-letters replay: give a key, or --all (not both)")
    }
    const since = yield* readTime("since", input.since)
    const settings = yield* readConfig(settingsConfig).pipe(
      Effect.mapError((error) =>
        usage(
          `hookline dead-letters replay: invalid configuration: ${
            describeConfigProblem(error.cause.message, process.env)
          }`
        )
      )
    )
    const handled: Array<string> = []
    const routes = makeRoutes(settings, (event) => handled.push(`${event.key} ${event.tag}`))
    const layer = yield* stores
    const results = yield* Effect.gen(function*() {
      if (Option.isSome(input.key)) return [yield* DeadLetters.replay(input.key.value)]
      return yield* DeadLetters.replayAll({ provider: Option.getOrUndefined(input.provider), since })
    }).pipe(
      Effect.provide(DeadLetters.layer(routes).pipe(Layer.provideMerge(layer))),
      Effect.mapError(failure)
    )
    let unresolved = 0
    for (const result of results) {
      const outcome = result._tag === "Replayed" ? result.outcome : undefined
      const key = result._tag === "Replayed" ? result.entry.key : result.key
      const tag = outcome === undefined ? "NoHandler" : outcome._tag
      const reason = outcome !== undefined && "reason" in outcome ? outcome.reason._tag : undefined
      const done = tag === "Processed" || tag === "Duplicate"
      if (!done) unresolved++
      yield* Console.log(
        input.json
          ? JSON.stringify({ key, outcome: tag, ...(reason === undefined ? {} : { reason }), resolved: done })
          : `${done ? "✓" : "✗"} ${key} ${tag}${reason === undefined ? "" : `(${reason})`}${
            tag === "NoHandler" ? ` — set the provider's secret, as for hookline listen` : ""
          }`
      )
    }
    if (!input.json) yield* Console.log(`${results.length - unresolved} of ${results.length} resolved`)
    if (unresolved > 0) {
      return yield* new CommandFailed({
        message:
          `hookline dead-letters replay: ${unresolved} not resolved (still open; the platform's retry or a later replay can)`,
        exitCode: ExitCode.notAcknowledged
      })
    }
  })).pipe(
    Command.withDescription(
      "Replay dead letters through the reference receiver's handlers (the providers whose secrets are set): " +
        "signature verified again, the same idempotency key, so the handler runs once"
    )
  )

const purge = Command.make("purge", {
  key: Argument.String("key").pipe(Argument.optional, Argument.withDescription("The dead letter to delete")),
  resolved: Flag.Boolean("resolved").pipe(Flag.withDefault(false), Flag.withDescription("Delete every resolved one")),
  all: Flag.Boolean("all").pipe(Flag.withDefault(false), Flag.withDescription("Delete every one, open ones included")),
  provider: providerFlag,
  before: timeFlag("before", "Only those that last failed before this time (ISO date, or a duration ago)")
}, (input) =>
  Effect.gen(function*() {
    const chosen = [Option.isSome(input.key), input.resolved, input.all].filter(Boolean).length
    if (chosen !== 1) return yield* usage("hookline dead-letters purge: give a key, --resolved or --all (one of them)")
    const before = yield* readTime("before", input.before)
    const deleted = yield* withStore((store) =>
      Option.isSome(input.key) ? store.purge(input.key.value) : store.purge({
        provider: Option.getOrUndefined(input.provider),
        before,
        status: input.resolved ? "resolved" : "all"
      })
    )
    yield* Console.log(`${deleted} dead letter${deleted === 1 ? "" : "s"} deleted`)
  })).pipe(Command.withDescription("Delete dead letters"))

/** `hookline dead-letters`. */
export const deadLetters = Command.make("dead-letters").pipe(
  Command.withDescription(
    "List, show, replay and purge the failed authentic deliveries the receiver keeps, in the store " +
      "HOOKLINE_STORE=redis|postgres names (HOOKLINE_REDIS_URL, HOOKLINE_REDIS_PREFIX, HOOKLINE_PG_URL)"
  ),
  Command.withSubcommands([list, show, replay, purge])
)
