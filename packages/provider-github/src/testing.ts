/**
 * Test helpers of `@hookline/provider-github`: deliveries signed the way GitHub signs them, and
 * sample bodies, for tests, the demo and benchmarks.
 *
 * ```ts
 * import * as GitHubTesting from "@hookline/provider-github/testing"

 * declare const secret: import("effect").Redacted.Redacted<string>
 *
 * export const raw = GitHubTesting.sign({ event: "push", body: GitHubTesting.samples.push, secret })
 * ```
 *
 * @since 0.1.0
 */
import { RawDelivery } from "@hookline/core/provider"
import type * as Redacted from "effect/Redacted"
import { headers, mediaType, signature } from "./Provider.ts"

/**
 * Input of {@link sign}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface SignInput {
  /** `X-GitHub-Event`: `push`, `pull_request`, … */
  readonly event: string
  /**
   * The body: bytes or text sent as is, or a value serialised with `LosslessJson.stringify` (a
   * `bigint` is written as a bare JSON number).
   */
  readonly body: RawDelivery.BodyInput
  readonly secret: Redacted.Redacted<string>
  /** `X-GitHub-Delivery`. Default: a random UUID, like GitHub's. */
  readonly delivery?: string | undefined
  /** Request URL. Default `/`. */
  readonly url?: string | undefined
}

/**
 * A signed `RawDelivery` with GitHub's headers (`X-Hub-Signature-256`, `X-GitHub-Event`,
 * `X-GitHub-Delivery`, `Content-Type: application/json`, GitHub's `User-Agent`).
 *
 * @since 0.1.0
 * @category testing
 */
export const sign = (input: SignInput): RawDelivery.RawDelivery => {
  const body = RawDelivery.bodyBytes(input.body)
  return RawDelivery.make({
    method: "POST",
    url: input.url ?? "/",
    headers: {
      "content-type": mediaType,
      "user-agent": "GitHub-Hookshot/hookline-test",
      [headers.event]: input.event,
      [headers.delivery]: input.delivery ?? crypto.randomUUID(),
      [headers.signature]: signature(body, input.secret)
    },
    body
  })
}

const repository = `"repository":{"id":1296269,"node_id":"MDEwOlJlcG9zaXRvcnkxMjk2MjY5","name":"Hello-World",` +
  `"full_name":"octocat/Hello-World","private":false}`
const sender = `"sender":{"login":"octocat","id":1,"type":"User"}`

/**
 * Sample bodies (trimmed from GitHub's documented examples), one per modelled event, as the exact
 * JSON text GitHub would send.
 *
 * @since 0.1.0
 * @category testing
 */
export const samples = {
  ping: `{"zen":"Design for failure.","hook_id":109948940,"hook":{"type":"Repository","id":109948940,` +
    `"active":true,"events":["*"]},${repository},${sender}}`,
  push: `{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246",` +
    `"after":"0000000000000000000000000000000000000001","created":false,"deleted":false,"forced":false,` +
    `"commits":[{"id":"0000000000000000000000000000000000000001","message":"Update README.md",` +
    `"author":{"name":"Monalisa Octocat","email":"octocat@github.com"}}],"pusher":{"name":"octocat"},` +
    `${repository},${sender}}`,
  pull_request: `{"action":"opened","number":1347,"pull_request":{"id":1,"number":1347,"state":"open",` +
    `"title":"Amazing new feature","merged":false,"head":{"ref":"new-topic","sha":"6dcb09b5b57875f334f61aebed695e2e4193db5e"},` +
    `"base":{"ref":"main","sha":"6dcb09b5b57875f334f61aebed695e2e4193db5e"},` +
    `"html_url":"https://github.com/octocat/Hello-World/pull/1347"},${repository},${sender}}`,
  issues: `{"action":"opened","issue":{"id":1,"number":1347,"title":"Found a bug","state":"open"},` +
    `${repository},${sender}}`,
  issue_comment: `{"action":"created","issue":{"id":1,"number":1347,"title":"Found a bug","state":"open"},` +
    `"comment":{"id":1,"body":"Me too"},${repository},${sender}}`,
  release: `{"action":"published","release":{"id":1,"tag_name":"v1.0.0","name":"v1.0.0","draft":false,` +
    `"prerelease":false},${repository},${sender}}`,
  workflow_run: `{"action":"completed","workflow_run":{"id":30433642,"name":"Build","status":"completed",` +
    `"conclusion":"success","head_sha":"acb5820ced9479c074f688cc328bf03f341a511d","head_branch":"main",` +
    `"run_number":562},${repository},${sender}}`,
  installation: `{"action":"created","installation":{"id":1,"account":{"login":"octocat","id":1}},` +
    `"repositories":[],${sender}}`
} as const
