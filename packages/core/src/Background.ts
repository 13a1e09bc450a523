/**
 * Where handlers that outlive their request run. When a handler is still running at the end of the
 * time budget, the pipeline answers "retry" but lets the handler finish in the background, so its
 * completion is recorded and the platform's retry is answered as a duplicate.
 *
 * The adapters (`toNodeListener`, `toWebHandler`, `Runtime.make`) provide a `Background` whose
 * fibers they wait for on graceful shutdown. Without an adapter the default runs them detached.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"

/**
 * Forks work that must survive the request that started it.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackgroundService {
  readonly fork: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Fiber.Fiber<A, E>, never, R>
  /** Waits until no background work is running. */
  readonly awaitIdle: Effect.Effect<void>
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
 * A background service tracking its fibers in a `FiberSet` of the given scope: `awaitIdle` waits for
 * them, closing the scope interrupts them (their claims are released).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BackgroundService, never, Scope.Scope> = Effect.gen(function*() {
  const set = yield* FiberSet.make<unknown, unknown>()
  return {
    fork: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.map(FiberSet.run(set, { startImmediately: true })(effect), (fiber) => fiber as Fiber.Fiber<A, E>),
    awaitIdle: FiberSet.awaitEmpty(set)
  }
})

/**
 * A scoped background service for long-lived servers: closing its scope first waits for running
 * background handlers (up to `shutdownTimeout`, default 30 seconds), then interrupts what is left —
 * an interrupted handler releases its claim, so the platform's retry processes the delivery again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeGraceful = (options?: {
  readonly shutdownTimeout?: Duration.Input | undefined
}): Effect.Effect<BackgroundService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const background = yield* make
    // Finalizers run in reverse order: this one runs before the FiberSet interrupts its fibers.
    yield* Effect.addFinalizer(() =>
      background.awaitIdle.pipe(Effect.timeoutOption(options?.shutdownTimeout ?? Duration.seconds(30)), Effect.asVoid)
    )
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
