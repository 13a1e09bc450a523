/**
 * `npm run docs`: writes the API reference of every package's public entry points into docs/api.
 * `npm run docs -- --check` (`npm run docs:check`): generates into a temporary folder instead and
 * fails when an export lacks `@since`, a link is broken, a doc comment's TypeScript block does not
 * compile, or the committed docs/api differs from what would be generated. Problems go to stderr, one
 * a line (`file:line: message`); the exit code is 1 when there is any. `--root DIR` documents another
 * tree laid out like this repository (its `packages/*`, its `docs/api`): the tests' fixtures.
 */
import * as path from "node:path"
import { check, generate, outDir, repoRoot } from "./ApiDocs.ts"

const started = performance.now()
const checking = process.argv.includes("--check")
const rootAt = process.argv.indexOf("--root")
const root = rootAt === -1 ? repoRoot : path.resolve(process.argv[rootAt + 1] ?? ".")
const result = checking ? await check(root) : await generate({ root, out: path.join(root, outDir) })
const seconds = ((performance.now() - started) / 1000).toFixed(1)
for (const problem of result.problems) process.stderr.write(`${problem.where}: ${problem.message}\n`)
const summary = `${result.entryPoints.length} entry points, ${result.exports} public exports, ${result.examples} ` +
  `code blocks compiled, ${seconds} s: convert ${result.timings.convert.toFixed(1)} s, blocks ` +
  `${result.timings.examples.toFixed(1)} s, render ${result.timings.render.toFixed(1)} s`
if (result.problems.length > 0) {
  process.stderr.write(
    `docs${checking ? " --check" : ""}: ${result.problems.length} problem(s) (${summary})\n`
  )
  process.exitCode = 1
} else {
  process.stderr.write(
    checking ? `docs --check: ${outDir} is up to date (${summary})\n` : `docs: wrote ${outDir} (${summary})\n`
  )
}
