// Handler maps over any discriminator (issue #17): a provider whose events carry `type` gets an
// exhaustive record typed per type, checked at the key, and dispatched by the verified event's value.
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, type WebhookHandler } from "@hookline/core"
import { Provider } from "@hookline/core/provider"
import { listen } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as BigDecimal from "effect/BigDecimal"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("handler-maps-secret")

// Events as most platforms send them: a `type` field, no `_tag`.
const Event = Schema.Union([
  Schema.Struct({ type: Schema.Literal("order.paid"), orderId: Schema.String, amount: Schema.BigDecimalFromString }),
  Schema.Struct({ type: Schema.Literal("order.refunded"), orderId: Schema.String, reason: Schema.String }),
  Schema.Struct({ type: Schema.Literal("constructor"), orderId: Schema.String })
])
const shop = Hmac.provider({ secret, name: "shop", schema: Event, discriminator: "type" })
const sign = (body: unknown) => Hmac.testing.sign({ secret, name: "shop" }, { body: JSON.stringify(body) })

class Ledger extends Context.Service<Ledger, { readonly record: (line: string) => Effect.Effect<void> }>()("Ledger") {}

describe("handler maps over a discriminator other than _tag", () => {
  it("each function gets its own event type; requirements flow; a wrong key is an error at that key", () => {
    const handler = defineHandler(shop, {
      "order.paid": (event) => Effect.flatMap(Ledger, (ledger) => ledger.record(BigDecimal.format(event.amount))),
      "order.refunded": (event) => Effect.log(event.reason.toUpperCase()),
      constructor: (event) => Effect.log(event.orderId)
    })
    const needsLedger: WebhookHandler.WebhookHandler<Ledger> = handler
    // @ts-expect-error the handlers need a Ledger
    const needsNothing: WebhookHandler.WebhookHandler<never> = handler
    assert.strictEqual(needsLedger, needsNothing)

    // @ts-expect-error "order.refunded" and "constructor" are missing
    defineHandler(shop, { "order.paid": () => Effect.void })
    defineHandler(shop, {
      "order.paid": () => Effect.void,
      "order.refunded": () => Effect.void,
      constructor: () => Effect.void,
      // @ts-expect-error "order.refundd" is the type of no event: reported at this key
      "order.refundd": () => Effect.void
    })
    defineHandler(shop, {
      // @ts-expect-error a paid order has no reason
      "order.paid": (event) => Effect.log(event.reason),
      "order.refunded": () => Effect.void,
      constructor: () => Effect.void
    })
    // A single function still takes every event.
    const one = defineHandler(shop, (event) => Effect.log(event.type))
    assert.strictEqual(one.name, "shop")
  })

  it("Provider.make takes the discriminator; it defaults to _tag", () => {
    const made = Provider.make({
      name: "made",
      discriminator: "kind",
      verify: () => Effect.succeed({ kind: "a" }),
      key: () => "k",
      schema: Schema.Struct({ kind: Schema.Literal("a") })
    })
    assert.strictEqual(made.discriminator, "kind")
    assert.strictEqual(Hmac.provider({ secret }).discriminator, "_tag")
    const handler = defineHandler(made, { a: (event) => Effect.log(event.kind) })
    assert.strictEqual(handler.name, "made")
  })

  it("dispatches by the verified event's value over real HTTP (Object.prototype names included)", async () => {
    const seen: Array<string> = []
    const handler = defineHandler(shop, {
      "order.paid": (event) => Effect.sync(() => seen.push(`paid ${event.orderId} ${BigDecimal.format(event.amount)}`)),
      "order.refunded": (event) => Effect.sync(() => seen.push(`refunded ${event.orderId} ${event.reason}`)),
      constructor: (event) => Effect.sync(() => seen.push(`constructor ${event.orderId}`))
    })
    const server = await listen(handler, Logs.capturing(MemoryStore.layer()))
    try {
      const answers = [
        await server.send(sign({ type: "order.paid", orderId: "9007199254740993", amount: "100.10" })),
        await server.send(sign({ type: "order.refunded", orderId: "2", reason: "damaged" })),
        await server.send(sign({ type: "constructor", orderId: "3" })),
        // Not one of the schema's types: a DecodeFailed ("retry"), never a handler.
        await server.send(sign({ type: "toString", orderId: "4" }))
      ]
      assert.deepStrictEqual(answers.map((answer) => answer.status), [200, 200, 200, 500])
      assert.strictEqual(JSON.parse(answers[3]!.body).reason, "DecodeFailed")
      assert.deepStrictEqual(seen, ["paid 9007199254740993 100.1", "refunded 2 damaged", "constructor 3"])
    } finally {
      await server.close()
    }
  })
})
