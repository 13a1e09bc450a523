// Issue #20, the API reference: `npm run docs:check` passes on the repository (every public export
// dated, every link resolved, every doc comment's TypeScript block compiling, docs/api up to date), and
// the same command fails, naming file and export, on a fixture that breaks each rule — so the check is
// proven to bite. The staleness rule is shown on a copy of a passing fixture.
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { check, entryPoints, generate, outDir, repoRoot } from "../ApiDocs.ts"

const run = promisify(execFile)

// The command as CI and a developer run it (`npm run docs:check` is `node apidocs/docs.ts --check`).
const docsCheck = (...args: ReadonlyArray<string>) =>
  run(process.execPath, [path.join(repoRoot, "apidocs", "docs.ts"), "--check", ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? String(error) })
  )

const fixture = (name: string) => path.join(repoRoot, "apidocs", "test", "fixtures", name)

describe("the API reference", () => {
  it("covers exactly the public entry points of the publishable packages", () => {
    const entries = entryPoints()
    const names = entries.map((entry) => entry.name)
    // A subpath whose file is named otherwise: the exports map decides, not the file name.
    assert.deepInclude(entries, { name: "@hookline/core/provider", file: "packages/core/src/toolkit.ts" })
    assert.deepInclude(entries, { name: "@hookline/core/testing/vitest", file: "packages/core/src/testing/vitest.ts" })
    assert.include(names, "@hookline/store-sql")
    assert.isFalse(names.some((name) => name.includes("internal")), "internal modules are not public")
    assert.isFalse(names.some((name) => !name.startsWith("@hookline/")))
    // Every entry point has its page, and the index lists them all.
    const index = readFileSync(path.join(repoRoot, outDir, "README.md"), "utf8")
    for (const name of names) assert.include(index, `[${name}](`, `${name} is missing from docs/api/README.md`)
    assert.strictEqual([...index.matchAll(/^- \[@hookline\//gm)].length, names.length)
  })

  it(
    "npm run docs:check passes on the repository: dated exports, resolved links, compiling examples, docs/api up to date",
    { timeout: 240_000 },
    async () => {
      const { code, stderr } = await docsCheck()
      assert.strictEqual(code, 0, stderr)
      const summary =
        /docs --check: docs\/api is up to date \((\d+) entry points, (\d+) public exports, (\d+) code blocks/
          .exec(stderr)
      assert.isNotNull(summary, stderr)
      assert.strictEqual(Number(summary![1]), entryPoints().length)
      assert.isAtLeast(Number(summary![2]), 400, "fewer public exports than expected: is the walk broken?")
      assert.isAtLeast(Number(summary![3]), 30, "fewer doc comment blocks than expected: is the extraction broken?")
    }
  )

  it(
    "npm run docs:check fails on a fixture breaking each rule, naming file, line and export",
    { timeout: 240_000 },
    async () => {
      const { code, stderr } = await docsCheck("--root", fixture("broken"))
      assert.strictEqual(code, 1, stderr)
      const lines = stderr.trim().split("\n")
      const expected = [
        // An export, a namespace member and an export specifier without @since.
        "packages/bad/src/index.ts:16: @fixture/bad.undated: a public export without @since",
        "packages/bad/src/Inner.ts:17: @fixture/bad.Inner.undatedMember: a public export without @since",
        "packages/bad/src/index.ts:62: @fixture/bad.right: a public export without @since",
        // A {@link} to nothing, a relative Markdown link to no file.
        "packages/bad/src/extra.ts:12: Failed to resolve link to \"Nowhere\" in comment for @fixture/bad/extra.linked",
        "packages/bad/src/extra.ts:19: @fixture/bad/extra.markdownLinked: the Markdown link to " +
        "../../../docs/missing-guide.md names no file (relative to packages/bad/src)",
        // Blocks that do not compile: a type error, an unused local, a syntax error (each at its line).
        "packages/bad/src/index.ts:24: error TS2322: Type 'string' is not assignable to type 'number'.",
        "packages/bad/src/index.ts:36: error TS6133: 'unused' is declared but its value is never read.",
        "packages/bad/src/index.ts:41: error TS1109: Expression expected.",
        // A block in an interface member's comment (on the interface's page).
        "packages/bad/src/extra.ts:31: error TS2322: Type 'number' is not assignable to type 'string'.",
        // Nothing committed for it: every page is missing.
        "docs/api: README.md: missing from docs/api (run `npm run docs`)"
      ]
      for (const line of expected) assert.include(lines, line, stderr)
      assert.match(lines.at(-1)!, /^docs --check: \d+ problem\(s\) \(2 entry points, /)
      // What passes is not reported: dated exports, the compiling example, the fragment, the existing
      // Markdown link, the private package, the internal module.
      const reported = lines.filter((line) => !line.startsWith("docs/api: ") && !line.startsWith("docs --check"))
      assert.strictEqual(reported.length, expected.length - 1, stderr)
      for (const name of ["unpublished", "hidden", "Inner.dated", "bad.left", "bad.fine", "elided", "Inner.ts)"]) {
        assert.isFalse(stderr.includes(name), `${name} was reported:\n${stderr}`)
      }
    }
  )

  it("a committed reference that differs from the sources is stale, file by file", { timeout: 240_000 }, async () => {
    // Outside node_modules: TypeDoc takes whatever lies under a node_modules folder for external code.
    const root = mkdtempSync(path.join(os.tmpdir(), "hookline-apidocs-fixture-"))
    try {
      cpSync(fixture("good"), root, { recursive: true })
      const written = await generate({ root, out: path.join(root, outDir) })
      assert.deepStrictEqual(written.problems, [])
      assert.deepStrictEqual((await check(root)).problems, [])

      // A doc comment changed but the reference was not regenerated; a page deleted; a page left over
      // from an export that is gone.
      const source = path.join(root, "packages", "good", "src", "index.ts")
      writeFileSync(source, readFileSync(source, "utf8").replace(" * The greeting.", " * The greeting, changed."))
      rmSync(path.join(root, outDir, "@fixture", "good", "extra.md"))
      writeFileSync(path.join(root, outDir, "Removed.md"), "# an export that is gone\n")
      assert.deepStrictEqual((await check(root)).problems, [
        { where: outDir, message: "@fixture/good.md: differs from the generated reference (run `npm run docs`)" },
        { where: outDir, message: "@fixture/good/extra.md: missing from docs/api (run `npm run docs`)" },
        { where: outDir, message: "Removed.md: not generated any more (run `npm run docs`)" }
      ])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
