// A receiver test as a `node:test` user writes it — no Vitest installed, none in the module graph.
// Run by `TestingWithoutVitest.test.ts` as `node --conditions=@hookline/source --test <this file>`.
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import assert from "node:assert/strict"
import { register } from "node:module"
import { test } from "node:test"

// From here on, resolving `vitest` or `@effect/vitest` (or a subpath) fails the import that asks.
const refuseVitest = `export async function resolve(specifier, context, next) {
  if (/^(@effect\\/)?vitest(\\/|$)/.test(specifier)) throw new Error("vitest imported: " + specifier)
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(refuseVitest)}`)

const { defineHandler, Hmac, RawDelivery } = await import("@hookline/core")
const { listen } = await import("@hookline/core/testing")
const IgvTesting = await import("@hookline/provider-igv/testing")
const { MemoryStore } = await import("@hookline/store-memory")

test("listen + Hmac.testing.sign + fetch(RawDelivery.toRequest(...)): processed once, then a duplicate", async () => {
  const options = { secret: Redacted.make("node-test-secret") }
  const handled: Array<string> = []
  const server = await listen(
    defineHandler(Hmac.provider(options), (event) => Effect.sync(() => handled.push(event.id))),
    MemoryStore.layer()
  )
  try {
    const raw = Hmac.testing.sign(options, { body: `{"id":9007199254740993}`, id: "evt_node_test" })
    const first = await fetch(RawDelivery.toRequest(raw, server.url))
    const again = await fetch(RawDelivery.toRequest(raw, server.url))
    assert.deepEqual([first.status, await first.json(), again.status, await again.json()], [
      200,
      { outcome: "Processed" },
      200,
      { outcome: "Duplicate" }
    ])
    assert.deepEqual(handled, ["evt_node_test"])
  } finally {
    await server.close()
  }
})

test("a provider's signer (@hookline/provider-igv/testing) loads without Vitest too", () => {
  const raw = IgvTesting.sign({ body: IgvTesting.exampleBody, secret: Redacted.make("a".repeat(32)) })
  assert.equal(raw.method, "POST")
})

test("the guard works: the Vitest conformance suite (@hookline/core/testing/vitest) is refused here", async () => {
  await assert.rejects(import("@hookline/core/testing/vitest"), /vitest imported: @effect\/vitest/)
})
