/**
 * CPU spent on one unsigned GoldenPay request before it is refused, through the whole pipeline
 * (`handler.run`): ~700 KiB under the default body limit, the largest bodies the default limit lets
 * in (just under 64 KiB), and ~700 KiB under a 1 MiB override (what the work before the signature
 * check costs once the size limit lets such a body in):
 *
 * ```sh
 * node_modules/.bin/node --conditions=@hookline/source packages/provider-goldenpay/scripts/pre-verification-cost.ts
 * ```
 *
 * Every body carries a well-formed but wrong `sign`, so nothing short-circuits on a missing one.
 */
import { defineHandler } from "@hookline/core"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { fill, measure as measureBodies } from "../../../test-support/PreVerificationCost.ts"

const sign = `"sign":"${"0".repeat(32)}"`
const fields = (size: number, value: string) => {
  // `"k00000":<value>,` per field, distinct names.
  const count = Math.floor((size - sign.length - 3) / (value.length + 10))
  return `{${sign},${
    Array.from({ length: count }, (_, i) => `"k${i.toString(36).padStart(5, "0")}":${value}`).join(",")
  }}`
}

const bodies = (size: number): Record<string, string> => ({
  "many string fields": fields(size, `"v1"`),
  "many number fields": fields(size, "10.10"),
  "one array of numbers": fill(size, "1,", `{${sign},"x":[`, "]}"),
  "deep nesting": `{${sign},"x":${"[".repeat(size / 2 - 32)}${"]".repeat(size / 2 - 32)}}`,
  "one long value": `{${sign},"id":"${"a".repeat(size - 64)}"}`
})

const secret = Redacted.make("goldenpay-api-token")
const measure = (size: number, bodyLimit: number | undefined, label: string) =>
  measureBodies(
    defineHandler(GoldenPay.provider({ secret }), () => Effect.void, { bodyLimit }),
    label,
    Object.fromEntries(Object.entries(bodies(size)).map(([name, body]) => [name, { type: "application/json", body }]))
  )

await measure(700 * 1024, undefined, "default bodyLimit")
// The largest bodies the default limit lets in (it is 64 KiB since issue #15; it was 1 MiB).
await measure(64 * 1024 - 64, undefined, "default bodyLimit")
await measure(700 * 1024, 1024 * 1024, "bodyLimit 1 MiB")
