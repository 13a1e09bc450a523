/**
 * The Vitest configs of mutation testing (see docs/testing.md). `npm run mutation:core` runs core's
 * and the memory store's tests (this file's default export); `npm run mutation:stores` runs the
 * stores' tests and core's (`vitest.mutation.stores.config.ts`). Two runs because a mutant in code
 * that runs when a test file is imported (a "static" mutant: providers and handlers built at the top
 * of test files) is tested against every related test: the Redis and PostgreSQL suites would add
 * about 40 s to each of core's ~200 static mutants and kill none that core's own tests miss.
 *
 * Every `@hookline/*` import is aliased to the TypeScript sources *beside this file*. Stryker runs
 * the tests in a sandbox copy of the repository whose `node_modules` is a symlink to the real one,
 * and `node_modules/@hookline/core` is itself a relative symlink (`../../packages/core`) that
 * resolves through it to the original checkout: without the aliases a test importing
 * `@hookline/core` would load the original, unmutated sources, and every mutant would survive.
 * (`import.meta.dirname` is the sandbox when Stryker runs this file.)
 *
 * Left out: the tests that spawn worker processes (`Processes.test.ts`). The workers import the
 * packages through Node's resolution, i.e. the original sources, so they cannot observe a mutant.
 */
import * as path from "node:path"
import { defineConfig } from "vitest/config"

const root = import.meta.dirname
const conditions = ["@hookline/source"]
const packages = path.join(root, "packages")

const project = (name: string) => ({
  extends: true as const,
  test: {
    name,
    root: path.join(packages, name),
    include: ["test/**/*.test.ts"],
    // Tests that run only child processes (a Node.js 20 probe, tsc over the docs) kill no mutant.
    exclude: ["test/Processes.test.ts", "test/LosslessRuntime.test.ts", "test/DocBlocks.test.ts"]
  }
})

/**
 * The mutation config running the tests of the named packages. `testTimeout` bounds each test: a
 * mutant that breaks a timer leaves a `TestClock` test waiting forever, and failing that test at
 * its timeout is much cheaper than Stryker's own timeout, which restarts the test runner.
 */
export const mutationConfig = (projects: ReadonlyArray<string>, testTimeout: number) =>
  defineConfig({
    resolve: {
      conditions,
      alias: [
        { find: /^@hookline\/core\/testing\/vitest$/, replacement: path.join(packages, "core/src/testing/vitest.ts") },
        // The provider author's toolkit lives in src/toolkit.ts (a file named provider.ts would clash
        // with Provider.ts on case-insensitive file systems); internals under src/internal.
        { find: /^@hookline\/core\/provider$/, replacement: path.join(packages, "core/src/toolkit.ts") },
        {
          find: /^@hookline\/core\/internal\/([A-Za-z]+)$/,
          replacement: path.join(packages, "core/src/internal/$1.ts")
        },
        // `@hookline/core/testing`, `@hookline/core/node`, … (one module per subpath).
        { find: /^@hookline\/core\/([A-Za-z]+)$/, replacement: path.join(packages, "core/src/$1.ts") },
        { find: /^@hookline\/([a-z-]+)$/, replacement: path.join(packages, "$1/src/index.ts") },
        // A provider's subpaths (`@hookline/provider-igv/testing`, `…/doctor`).
        { find: /^@hookline\/([a-z-]+)\/([a-z]+)$/, replacement: path.join(packages, "$1/src/$2.ts") }
      ]
    },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      projects: projects.map(project),
      // One module graph per worker instead of one per test file: a test run costs about a tenth
      // (importing Effect per file was most of it). The modules are still imported anew for each
      // mutant run: "static" mutants (in code run at import) are killed as with isolation.
      isolate: false,
      // As in vitest.workspace.ts: a failing test prints the logs captured while it ran.
      setupFiles: [path.join(root, "test-support/LogsOnFailure.ts")],
      testTimeout,
      hookTimeout: 60_000
    }
  })

// Core's slowest test takes under 2 s (with real time); a TestClock test either ends at once or never.
export default mutationConfig(["core", "store-memory"], 5000)
