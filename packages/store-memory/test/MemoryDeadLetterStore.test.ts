import { assert, describe, it } from "@effect/vitest"
import { Misconfigured } from "@hookline/core"
import { deadLetterConformance } from "@hookline/core/testing/vitest"
import { MemoryDeadLetterStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"

deadLetterConformance("MemoryDeadLetterStore", (retention) => MemoryDeadLetterStore.layer({ retention }))

describe("MemoryDeadLetterStore bounds", () => {
  const attempt = (key: string, at: number) => ({
    key,
    provider: "acme",
    delivery: { method: "POST", url: "/", headers: {}, body: new Uint8Array([1]) },
    receivedAt: at,
    reason: { tag: "HandlerFailed", message: "failed" },
    at
  })

  it.effect("when full, evicts the oldest resolved entry before any open one", () =>
    Effect.gen(function*() {
      const store = MemoryDeadLetterStore.make({ maxEntries: 3 })
      yield* store.record(attempt("acme:a", 1))
      yield* store.record(attempt("acme:b", 2))
      yield* store.record(attempt("acme:c", 3))
      assert.isTrue(yield* store.resolve("acme:b", 4))
      yield* store.record(attempt("acme:d", 5))
      const keys = (yield* store.list()).map((entry) => entry.key).sort()
      assert.deepStrictEqual(keys, ["acme:a", "acme:c", "acme:d"])
    }))

  it.effect("when full of open entries, evicts the one that failed longest ago", () =>
    Effect.gen(function*() {
      const store = MemoryDeadLetterStore.make({ maxEntries: 2 })
      yield* store.record(attempt("acme:a", 1))
      yield* store.record(attempt("acme:b", 2))
      // a fails again: it is now the newest
      yield* store.record(attempt("acme:a", 3))
      yield* store.record(attempt("acme:c", 4))
      const keys = (yield* store.list()).map((entry) => entry.key)
      assert.deepStrictEqual(keys, ["acme:c", "acme:a"])
      assert.strictEqual((yield* store.get("acme:a"))?.attempts, 2)
    }))

  it("refuses a maxEntries that is not a positive integer", () => {
    assert.throws(() => MemoryDeadLetterStore.make({ maxEntries: 0 }), Misconfigured)
    assert.throws(() => MemoryDeadLetterStore.make({ maxEntries: 1.5 }), Misconfigured)
  })
})
