/**
 * What every adapter does with a request around the pipeline: the refusals decided before a byte of
 * the body is read (method, declared length), and — for the promise-based adapters (`/node`, `/web`),
 * which route by path themselves — the whole way from a received request to its answer.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import type * as Ack from "../Ack.ts"
import { BodyTooLarge, BodyUnavailable, MethodNotAllowed, StoreUnavailable } from "../DeliveryError.ts"
import type { IdempotencyStore } from "../IdempotencyStore.ts"
import * as Outcome from "../Outcome.ts"
import * as RawDelivery from "../RawDelivery.ts"
import * as Routes from "../Routes.ts"
import type { WebhookHandler } from "../WebhookHandler.ts"
import type * as Body from "./body.ts"
import type * as Runtime from "./Runtime.ts"

export const tooLarge = <R>(handler: WebhookHandler<R>): Effect.Effect<Ack.Ack> =>
  handler.refuse(
    new BodyTooLarge({
      message: `Body exceeds the limit of ${handler.settings.bodyLimit} bytes`,
      limit: handler.settings.bodyLimit
    })
  )

/** The answer to a request refused before its body is read, or `undefined` when it is to be read. */
export const refuseUnread = <R>(
  handler: WebhookHandler<R>,
  method: string,
  declaredLength: string | null | undefined
): Effect.Effect<Ack.Ack> | undefined => {
  const upper = method.toUpperCase()
  if (!handler.methods.includes(upper)) {
    return handler.refuse(new MethodNotAllowed({ message: `Method ${upper} is not allowed`, method: upper }))
  }
  const length = parseLength(declaredLength)
  return length !== undefined && length > handler.settings.bodyLimit ? tooLarge(handler) : undefined
}

const parseLength = (value: string | null | undefined): number | undefined => {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

/**
 * Runs the effect in the runtime. When the runtime cannot be built (the store is unreachable at
 * start-up), answers "retry" in the provider's language: never an ack.
 */
const execute = <R>(
  runtime: Runtime.Runtime<R | IdempotencyStore>,
  handler: WebhookHandler<R> | undefined,
  effect: Effect.Effect<Ack.Ack, never, R | IdempotencyStore>
): Promise<Ack.Ack> => runtime.run(effect).catch((cause: unknown) => unavailable(handler, cause))

// "Retry" when the runtime could not run the pipeline (never an ack).
const unavailable = <R>(handler: WebhookHandler<R> | undefined, cause: unknown): Ack.Ack => {
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
}

/**
 * Runs a delivery through the handler's pipeline: at once when the runtime is built and every step
 * finishes synchronously (`WebhookHandler.runIn`), else in the runtime.
 */
const runDelivery = <R>(
  runtime: Runtime.Runtime<R | IdempotencyStore>,
  handler: WebhookHandler<R>,
  raw: RawDelivery.RawDelivery
): Ack.Ack | Promise<Ack.Ack> => {
  const context = runtime.context()
  if (context === undefined) return execute(runtime, handler, handler.run(raw))
  const result = handler.runIn(context, raw)
  if (!Exit.isExit(result)) return execute(runtime, handler, result)
  const exit = result as Exit.Exit<Ack.Ack>
  return Exit.isSuccess(exit) ? exit.value : unavailable(handler, exit.cause)
}

/** A request as a promise-based adapter received it, its body not read yet. */
export interface Incoming {
  readonly method: string
  readonly url: string
  readonly headers: NonNullable<RawDelivery.RawDeliveryInput["headers"]>
  readonly contentLength: string | null | undefined
  readonly body: Body.Body
}

const notFound = Effect.succeed(Routes.notFound)

/**
 * Answers a request with the endpoint: route, method and declared length are checked before a byte
 * of the body is read, the body is read under the handler's limit, and the pipeline runs over the
 * exact bytes. `reply` is called once with the answer — in the same call stack when the body was
 * at hand and the delivery finished synchronously — or with `undefined` when the body could not be
 * read: the client is gone, nothing ran.
 */
export const answer = <R>(
  runtime: Runtime.Runtime<R | IdempotencyStore>,
  endpoint: Routes.Endpoint<R>,
  incoming: Incoming,
  reply: (ack: Ack.Ack | undefined) => void
): void => {
  const handler = Routes.resolve(endpoint, incoming.url)
  if (handler === undefined) return void execute(runtime, handler, notFound).then(reply)
  const refused = refuseUnread(handler, incoming.method, incoming.contentLength)
  if (refused !== undefined) return void execute(runtime, handler, refused).then(reply)
  const body = incoming.body
  if (typeof body === "function") {
    body(handler.settings.bodyLimit, (read) => settle(deliver(runtime, handler, incoming, read), reply))
  } else {
    settle(deliver(runtime, handler, incoming, body), reply)
  }
}

const settle = (
  answered: Ack.Ack | Promise<Ack.Ack> | undefined,
  reply: (ack: Ack.Ack | undefined) => void
): void => {
  if (answered instanceof Promise) void answered.then(reply)
  else reply(answered)
}

const deliver = <R>(
  runtime: Runtime.Runtime<R | IdempotencyStore>,
  handler: WebhookHandler<R>,
  incoming: Incoming,
  body: Body.Read | BodyUnavailable
): Ack.Ack | Promise<Ack.Ack> | undefined => {
  if (body === "Unreadable") return undefined
  if (body instanceof BodyUnavailable) return execute(runtime, handler, handler.refuse(body))
  // Bytes a framework buffered were not read under the limit: it applies to them here.
  if (body === "TooLarge" || body.length > handler.settings.bodyLimit) {
    return execute(runtime, handler, tooLarge(handler))
  }
  const raw = RawDelivery.make({ method: incoming.method, url: incoming.url, headers: incoming.headers, body })
  return runDelivery(runtime, handler, raw)
}
