// Issue #17, "no silent traps": on Node.js 20 (`JSON.parse` revivers without `context.source`) a
// large id would be rounded, so making a provider — and with it a handler — and calling
// `LosslessJson.parse` must fail with `Misconfigured` naming the Node.js version, never round.
// Checked on a real Node.js 20 process running core's TypeScript sources: Node 20 cannot strip types,
// so the child registers a loader that transpiles `.ts` files with the repository's TypeScript.
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const run = promisify(execFile)
const coreDir = fileURLToPath(new URL("..", import.meta.url))
const typescript = createRequire(import.meta.url).resolve("typescript")

// Every `node` on PATH and the usual system location; the test needs one older than 21.
const findNode20 = async (): Promise<string> => {
  const candidates = [
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "node")),
    "/usr/bin/node",
    "/usr/local/bin/node"
  ]
  for (const candidate of new Set(candidates)) {
    try {
      accessSync(candidate, constants.X_OK)
    } catch {
      continue
    }
    const { stdout } = await run(candidate, ["--version"])
    if (/^v20\./.test(stdout.trim())) return candidate
  }
  throw new Error(
    `This test needs a Node.js 20 binary on PATH or at /usr/bin/node; none among ${candidates.join(", ")}`
  )
}

const hooks = `
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
const ts = createRequire(${JSON.stringify(typescript)})("typescript")
export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context)
  const source = await readFile(new URL(url), "utf8")
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true }
  })
  return { format: "module", source: outputText, shortCircuit: true }
}
`

// What a user's receiver does first: parse, make a provider, make a handler. Prints what each did.
const probe = `
import { defineHandler, Hmac } from "@hookline/core"
import { LosslessJson, Provider } from "@hookline/core/provider"
import { Effect, Redacted, Result } from "effect"
const attempt = (f) => {
  try {
    return { value: f() }
  } catch (error) {
    return { error: { tag: error._tag, message: error.message } }
  }
}
const parsed = attempt(() => LosslessJson.parseObject('{"id":9007199254740993}'))
console.log(JSON.stringify({
  version: process.version,
  available: LosslessJson.sourceTextAvailable,
  parse: parsed.error ?? String(Result.getOrThrow(parsed.value).id),
  provider: attempt(() =>
    Provider.make({
      name: "probe",
      verify: () => Effect.succeed({ id: "1" }),
      key: (payload) => payload.id,
      decode: Effect.succeed
    }).name
  ),
  handler: attempt(() => defineHandler(Hmac.provider({ secret: Redacted.make("s") }), () => Effect.void).name)
}))
`

const runProbe = async (node: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-node20-"))
  try {
    writeFileSync(path.join(dir, "hooks.mjs"), hooks)
    writeFileSync(
      path.join(dir, "register.mjs"),
      `import { register } from "node:module"\nregister(new URL("./hooks.mjs", import.meta.url))\n`
    )
    // Run from core's folder: the bare specifiers resolve as in a user's project, to the sources.
    const { stdout } = await run(node, [
      "--conditions=@hookline/source",
      "--import",
      path.join(dir, "register.mjs"),
      "--input-type=module",
      "-e",
      probe
    ], { cwd: coreDir, env: { PATH: process.env.PATH ?? "" } })
    return JSON.parse(stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("a runtime without lossless JSON parsing", () => {
  it("Node.js 20: parse, Provider.make and defineHandler throw Misconfigured naming the version, nothing rounds", async () => {
    const result = await runProbe(await findNode20())
    assert.match(result.version, /^v20\./)
    assert.isFalse(result.available)
    for (const step of ["parse", "provider", "handler"] as const) {
      const failure = step === "parse" ? result.parse : result[step].error
      assert.strictEqual(failure?.tag, "Misconfigured", `${step}: ${JSON.stringify(result[step])}`)
      assert.include(failure.message, "requires Node.js >= 22.19")
      assert.include(failure.message, `Node.js ${result.version.slice(1)} does not`)
    }
  })

  it("the same probe on the Node.js that runs the tests: exact id, provider and handler made", async () => {
    const result = await runProbe(process.execPath)
    assert.deepStrictEqual(result, {
      version: process.version,
      available: true,
      parse: "9007199254740993",
      provider: { value: "probe" },
      handler: { value: "hmac" }
    })
  })
})
