/**
 * The `hookline` command run as a user runs it: its `bin` as a real process, against the reference
 * receiver (examples/node-http's server, and `hookline listen` itself) running as a real process.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as EmTesting from "@hookline/provider-em/testing"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCommand } from "../../../test-support/Command.ts"
import { type ExampleProcess, startExample } from "../../../test-support/ExampleProcess.ts"
import { eventually } from "../../../test-support/Wait.ts"

const bin = fileURLToPath(new URL("../bin/hookline.js", import.meta.url))
const cliDir = fileURLToPath(new URL("..", import.meta.url))
const nodeHttp = fileURLToPath(new URL("../../../examples/node-http", import.meta.url))

// The reference receiver's variables, as a deployment would set them.
const secrets = {
  HMAC_SECRET: "cli-hmac-secret",
  IGV_SECRET: "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
  GOLDENPAY_SECRET: "cli-goldenpay-token",
  EM_APP_ID: "cli-em-app",
  EM_APP_SECRET: "cli-em-secret",
  GITHUB_WEBHOOK_SECRET: "cli-github-secret",
  SHOPIFY_WEBHOOK_SECRET: "cli-shopify-secret",
  STANDARD_WEBHOOKS_SECRET: "whsec_Y2xpLXN0YW5kYXJkLXdlYmhvb2tzLXNlY3JldA==",
  STRIPE_WEBHOOK_SECRET: "whsec_cli_stripe_secret"
}

const hookline = (args: ReadonlyArray<string>, env: Record<string, string> = secrets) => runCommand(bin, args, env)

// A fresh numeric id per delivery (iGV request ids are numeric), so each test's keys are its own.
let counter = 0
const freshId = () => `${Date.now()}${String(++counter).padStart(3, "0")}`

// Each provider's idempotency key for a sample sent with `--id id`.
const keys: Record<string, (id: string) => string> = {
  hmac: (id) => `hmac:${id}`,
  igv: (id) => `igv:${id}`,
  goldenpay: (id) => `goldenpay:collect:${id}:60`,
  em: (id) => `em:OUT_TRADE_AUDIT:${id}:2`,
  "standard-webhooks": (id) => `standard-webhooks:${id}`,
  stripe: (id) => `stripe:${id}`,
  github: (id) => `github:${id}`,
  shopify: (id) => `shopify:${id}`
}

// No stack trace: no "    at f (file:…)" frame, no "Error:" dump.
const assertNoStackTrace = (text: string) => assert.notMatch(text, /^\s+at |\bError: |node:internal/m, text)

describe("hookline send, against the reference receiver (examples/node-http)", () => {
  let receiver: ExampleProcess
  const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`

  beforeAll(async () => {
    receiver = await startExample(nodeHttp, secrets)
  })
  afterAll(async () => {
    await receiver?.stop()
  })

  it.each(Object.keys(keys))("%s: a signed sample answered 200 and handled", async (provider) => {
    const id = freshId()
    const result = hookline(["send", provider, "--url", url(`/${provider}`), "--id", id])
    assert.strictEqual(result.status, 0, result.stderr)
    assert.include(result.stdout, `POST ${url(`/${provider}`)}`)
    assert.match(result.stdout, /^status: {2}200$/m)
    assert.match(result.stdout, /^outcome: .*acknowledged$/m)
    await receiver.printed(keys[provider]!(id))
    const handled = receiver.handled().filter((line) => line.key === keys[provider]!(id))
    assert.deepStrictEqual(handled.map((line) => line.handled), [provider])
  })

  it("a sample for another event: github pull_request, stripe's type, goldenpay's payout route", async () => {
    const pr = freshId()
    const github = hookline(["send", "github", "--url", url("/github"), "--event", "pull_request", "--id", pr])
    assert.strictEqual(github.status, 0, github.stderr)
    await receiver.printed(`github:${pr}`)
    assert.strictEqual(receiver.handled().find((line) => line.key === `github:${pr}`)?.tag, "PullRequest")

    const evt = `evt_${freshId()}`
    const stripe = hookline(["send", "stripe", "--url", url("/stripe"), "--event", "customer.created", "--id", evt])
    assert.strictEqual(stripe.status, 0, stripe.stderr)
    await receiver.printed(`stripe:${evt}`)
    assert.deepInclude(receiver.handled().find((line) => line.key === `stripe:${evt}`)?.event as object, {
      type: "unknown",
      eventType: "customer.created"
    })

    const payout = freshId()
    const goldenpay = hookline([
      "send",
      "goldenpay",
      "--url",
      url("/goldenpay/payout"),
      "--event",
      "payout",
      "--id",
      payout
    ])
    assert.strictEqual(goldenpay.status, 0, goldenpay.stderr)
    await receiver.printed(`goldenpay-payout:payout:${payout}:60`)
  })

  it("--id sends the same delivery again: the second answer is a duplicate, handled once", async () => {
    const id = freshId()
    const args = ["send", "hmac", "--url", url("/hmac"), "--id", id]
    const first = hookline(args)
    assert.strictEqual(first.status, 0, first.stderr)
    assert.match(first.stdout, /^outcome: Processed — acknowledged$/m)
    const second = hookline(args)
    assert.strictEqual(second.status, 0, second.stderr)
    assert.match(second.stdout, /^body: {4}\{"outcome":"Duplicate"\}$/m)
    assert.match(second.stdout, /^outcome: Duplicate — acknowledged$/m)
    await receiver.printed(`hmac:${id}`)
    assert.strictEqual(receiver.handled().filter((line) => line.key === `hmac:${id}`).length, 1)
  })

  it("--body signs the file's exact bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookline-cli-"))
    try {
      const file = join(dir, "body.json")
      writeFileSync(file, `{"type":"invoice.paid","orderId":"9007199254740993"}`)
      const id = freshId()
      const result = hookline(["send", "hmac", "--url", url("/hmac"), "--id", id, "--body", file])
      assert.strictEqual(result.status, 0, result.stderr)
      await receiver.printed(`hmac:${id}`)
      assert.deepStrictEqual(
        receiver.handled().find((line) => line.key === `hmac:${id}`)?.event,
        { _tag: "HmacEvent", id, payload: { type: "invoice.paid", orderId: "9007199254740993" } }
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a wrong secret: the 401 and its reason shown, exit code 1, nothing handled", () => {
    const id = freshId()
    const result = hookline(["send", "hmac", "--url", url("/hmac"), "--id", id], {
      ...secrets,
      HMAC_SECRET: "not-the-receivers-secret"
    })
    assert.strictEqual(result.status, 1)
    assert.match(result.stdout, /^status: {2}401$/m)
    assert.match(result.stdout, /^outcome: Rejected\(SignatureInvalid\) — rejected/m)
    assert.include(result.stderr, "the receiver answered 401")
    assertNoStackTrace(result.stderr)
    assert.isFalse(receiver.handled().some((line) => line.key === `hmac:${id}`))
  })

  it("a missing secret is an error naming the variable (exit code 2, no stack trace, nothing sent)", () => {
    const result = hookline(["send", "em", "--url", url("/em")], { EM_APP_ID: "cli-em-app" })
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "EM_APP_SECRET is not set")
    assert.notInclude(result.stderr, "EM_APP_ID is")
    assertNoStackTrace(result.stderr)
    assert.notInclude(result.stdout, "POST")
  })

  it("usage errors exit 2 without a stack trace: an unknown provider, an event igv lacks, an unreadable --body", () => {
    const unknown = hookline(["send", "paypal", "--url", url("/paypal")])
    assert.strictEqual(unknown.status, 2)
    assert.include(unknown.stderr, `"paypal"`)
    const igv = hookline(["send", "igv", "--url", url("/igv"), "--event", "shipped"])
    assert.strictEqual(igv.status, 2)
    assert.include(igv.stderr, "igv deliveries carry no event name")
    const body = hookline(["send", "hmac", "--url", url("/hmac"), "--body", "/nonexistent/body.json"])
    assert.strictEqual(body.status, 2)
    assert.include(body.stderr, "cannot read --body /nonexistent/body.json")
    const event = hookline(["send", "github", "--url", url("/github"), "--event", "deployment_status"])
    assert.strictEqual(event.status, 2)
    assert.include(event.stderr, `github has no sample for event "deployment_status"`)
    for (const result of [unknown, igv, body, event]) assertNoStackTrace(result.stderr)
  })

  it("hookline listen mounts the routes the reference receiver mounts, for the same variables", async () => {
    const listen = await startExample(cliDir, secrets, { args: [bin, "listen"] })
    try {
      const routes = (stderr: string) => /listening on :\d+ — (.*)\n/.exec(stderr)?.[1]
      assert.isDefined(routes(receiver.stderr()), receiver.stderr())
      assert.strictEqual(routes(listen.stderr()), routes(receiver.stderr()))
    } finally {
      await listen.stop()
    }
  })

  it("a receiver that is not there: exit code 3, the connection error named", async () => {
    // A port that was just free: nothing listens there.
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    await new Promise((resolve) => server.close(resolve))
    const result = hookline(["send", "hmac", "--url", `http://127.0.0.1:${port}/hmac`])
    assert.strictEqual(result.status, 3)
    assert.include(result.stderr, `no answer from http://127.0.0.1:${port}`)
    assert.include(result.stderr, "ECONNREFUSED")
    assertNoStackTrace(result.stderr)
  })
})

describe("hookline listen", () => {
  const listen = (args: ReadonlyArray<string>, env: Record<string, string> = secrets) =>
    startExample(cliDir, env, { args: [bin, "listen", ...args] })

  it("prints a progress line per delivery: processed, duplicate, rejected; stops on SIGTERM with 0", async () => {
    const receiver = await listen([])
    try {
      assert.match(receiver.stderr(), /hookline listen: listening on :\d+ — \/hmac, \/igv, \/goldenpay/)
      const url = `http://127.0.0.1:${receiver.port}/hmac`
      const id = freshId()
      assert.strictEqual(hookline(["send", "hmac", "--url", url, "--id", id]).status, 0)
      assert.strictEqual(hookline(["send", "hmac", "--url", url, "--id", id]).status, 0)
      assert.strictEqual(hookline(["send", "hmac", "--url", url], { HMAC_SECRET: "wrong" }).status, 1)
      await eventually(() => receiver.stdout().length >= 3, 5_000, "three progress lines", {
        describe: () => receiver.stdout().join("\n")
      })
      const [processed, duplicate, rejected] = receiver.stdout()
      assert.match(processed!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d ✓ hmac +Processed +hmac:${id} HmacEvent$`))
      assert.match(duplicate!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d ✓ hmac +Duplicate +hmac:${id}$`))
      assert.match(rejected!, /^\d\d:\d\d:\d\d ✗ hmac +Rejected\(SignatureInvalid\) +-$/)
    } finally {
      assert.deepStrictEqual(await receiver.stop(), { code: 0, signal: null })
    }
  })

  it("--json prints one JSON object per delivery, the handled event included", async () => {
    const receiver = await listen(["--json"])
    try {
      const url = `http://127.0.0.1:${receiver.port}`
      const id = freshId()
      assert.strictEqual(hookline(["send", "stripe", "--url", `${url}/stripe`, "--id", `evt_${id}`]).status, 0)
      assert.strictEqual(hookline(["send", "stripe", "--url", `${url}/stripe`, "--id", `evt_${id}`]).status, 0)
      await eventually(() => receiver.stdout().length >= 2, 5_000, "two JSON lines", {
        describe: () => receiver.stdout().join("\n")
      })
      const [first, second] = receiver.stdout().map((line) => JSON.parse(line) as Record<string, unknown>)
      assert.strictEqual(first!.provider, "stripe")
      assert.strictEqual(first!.outcome, "Processed")
      assert.strictEqual(first!.key, `stripe:evt_${id}`)
      assert.strictEqual(first!.acknowledged, true)
      assert.strictEqual(first!.tag, "payment_intent.succeeded")
      assert.deepInclude(first!.event as object, { type: "payment_intent.succeeded", id: `evt_${id}` })
      assert.deepStrictEqual(
        { ...second!, time: "" },
        { time: "", provider: "stripe", outcome: "Duplicate", key: `stripe:evt_${id}`, acknowledged: true }
      )
      assert.isFalse(Number.isNaN(Date.parse(String(second!.time))))
    } finally {
      await receiver.stop()
    }
  })

  it("--port picks the port; the routes follow the secrets set", async () => {
    const probe = await listen([], { HMAC_SECRET: "only-hmac" })
    const port = probe.port
    await probe.stop()
    const receiver = await listen(["--port", String(port)], { HMAC_SECRET: "only-hmac", PORT: "1" })
    try {
      assert.strictEqual(receiver.port, port)
      assert.match(receiver.stderr(), /listening on :\d+ — \/hmac\n/)
    } finally {
      await receiver.stop()
    }
  })

  // The store HOOKLINE_STORE names keeps the completion across processes: a second receiver on the
  // same store answers the repeated delivery Duplicate.
  it.each([
    {
      store: "redis",
      env: {
        HOOKLINE_REDIS_URL: process.env.HOOKLINE_REDIS_URL ?? "redis://127.0.0.1:6379",
        HOOKLINE_REDIS_PREFIX: `hookline-cli-test:${freshId()}:`
      }
    },
    {
      store: "postgres",
      env: { HOOKLINE_PG_URL: process.env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test" }
    }
  ])(
    "HOOKLINE_STORE=$store: a delivery completed by one listen process is a duplicate for the next",
    async ({ env, store }) => {
      const config = { HMAC_SECRET: "store-secret", HOOKLINE_STORE: store, ...env }
      const id = `${store}-${freshId()}`
      const send = (port: number) =>
        hookline(["send", "hmac", "--url", `http://127.0.0.1:${port}/hmac`, "--id", id], config)
      const first = await listen([], config)
      try {
        const result = send(first.port)
        assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`)
        assert.match(result.stdout, /^outcome: Processed/m)
      } finally {
        await first.stop()
      }
      const second = await listen([], config)
      try {
        const result = send(second.port)
        assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`)
        assert.match(result.stdout, /^outcome: Duplicate/m)
        await eventually(() => second.stdout().length >= 1, 5_000, "a progress line", {
          describe: () => second.stderr()
        })
        assert.match(second.stdout()[0]!, new RegExp(`✓ hmac +Duplicate +hmac:${id}$`))
      } finally {
        await second.stop()
      }
    }
  )

  it("no provider configured, or an invalid variable: exit code 2 naming what to set", () => {
    const none = hookline(["listen"], {})
    assert.strictEqual(none.status, 2)
    assert.include(none.stderr, "no provider configured: set HMAC_SECRET, IGV_SECRET")
    const invalid = hookline(["listen"], { HMAC_SECRET: "s", HOOKLINE_STORE: "mongo" })
    assert.strictEqual(invalid.status, 2)
    assert.include(invalid.stderr, `HOOKLINE_STORE="mongo"`)
    for (const result of [none, invalid]) assertNoStackTrace(result.stderr)
  })
})

describe("hookline doctor", () => {
  let dir = ""
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hookline-doctor-"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const capture = (name: string, body: Uint8Array) => {
    const file = join(dir, name)
    writeFileSync(file, body)
    return file
  }

  it("goldenpay: names the sign form a captured callback matches", () => {
    const token = Redacted.make(secrets.GOLDENPAY_SECRET)
    const file = capture("gp.json", GoldenPayTesting.sign(GoldenPayTesting.collect(), token, "key-param").body)
    const result = hookline(["doctor", "goldenpay", "--body", file])
    assert.strictEqual(result.status, 0, result.stderr)
    assert.match(result.stdout, /^ {2}MATCH {3} {2}key-param /m)
    assert.include(result.stdout, `Configure: GoldenPay.provider({ secret, signForm: "key-param" })`)
    assert.notInclude(result.stdout, secrets.GOLDENPAY_SECRET)
  })

  it("em --json: the diagnosis as JSON", () => {
    const raw = EmTesting.sign({
      appId: secrets.EM_APP_ID,
      secret: Redacted.make(secrets.EM_APP_SECRET),
      requestData: EmTesting.exampleRequestData,
      encoding: "form"
    })
    const result = hookline(["doctor", "em", "--body", capture("em.txt", raw.body), "--json"])
    assert.strictEqual(result.status, 0, result.stderr)
    assert.deepStrictEqual((JSON.parse(result.stdout) as { matched: ReadonlyArray<string> }).matched, ["wrap"])
  })

  it("a capture signed with another secret matches nothing: exit code 1", () => {
    const other = Redacted.make("someone-elses-token")
    const file = capture("other.json", GoldenPayTesting.sign(GoldenPayTesting.collect(), other).body)
    const result = hookline(["doctor", "goldenpay", "--body", file])
    assert.strictEqual(result.status, 1)
    assert.notMatch(result.stdout, /MATCH {3}/)
    assert.include(result.stderr, "no signing rule matches the capture")
  })

  it("without the secret: exit code 2 naming the variable", () => {
    const result = hookline(["doctor", "em", "--body", capture("x.txt", new Uint8Array())], {})
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "EM_APP_SECRET is not set")
    assertNoStackTrace(result.stderr)
  })
})

describe("--help", () => {
  it.each([
    { name: "hookline", args: [], lists: ["send", "listen", "doctor", "--help", "--version"] },
    {
      name: "send",
      args: ["send"],
      lists: ["<provider>", "--url", "--event", "--id", "--body", "HMAC_SECRET", "EM_APP_SECRET"]
    },
    { name: "listen", args: ["listen"], lists: ["--port", "--json", "HOOKLINE_STORE"] },
    { name: "doctor", args: ["doctor"], lists: ["<platform>", "--body", "--json", "GOLDENPAY_SECRET"] }
  ])("$name --help lists its options", ({ args, lists }) => {
    const result = hookline([...args, "--help"], {})
    assert.strictEqual(result.status, 0, result.stderr)
    assert.include(result.stdout, `hookline ${args.length === 0 ? "<subcommand>" : args[0]}`)
    for (const option of lists) assert.include(result.stdout, option)
  })

  it("--version prints the package's version", () => {
    const manifest = JSON.parse(readFileSync(join(cliDir, "package.json"), "utf8")) as { readonly version: string }
    const result = hookline(["--version"], {})
    assert.strictEqual(result.status, 0, result.stderr)
    assert.include(result.stdout, manifest.version)
  })

  it("a missing required option shows the help and exits 2", () => {
    const result = hookline(["send", "hmac"])
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "--url")
  })
})
