/**
 * CPU spent on one unsigned ~700 KiB EM request before it is refused, through the whole pipeline
 * (`handler.run`): `node --conditions=@hookline/source packages/provider-em/scripts/pre-verification-cost.ts`.
 * Reports ~700 KiB bodies under the default body limit and under a 1 MiB override (which shows what
 * the pre-verification parse itself costs), and 63 KiB bodies (the largest the default admits).
 */
import { defineHandler } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { fill, measure as measureBodies } from "../../../test-support/PreVerificationCost.ts"

// Unsigned bodies shaped to make a parser work hard: numbers (a reviver call each), object members,
// nesting, form fields, percent-escapes.
const bodies = (size: number): Record<string, { readonly type: string; readonly body: string }> => ({
  "json: many numbers": { type: "application/json", body: fill(size, "1,", `{"appid":"a","x":[`, "]}") },
  "json: many members": { type: "application/json", body: fill(size, `"k":1,`, `{"appid":"a",`, "}") },
  "json: deep nesting": {
    type: "application/json",
    body: `{"x":${"[".repeat(size / 2 - 8)}${"]".repeat(size / 2 - 8)}}`
  },
  "form: many fields": { type: "application/x-www-form-urlencoded", body: fill(size, "a=1&", "appid=a&", "") },
  "form: escapes": { type: "application/x-www-form-urlencoded", body: fill(size, "%41", "appid=a&x=", "") }
})

const secret = Redacted.make("em-secret")
const measure = (size: number, bodyLimit: number | undefined, label: string) =>
  measureBodies(
    defineHandler(Em.provider({ appId: "a", secret }), () => Effect.void, { bodyLimit }),
    label,
    bodies(size)
  )

await measure(700 * 1024, undefined, "default bodyLimit")
await measure(700 * 1024, 1024 * 1024, "bodyLimit 1 MiB")
await measure(63 * 1024, undefined, "default bodyLimit")
