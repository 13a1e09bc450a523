import { assert, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core/provider"
import { GitHub } from "@hookline/provider-github"
import * as GitHubTesting from "@hookline/provider-github/testing"
import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { failureTag, successValue as value } from "../../../test-support/Exits.ts"

const secretText = "It's a Secret to Everybody"
const secret = Redacted.make(secretText)
const provider = GitHub.provider({ secret })

const verify = (raw: RawDelivery.RawDelivery) => Effect.runPromiseExit(provider.verify(raw))
const receive = (raw: RawDelivery.RawDelivery) =>
  Effect.runPromiseExit(Effect.flatMap(provider.verify(raw), (payload) => provider.decode(payload, raw)))

describe("GitHub signature, both directions against @octokit/webhooks-methods", () => {
  it("GitHub's documented test vector: 'Hello, World!' with 'It's a Secret to Everybody'", () => {
    // docs.github.com → Validating webhook deliveries → Testing the webhook payload validation.
    assert.strictEqual(
      GitHub.signature("Hello, World!", secret),
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )
  })

  it("octokit's sign verifies in hookline (every sample, a non-ASCII body)", async () => {
    const bodies = [...Object.values(GitHubTesting.samples), `{"zen":"Ünïcødé — ✓","hook_id":1}`]
    for (const body of bodies) {
      const raw = RawDelivery.make({
        method: "POST",
        url: "/",
        headers: {
          "content-type": "application/json",
          "x-github-event": "ping",
          "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
          "x-hub-signature-256": await octokitSign(secretText, body)
        },
        body: new TextEncoder().encode(body)
      })
      assert.strictEqual(failureTag(await verify(raw)), "ok")
    }
  })

  it("hookline's signer verifies in octokit; octokit refuses it under another secret or body", async () => {
    for (const [event, body] of Object.entries(GitHubTesting.samples)) {
      const raw = GitHubTesting.sign({ event, body, secret })
      const signature = raw.headers["x-hub-signature-256"]!
      assert.isTrue(await octokitVerify(secretText, body, signature))
      assert.isFalse(await octokitVerify("another secret", body, signature))
      assert.isFalse(await octokitVerify(secretText, `${body} `, signature))
    }
  })

  it("the SHA-1 X-Hub-Signature alone, a bare hex, or a wrong secret → SignatureInvalid", async () => {
    const raw = GitHubTesting.sign({ event: "ping", body: GitHubTesting.samples.ping, secret })
    const { ["x-hub-signature-256"]: signature, ...rest } = raw.headers
    const cases = [
      { ...raw, headers: { ...rest, "x-hub-signature": "sha1=0123" } },
      { ...raw, headers: { ...rest, "x-hub-signature-256": signature!.slice("sha256=".length) } },
      GitHubTesting.sign({ event: "ping", body: GitHubTesting.samples.ping, secret: Redacted.make("other") })
    ]
    for (const bad of cases) assert.strictEqual(failureTag(await verify(bad)), "SignatureInvalid")
  })

  it("missing event or delivery → MalformedDelivery; form-encoded → UnsupportedMediaType", async () => {
    const raw = GitHubTesting.sign({ event: "ping", body: GitHubTesting.samples.ping, secret })
    const { ["x-github-event"]: _e, ...noEvent } = raw.headers
    const { ["x-github-delivery"]: _d, ...noDelivery } = raw.headers
    assert.strictEqual(failureTag(await verify({ ...raw, headers: noEvent })), "MalformedDelivery")
    assert.strictEqual(failureTag(await verify({ ...raw, headers: noDelivery })), "MalformedDelivery")
    const form = { ...raw, headers: { ...raw.headers, "content-type": "application/x-www-form-urlencoded" } }
    assert.strictEqual(failureTag(await verify(form)), "UnsupportedMediaType")
  })
})

describe("GitHub events", () => {
  it("each modelled event name decodes its sample into its _tag member", async () => {
    const tags: Array<string> = []
    for (const [event, body] of Object.entries(GitHubTesting.samples)) {
      tags.push(value(await receive(GitHubTesting.sign({ event, body, secret })))._tag)
    }
    assert.deepStrictEqual(tags, Object.values(GitHub.tags))
  })

  it("a push: fields renamed, ids as exact digits", async () => {
    const push = value(
      await receive(GitHubTesting.sign({
        event: "push",
        body: GitHubTesting.samples.push,
        secret,
        delivery: "d-1"
      }))
    )
    assert.deepStrictEqual(push, {
      _tag: "Push",
      delivery: "d-1",
      ref: "refs/heads/main",
      before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      after: "0000000000000000000000000000000000000001",
      created: false,
      deleted: false,
      forced: false,
      commits: [{ id: "0000000000000000000000000000000000000001", message: "Update README.md" }],
      repository: { id: "1296269", fullName: "octocat/Hello-World" },
      sender: { id: "1", login: "octocat" }
    })
  })

  it("a pull request whose ids exceed 2^53 keeps them exact; number is a number", async () => {
    const body = GitHubTesting.samples.pull_request
      .replace(`"pull_request":{"id":1,`, `"pull_request":{"id":9007199254740993,`)
      .replace(`"id":1296269,`, `"id":18446744073709551615,`)
    const event = value(await receive(GitHubTesting.sign({ event: "pull_request", body, secret })))
    assert.strictEqual(event._tag, "PullRequest")
    if (event._tag !== "PullRequest") return
    assert.deepStrictEqual(
      [event.pullRequest.id, event.repository.id, event.number, event.action, event.pullRequest.merged],
      ["9007199254740993", "18446744073709551615", 1347, "opened", false]
    )
  })

  it("an enterprise installation (account without login) decodes; the account id stays exact", async () => {
    const body = `{"action":"created","installation":{"id":5,"account":{"id":9007199254740993,"slug":"acme",` +
      `"name":"Acme"}},"sender":{"login":"octocat","id":1}}`
    const event = value(await receive(GitHubTesting.sign({ event: "installation", body, secret })))
    assert.deepStrictEqual(event._tag === "Installation" ? event.installation : undefined, {
      id: "5",
      account: { id: "9007199254740993" }
    })
  })

  it("an event name not modelled → Unknown with the body (numbers as source text) and its action", async () => {
    const body = `{"action":"created","check_run":{"id":9007199254740993},${GitHubTesting.samples.ping.slice(1)}`
    const event = value(await receive(GitHubTesting.sign({ event: "check_run", body, secret, delivery: "d-2" })))
    assert.strictEqual(event._tag, "Unknown")
    if (event._tag !== "Unknown") return
    assert.deepStrictEqual([event.event, event.action, event.body["check_run"]], ["check_run", "created", {
      id: "9007199254740993"
    }])
  })

  it("the unsigned event name must agree with the signed body, else DecodeFailed", async () => {
    const mismatches: ReadonlyArray<readonly [string, string]> = [
      ["push", GitHubTesting.samples.pull_request], // no ref / commits
      ["pull_request", GitHubTesting.samples.push], // no pull_request
      ["issues", GitHubTesting.samples.issue_comment], // an issue_comment body has an issue too
      ["ping", GitHubTesting.samples.release],
      // a pull_request_review body has a pull_request and a review
      [
        "pull_request",
        GitHubTesting.samples.pull_request.replace(`{"action":"opened",`, `{"action":"submitted","review":{"id":1},`)
      ]
    ]
    for (const [event, body] of mismatches) {
      assert.strictEqual(failureTag(await receive(GitHubTesting.sign({ event, body, secret }))), "DecodeFailed", event)
    }
  })

  it("no modelled event name decodes another modelled event's sample (every cross pair is DecodeFailed)", async () => {
    const samples = Object.entries(GitHubTesting.samples)
    const decoded: Array<string> = []
    for (const [event] of samples) {
      for (const [other, body] of samples) {
        if (other === event) continue
        const tag = failureTag(await receive(GitHubTesting.sign({ event, body, secret })))
        if (tag !== "DecodeFailed") decoded.push(`${event} ← ${other}: ${tag}`)
      }
    }
    assert.deepStrictEqual(decoded, [])
  })

  it("the fingerprint covers the event name: same delivery and body, another event → another fingerprint", async () => {
    const a = GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret, delivery: "x" })
    const b = { ...a, headers: { ...a.headers, "x-github-event": "create" } }
    const pa = value(await verify(a))
    const pb = value(await verify(b))
    assert.deepStrictEqual([GitHub.key(pa), GitHub.key(pb)], ["x", "x"])
    assert.notDeepEqual(provider.fingerprint(pa, a), provider.fingerprint(pb, b))
  })

  it("GitHub.Event.match / guards over decoded events; the provider's defaults", async () => {
    const push = value(await receive(GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret })))
    const summary = GitHub.Event.matchOrElse(push, { Push: (p) => `push ${p.ref}` }, (other) => other._tag)
    assert.strictEqual(summary, "push refs/heads/main")
    assert.isTrue(GitHub.Event.guards.Push(push))
    assert.isFalse(GitHub.Event.guards.PullRequest(push))
    assert.deepStrictEqual(
      [provider.defaults.timeBudget, provider.defaults.bodyLimit, provider.name, provider.discriminator],
      [GitHub.defaults.timeBudget, 5 * 1024 * 1024, "github", "_tag"]
    )
  })
})
