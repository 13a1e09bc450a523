/**
 * The measuring loop of the providers' `scripts/pre-verification-cost.ts`: CPU per request of
 * unsigned bodies refused by a handler (through `handler.run`, memory store, logs off), one line per
 * body on stdout.
 */
import { RawDelivery, type WebhookHandler } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"

/** `prefix + unit…unit + suffix` of about `size` characters (the last unit's final character dropped). */
export const fill = (size: number, unit: string, prefix: string, suffix: string): string =>
  prefix + unit.repeat(Math.floor((size - prefix.length - suffix.length) / unit.length)).slice(0, -1) + suffix

/** Runs each body `rounds` times (after one warm-up) and prints the CPU milliseconds per request. */
export const measure = async (
  handler: WebhookHandler.WebhookHandler,
  label: string,
  bodies: Readonly<Record<string, { readonly type: string; readonly body: string }>>,
  rounds = 20
): Promise<void> => {
  const layer = MemoryStore.layer()
  for (const [name, { body, type }] of Object.entries(bodies)) {
    const raw = RawDelivery.make({ method: "POST", url: "/", headers: { "content-type": type }, body })
    const once = () => Effect.runPromise(handler.run(raw).pipe(Effect.provide(layer), Effect.provide(Logger.layer([]))))
    await once()
    const start = process.cpuUsage()
    let status = 0
    for (let i = 0; i < rounds; i++) status = (await once()).status
    const used = process.cpuUsage(start)
    console.log(
      `${label.padEnd(18)} ${name.padEnd(21)} ${(raw.body.length / 1024).toFixed(0)} KiB -> ${status}: ` +
        `${((used.user + used.system) / rounds / 1000).toFixed(2)} ms CPU per request`
    )
  }
}
