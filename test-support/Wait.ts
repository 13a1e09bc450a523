/**
 * Bounded waits for tests: every wait is on an event or an observed state, has a bound, and fails
 * with a message saying what did not happen — never a bare 30 s test timeout, never a sleep taken as
 * evidence.
 */
import * as Effect from "effect/Effect"

const failure = (message: string, millis: number) => new Error(`${message} (not within ${millis} ms)`)

/** Rejects with `message` unless `promise` settles within `millis`. */
export const within = <A>(promise: Promise<A>, millis: number, message: string): Promise<A> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(failure(message, millis)), millis)
    promise.then((value) => {
      clearTimeout(timer)
      resolve(value)
    }, (error: unknown) => {
      clearTimeout(timer)
      reject(error instanceof Error ? error : new Error(String(error)))
    })
  })

/**
 * Polls `check` (every `interval` ms, default 10) until it returns a value other than `undefined`
 * or `false`, and resolves with it; rejects with `message` (and the last value seen, when
 * `describe` is given) once `millis` have passed.
 */
export const eventually = async <A>(
  check: () => A | undefined | false | Promise<A | undefined | false>,
  millis: number,
  message: string,
  options?: { readonly interval?: number; readonly describe?: () => string }
): Promise<A> => {
  const deadline = performance.now() + millis
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (performance.now() >= deadline) {
      const last = options?.describe === undefined ? "" : `; last seen: ${options.describe()}`
      throw failure(`${message}${last}`, millis)
    }
    await new Promise((resolve) => setTimeout(resolve, options?.interval ?? 10))
  }
}

/**
 * `effect`, or a defect with `message` once `millis` of real time have passed — real time also under
 * `TestClock`, where `Effect.timeout` would wait for the test to move the clock.
 */
export const withinEffect = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  message: string
): Effect.Effect<A, E, R> =>
  Effect.raceFirst(
    effect,
    Effect.callback<never>((resume) => {
      const timer = setTimeout(() => resume(Effect.die(failure(message, millis))), millis)
      return Effect.sync(() => clearTimeout(timer))
    })
  )

const pause = (millis: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Runs `check` (every `interval` ms of real time, default 10) until it succeeds with a value other
 * than `undefined` or `false`; dies with `message` (and the last value, when `describe` is given)
 * once `millis` of real time have passed.
 */
export const eventuallyEffect = <A, E, R>(
  check: Effect.Effect<A | undefined | false, E, R>,
  millis: number,
  message: string,
  options?: { readonly interval?: number; readonly describe?: (last: A | undefined | false) => string }
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const deadline = performance.now() + millis
    const loop: Effect.Effect<A, E, R> = Effect.flatMap(check, (value) => {
      if (value !== undefined && value !== false) return Effect.succeed(value)
      if (performance.now() >= deadline) {
        const last = options?.describe === undefined ? "" : `; last seen: ${options.describe(value)}`
        return Effect.die(failure(`${message}${last}`, millis))
      }
      return Effect.andThen(pause(options?.interval ?? 10), loop)
    })
    return loop
  })

/**
 * Whether `promise` settles within `millis`. For a negative only ("dispose has not ended while a
 * handler runs"): a thing that must not happen can only be watched for a while. Where an event can
 * show it instead (a connection closed, a state observed), wait for that event.
 */
export const settles = (promise: Promise<unknown>, millis: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), millis)
    const done = () => {
      clearTimeout(timer)
      resolve(true)
    }
    promise.then(done, done)
  })
