/**
 * Runs a package's command (a `bin` script) as a real process on the Node that runs the tests, the
 * way a user would, with only `PATH` and the given variables in its environment. Inside the
 * repository the packages resolve to their TypeScript sources through the `@hookline/source`
 * condition (an installed package resolves to dist/).
 */
import { spawnSync } from "node:child_process"

/** The exit status and the output of one run. */
export interface CommandResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `script` with `args`, the environment `env` and `input` on stdin. */
export const runCommand = (
  script: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  input?: string
): CommandResult => {
  const result = spawnSync(process.execPath, ["--conditions=@hookline/source", script, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    input,
    encoding: "utf8"
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
