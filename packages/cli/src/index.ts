/**
 * `@hookline/cli`: the `hookline` command (`send`, `listen`, `doctor`). Most users run the `bin`;
 * `Cli.command` is the `effect/cli` command tree, `Cli.run(args)` runs it.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Cli from "./Cli.ts"
