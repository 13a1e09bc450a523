/**
 * The reference receiver's application: one route per configured provider, a store, hookline's
 * logging on stderr, and handlers that report each handled event as one JSON line. Shared by the
 * standalone server (`server.ts`), the framework examples (through `receiver.ts`) and the scripted
 * demo (`demo.ts`). The routes and the store are `@hookline/cli/receiver`'s, which `hookline listen`
 * runs too: one definition of the reference receiver.
 */
import * as Data from "effect/Data"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

export {
  type AppConfig,
  type Behavior,
  formatLine,
  type HandledLine,
  hmacOptions,
  makeRoutes,
  storeLayer,
  type StoreSettings
} from "@hookline/cli/receiver"

/** A handler failure the demo scripts ("the database blipped"). */
export class DemoFailure extends Data.TaggedError("DemoFailure")<{ readonly message: string }> {}

/**
 * hookline's logs (and any Effect log of the handlers) on stderr, one logfmt line per entry, so
 * stdout carries nothing but the handled-event lines: a rejected request can never put a line
 * there, and a value with a line break (a body quoted in a message) stays one escaped line on
 * stderr too. `LogToStderr` also moves Effect's built-in default logger, should a handler add it back.
 */
export const logging: Layer.Layer<never> = Layer.mergeAll(
  Logger.layer([Logger.withConsoleError(Logger.formatLogFmt), Logger.tracerLogger]),
  Layer.succeed(Logger.LogToStderr, true)
)
