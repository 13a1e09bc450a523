/**
 * Test helpers that need no test framework (Vitest, Jest, `node:test` alike): `listen`, a real HTTP
 * server for an endpoint on an ephemeral port. Build deliveries with a provider's signer (core's
 * `Hmac.testing.sign`, `@hookline/provider-x/testing`) or `RawDelivery.make`, and send them with
 * `server.send(raw)` or `fetch(RawDelivery.toRequest(raw, server.url))`.
 *
 * ```ts
 * import { Hmac, RawDelivery } from "@hookline/core"
 * import { listen } from "@hookline/core/testing"
 * import { MemoryStore } from "@hookline/store-memory"
 * declare const orders: import("@hookline/core").WebhookHandler.WebhookHandler<never>
 * declare const options: Hmac.Options<unknown>
 *
 * const server = await listen(orders, MemoryStore.layer())
 * const raw = Hmac.testing.sign(options, { body: `{"id":"evt_1"}` })
 * export const response = await fetch(RawDelivery.toRequest(raw, server.url)) // 200
 * await server.close()
 * ```
 *
 * The store conformance suite, which is written for Vitest, is `@hookline/core/testing/vitest`.
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type * as IdempotencyStore from "./IdempotencyStore.ts"
import { toNodeListener } from "./node.ts"
import type { RuntimeOptions } from "./node.ts"
import * as RawDelivery from "./RawDelivery.ts"
import type * as Routes from "./Routes.ts"

/**
 * A real HTTP server on an ephemeral port of 127.0.0.1, serving the endpoint with
 * `toNodeListener`.
 *
 * @since 0.1.0
 * @category testing
 */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** Sends a `RawDelivery` (its method, headers and exact body) to `raw.url` on this server. */
  readonly send: (
    raw: RawDelivery.RawDelivery
  ) => Promise<{ readonly status: number; readonly body: string; readonly headers: Headers }>
  /** Stops listening and disposes the runtime (waits for background handlers). */
  readonly close: () => Promise<void>
}

/**
 * Starts a {@link TestServer}.
 *
 * @since 0.1.0
 * @category testing
 */
export const listen = async <R, E>(
  endpoint: Routes.Endpoint<R>,
  layer: Layer.Layer<R | IdempotencyStore.IdempotencyStore, E>,
  options?: RuntimeOptions
): Promise<TestServer> => {
  const listener = toNodeListener(endpoint, layer, options)
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    send: async (raw) => {
      const response = await fetch(RawDelivery.toRequest(raw, url))
      return { status: response.status, body: await response.text(), headers: response.headers }
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await listener.dispose()
    }
  }
}
