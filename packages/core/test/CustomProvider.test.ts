// The provider of docs/writing-a-provider.md (docs/examples/acme-provider.ts, shown verbatim there),
// tested the way a user would.
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, RawDelivery } from "@hookline/core"
import { Signing } from "@hookline/core/provider"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as BigDecimal from "effect/BigDecimal"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import { acme } from "../../../docs/examples/acme-provider.ts"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("acme-secret")
const signAcme = (body: string, timestamp = Math.floor(Date.now() / 1000)) => {
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)])
  return RawDelivery.make({
    headers: {
      "content-type": "application/json",
      "x-acme-timestamp": String(timestamp),
      "x-acme-signature": Buffer.from(Signing.hmac("sha256", "acme-secret", signed)).toString("hex")
    },
    body
  })
}

describe("a custom provider built as docs/writing-a-provider.md shows", () => {
  it("verifies, decodes exact amounts, dedupes and rejects, through real HTTP", async () => {
    const paid: Array<string> = []
    const handler = defineHandler(acme({ secret }), {
      Paid: (event) => Effect.sync(() => paid.push(`${event.orderId} ${BigDecimal.format(event.amount)}`)),
      Refunded: () => Effect.void
    })
    const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
    try {
      const delivery = signAcme(`{"_tag":"Paid","eventId":"e1","orderId":"9007199254740993","amount":"100.10"}`)
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual(JSON.parse((await server.send(delivery)).body).outcome, "Duplicate")
      assert.strictEqual((await server.send({ ...delivery, body: Buffer.from(`{"_tag":"Refunded"}`) })).status, 401)
      const stale = signAcme(`{"_tag":"Refunded","eventId":"e2","orderId":"1"}`, Math.floor(Date.now() / 1000) - 600)
      assert.strictEqual(JSON.parse((await server.send(stale)).body).reason, "TimestampOutOfTolerance")
      const keyless = signAcme(`{"_tag":"Refunded","orderId":"1"}`)
      assert.strictEqual(JSON.parse((await server.send(keyless)).body).reason, "MalformedDelivery")
      assert.deepStrictEqual(paid, ["9007199254740993 100.1"])
    } finally {
      await server.close()
    }
  })
})

describe("docs/writing-a-provider.md", () => {
  const source = readFileSync(new URL("../../../docs/examples/acme-provider.ts", import.meta.url), "utf8")
  const page = readFileSync(new URL("../../../docs/writing-a-provider.md", import.meta.url), "utf8")

  it("shows the tested example verbatim, and it is at most 40 lines", () => {
    assert.include(page, "```ts\n" + source + "```\n")
    assert.isAtMost(source.trimEnd().split("\n").length, 40)
  })

  it("a missing secret is a Misconfigured at start-up", async () => {
    const provider = acme({ secret: Config.Redacted("ACME_SECRET_NOT_SET") })
    const failure = await Effect.runPromise(Effect.flip(provider.validate))
    assert.strictEqual(failure._tag, "Misconfigured")
    assert.include(failure.message, "acme secret")
  })
})
