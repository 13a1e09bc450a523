/**
 * `hookline listen`: runs the reference receiver (`Receiver.ts`) and prints one progress line per
 * delivery on stdout — the provider, the outcome, the idempotency key and, for a handled event, its
 * tag — or with `--json` one JSON object per line (the event included). The start-up line and
 * hookline's warnings and errors go to stderr, as logfmt lines.
 *
 * The outcome comes from the pipeline's own log of each delivery (`hookline.outcome`,
 * `hookline.reason`, `hookline.key` annotations), so every answered delivery is reported, rejected
 * ones included; the handler's event is joined to it by key.
 */
import { toNodeListener } from "@hookline/core/node"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as References from "effect/References"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { type HandledLine, printable } from "../Receiver.ts"
import { describeConfigProblem, readConfig, usage } from "./Failure.ts"
import { makeRoutes, maxConnections, secretVariables, serverOptions, settingsConfig, storeLayer } from "./Receiver.ts"

/** One delivery as `listen --json` prints it. */
export interface Progress {
  readonly time: string
  readonly provider: string
  readonly outcome: string
  readonly reason?: string | undefined
  readonly key?: string | undefined
  readonly acknowledged: boolean
  readonly tag?: string | undefined
  readonly event?: unknown
}

const acknowledged = (outcome: string) => outcome === "Processed" || outcome === "Duplicate"

/** The human progress line: `12:00:01 ✓ hmac  Processed  hmac:evt_1  order.paid`. */
export const progressLine = (progress: Progress): string => {
  const mark = acknowledged(progress.outcome) ? "✓" : progress.outcome === "Rejected" ? "✗" : "↻"
  const outcome = progress.reason === undefined ? progress.outcome : `${progress.outcome}(${progress.reason})`
  return [
    progress.time.slice(11, 19),
    mark,
    progress.provider.padEnd(17),
    outcome.padEnd(32),
    progress.key ?? "-",
    ...(progress.tag === undefined ? [] : [progress.tag])
  ].join(" ").trimEnd()
}

const stringAnnotation = (annotations: Readonly<Record<string, unknown>>, name: string) => {
  const value = annotations[name]
  return typeof value === "string" ? value : undefined
}

/**
 * The loggers of `listen`: the pipeline's outcome logs become progress lines on stdout; every
 * other log at Info or above goes to stderr as logfmt (the per-delivery Debug logs stay silent).
 */
const reporting = (json: boolean, handled: Map<string, HandledLine>) => {
  const stderr = Logger.withConsoleError(Logger.formatLogFmt)
  const reporter = Logger.make<unknown, void>((options) => {
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
    const outcome = stringAnnotation(annotations, "hookline.outcome")
    if (outcome === undefined) {
      if (LogLevel.isGreaterThanOrEqualTo(options.logLevel, "Info")) stderr.log(options)
      return
    }
    const key = stringAnnotation(annotations, "hookline.key")
    const reason = stringAnnotation(annotations, "hookline.reason")
    const event = outcome === "Processed" && key !== undefined ? handled.get(key) : undefined
    if (event !== undefined && key !== undefined) handled.delete(key)
    const progress: Progress = {
      time: options.date.toISOString(),
      provider: stringAnnotation(annotations, "hookline.provider") ?? "?",
      outcome,
      ...(reason === undefined || reason === "none" ? {} : { reason }),
      ...(key === undefined ? {} : { key }),
      acknowledged: acknowledged(outcome),
      ...(event === undefined ? {} : { tag: event.tag, event: printable(event.event) })
    }
    process.stdout.write(`${json ? JSON.stringify(progress) : progressLine(progress)}\n`)
    // A failure's details (the handler's error) are worth reading: on stderr too.
    if (LogLevel.isGreaterThanOrEqualTo(options.logLevel, "Warn")) stderr.log(options)
  })
  return Layer.mergeAll(
    Logger.layer([reporter]),
    Layer.succeed(References.MinimumLogLevel, "Debug"),
    Layer.succeed(Logger.LogToStderr, true)
  )
}

// Events handled but not yet reported (their outcome log follows); bounded should a handler finish
// after its answer (TimedOut) and never be joined.
const remember = (handled: Map<string, HandledLine>) => (event: HandledLine) => {
  if (handled.size >= 1024) handled.delete(handled.keys().next().value!)
  handled.set(event.key, event)
}

/** `hookline listen`. */
export const listen = Command.make("listen", {
  port: Flag.Int("port").pipe(
    Flag.optional,
    Flag.withDescription("The port to listen on (default: PORT, else 3000; 0 picks a free one)")
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Print one JSON object per delivery instead of a line")
  )
}, (input) =>
  Effect.gen(function*() {
    const settings = yield* readConfig(settingsConfig).pipe(
      Effect.mapError((error) =>
        usage(`hookline listen: invalid configuration: ${describeConfigProblem(error.cause.message, process.env)}`)
      )
    )
    const handled = new Map<string, HandledLine>()
    const routes = makeRoutes(settings, remember(handled))
    if (routes.handlers.size === 0) {
      return yield* usage(`hookline listen: no provider configured: set ${secretVariables}`)
    }
    const layer = storeLayer(settings.store).pipe(Layer.provideMerge(reporting(input.json, handled)))
    const listener = toNodeListener(routes, layer)
    yield* Effect.addFinalizer(() => Effect.promise(() => listener.dispose()))
    // A malformed store URL stops here (exit 2); a store not reachable yet is reported, and
    // deliveries are answered "retry" until it is back.
    yield* Effect.tryPromise({ try: () => listener.start(), catch: (error): unknown => error }).pipe(
      Effect.catch((error) =>
        Predicate.isTagged(error, "Misconfigured")
          ? Effect.fail(usage(`hookline listen: cannot start: ${String(error)}`))
          : Effect.sync(() =>
            process.stderr.write(
              `hookline: the store is not reachable yet; deliveries are answered "retry": ${String(error)}\n`
            )
          )
      )
    )
    const server = http.createServer(serverOptions, listener)
    server.maxConnections = maxConnections
    const port = Option.getOrElse(input.port, () => settings.port)
    yield* Effect.acquireRelease(
      Effect.callback<void, ReturnType<typeof usage>>((resume) => {
        server.once("error", (error) =>
          resume(Effect.fail(usage(`hookline listen: cannot listen on ${port}: ${error.message}`))))
        server.listen(port, () =>
          resume(Effect.void))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
    )
    const bound = (server.address() as AddressInfo).port
    process.stderr.write(`hookline listen: listening on :${bound} — ${[...routes.handlers.keys()].join(", ")}\n`)
    // Until SIGINT or SIGTERM: the runtime interrupts, the finalizers stop the server (idle
    // keep-alive connections closed), then wait for running handlers and close the store.
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Run the reference receiver (one route per provider whose secret is set: /hmac, /igv, /goldenpay, " +
        "/goldenpay/payout, /em, /github, /shopify, /standard-webhooks, /stripe) and print each delivery. " +
        "Store: HOOKLINE_STORE=memory|redis|postgres, HOOKLINE_REDIS_URL, HOOKLINE_REDIS_PREFIX, HOOKLINE_PG_URL; " +
        "HOOKLINE_TIME_BUDGET_MS, HOOKLINE_HANDLER_DELAY_MS."
    ),
    Command.withExamples([
      { command: "HMAC_SECRET=s hookline listen --port 3000", description: "A progress line per delivery" },
      { command: "HMAC_SECRET=s hookline listen --json", description: "One JSON object per delivery" }
    ])
  )
