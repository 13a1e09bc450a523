import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler } from "@hookline/core"
import type { RawDelivery } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { GitHub } from "@hookline/provider-github"
import * as GitHubTesting from "@hookline/provider-github/testing"
import { MemoryStore } from "@hookline/store-memory"
import { sign as octokitSign } from "@octokit/webhooks-methods"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("github-webhook-secret-1")
const next = Redacted.make("github-webhook-secret-2")

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A server whose handlers record the events they run for, through a handler map keyed by _tag.
const serve = async (secrets: GitHub.Options["secret"] = secret) => {
  const seen: Array<GitHub.Event> = []
  const record = (event: GitHub.Event) => Effect.sync(() => void seen.push(event))
  const handler = defineHandler(GitHub.provider({ secret: secrets }), {
    Ping: record,
    Push: record,
    PullRequest: record,
    Issues: record,
    IssueComment: record,
    Release: record,
    WorkflowRun: record,
    Installation: record,
    Unknown: record
  })
  const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
  servers.push(server)
  return { server, seen }
}

const outcomeOf = (response: { readonly body: string }) => JSON.parse(response.body) as unknown
const rejected = (reason: string) => ({ outcome: "Rejected", reason })

describe("GitHub through real HTTP (node listener + MemoryStore)", () => {
  it("valid → 200 Processed; the redelivery (same X-GitHub-Delivery) → 200 Duplicate, handler ran once", async () => {
    const { server, seen } = await serve()
    const raw = GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret, delivery: "d-1" })
    const first = await server.send(raw)
    const second = await server.send(raw)
    assert.deepStrictEqual(
      [first.status, outcomeOf(first), second.status, outcomeOf(second)],
      [200, { outcome: "Processed" }, 200, { outcome: "Duplicate" }]
    )
    assert.deepStrictEqual(seen.map((event) => [event._tag, event.delivery]), [["Push", "d-1"]])
  })

  it("a delivery signed by @octokit/webhooks-methods is processed", async () => {
    const { server, seen } = await serve()
    const body = GitHubTesting.samples.issues
    const raw = GitHubTesting.sign({ event: "issues", body, secret, delivery: "d-octokit" })
    const signed = {
      ...raw,
      headers: { ...raw.headers, "x-hub-signature-256": await octokitSign(Redacted.value(secret), body) }
    }
    assert.strictEqual((await server.send(signed)).status, 200)
    assert.deepStrictEqual(seen.map((event) => event._tag), ["Issues"])
  })

  it("tampered body, wrong secret, missing signature → 401, handler not run", async () => {
    const { server, seen } = await serve()
    const raw = GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret, delivery: "d-2" })
    const tampered: RawDelivery.RawDelivery = {
      ...raw,
      body: new TextEncoder().encode(GitHubTesting.samples.push.replace("refs/heads/main", "refs/heads/prod"))
    }
    const { ["x-hub-signature-256"]: _, ...unsignedHeaders } = raw.headers
    const cases = [
      tampered,
      GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret: next, delivery: "d-3" }),
      { ...raw, headers: unsignedHeaders }
    ]
    for (const bad of cases) {
      const response = await server.send(bad)
      assert.deepStrictEqual([response.status, outcomeOf(response)], [401, rejected("SignatureInvalid")])
    }
    assert.deepStrictEqual(seen, [])
  })

  it("rotation: both the old and the new secret are accepted while both are configured", async () => {
    const { server, seen } = await serve([secret, next])
    const old = GitHubTesting.sign({ event: "ping", body: GitHubTesting.samples.ping, secret, delivery: "r-1" })
    const rotated = GitHubTesting.sign({
      event: "ping",
      body: GitHubTesting.samples.ping,
      secret: next,
      delivery: "r-2"
    })
    const other = GitHubTesting.sign({
      event: "ping",
      body: GitHubTesting.samples.ping,
      secret: Redacted.make("retired"),
      delivery: "r-3"
    })
    const statuses = [
      (await server.send(old)).status,
      (await server.send(rotated)).status,
      (await server.send(other)).status
    ]
    assert.deepStrictEqual(statuses, [200, 200, 401])
    assert.deepStrictEqual(seen.map((event) => event.delivery), ["r-1", "r-2"])
  })

  it("ids beyond 2^53 arrive exact", async () => {
    const { server, seen } = await serve()
    const body = GitHubTesting.samples.release
      .replace(`"release":{"id":1,`, `"release":{"id":820982911946154508,`)
      .replace(`"id":1296269,`, `"id":9007199254740993,`)
    assert.strictEqual((await server.send(GitHubTesting.sign({ event: "release", body, secret }))).status, 200)
    const release = seen[0]
    assert.strictEqual(release?._tag, "Release")
    if (release?._tag !== "Release") return
    assert.deepStrictEqual([release.release.id, release.repository.id], ["820982911946154508", "9007199254740993"])
  })

  it("replay of a captured delivery under the same delivery id with another event name → 409 PayloadMismatch", async () => {
    const { server, seen } = await serve()
    const raw = GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret, delivery: "d-4" })
    assert.strictEqual((await server.send(raw)).status, 200)
    // The event header is not signed: the signature still matches.
    const renamed = { ...raw, headers: { ...raw.headers, "x-github-event": "create" } }
    const response = await server.send(renamed)
    assert.deepStrictEqual([response.status, outcomeOf(response)], [409, rejected("PayloadMismatch")])
    assert.strictEqual(seen.length, 1)
  })

  it("replay under a new delivery id with a modelled event name the body does not fit → 500, handler not run", async () => {
    const { server, seen } = await serve()
    const raw = GitHubTesting.sign({ event: "issue_comment", body: GitHubTesting.samples.issue_comment, secret })
    const renamed = { ...raw, headers: { ...raw.headers, "x-github-event": "issues", "x-github-delivery": "d-new" } }
    const response = await server.send(renamed)
    assert.deepStrictEqual([response.status, outcomeOf(response)], [500, { outcome: "Failed", reason: "DecodeFailed" }])
    assert.deepStrictEqual(seen, [])
  })

  it("an event not modelled (star) → 200, handled as Unknown", async () => {
    const { server, seen } = await serve()
    const body = `{"action":"created","starred_at":"2025-01-01T00:00:00Z","repository":{"id":1,"full_name":"o/r"}}`
    const response = await server.send(GitHubTesting.sign({ event: "star", body, secret }))
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(seen.map((event) => event._tag === "Unknown" ? [event.event, event.action] : []), [[
      "star",
      "created"
    ]])
  })
})
