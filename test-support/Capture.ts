/**
 * Captures everything Effect logs (message, cause, annotations, rendered deeply) and every span it
 * starts, for tests that search them for secrets.
 */
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import { inspect } from "node:util"

export interface Capture {
  /** One rendered entry per log call. */
  readonly logged: Array<string>
  readonly spans: Array<Tracer.NativeSpan>
  readonly logger: Logger.Logger<unknown, void>
  readonly tracer: Tracer.Tracer
}

export const make = (): Capture => {
  const logged: Array<string> = []
  const spans: Array<Tracer.NativeSpan> = []
  const logger = Logger.make((options) => {
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
    logged.push(inspect({ message: options.message, cause: options.cause, annotations }, { depth: 10 }))
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
