/**
 * Where handlers that outlive their request run. When a handler is still running at the end of the
 * time budget, the pipeline answers "retry" but lets the handler finish in the background, so its
 * completion is recorded and the platform's retry is answered as a duplicate.
 *
 * The adapters (`toNodeListener`, `toWebHandler`, the `/http` layer) provide a `Background` whose
 * fibers they wait for on graceful shutdown — *before* the store is closed, so a handler finishing
 * during shutdown can still record its completion. Without an adapter the default runs them
 * detached.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

/**
 * Forks work that must survive the request that started it.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackgroundService {
  /**
   * Forks the effect, or answers `undefined` without running it when the service is shutting down
   * (the caller then undoes what it started, e.g. releases its claim).
   */
  readonly fork: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Fiber.Fiber<A, E> | undefined, never, R>
  /** Waits until no background work is running. */
  readonly awaitIdle: Effect.Effect<void>
}

/**
 * A background service whose shutdown is bounded: see {@link Tracked.drain}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tracked extends BackgroundService {
  /**
   * Stops accepting work, waits up to `finish` for running work to end on its own, then interrupts
   * what is left (an interrupted handler releases its claim) and waits at most `interrupt` more for
   * it to end. Work stuck in an uninterruptible section is abandoned rather than waited for, so
   * shutdown always ends within `finish + interrupt`. Running it again does nothing.
   */
  readonly drain: (finish: Duration.Input, interrupt: Duration.Input) => Effect.Effect<void>
}

/**
 * The background service (a reference: it has a detached default).
 *
 * @since 0.1.0
 * @category services
 */
export const Background: Context.Reference<BackgroundService> = Context.Reference<BackgroundService>(
  "@hookline/core/Background",
  {
    defaultValue: () => ({
      fork: (effect) => Effect.forkDetach(effect, { startImmediately: true }),
      awaitIdle: Effect.void
    })
  }
)

/**
 * A background service tracking its fibers: `awaitIdle` waits for them, `drain` shuts it down within
 * a bound. Closing the given scope drains it with no wait for running work (interrupting it at once,
 * waiting at most one second for the interrupted work to end).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Tracked, never, Scope.Scope> = Effect.gen(function*() {
  // The set lives in a scope of its own, closed by `drain` in a detached fiber: closing a FiberSet
  // interrupts its fibers and waits for them, which never ends for one that is uninterruptible.
  const setScope = Scope.makeUnsafe()
  const set = yield* Scope.provide(FiberSet.make<unknown, unknown>(), setScope)
  let accepting = true
  let draining: Fiber.Fiber<void> | undefined
  const drain = (finish: Duration.Input, interrupt: Duration.Input): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (draining !== undefined) return Fiber.join(draining)
      accepting = false
      return Effect.flatMap(
        Effect.forkDetach(
          Effect.gen(function*() {
            yield* Effect.timeoutOption(FiberSet.awaitEmpty(set), finish)
            const closing = yield* Effect.forkDetach(Scope.close(setScope, Exit.void), { startImmediately: true })
            yield* Effect.timeoutOption(Fiber.await(closing), interrupt)
          }),
          { startImmediately: true }
        ),
        (fiber) => {
          draining = fiber
          return Fiber.join(fiber)
        }
      )
    })
  yield* Effect.addFinalizer(() => drain(Duration.zero, Duration.seconds(1)))
  return {
    fork: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.suspend(() =>
        accepting
          ? Effect.map(FiberSet.run(set, { startImmediately: true })(effect), (fiber) => fiber as Fiber.Fiber<A, E>)
          : Effect.succeed(undefined)
      ),
    awaitIdle: FiberSet.awaitEmpty(set),
    drain
  }
})

/**
 * How a shutdown of `shutdownTimeout` is split: running work gets all but the release window, the
 * release window (a tenth of the timeout, at most one second) is for interrupted work to release its
 * claims.
 *
 * @since 0.1.0
 * @category models
 */
export const releaseWindow = (shutdownTimeout: Duration.Input): Duration.Duration => {
  const total = Duration.toMillis(Duration.fromInputUnsafe(shutdownTimeout))
  return Duration.millis(Math.min(1000, total / 10))
}

/**
 * A scoped background service for long-lived servers: closing its scope first waits for running
 * background handlers, then interrupts what is left — an interrupted handler releases its claim, so
 * the platform's retry processes the delivery again. The whole takes at most `shutdownTimeout`
 * (default 30 seconds), even when a handler cannot be interrupted.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeGraceful = (options?: {
  readonly shutdownTimeout?: Duration.Input | undefined
}): Effect.Effect<BackgroundService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const timeout = Duration.fromInputUnsafe(options?.shutdownTimeout ?? Duration.seconds(30))
    const window = releaseWindow(timeout)
    const background = yield* make
    // Finalizers run in reverse order: this one runs before `make`'s own.
    yield* Effect.addFinalizer(() => background.drain(Duration.subtract(timeout, window), window))
    return background
  })

/**
 * Provides a graceful {@link makeGraceful} background service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly shutdownTimeout?: Duration.Input | undefined }): Layer.Layer<never> =>
  Layer.effectContext(Effect.map(makeGraceful(options), (background) => Context.make(Background, background)))
