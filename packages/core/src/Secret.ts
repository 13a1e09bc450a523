/**
 * Secrets as providers accept them: a `Redacted` value, a `Config` that yields one (read from the
 * environment with `Config.Redacted("NAME")`), or several of either — the first signs test
 * deliveries, all are accepted when verifying (rotation).
 *
 * Secrets stay `Redacted` until the moment a signature is computed, so they never reach logs, error
 * messages or spans.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { Misconfigured } from "./DeliveryError.ts"

/**
 * One secret: a `Redacted` string or a `Config` that yields one.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretSource = Redacted.Redacted<string> | Config.Config<Redacted.Redacted<string>>

/**
 * One secret or several (rotation: all are accepted, the first is used to sign test deliveries).
 *
 * @since 0.1.0
 * @category models
 */
export type SecretInput = SecretSource | ReadonlyArray<SecretSource>

const toArray = (input: SecretInput): ReadonlyArray<SecretSource> =>
  Config.isConfig(input) || Redacted.isRedacted(input) ? [input] : input as ReadonlyArray<SecretSource>

/**
 * Resolves the secrets (reading any `Config`). Fails with `Misconfigured` when a config is missing,
 * when no secret is given, or when a secret is empty; the message names the setting, never a value.
 *
 * @since 0.1.0
 * @category resolving
 */
export const resolve = (
  input: SecretInput,
  what: string
): Effect.Effect<Arr.NonEmptyReadonlyArray<Redacted.Redacted<string>>, Misconfigured> => {
  // Plain `Redacted` values need no `ConfigProvider`: answered at once (an `Exit`), so a verify
  // built on them goes on without a fiber.
  const plain = resolveSync(input)
  if (plain !== undefined) {
    const [first, ...rest] = plain
    if (first === undefined) return Exit.fail(new Misconfigured({ message: `No ${what} configured` }))
    return plain.some((secret) => Redacted.value(secret).length === 0)
      ? Exit.fail(new Misconfigured({ message: `${what} is empty` }))
      : Exit.succeed([first, ...rest])
  }
  return Effect.gen(function*() {
    const resolved: Array<Redacted.Redacted<string>> = []
    for (const source of toArray(input)) {
      const secret = Redacted.isRedacted(source) ? source : yield* Effect.mapError(
        source,
        (error) => new Misconfigured({ message: `Cannot read ${what}: ${error.message}` })
      )
      if (Redacted.value(secret).length === 0) {
        return yield* new Misconfigured({ message: `${what} is empty` })
      }
      resolved.push(secret)
    }
    const [first, ...rest] = resolved
    if (first === undefined) return yield* new Misconfigured({ message: `No ${what} configured` })
    return [first, ...rest] as const
  })
}

/**
 * The secrets when they are all plain `Redacted` values (no `Config`), e.g. for test signers;
 * `undefined` otherwise.
 *
 * @since 0.1.0
 * @category resolving
 */
export const resolveSync = (input: SecretInput): ReadonlyArray<Redacted.Redacted<string>> | undefined => {
  const sources = toArray(input)
  return sources.every(Redacted.isRedacted) ? sources as ReadonlyArray<Redacted.Redacted<string>> : undefined
}
