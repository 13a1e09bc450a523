/**
 * Providers that misbehave on purpose, for the pipeline's edge tests.
 */
import { Provider, type RawDelivery } from "@hookline/core/provider"
import * as Effect from "effect/Effect"

/**
 * A provider that verifies and keys like `base` (an `Hmac` provider), but whose decoded event's `_tag`
 * getter throws: a defect after the handler succeeded and the completion was recorded.
 */
export const throwingTag = (
  base: { readonly verify: Provider.Verify<{ readonly id: string }> }
) =>
  Provider.make({
    name: "hostile",
    verify: (raw: RawDelivery.RawDelivery, now?: number) => base.verify(raw, now),
    key: (payload) => payload.id,
    decode: () =>
      Effect.succeed({
        get _tag(): string {
          throw new Error("no tag for you")
        }
      })
  })
