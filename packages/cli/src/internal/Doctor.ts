/**
 * `hookline doctor goldenpay|em --body <file>`: which signing rule (sign form) a captured callback
 * matches. The doctors are the providers' own (`@hookline/provider-goldenpay/doctor`,
 * `@hookline/provider-em/doctor`, the logic behind `goldenpay-doctor` and `em-doctor`); this command
 * only reads the capture and the secret and prints core's `SignDoctor.report`.
 */
import { SignDoctor } from "@hookline/core/provider"
import * as EmDoctor from "@hookline/provider-em/doctor"
import * as GoldenPayDoctor from "@hookline/provider-goldenpay/doctor"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { CommandFailed, ExitCode, readConfig, usage } from "./Failure.ts"

const doctors = { goldenpay: GoldenPayDoctor.doctor, em: EmDoctor.doctor } as const

/** `hookline doctor`. */
export const doctor = Command.make("doctor", {
  platform: Argument.Literals("platform", ["goldenpay", "em"] as const).pipe(
    Argument.withDescription(
      "The platform whose signing rules to try: goldenpay (GOLDENPAY_SECRET) or em (EM_APP_SECRET)"
    )
  ),
  body: Flag.String("body").pipe(
    Flag.withMetavar("file"),
    Flag.withDescription("The captured callback: the exact body bytes as received")
  ),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print the diagnosis as JSON"))
}, (input) =>
  Effect.gen(function*() {
    const doctor = doctors[input.platform]
    const secret = yield* readConfig(Config.option(Config.String(doctor.secretVariable))).pipe(
      Effect.orElseSucceed(() => Option.none<string>())
    )
    if (Option.isNone(secret) || secret.value === "") {
      return yield* usage(`hookline doctor ${input.platform}: ${doctor.secretVariable} is not set`)
    }
    const fs = yield* FileSystem.FileSystem
    const body = yield* fs.readFile(input.body).pipe(
      Effect.mapError((error) => usage(`hookline doctor: cannot read --body ${input.body}: ${error.message}`))
    )
    const report = SignDoctor.report(doctor, { body, secret: secret.value, json: input.json })
    yield* Console.log(report.output.trimEnd())
    if (report.exitCode !== 0) {
      return yield* new CommandFailed({
        message: `hookline doctor ${input.platform}: no signing rule matches the capture`,
        exitCode: ExitCode.notAcknowledged
      })
    }
  })).pipe(
    Command.withDescription(
      "Tell which signing rule (sign form) a captured GoldenPay or EM callback matches, with the secret from " +
        "GOLDENPAY_SECRET or EM_APP_SECRET. The report never contains the secret."
    ),
    Command.withExamples([
      { command: "hookline doctor goldenpay --body capture.json", description: "Which GoldenPay sign form" },
      { command: "hookline doctor em --body capture.txt --json", description: "The EM diagnosis as JSON" }
    ])
  )
