/**
 * Captures everything Effect logs (message, cause, annotations, rendered deeply) and every span it
 * starts, for tests that search them for secrets. The logs go through a `Logs` capture, so they stay
 * off the console and a failing test shows them.
 */
import * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"
import * as Logs from "./Logs.ts"

export interface Capture {
  /** One deep rendering (`Logs.render`) per log call, live. */
  readonly logged: Array<string>
  readonly spans: Array<Tracer.NativeSpan>
  /** Records into `logged` and the test's log capture; does not print. */
  readonly logger: Logger.Logger<unknown, void>
  readonly tracer: Tracer.Tracer
}

export const make = (): Capture => {
  const logs = Logs.make()
  const logged: Array<string> = []
  const spans: Array<Tracer.NativeSpan> = []
  const logger = Logger.make((options: Logger.Options<unknown>) => {
    logs.logger.log(options)
    logged.push(Logs.render(logs.entries.at(-1)!))
  })
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { logged, spans, logger, tracer }
}
