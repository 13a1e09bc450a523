/**
 * The root Vitest config: one project per package and example (`test.projects`). Workspace packages
 * resolve to their TypeScript sources through the `@hookline/source` export condition, so tests run
 * without a build. `npm test` runs `vitest run --config vitest.workspace.ts`; the JSON report in
 * `.ci/out/vitest.json` feeds the summary line of `.ci/run`. Every project runs
 * `test-support/LogsOnFailure.ts` first: a failing test prints the logs captured while it ran.
 */
import { existsSync, readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const conditions = ["@hookline/source"]

const project = (name: string, root: string) => ({
  extends: true as const,
  test: { name, root, include: ["test/**/*.test.ts"] }
})

const projectsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(`${dir}/${entry.name}/test`))
      .map((entry) => project(entry.name, `${dir}/${entry.name}`))
    : []

// Root folders with tests of their own: reliability's reduced runs, the bench's, packaging (the
// packed tarballs: publint, attw, a consumer installed outside the workspace) and apidocs (the API
// reference's check: `npm run docs:check`, and fixtures proving it fails).
const rootProjects = ["reliability", "bench", "packaging", "apidocs"]
  .filter((dir) => existsSync(`${dir}/test`))
  .map((dir) => project(dir, dir))

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [...projectsIn("packages"), ...projectsIn("examples"), ...rootProjects],
    reporters: ["default", "json"],
    outputFile: { json: ".ci/out/vitest.json" },
    setupFiles: [fileURLToPath(new URL("./test-support/LogsOnFailure.ts", import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
