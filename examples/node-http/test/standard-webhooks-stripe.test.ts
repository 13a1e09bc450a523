import { assert, describe, it } from "@effect/vitest"
import * as StandardWebhooksTesting from "@hookline/provider-standard-webhooks/testing"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import * as Redacted from "effect/Redacted"
import { fileURLToPath } from "node:url"
import { startExample } from "../../../test-support/ExampleProcess.ts"

// `npm run example:server`'s command as a real process (test-support/ExampleProcess.ts).
const dir = fileURLToPath(new URL("..", import.meta.url))

describe("reference receiver: /standard-webhooks and /stripe", () => {
  it("mounts them from STANDARD_WEBHOOKS_SECRET and STRIPE_WEBHOOK_SECRET, one JSON line per event", async () => {
    const standard = StandardWebhooksTesting.randomSecret()
    const stripe = Redacted.make("whsec_server_stripe_secret")
    const server = await startExample(dir, {
      STANDARD_WEBHOOKS_SECRET: Redacted.value(standard),
      STRIPE_WEBHOOK_SECRET: Redacted.value(stripe)
    })
    try {
      const contact = StandardWebhooksTesting.sign({
        body: StandardWebhooksTesting.exampleBody,
        secret: standard,
        id: "msg_1",
        url: "/standard-webhooks"
      })
      const paid = StripeTesting.sign({
        body: StripeTesting.eventBody({ id: "evt_1", amount: 9007199254740993n }),
        secret: stripe,
        url: "/stripe"
      })
      const forged = StripeTesting.sign({
        body: StripeTesting.exampleBody,
        secret: Redacted.make("wrong"),
        url: "/stripe"
      })
      const statuses = [
        (await server.send(contact)).status,
        (await server.send(contact)).status,
        (await server.send(paid)).status,
        (await server.send(forged)).status
      ]
      assert.deepStrictEqual(statuses, [200, 200, 200, 401])
      await server.printed("standard-webhooks:msg_1")
      await server.printed("stripe:evt_1")
    } finally {
      await server.stop()
    }
    const lines = server.stdout().map((line) => JSON.parse(line))
    assert.deepStrictEqual(lines.map((line) => [line.handled, line.tag, line.key]), [
      ["standard-webhooks", "contact.created", "standard-webhooks:msg_1"],
      ["stripe", "payment_intent.succeeded", "stripe:evt_1"]
    ])
    assert.deepStrictEqual([lines[0].event.data.id, lines[1].event.data.object.amount], [
      "9007199254740993",
      "9007199254740993"
    ])
  })
})
