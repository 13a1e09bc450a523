// Issue #15, item 4 (and the log rule of item 5): what an unsigned request can cost and say before
// its `sign` is checked. GoldenPay's signature is inside the JSON body, so the body is read and
// parsed first; the size limit and a shape scan bound that work, and nothing of the request reaches
// an error message until the signature has been verified.
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Outcome, RawDelivery } from "@hookline/core"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const secret = Redacted.make("pre-verification-token")
const { collect, sign } = GoldenPayTesting
const forgedSign = `"sign":"${"0".repeat(32)}"`

// `collect()` has 9 fields; `extra` more makes a body of 9 + extra + 1 (`sign`) values.
const withExtraFields = (extra: number) => ({
  ...collect(),
  ...Object.fromEntries(Array.from({ length: extra }, (_, i) => [`x${i}`, `v${i}`]))
})

const outcomeOf = (body: string | Uint8Array, settings?: { readonly bodyLimit: number }) =>
  defineHandler(GoldenPay.provider({ secret }), () => Effect.void, settings).process(RawDelivery.make({ body })).pipe(
    Effect.provide(Logs.capturing(MemoryStore.layer()))
  )

describe("body limit", () => {
  it.effect("default 64 KiB (was core's 1 MiB): one byte more is BodyTooLarge; bodyLimit raises it", () =>
    Effect.gen(function*() {
      assert.strictEqual(defineHandler(GoldenPay.provider({ secret }), () => Effect.void).settings.bodyLimit, 65_536)
      // A signed collect padded to exactly 64 KiB is processed; one byte more is refused unread.
      const padded = (size: number) => {
        const base = new TextDecoder().decode(sign(collect({ remark: "" }), secret).body).length
        return sign(collect({ remark: "r".repeat(size - base) }), secret)
      }
      const exact = padded(65_536)
      assert.strictEqual(exact.body.length, 65_536)
      assert.strictEqual(Outcome.label(yield* outcomeOf(exact.body)), "Processed")
      const over = padded(65_537)
      assert.strictEqual(Outcome.label(yield* outcomeOf(over.body)), "Rejected(BodyTooLarge)")
      assert.strictEqual(Outcome.label(yield* outcomeOf(over.body, { bodyLimit: 1024 * 1024 })), "Processed")
    }))
})

describe("shape bounds, checked by one scan before the parse", () => {
  it.effect("64 values (sign included) are accepted; 65 are refused, signed or not, before the signature", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(GoldenPay.jsonLimits, { depth: 1, members: 64 })
      assert.strictEqual(Outcome.label(yield* outcomeOf(sign(withExtraFields(54), secret).body)), "Processed")
      const signed = yield* outcomeOf(sign(withExtraFields(55), secret).body)
      const forged = yield* outcomeOf(
        `{${forgedSign},${Array.from({ length: 64 }, (_, i) => `"x${i}":"v"`).join(",")}}`
      )
      for (const outcome of [signed, forged]) {
        // Before: Processed and Rejected(SignatureInvalid) — the whole body was parsed and signed.
        assert.strictEqual(Outcome.label(outcome), "Rejected(MalformedDelivery)")
        if (outcome._tag === "Rejected") assert.include(outcome.reason.message, "more than 64 values")
      }
    }))

  it.effect("any nested object or array is refused by the scan (GoldenPay signs only scalars)", () =>
    Effect.gen(function*() {
      for (const nested of [`{"a":1}`, "[1]", `${"[".repeat(10_000)}${"]".repeat(10_000)}`]) {
        const outcome = yield* outcomeOf(`{"id":${nested},${forgedSign}}`)
        assert.strictEqual(Outcome.label(outcome), "Rejected(MalformedDelivery)")
        if (outcome._tag === "Rejected") assert.include(outcome.reason.message, "deeper than 1")
      }
    }))
})

describe("no request data in messages before the signature is verified", () => {
  it.effect("names and values of unsigned bodies never appear in the rejection's message", () =>
    Effect.gen(function*() {
      const name = "leaky_name_5e1f"
      const value = "leaky_value_77c2"
      const bodies = [
        `{"${name}":{"k":"${value}"},${forgedSign}}`, // was "Field leaky_name_5e1f is an object or array…"
        `{"${name}":["${value}"],${forgedSign}}`,
        `{"${name}":"${value}&x=1",${forgedSign}}`,
        `{"${name}=1":"${value}",${forgedSign}}`,
        `{"${name}": ${value}}`,
        `{"${name}":"${value}"}`,
        `{"${name}":"${value}",${forgedSign}}`,
        `[{"${name}":"${value}"}]`,
        `["${name}","${value}"]`,
        `{${Array.from({ length: 70 }, (_, i) => `"${name}${i}":"${value}"`).join(",")}}`
      ]
      for (const body of bodies) {
        const outcome = yield* outcomeOf(body)
        assert.strictEqual(outcome._tag, "Rejected", body.slice(0, 60))
        if (outcome._tag !== "Rejected") continue
        assert.notInclude(outcome.reason.message, name, body.slice(0, 60))
        assert.notInclude(outcome.reason.message, value, body.slice(0, 60))
      }
    }))
})
