/**
 * What a receiver's `start()` reports for a provider: the error it rejects with (a configuration
 * problem found at start-up), or `undefined` when it starts. The listener is disposed either way.
 */
import { defineHandler } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { type Provider } from "@hookline/core/provider"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Logs from "./Logs.ts"

export const startError = async <A, P>(provider: Provider.Provider<A, P>): Promise<unknown> => {
  const listener = toNodeListener(defineHandler(provider, () => Effect.void), Logs.capturing(MemoryStore.layer()))
  try {
    return await listener.start().then(() => undefined, (error: unknown) => error)
  } finally {
    await listener.dispose()
  }
}
