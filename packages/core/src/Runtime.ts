/**
 * The runtime the adapters run handlers in: built once from the user's layer (the idempotency
 * store and whatever the handlers require), not per request, and disposable for graceful shutdown.
 *
 * Unlike a bare `ManagedRuntime`, a failed build is not cached: if the store cannot be reached when
 * the first request arrives, that request is answered "retry" and the next one tries again.
 * `dispose()` stops accepting work, waits for requests in progress and for handlers running in the
 * background (up to `shutdownTimeout`), then releases the layer's resources.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Background from "./Background.ts"

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuntimeOptions {
  /** How long `dispose` waits for requests and background handlers. Default 30 seconds. */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/**
 * A runtime for handlers requiring `R`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Runtime<in R> {
  /** Runs an effect; rejects when the layer cannot be built (the caller answers "retry"). */
  readonly run: <A>(effect: Effect.Effect<A, never, R>) => Promise<A>
  /** Whether `dispose` was called. */
  readonly disposed: () => boolean
  /** Waits for requests and background handlers (up to the shutdown timeout), then releases the layer. */
  readonly dispose: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/**
 * Thrown (as a rejected promise) by `run` after `dispose`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RuntimeDisposed extends Error {
  constructor() {
    super("hookline runtime disposed")
    this.name = "RuntimeDisposed"
  }
}

/**
 * Creates a runtime from a layer. Nothing is built until the first `run`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R, E>(layer: Layer.Layer<R, E>, options?: RuntimeOptions): Runtime<R> => {
  const shutdownTimeout = Duration.fromInputUnsafe(options?.shutdownTimeout ?? Duration.seconds(30))
  const scope = Scope.makeUnsafe("sequential")
  const full = Layer.merge(layer, Background.layer({ shutdownTimeout }))
  let context: Promise<Context.Context<R>> | undefined
  let isDisposed = false
  const inProgress = new Set<Promise<unknown>>()

  const build = (): Promise<Context.Context<R>> => {
    if (context !== undefined) return context
    const attempt = Scope.forkUnsafe(scope, "sequential")
    const built = Effect.runPromiseExit(Layer.buildWithScope(full, attempt)).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      // Do not cache a failed build: release what was acquired and let the next request try again.
      context = undefined
      return Effect.runPromise(Scope.close(attempt, exit)).then(() => Promise.reject(exit.cause))
    })
    context = built
    return built
  }

  const run = <A>(effect: Effect.Effect<A, never, R>): Promise<A> => {
    if (isDisposed) return Promise.reject(new RuntimeDisposed())
    const promise = build().then((ctx) => Effect.runPromiseWith(ctx)(effect))
    inProgress.add(promise)
    const forget = () => inProgress.delete(promise)
    promise.then(forget, forget)
    return promise
  }

  let disposing: Promise<void> | undefined
  const dispose = (): Promise<void> => {
    if (disposing !== undefined) return disposing
    isDisposed = true
    const requests = Promise.allSettled(Array.from(inProgress))
    const timeout = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Duration.toMillis(shutdownTimeout))
      timer.unref?.()
    })
    // Closing the scope runs the background layer's finalizer, which waits for background handlers.
    disposing = Promise.race([requests, timeout]).then(() => Effect.runPromise(Scope.close(scope, Exit.void)))
    return disposing
  }

  return { run, disposed: () => isDisposed, dispose, [Symbol.asyncDispose]: dispose }
}
