/**
 * `hookline dead-letters` as a user runs it: the reference receiver (examples/node-http) as a real
 * process on Redis and on PostgreSQL keeps a failed authentic delivery; the command lists, shows,
 * replays and purges it in that store.
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Hmac, RawDelivery } from "@hookline/core"
import { RedisDeadLetterStore } from "@hookline/store-redis"
import { SqlDeadLetterStore } from "@hookline/store-sql"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCommand } from "../../../test-support/Command.ts"
import { type ExampleProcess, startExample } from "../../../test-support/ExampleProcess.ts"
// The reference receiver's (examples/node-http) HMAC scheme, which `hookline listen` mounts too.
import { hmacOptions } from "../../../examples/node-http/src/app.ts"

const bin = fileURLToPath(new URL("../bin/hookline.js", import.meta.url))
const nodeHttp = fileURLToPath(new URL("../../../examples/node-http", import.meta.url))
const redisUrl = process.env["HOOKLINE_REDIS_URL"] ?? "redis://127.0.0.1:6379"
const pgUrl = process.env["HOOKLINE_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const secrets = { HMAC_SECRET: "cli-dl-hmac-secret", GITHUB_WEBHOOK_SECRET: "cli-dl-github-secret" }

let counter = 0
const freshId = () => `dl-${Date.now()}-${++counter}`

const dir = mkdtempSync(join(tmpdir(), "hookline-cli-dl-"))
// A push whose signed body is not a push: authentic, and it fails to decode (DecodeFailed) — kept.
const notAPush = join(dir, "not-a-push.json")
writeFileSync(notAPush, `{"zen":"Keep it logically awesome."}`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// A signed /hmac delivery sent `ageSeconds` ago: the reference receiver's own HMAC scheme.
const staleHmac = (id: string, ageSeconds: number) =>
  Hmac.testing.sign(hmacOptions(Redacted.make(secrets.HMAC_SECRET)), {
    body: `{"order":"${id}"}`,
    id,
    url: "/hmac",
    timestamp: Math.floor(Date.now() / 1000) - ageSeconds
  })

interface Backend {
  readonly name: "redis" | "postgres"
  readonly env: Record<string, string>
  /** Keeps a dead letter as the receiver would have, received at `receivedAt`. */
  readonly keep: (delivery: ReturnType<typeof staleHmac>, key: string, receivedAt: number) => Promise<void>
}

const redisPrefix = `hookline-cli-dl-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`
const backends: ReadonlyArray<Backend> = [
  {
    name: "redis",
    env: { HOOKLINE_STORE: "redis", HOOKLINE_REDIS_URL: redisUrl, HOOKLINE_REDIS_PREFIX: redisPrefix },
    keep: (delivery, key, receivedAt) =>
      Effect.runPromise(
        Effect.flatMap(RedisDeadLetterStore.make({ prefix: redisPrefix }), (store) =>
          store.record({
            key,
            provider: "hmac",
            delivery,
            receivedAt,
            reason: { tag: "HandlerFailed", message: "The handler failed: database down" },
            at: receivedAt
          })).pipe(Effect.provide(NodeRedis.layer({ url: redisUrl })))
      )
  },
  {
    name: "postgres",
    env: { HOOKLINE_STORE: "postgres", HOOKLINE_PG_URL: pgUrl },
    keep: (delivery, key, receivedAt) =>
      Effect.runPromise(
        Effect.flatMap(SqlDeadLetterStore.make(), (store) =>
          store.record({
            key,
            provider: "hmac",
            delivery,
            receivedAt,
            reason: { tag: "HandlerFailed", message: "The handler failed: database down" },
            at: receivedAt
          })).pipe(Effect.provide(Layer.fresh(PgClient.layer({ url: Redacted.make(pgUrl), maxConnections: 1 }))))
      )
  }
]

