/**
 * A command's failure as the user sees it: one message on stderr (rendered by `effect/cli`, never
 * a stack trace) and the process's exit code.
 */
import * as CliError from "effect/cli/CliError"
import type * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"

/** The exit codes of every `hookline` command (docs/cli.md, "Exit codes"). */
export const ExitCode = {
  /** `send`: the receiver did not acknowledge the delivery; `doctor`: no signing rule matches. */
  notAcknowledged: 1,
  /** Invalid arguments, a missing or invalid environment variable, an unreadable file. */
  usage: 2,
  /** `send`: the receiver could not be reached. */
  unreachable: 3
} as const

/** Fails a command with `message` on stderr and `exitCode`. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly message: string
  readonly exitCode: number
}> {
  override get [Runtime.errorExitCode](): number {
    return this.exitCode
  }
  override get [CliError.userMessage](): string {
    return this.message
  }
}

/** A usage or configuration problem (exit code 2). */
export const usage = (message: string): CommandFailed => new CommandFailed({ message, exitCode: ExitCode.usage })

// "Expected an integer\n  at ["HOOKLINE_TIME_BUDGET_MS"]" → `HOOKLINE_TIME_BUDGET_MS="1.5": Expected an integer`
/** A configuration error's message naming the variable (secrets and URLs never echoed). */
export const describeConfigProblem = (message: string, env: { readonly [name: string]: string | undefined }) => {
  const match = /^([\s\S]*?)\s*at \["([A-Z0-9_]+)"\]\s*$/.exec(message)
  if (match === null) return message
  const name = match[2]!
  const shown = /SECRET|URL/.test(name) ? "<redacted>" : JSON.stringify(env[name])
  return `${name}=${shown}: ${match[1]}`
}

/** Reads a configuration from the environment (the current `ConfigProvider`). */
export const readConfig = <A>(config: Config.Config<A>): Effect.Effect<A, Config.ConfigError> =>
  Effect.gen(function*() {
    return yield* config
  })
