/**
 * Environment variables of the harness processes (reliability and bench receivers): a missing one is
 * said on stderr and exits with status 2, before anything starts.
 */

/** The variable's value; exits with status 2 when it is missing or empty. */
export const need = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name]
  if (value === undefined || value === "") {
    process.stderr.write(`${name} is required\n`)
    process.exit(2)
  }
  return value
}

/** The variable as a number, or `fallback` when it is missing or empty. */
export const numberOr = (name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number => {
  const value = env[name]
  return value === undefined || value === "" ? fallback : Number(value)
}
