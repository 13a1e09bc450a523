/**
 * Timestamp tolerance: rejects deliveries whose signed timestamp is too old (a replay) or too far in
 * the future (a skewed or forged clock). The current time comes from Effect's `Clock`, so tests
 * move time with `TestClock`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { MalformedDelivery, TimestampOutOfTolerance } from "./DeliveryError.ts"

/**
 * The unit a platform sends timestamps in.
 *
 * @since 0.1.0
 * @category models
 */
export type Unit = "seconds" | "milliseconds"

/**
 * How far a timestamp may lie from now: one duration for both directions, separate `past` /
 * `future` windows, or `false` to accept any time (the timestamp is still required to be a number
 * when present).
 *
 * @since 0.1.0
 * @category models
 */
export type Tolerance =
  | Duration.Input
  | { readonly past: Duration.Input; readonly future: Duration.Input }
  | false

/**
 * A tolerance resolved to milliseconds, or `undefined` when disabled.
 *
 * @since 0.1.0
 * @category models
 */
export interface Window {
  readonly pastMillis: number
  readonly futureMillis: number
}

/**
 * Resolves a tolerance to a window in milliseconds (`undefined` = disabled).
 *
 * @since 0.1.0
 * @category constructors
 */
export const window = (tolerance: Tolerance): Window | undefined => {
  if (tolerance === false) return undefined
  if (typeof tolerance === "object" && tolerance !== null && "past" in tolerance && "future" in tolerance) {
    return {
      pastMillis: Duration.toMillis(Duration.fromInputUnsafe(tolerance.past)),
      futureMillis: Duration.toMillis(Duration.fromInputUnsafe(tolerance.future))
    }
  }
  const millis = Duration.toMillis(Duration.fromInputUnsafe(tolerance))
  return { pastMillis: millis, futureMillis: millis }
}

const digits = /^\d{1,16}$/

/**
 * Parses a timestamp header or field (decimal digits only) into epoch milliseconds.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (value: string, unit: Unit): number | undefined => {
  const trimmed = value.trim()
  if (!digits.test(trimmed)) return undefined
  const n = Number(trimmed)
  return unit === "seconds" ? n * 1000 : n
}

/**
 * Checks a received timestamp against the clock. Fails with `MalformedDelivery` when it is not a
 * number, with `TimestampOutOfTolerance` when it lies outside the window. Returns the timestamp in
 * epoch milliseconds.
 *
 * `now` is the clock's reading in epoch milliseconds: pass the one a provider's `verify` receives
 * from the pipeline, and the check answers at once (an `Exit`, no fiber). Without it the check reads
 * the fiber's `Clock` when run.
 *
 * @since 0.1.0
 * @category verification
 */
export const check = (
  value: string,
  options: { readonly unit: Unit; readonly tolerance: Tolerance },
  now?: number | undefined
): Effect.Effect<number, MalformedDelivery | TimestampOutOfTolerance> => {
  const millis = parse(value, options.unit)
  if (millis === undefined) {
    return Exit.fail(new MalformedDelivery({ message: `Timestamp is not a number of ${options.unit}` }))
  }
  const limits = window(options.tolerance)
  if (limits === undefined) return Exit.succeed(millis)
  return now === undefined
    ? Effect.flatMap(Clock.currentTimeMillis, (current) => within(value, millis, limits, current))
    : within(value, millis, limits, now)
}

const within = (
  value: string,
  millis: number,
  limits: Window,
  now: number
): Exit.Exit<number, TimestampOutOfTolerance> => {
  const skew = now - millis
  if (skew <= limits.pastMillis && -skew <= limits.futureMillis) return Exit.succeed(millis)
  return Exit.fail(
    new TimestampOutOfTolerance({
      message: skew > 0
        ? `Timestamp is ${Math.round(skew / 1000)} s old (tolerance ${Math.round(limits.pastMillis / 1000)} s)`
        : `Timestamp is ${Math.round(-skew / 1000)} s in the future (tolerance ${
          Math.round(limits.futureMillis / 1000)
        } s)`,
      timestamp: value.trim(),
      skewMillis: skew
    })
  )
}
