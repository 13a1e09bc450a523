import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import type * as Ack from "../Ack.ts"
import { BodyTooLarge, MethodNotAllowed, StoreUnavailable } from "../DeliveryError.ts"
import type { IdempotencyStore } from "../IdempotencyStore.ts"
import * as Outcome from "../Outcome.ts"
import * as Routes from "../Routes.ts"
import type { WebhookHandler } from "../WebhookHandler.ts"
import type * as Runtime from "./Runtime.ts"

/** What an adapter does with a request before reading its body. */
export type Plan<R> =
  | {
    readonly _tag: "Respond"
    readonly handler: WebhookHandler<R> | undefined
    readonly effect: Effect.Effect<Ack.Ack>
  }
  | { readonly _tag: "Read"; readonly handler: WebhookHandler<R> }

export const tooLarge = <R>(handler: WebhookHandler<R>): Effect.Effect<Ack.Ack> =>
  handler.refuse(
    new BodyTooLarge({
      message: `Body exceeds the limit of ${handler.settings.bodyLimit} bytes`,
      limit: handler.settings.bodyLimit
    })
  )

/** Route, method and declared length are checked before a byte of the body is read. */
export const plan = <R>(
  endpoint: Routes.Endpoint<R>,
  method: string,
  url: string,
  declaredLength: number | undefined
): Plan<R> => {
  const handler = Routes.resolve(endpoint, url)
  if (handler === undefined) return { _tag: "Respond", handler, effect: Effect.succeed(Routes.notFound) }
  const upper = method.toUpperCase()
  if (!handler.methods.includes(upper)) {
    return {
      _tag: "Respond",
      handler,
      effect: handler.refuse(new MethodNotAllowed({ message: `Method ${upper} is not allowed`, method: upper }))
    }
  }
  if (declaredLength !== undefined && declaredLength > handler.settings.bodyLimit) {
    return { _tag: "Respond", handler, effect: tooLarge(handler) }
  }
  return { _tag: "Read", handler }
}

export const parseLength = (value: string | null | undefined): number | undefined => {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

/**
 * Runs the effect in the runtime. When the runtime cannot be built (the store is unreachable at
 * start-up), answers "retry" in the provider's language: never an ack.
 */
export const execute = <R>(
  runtime: Runtime.Runtime<R | IdempotencyStore>,
  handler: WebhookHandler<R> | undefined,
  effect: Effect.Effect<Ack.Ack, never, R | IdempotencyStore>
): Promise<Ack.Ack> =>
  runtime.run(effect).catch((cause: unknown) => {
    const outcome = Outcome.Failed({
      key: undefined,
      reason: new StoreUnavailable({ message: "The hookline runtime is not available" })
    })
    // The user's loggers are part of the layer that could not be built: this goes through Effect's
    // default logger, on stderr (stdout is the application's output).
    Effect.runFork(
      Effect.logError(
        "hookline: the runtime is not available (layer build failed or disposed)",
        Cause.isCause(cause) ? Cause.pretty(cause) : String(cause)
      ).pipe(Effect.provideService(Logger.LogToStderr, true))
    )
    return handler === undefined
      ? { status: 503, headers: { "content-type": "application/json" }, body: "{\"outcome\":\"Failed\"}" }
      : handler.respond(outcome)
  })