describe.each(backends)("hookline dead-letters on $name", (backend) => {
  let receiver: ExampleProcess
  const env = { ...secrets, ...backend.env }
  const hookline = (args: ReadonlyArray<string>) => runCommand(bin, args, env)
  const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`

  beforeAll(async () => {
    receiver = await startExample(nodeHttp, env)
  })
  afterAll(async () => {
    await receiver?.stop()
  })

  it("a failed authentic delivery is listed and shown; its replay fails the same way and counts an attempt", () => {
    const id = freshId()
    const key = `github:${id}`
    const sent = hookline([
      "send",
      "github",
      "--url",
      url("/github"),
      "--event",
      "push",
      "--body",
      notAPush,
      "--id",
      id
    ])
    assert.strictEqual(sent.status, 1, sent.stdout + sent.stderr)
    assert.include(sent.stdout, "DecodeFailed")

    const listed = hookline(["dead-letters", "list", "--provider", "github", "--json"])
    assert.strictEqual(listed.status, 0, listed.stderr)
    const entries = listed.stdout.trim().split("\n").map((line) => JSON.parse(line))
    const entry = entries.find((e) => e.key === key)
    assert.isDefined(entry, listed.stdout)
    assert.strictEqual(entry.status, "open")
    assert.strictEqual(entry.attempts, 1)
    assert.strictEqual(entry.reason.tag, "DecodeFailed")
    assert.strictEqual(entry.request.body, `{"zen":"Keep it logically awesome."}`)
    assert.strictEqual(entry.request.headers["x-github-event"], "push")

    const table = hookline(["dead-letters", "list", "--provider", "github"])
    assert.strictEqual(table.status, 0, table.stderr)
    assert.match(table.stdout, /^KEY +PROVIDER +STATUS +ATTEMPTS/m)
    assert.match(table.stdout, new RegExp(`^${key} +github +open +1 `, "m"))

    const shown = hookline(["dead-letters", "show", key])
    assert.strictEqual(shown.status, 0, shown.stderr)
    assert.include(shown.stdout, "reason       DecodeFailed")
    assert.include(shown.stdout, "POST /github")
    assert.include(shown.stdout, "x-github-event: push")
    assert.include(shown.stdout, `{"zen":"Keep it logically awesome."}`)

    const replayed = hookline(["dead-letters", "replay", key])
    assert.strictEqual(replayed.status, 1, replayed.stdout + replayed.stderr)
    assert.include(replayed.stdout, `✗ ${key} Failed(DecodeFailed)`)
    assert.include(replayed.stdout, "0 of 1 resolved")
    const again = JSON.parse(hookline(["dead-letters", "show", key, "--json"]).stdout)
    assert.strictEqual(again.attempts, 2)

    const purged = hookline(["dead-letters", "purge", key])
    assert.strictEqual(purged.status, 0, purged.stderr)
    assert.strictEqual(purged.stdout.trim(), "1 dead letter deleted")
    const gone = hookline(["dead-letters", "show", key])
    assert.strictEqual(gone.status, 1)
    assert.include(gone.stderr, `no dead letter has the key ${key}`)
  })

  it("replay of a delivery the platform gave up on: handled once, stale only for the platform", async () => {
    const id = freshId()
    const key = `hmac:${id}`
    // Received 10 minutes ago (the tolerance is 5) and kept when the handler failed.
    const delivery = staleHmac(id, 600)
    await backend.keep(delivery, key, Date.now() - 600_000)

    // The platform's own late retry of the same bytes is refused as stale.
    const late = await fetch(RawDelivery.toRequest(delivery, url("")))
    assert.strictEqual(late.status, 401)

    const replayed = hookline(["dead-letters", "replay", key])
    assert.strictEqual(replayed.status, 0, replayed.stdout + replayed.stderr)
    assert.include(replayed.stdout, `✓ ${key} Processed`)
    assert.include(replayed.stdout, "1 of 1 resolved")
    const again = hookline(["dead-letters", "replay", key, "--json"])
    assert.strictEqual(again.status, 0, again.stderr)
    assert.deepStrictEqual(JSON.parse(again.stdout), { key, outcome: "Duplicate", resolved: true })

    const resolved = hookline(["dead-letters", "list", "--provider", "hmac", "--status", "resolved", "--json"])
    assert.isTrue(resolved.stdout.split("\n").some((line) => line.includes(`"key":"${key}"`)), resolved.stdout)
    assert.strictEqual(hookline(["dead-letters", "purge", key]).stdout.trim(), "1 dead letter deleted")
  })

  it("usage: a key or --all, never both; a time that is neither a date nor a duration (exit 2)", () => {
    const both = hookline(["dead-letters", "replay", "hmac:x", "--all"])
    assert.strictEqual(both.status, 2)
    assert.include(both.stderr, "give a key, or --all")
    const badTime = hookline(["dead-letters", "list", "--since", "yesterday-ish"])
    assert.strictEqual(badTime.status, 2)
    assert.include(badTime.stderr, "--since")
    const purgeNothing = hookline(["dead-letters", "purge"])
    assert.strictEqual(purgeNothing.status, 2)
  })
})

describe("hookline dead-letters without a shared store", () => {
  it("HOOKLINE_STORE=memory (the default) is refused: its dead letters live in the receiver's process", () => {
    const result = runCommand(bin, ["dead-letters", "list"], {})
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "HOOKLINE_STORE=redis or postgres")
  })

  it("an unreachable store exits 3", () => {
    const result = runCommand(bin, ["dead-letters", "list"], {
      HOOKLINE_STORE: "redis",
      HOOKLINE_REDIS_URL: "redis://127.0.0.1:1"
    })
    assert.strictEqual(result.status, 3, result.stdout + result.stderr)
    assert.include(result.stderr, "the store is not available")
  })

  it("--help lists the subcommands and their options", () => {
    const top = runCommand(bin, ["dead-letters", "--help"], {})
    assert.strictEqual(top.status, 0)
    for (const sub of ["list", "show", "replay", "purge"]) assert.include(top.stdout, sub)
    const replay = runCommand(bin, ["dead-letters", "replay", "--help"], {})
    assert.strictEqual(replay.status, 0)
    for (const flag of ["--all", "--provider", "--since", "--json"]) assert.include(replay.stdout, flag)
  })
})
