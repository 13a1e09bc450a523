/**
 * The runtime the adapters run handlers in: built once from the user's layer (the idempotency
 * store and whatever the handlers require), not per request, and disposable for graceful shutdown.
 *
 * Unlike a bare `ManagedRuntime`, a failed build is not cached: if the store cannot be reached when
 * the first request arrives, that request is answered "retry" and the next one tries again. `start()`
 * builds it at once, so a missing secret or a malformed store URL is reported at start-up.
 *
 * `dispose()` stops accepting requests and shuts down in order, within `shutdownTimeout`:
 *
 * 1. requests in progress are answered;
 * 2. handlers running in the background finish — their completions are recorded, because the store
 *    is still open — or, when the time is nearly up, are interrupted and release their claims;
 * 3. the store (the layer's resources) is closed.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type { Misconfigured } from "../DeliveryError.ts"
import * as Background from "./Background.ts"

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuntimeOptions {
  /**
   * The longest `dispose` takes: requests in progress, then background handlers, then closing the
   * store, all within it — even when a handler cannot be interrupted. Default 30 seconds.
   */
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
  /**
   * The built services, for work that can finish without a fiber (`WebhookHandler.runIn`);
   * `undefined` until the layer is built, and once `dispose` was called.
   */
  readonly context: () => Context.Context<R> | undefined
  /**
   * Builds the runtime now (connects the store) and reads the handlers' configuration, instead of
   * at the first request. Rejects with the error (`Misconfigured`, `StoreUnavailable`, …).
   */
  readonly start: () => Promise<void>
  /** Whether `dispose` was called. */
  readonly disposed: () => boolean
  /** Shuts down gracefully, within the shutdown timeout (see the module's doc). */
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

interface Built<R> {
  readonly context: Context.Context<R>
  readonly background: Background.Tracked
}

// A build failure as the error it carries (a typed `Misconfigured`, `StoreUnavailable`, …).
const errorOf = (cause: Cause.Cause<unknown>): unknown => Cause.squash(cause)

/**
 * Creates a runtime from a layer. Nothing is built until `start` or the first `run`. `start` also
 * runs `check` with the built services (e.g. a `ConfigProvider` from the layer): the adapters pass
 * the handlers' configuration check. Without `start`, a handler with a missing secret answers its
 * deliveries `Misconfigured` ("retry") while the others work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R, E>(
  layer: Layer.Layer<R, E>,
  options?: RuntimeOptions & { readonly check?: Effect.Effect<void, Misconfigured> | undefined }
): Runtime<R> => {
  const shutdownTimeout = Duration.fromInputUnsafe(options?.shutdownTimeout ?? Duration.seconds(30))
  const check = options?.check ?? Effect.void
  // The store's scope and the background's are separate, so shutdown can close them in order: the
  // background (waiting for handlers, which record their completions in the store) first.
  const storeScope = Scope.makeUnsafe("sequential")
  let built: Promise<Built<R>> | undefined
  let ready: Context.Context<R> | undefined
  let isDisposed = false
  const inProgress = new Set<Promise<unknown>>()

  const build = (): Promise<Built<R>> => {
    if (built !== undefined) return built
    const attempt = Scope.forkUnsafe(storeScope, "sequential")
    const program = Effect.gen(function*() {
      const context = yield* Layer.buildWithScope(layer, attempt)
      const background = yield* Scope.provide(Background.make, attempt)
      return { context: Context.add(context, Background.Background, background), background }
    })
    const promise = Effect.runPromiseExit(program).then((exit) => {
      if (Exit.isSuccess(exit)) {
        if (!isDisposed) ready = exit.value.context
        return exit.value
      }
      // Do not cache a failed build: release what was acquired and let the next request try again.
      built = undefined
      return Effect.runPromise(Scope.close(attempt, exit)).then(() => Promise.reject(errorOf(exit.cause)))
    })
    built = promise
    return promise
  }

  const run = <A>(effect: Effect.Effect<A, never, R>): Promise<A> => {
    if (isDisposed) return Promise.reject(new RuntimeDisposed())
    const promise = build().then(({ context }) => Effect.runPromiseWith(context)(effect))
    inProgress.add(promise)
    const forget = () => inProgress.delete(promise)
    promise.then(forget, forget)
    return promise
  }

  const start = (): Promise<void> =>
    isDisposed ?
      Promise.reject(new RuntimeDisposed()) :
      build().then(({ context }) =>
        Effect.runPromiseExit(Effect.provideContext(check, context)).then((exit) =>
          Exit.isSuccess(exit) ? undefined : Promise.reject(errorOf(exit.cause))
        )
      )

  // Each step is bounded; together they end within the shutdown timeout.
  const shutdown = (pending: Promise<Built<R>> | undefined) =>
    Effect.gen(function*() {
      const total = Duration.toMillis(shutdownTimeout)
      const window = Duration.toMillis(Background.releaseWindow(shutdownTimeout))
      const deadline = (yield* Clock.currentTimeMillis) + total
      const left = Effect.map(Clock.currentTimeMillis, (now) => Math.max(0, deadline - now))
      // 1. Requests in progress, leaving the background and the store their windows.
      yield* Effect.timeoutOption(
        Effect.promise(() => Promise.allSettled(Array.from(inProgress))),
        Math.max(0, total - 2 * window)
      )
      // 2. Background handlers, while the store is still open.
      const ready = pending === undefined
        ? undefined
        : yield* Effect.promise(() => pending.then((value) => value, () => undefined))
      if (ready !== undefined) yield* ready.background.drain(Math.max(0, (yield* left) - 2 * window), window)
      // 3. The store: its finalizers (closing connections) get what is left, at least the window. A
      // finalizer that hangs (a frozen server) is left behind rather than waited for.
      const closing = yield* Effect.forkDetach(Scope.close(storeScope, Exit.void), { startImmediately: true })
      yield* Effect.timeoutOption(Fiber.await(closing), Math.max(window, yield* left))
    })

  let disposing: Promise<void> | undefined
  const dispose = (): Promise<void> => {
    if (disposing !== undefined) return disposing
    isDisposed = true
    ready = undefined
    disposing = Effect.runPromise(shutdown(built))
    return disposing
  }

  return {
    run,
    context: () => ready,
    start,
    disposed: () => isDisposed,
    dispose,
    [Symbol.asyncDispose]: dispose
  }
}
