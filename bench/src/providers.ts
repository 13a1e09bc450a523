/**
 * Per-provider pipeline figures: verify + key + claim + decode + handle + complete for a signed new
 * delivery of each bundled provider (memory store), run in-process through `handler.run`.
 */
import { defineHandler, type RawDelivery, type WebhookHandler } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

export interface ProviderBench {
  readonly name: string
  readonly run: () => Promise<unknown>
}

const COUNT = 30_000

const bench = async (
  name: string,
  handler: WebhookHandler.WebhookHandler<never>,
  make: (i: number) => RawDelivery.RawDelivery
): Promise<ProviderBench> => {
  const context = await Effect.runPromise(Layer.build(MemoryStore.layer({ maxEntries: 2_000_000 })).pipe(Effect.scoped))
  const deliveries = Array.from({ length: COUNT }, (_, i) => make(i))
  let next = 0
  return { name, run: () => Effect.runPromiseWith(context)(handler.run(deliveries[next++ % COUNT]!)) }
}

export const providerBenches = async (): Promise<ReadonlyArray<ProviderBench>> => {
  const igvSecret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
  const goldenpaySecret = Redacted.make("bench-goldenpay-token")
  const emSecret = Redacted.make("bench-em-secret")
  return [
    await bench(
      "igv",
      defineHandler(Igv.provider({ secret: igvSecret }), () => Effect.void),
      (i) =>
        IgvTesting.sign({
          secret: igvSecret,
          requestId: String(2002986662652579841n + BigInt(i)),
          body: IgvTesting.exampleBody.replace("1689644928115784", String(1689644928115784 + i))
        })
    ),
    await bench(
      "goldenpay",
      defineHandler(GoldenPay.provider({ secret: goldenpaySecret }), () => Effect.void),
      (i) => GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GP-${i}` }), goldenpaySecret)
    ),
    await bench(
      "em (form body)",
      defineHandler(Em.provider({ appId: "bench", secret: emSecret }), () => Effect.void),
      (i) =>
        EmTesting.sign({
          appId: "bench",
          secret: emSecret,
          requestData: EmTesting.exampleRequestData.replace("DD202409250002", `DD${i}`),
          encoding: "form"
        })
    )
  ]
}
