import { assert, describe, it } from "@effect/vitest"
import * as GitHubTesting from "@hookline/provider-github/testing"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import * as Redacted from "effect/Redacted"
import { fileURLToPath } from "node:url"
import { startExample } from "../../../test-support/ExampleProcess.ts"

// `npm run example:server`'s command as a real process (test-support/ExampleProcess.ts).
const dir = fileURLToPath(new URL("..", import.meta.url))

describe("reference receiver: /github and /shopify", () => {
  it("mounts /github from GITHUB_WEBHOOK_SECRET and /shopify from SHOPIFY_WEBHOOK_SECRET, one JSON line per event", async () => {
    const github = Redacted.make("server-github-secret")
    const shopify = Redacted.make("server-shopify-secret")
    const server = await startExample(dir, {
      GITHUB_WEBHOOK_SECRET: Redacted.value(github),
      SHOPIFY_WEBHOOK_SECRET: Redacted.value(shopify)
    })
    try {
      const push = GitHubTesting.sign({
        event: "push",
        body: GitHubTesting.samples.push.replace(`"id":1296269,`, `"id":9007199254740993,`),
        secret: github,
        delivery: "gh-1",
        url: "/github"
      })
      const order = ShopifyTesting.sign({
        topic: "orders/create",
        body: ShopifyTesting.samples["orders/create"],
        secret: shopify,
        eventId: "sh-1",
        url: "/shopify"
      })
      const forged = GitHubTesting.sign({
        event: "push",
        body: GitHubTesting.samples.push,
        secret: Redacted.make("wrong"),
        url: "/github"
      })
      const statuses = [
        (await server.send(push)).status,
        (await server.send(push)).status,
        (await server.send(order)).status,
        (await server.send(forged)).status
      ]
      assert.deepStrictEqual(statuses, [200, 200, 200, 401])
      await server.printed("github:gh-1")
      await server.printed("shopify:sh-1")
    } finally {
      await server.stop()
    }
    const lines = server.stdout().map((line) => JSON.parse(line))
    assert.deepStrictEqual(
      lines.map((line) => [line.handled, line.tag, line.key]),
      [["github", "Push", "github:gh-1"], ["shopify", "OrdersCreate", "shopify:sh-1"]]
    )
    assert.deepStrictEqual([lines[0].event.repository.id, lines[1].event.id], [
      "9007199254740993",
      "820982911946154508"
    ])
  })
})
