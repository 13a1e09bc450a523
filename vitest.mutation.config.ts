/**
 * The Vitest config of mutation testing (`npm run mutation`, see docs/testing.md): only the projects
 * whose tests exercise the mutated modules (core and the three stores), and every `@hookline/*`
 * import aliased to the TypeScript sources *beside this file*.
 *
 * Why the aliases: Stryker runs the tests in a sandbox copy of the repository whose `node_modules`
 * is a symlink to the real one, and `node_modules/@hookline/core` is itself a relative symlink
 * (`../../packages/core`) that resolves through it to the original checkout. Without the aliases a
 * test importing `@hookline/core` would load the original, unmutated sources, and every mutant
 * would survive. `import.meta.dirname` is the sandbox when Stryker runs this file.
 *
 * Left out: the tests that spawn worker processes (`Processes.test.ts`): the workers import the
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
    exclude: ["test/Processes.test.ts"]
  }
})

export default defineConfig({
  resolve: {
    conditions,
    alias: [
      // `@hookline/core/testing`, `@hookline/core/node`, … (one module per subpath).
      { find: /^@hookline\/core\/([A-Za-z]+)$/, replacement: path.join(packages, "core/src/$1.ts") },
      { find: /^@hookline\/([a-z-]+)$/, replacement: path.join(packages, "$1/src/index.ts") }
    ]
  },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: ["core", "store-memory", "store-redis", "store-sql"].map(project),
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
