import { describe, expect, it } from "@effect/vitest"
import { defineHandler, route, type Routes, type WebhookHandler } from "@hookline/core"
import { Provider } from "@hookline/core/provider"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

import * as Context from "effect/Context"

class Boom extends Schema.TaggedError<Boom>()("Boom", {}) {}
class Db extends Context.Service<Db, { readonly save: (id: string) => Effect.Effect<void, Boom> }>()("Db") {}

const Event = Schema.Union([
  Schema.TaggedStruct("A", { a: Schema.String }),
  Schema.TaggedStruct("B", { b: Schema.Number })
])

const providerNamed = (name: string) =>
  Provider.make({
    name,
    verify: () => Effect.succeed({ _tag: "A", a: "x" } as unknown),
    key: () => "k",
    schema: Event
  })
const provider = providerNamed("t")

describe("types", () => {
  it("record of handlers is typed per tag and exhaustive", () => {
    const h = defineHandler(provider, {
      A: (event) => Effect.sync(() => event.a.toUpperCase()),
      B: (event) => Effect.sync(() => event.b.toFixed())
    })
    const check: WebhookHandler.WebhookHandler<never> = h
    expect(check.name).toBe("t")

    // @ts-expect-error missing tag B
    defineHandler(provider, { A: () => Effect.void })

    // @ts-expect-error unknown tag C
    defineHandler(provider, { A: () => Effect.void, B: () => Effect.void, C: () => Effect.void })

    // Requirements of the handlers flow into the handler's type.
    const withDb = defineHandler(provider, {
      A: (event) => Effect.flatMap(Db, (db) => db.save(event.a)),
      B: () => Effect.void
    })
    const needsDb: WebhookHandler.WebhookHandler<Db> = withDb
    // @ts-expect-error a handler needing Db is not a handler needing nothing
    const needsNothing: WebhookHandler.WebhookHandler<never> = withDb
    expect([needsDb.name, needsNothing.name]).toEqual(["t", "t"])

    defineHandler(provider, {
      // @ts-expect-error wrong field for tag A
      A: (event) => Effect.sync(() => event.b),
      B: () => Effect.void
    })
  })
})

describe("route types", () => {
  it("the requirements of every routed handler flow into the routes", () => {
    class A extends Context.Service<A, { readonly a: number }>()("A") {}
    class B extends Context.Service<B, { readonly b: number }>()("B") {}
    // Each route its own provider name (one key namespace each; route() refuses a shared one).
    const needsA = defineHandler(providerNamed("a"), { A: () => Effect.asVoid(A), B: () => Effect.void })
    const needsB = defineHandler(providerNamed("b"), () => Effect.asVoid(B))
    const plain = defineHandler(providerNamed("plain"), () => Effect.void)
    const routes = route({ "/a": needsA, "/b": needsB, "/plain": plain })
    const both: Routes.Routes<A | B> = routes
    // @ts-expect-error routes needing A and B do not run with only A
    const onlyA: Routes.Routes<A> = routes
    expect([both.handlers.size, onlyA.handlers.size]).toEqual([3, 3])
  })
})

describe("Provider.make inference", () => {
  it("infers the payload from verify: raw and payload need no annotations", () => {
    const withSchema = Provider.make({
      name: "inferred",
      verify: (raw) => Effect.succeed({ id: "x", size: raw.body.length }),
      key: (payload) => payload.id,
      fingerprint: (payload) => `${payload.id}:${payload.size}`,
      schema: Schema.Struct({ id: Schema.String })
    })
    const payload: Provider.Provider<{ readonly id: string }, { id: string; size: number }> = withSchema
    // @ts-expect-error the payload is { id, size }, not unknown
    const loose: Provider.Provider<{ readonly id: string }, unknown> = withSchema

    const withDecode = Provider.make({
      name: "decoded",
      verify: (_raw) => Effect.succeed({ id: "x" }),
      key: (payload) => payload.id,
      decode: (payload, raw) => Effect.succeed({ id: payload.id, url: raw.url })
    })
    const event: Provider.Provider<{ id: string; url: string }, { id: string }> = withDecode
    expect([payload.name, loose.name, event.name]).toEqual(["inferred", "inferred", "decoded"])
  })
})
