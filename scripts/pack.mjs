/**
 * `npm run pack`: builds every publishable package (`tsc -b`) from an empty `dist/` and packs each
 * into `.packs/` at the repository root — the tarballs a user can install before the packages are on
 * the registry (docs/install.md), and what the packaging tests check and install.
 *
 * stdout: the tarball paths, one a line. Progress and tool output go to stderr.
 *
 * `dist/` is emptied first because `tsc -b` never deletes the output of a source that was moved or
 * removed: a stale `dist/Runtime.js` would otherwise ship.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const packs = join(root, ".packs")

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...options })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) {
    process.stderr.write(`pack: ${command} ${args.join(" ")} exited with ${result.status ?? result.signal}\n`)
    process.exit(1)
  }
  return result
}

const publishable = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, "packages", entry.name, "package.json")))
  .map((entry) => `packages/${entry.name}`)
  .filter((dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).private !== true)

for (const dir of publishable) rmSync(join(root, dir, "dist"), { recursive: true, force: true })
process.stderr.write(`pack: tsc -b ${publishable.join(" ")}\n`)
run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", ...publishable])

rmSync(packs, { recursive: true, force: true })
mkdirSync(packs, { recursive: true })
const packed = run(
  "npm",
  [
    "pack",
    "--json",
    "--ignore-scripts",
    "--pack-destination",
    packs,
    ...publishable.flatMap((dir) => ["--workspace", dir])
  ],
  { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" }
)
for (const tarball of JSON.parse(packed.stdout)) process.stdout.write(`${join(packs, tarball.filename)}\n`)
