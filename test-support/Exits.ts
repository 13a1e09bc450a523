/**
 * Reading the `Exit` of a provider's verify/decode in tests: the failure's tag(s), or the value.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"

/** `"ok"` for a success; else the tags of the typed failures, comma-separated (`"defect"` for a die). */
export const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>): string =>
  Exit.isFailure(exit)
    ? exit.cause.reasons.map((reason) => Cause.isFailReason(reason) ? reason.error._tag : "defect").join()
    : "ok"

/** The success value; throws with the cause otherwise. */
export const successValue = <A>(exit: Exit.Exit<A, unknown>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${String(exit.cause)}`)
}
