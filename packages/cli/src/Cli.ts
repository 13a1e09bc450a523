/**
 * The `hookline` command: `send` signs and posts a sample delivery for any bundled provider,
 * `listen` runs the reference receiver and prints each delivery, `doctor` tells which signing rule a
 * captured GoldenPay or EM callback matches, `dead-letters` lists, shows, replays and purges the
 * failed authentic deliveries the receiver keeps. Built on `effect/cli`; `--help` on every command.
 * The package's `bin` runs {@link main}; docs/cli.md describes every command, option, environment
 * variable and exit code.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { deadLetters } from "./internal/DeadLetters.ts"
import { doctor } from "./internal/Doctor.ts"
import { ExitCode } from "./internal/Failure.ts"
import { listen } from "./internal/Listen.ts"
import { send } from "./internal/Send.ts"

/**
 * The version `hookline --version` prints (the package's; a test keeps them equal).
 *
 * @since 0.1.0
 * @category models
 */
export const version = "0.1.0"

/**
 * The command tree: `hookline send | listen | doctor | dead-letters`. A new subcommand is one more
 * entry in the list, failing through `internal/Failure.ts`.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("hookline").pipe(
  Command.withDescription(
    "Send signed sample webhook deliveries, run the reference receiver, diagnose captured callbacks, and " +
      "replay dead letters."
  ),
  Command.withSubcommands([send, listen, doctor, deadLetters])
)

/**
 * Runs `hookline` with the given arguments (without the `node` and script paths) on Node's services.
 * Fails with the command's error; help, usage errors and command failures are already printed.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<void, unknown> =>
  Command.runWith(command, { version })(args).pipe(Effect.provide(NodeServices.layer))

// Invalid arguments exit 2 (effect/cli says 1), like every usage problem; a command stopped by
// SIGINT/SIGTERM after its graceful shutdown exits 0.
const teardown: Runtime.Teardown = (exit, onExit) => {
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
  if (Exit.isFailure(exit)) {
    const error = Cause.squash(exit.cause)
    if (CliError.isCliError(error) && error._tag === "ShowHelp") {
      return onExit(error.errors.length > 0 ? ExitCode.usage : 0)
    }
  }
  return Runtime.defaultTeardown(exit, onExit)
}

/**
 * Runs `hookline` on `process.argv` and exits with its exit code: the package's `bin`.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (): void => NodeRuntime.runMain(run(process.argv.slice(2)), { teardown })
