/**
 * The packages as a user gets them. `npm run pack` builds and packs every publishable package once;
 * each tarball is checked (its files, its metadata, publint, Are the Types Wrong), then all of them
 * are installed with `effect` from the npm registry into a fresh folder outside the workspace, where
 * a plain-ESM receiver answers a signed delivery over real HTTP and a TypeScript consumer type-checks
 * (nodenext, strict, noUnusedLocals) — README's quick start and the docs' provider example verbatim.
 *
 * Needs the npm registry (effect and the stores' peers are installed from it): without it the
 * install fails, and so do these tests.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as IgvTesting from "@hookline/provider-igv/testing"
import * as Redacted from "effect/Redacted"
import { spawn } from "node:child_process"
import { createHmac, randomUUID } from "node:crypto"
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { publint } from "publint"
import { formatMessage } from "publint/utils"
import * as Logs from "../../test-support/Logs.ts"
import { eventually, within } from "../../test-support/Wait.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const node = join(root, "node_modules/.bin/node")
const fixtures = join(root, "packaging/consumer")

interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly engines?: { readonly node?: string }
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string }
  readonly homepage?: string
  readonly bugs?: { readonly url?: string }
  readonly keywords?: ReadonlyArray<string>
  readonly publishConfig?: { readonly access?: string }
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
const rootManifest = manifest(root)
const publishable = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "package.json")))
  .map((dir) => ({ dir, manifest: manifest(join(root, "packages", dir)) }))
  .filter((pkg) => pkg.manifest.private !== true)
const core = publishable.find((pkg) => pkg.manifest.name === "@hookline/core")!.manifest

// npm_* variables of an enclosing `npm test` are npm configuration: the consumer's npm must not
// inherit the workspace's. The repository's Node 24 (root devDependency `node`) comes first on PATH.
const environment = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_"))),
  PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  ...extra
})

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: environment(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.once("error", reject)
    child.once("close", (status) => resolve({ status, stdout, stderr }))
  })

const succeed = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<string> => {
  const result = await run(command, args, cwd)
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}

let tarballs: ReadonlyArray<string> = []

beforeAll(async () => {
  tarballs = (await succeed("npm", ["run", "--silent", "pack"], root)).trim().split("\n")
}, 600_000)

describe("npm run pack", () => {
  it("packs every publishable package into .packs/ and prints the tarball paths", () => {
    assert.deepStrictEqual(
      [...tarballs].sort(),
      publishable.map(({ manifest }) =>
        join(root, ".packs", `${manifest.name.slice(1).replace("/", "-")}-${manifest.version}.tgz`)
      ).sort()
    )
    for (const tarball of tarballs) assert.isTrue(existsSync(tarball), tarball)
  })

  it("npm publish --dry-run publishes exactly the publishable packages, nothing auto-corrected", async () => {
    const result = await run("npm", ["publish", "--dry-run", "--workspaces", "--ignore-scripts"], root)
    assert.strictEqual(result.status, 0, result.stderr)
    assert.deepStrictEqual(
      result.stdout.split("\n").filter((line) => line.startsWith("+ ")).sort(),
      publishable.map(({ manifest }) => `+ ${manifest.name}@${manifest.version}`).sort()
    )
    assert.notMatch(result.stderr, /auto-corrected|errors corrected/)
  }, 120_000)
})

const tarballPath = (name: string, version: string) =>
  tarballs.find((file) => file.endsWith(`/${name.slice(1).replace("/", "-")}-${version}.tgz`))!

describe.each(publishable)("$manifest.name", ({ dir, manifest: pkg }) => {
  it("holds its LICENSE and no build cache, tests or stale output", async () => {
    const tarball = tarballPath(pkg.name, pkg.version)
    const files = (await succeed("tar", ["-tzf", tarball], root)).trim().split("\n")
    for (const file of ["package/LICENSE", "package/README.md", "package/package.json"]) {
      assert.include(files, file)
    }
    const license = await succeed("tar", ["-xzOf", tarball, "package/LICENSE"], root)
    assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} hookline contributors\n/)
    assert.deepStrictEqual(files.filter((file) => /\.tsbuildinfo$|(^|\/)tests?\/|\.test\.[cm]?[jt]s$/.test(file)), [])
    // Every emitted module has its source: `tsc -b` leaves a moved source's output behind.
    const stale = files
      .filter((file) => /^package\/dist\/.*\.js$/.test(file))
      .filter((file) => !files.includes(file.replace(/^package\/dist\//, "package/src/").replace(/\.js$/, ".ts")))
    assert.deepStrictEqual(stale, [])
  })

  it("declares its repository, homepage, bugs, keywords, engines and peers", () => {
    assert.deepStrictEqual(pkg.repository, {
      type: "git",
      url: "git+https://github.com/hookline/hookline.git",
      directory: `packages/${dir}`
    })
    assert.strictEqual(pkg.homepage, `https://github.com/hookline/hookline/tree/main/packages/${dir}#readme`)
    assert.strictEqual(pkg.bugs?.url, "https://github.com/hookline/hookline/issues")
    assert.isAbove(pkg.keywords?.length ?? 0, 2)
    assert.strictEqual(pkg.engines?.node, rootManifest.engines?.node)
    assert.strictEqual(pkg.publishConfig?.access, "public")
    assert.strictEqual(pkg.peerDependencies?.effect, "^4.1.0")
    if (pkg.name !== core.name) {
      // A peer: the user's one @hookline/core is the one every store and provider works with.
      assert.strictEqual(pkg.peerDependencies?.[core.name], `^${core.version}`)
      assert.strictEqual(pkg.devDependencies?.[core.name], core.version)
      assert.isUndefined(pkg.dependencies?.[core.name])
    }
  })

  it("passes publint, suggestions included", async () => {
    const bytes = new Uint8Array(readFileSync(tarballPath(pkg.name, pkg.version)))
    const result = await publint({ pack: { tarball: bytes.buffer }, level: "suggestion", strict: true })
    assert.deepStrictEqual(result.messages.map((message) => formatMessage(message, result.pkg) ?? message.code), [])
  })

  it("passes Are the Types Wrong (profile esm-only)", async () => {
    // esm-only: the node16 and bundler resolutions must be clean; CommonJS `require` (node16-cjs) and
    // the pre-exports `node10` resolution are out of scope for an ESM-only package.
    const result = await run(
      node,
      [
        join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"),
        tarballPath(pkg.name, pkg.version),
        "--profile",
        "esm-only",
        "--format",
        "json"
      ],
      root
    )
    const report: { readonly problems?: Record<string, ReadonlyArray<{ readonly resolutionKind?: string }>> } = JSON
      .parse(result.stdout)
    const visible = Object.values(report.problems ?? {}).flat()
      .filter((problem) => problem.resolutionKind !== "node10" && problem.resolutionKind !== "node16-cjs")
    assert.deepStrictEqual(visible, [])
    assert.strictEqual(result.status, 0, result.stderr)
  })
})

describe("a consumer outside the workspace, installed from the tarballs", () => {
  let consumer = ""

  beforeAll(async () => {
    consumer = mkdtempSync(join(tmpdir(), "hookline-consumer-"))
    for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(consumer, file))
    copyFileSync(join(root, "docs/examples/acme-provider.ts"), join(consumer, "acme-provider.ts"))
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const quickStart = /## Quick start\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)
    if (quickStart === null) throw new Error("README.md has no ```ts block under ## Quick start")
    writeFileSync(join(consumer, "quick-start.ts"), quickStart[1]!)
    const types = rootManifest.devDependencies?.["@types/node"]
    await succeed(
      "npm",
      ["install", "--no-audit", "--no-fund", ...tarballs, "effect", `@types/node@${types}`],
      consumer
    )
  }, 600_000)

  afterAll(() => {
    if (consumer !== "") rmSync(consumer, { recursive: true, force: true })
  })

  it("runs a plain-ESM receiver: a signed delivery answered 200, its 2^53+1 order id exact", async () => {
    const child = spawn(node, ["receiver.mjs"], {
      cwd: consumer,
      env: environment({ WEBHOOK_SECRET: "consumer-secret" }),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const unwatch = Logs.watch(`stderr of the consumer's receiver.mjs (pid ${child.pid})`, () => stderr)
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const line = async (what: string): Promise<Record<string, unknown>> => {
      const next = await within(lines.next(), 20_000, `receiver.mjs printed no ${what}; stderr:\n${stderr}`)
      if (next.done === true) throw new Error(`receiver.mjs exited before printing ${what}; stderr:\n${stderr}`)
      return JSON.parse(next.value)
    }
    try {
      const { port } = await line("port")
      const body = `{"type":"order.paid","orderId":9007199254740993}`
      const post = (signature: string) =>
        fetch(`http://127.0.0.1:${port}/`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-webhook-id": randomUUID(), "x-signature": signature },
          body
        })
      const forged = await post(createHmac("sha256", "another-secret").update(body).digest("hex"))
      assert.strictEqual(forged.status, 401, await forged.text())
      const signed = await post(createHmac("sha256", "consumer-secret").update(body).digest("hex"))
      assert.strictEqual(signed.status, 200, await signed.text())
      assert.deepStrictEqual(await line("handled event"), { orderId: "9007199254740993", type: "bigint" })
    } finally {
      child.kill("SIGTERM")
      unwatch()
    }
  }, 60_000)

  it(
    "runs README's quick start verbatim (node quick-start.ts): a signed iGV callback answered 200, handled once",
    async () => {
      // The quick start listens on port 3000 and reads IGV_SECRET, as written.
      const secret = "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
      const child = spawn(node, ["quick-start.ts"], {
        cwd: consumer,
        env: environment({ IGV_SECRET: secret }),
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      const unwatch = Logs.watch(`output of the consumer's quick-start.ts (pid ${child.pid})`, () => output)
      try {
        const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret: Redacted.make(secret) })
        const send = () => fetch(RawDelivery.toRequest(raw, "http://127.0.0.1:3000"))
        const first = await eventually(
          () => send().catch(() => undefined),
          20_000,
          "quick-start.ts did not answer on port 3000",
          {
            describe: () => output
          }
        )
        assert.strictEqual(first.status, 200, await first.text())
        const again = await send()
        assert.strictEqual(again.status, 200)
        assert.deepStrictEqual(JSON.parse(await again.text()), { outcome: "Duplicate" })
        await eventually(
          () => output.includes("ship order 1689644928115784"),
          10_000,
          "the handler's log line is missing",
          {
            describe: () => output
          }
        )
        assert.strictEqual(output.split("ship order 1689644928115784").length - 1, 1, output)
      } finally {
        child.kill("SIGTERM")
        await within(exited, 20_000, "quick-start.ts did not stop on SIGTERM")
        unwatch()
      }
    },
    60_000
  )

  it("runs the installed hookline command (dist/): --help, and doctor on a captured GoldenPay callback", async () => {
    const hookline = join(consumer, "node_modules/.bin/hookline")
    const help = await run(node, [hookline, "--help"], consumer)
    assert.strictEqual(help.status, 0, help.stderr)
    for (const command of ["send", "listen", "doctor"]) assert.include(help.stdout, command)
    const capture = join(consumer, "goldenpay-capture.json")
    writeFileSync(capture, GoldenPayTesting.sign(GoldenPayTesting.collect(), Redacted.make("consumer-token")).body)
    const doctor = await new Promise<Run>((resolve, reject) => {
      const child = spawn(node, [hookline, "doctor", "goldenpay", "--body", capture], {
        cwd: consumer,
        env: environment({ GOLDENPAY_SECRET: "consumer-token" }),
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.once("error", reject)
      child.once("close", (status) => resolve({ status, stdout, stderr }))
    })
    assert.strictEqual(doctor.status, 0, doctor.stderr)
    assert.include(doctor.stdout, "Verdict:")
  }, 60_000)

  it(
    "type-checks a TypeScript consumer (nodenext, strict, noUnusedLocals): README quick start, docs provider",
    async () => {
      const result = await run(node, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], consumer)
      assert.strictEqual(`${result.stdout}${result.stderr}`, "")
      assert.strictEqual(result.status, 0)
    },
    300_000
  )
})
