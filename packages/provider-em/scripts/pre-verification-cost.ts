/**
 * CPU spent on one unsigned ~700 KiB EM request before it is refused, through the whole pipeline
 * (`handler.run`): `node --conditions=@hookline/source packages/provider-em/scripts/pre-verification-cost.ts`.
 * Reports ~700 KiB bodies under the default body limit and under a 1 MiB override (which shows what
 * the pre-verification parse itself costs), and 63 KiB bodies (the largest the default admits).
 */
import { defineHandler, RawDelivery } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"

const fill = (size: number, unit: string, prefix: string, suffix: string) =>
  prefix + unit.repeat(Math.floor((size - prefix.length - suffix.length) / unit.length)).slice(0, -1) + suffix

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
const rounds = 20

const measure = async (size: number, bodyLimit: number | undefined, label: string) => {
  const handler = defineHandler(Em.provider({ appId: "a", secret }), () => Effect.void, { bodyLimit })
  const layer = MemoryStore.layer()
  for (const [name, { body, type }] of Object.entries(bodies(size))) {
    const raw = RawDelivery.make({ method: "POST", url: "/", headers: { "content-type": type }, body })
    const once = () => Effect.runPromise(handler.run(raw).pipe(Effect.provide(layer), Effect.provide(Logger.layer([]))))
    await once()
    const start = process.cpuUsage()
    let status = 0
    for (let i = 0; i < rounds; i++) status = (await once()).status
    const used = process.cpuUsage(start)
    console.log(
      `${label.padEnd(17)} ${name.padEnd(18)} ${(body.length / 1024).toFixed(0)} KiB -> ${status}: ` +
        `${((used.user + used.system) / rounds / 1000).toFixed(2)} ms CPU per request`
    )
  }
}

await measure(700 * 1024, undefined, "default bodyLimit")
await measure(700 * 1024, 1024 * 1024, "bodyLimit 1 MiB")
await measure(63 * 1024, undefined, "default bodyLimit")
