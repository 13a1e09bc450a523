/**
 * Every bundled provider keeps the pipeline's synchronous path (docs/concepts.md, "The pipeline"):
 * with plain secrets, the memory store and a handler that returns `Effect.void`, a signed delivery
 * and its duplicate are answered at once by `handler.runIn`, with no fiber. A provider whose verify
 * or decode goes back to `Effect.gen` (always a fiber) fails here, not only in `npm run bench`.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, IdempotencyStore, RawDelivery, type WebhookHandler } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import {
  emProvider,
  githubProvider,
  goldenpayProvider,
  hmacProvider,
  igvProvider,
  type Scheme,
  signedRequest,
  standardProvider,
  stripeProvider
} from "../src/contenders.ts"

const handlers: ReadonlyArray<readonly [string, () => WebhookHandler.WebhookHandler<never>, Scheme]> = [
  ["Hmac (GitHub scheme)", () => defineHandler(hmacProvider(), () => Effect.void), "github"],
  ["Hmac (Standard Webhooks scheme)", () => defineHandler(standardProvider(), () => Effect.void), "standard"],
  ["iGV", () => defineHandler(igvProvider(), () => Effect.void), "igv"],
  ["GoldenPay", () => defineHandler(goldenpayProvider(), () => Effect.void), "goldenpay"],
  ["EM", () => defineHandler(emProvider(), () => Effect.void), "em"],
  ["GitHub", () => defineHandler(githubProvider(), () => Effect.void), "github"],
  ["Stripe", () => defineHandler(stripeProvider(), () => Effect.void), "stripe"]
]

describe("every bundled provider runs a synchronous delivery without a fiber", () => {
  for (const [name, make, scheme] of handlers) {
    it(name, () => {
      const context = Context.make(IdempotencyStore.IdempotencyStore, MemoryStore.make())
      const handler = make()
      const request = signedRequest(scheme, 1)
      const raw = RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })
      for (const attempt of ["new", "duplicate"]) {
        const result = handler.runIn(context, raw)
        assert.isTrue(Exit.isExit(result), `${attempt}: runIn returned an effect to run in a fiber`)
        const exit = result as unknown as Exit.Exit<{ readonly status: number }>
        assert.isTrue(Exit.isSuccess(exit) && exit.value.status === 200, `${attempt}: not answered 200`)
      }
    })
  }
})
