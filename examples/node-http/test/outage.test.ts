/**
 * A real Redis outage, over real HTTP, in every bundled provider's own language: while the store
 * cannot be reached, an authentic delivery is answered "retry" — never the platform's "ok" (`200`,
 * `success`, `SUCCESS`) — and its handler does not run; once Redis is back, the platform's retry is
 * processed, once.
 */
import { assert, describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import { type ExampleProcess, startExample } from "../../../test-support/ExampleProcess.ts"
import { allProviders, cases } from "../../../test-support/MountedExample.ts"
import * as RedisServer from "../../../test-support/RedisServer.ts"

const dir = fileURLToPath(new URL("..", import.meta.url))

// What each platform reads as "delivered": during an outage none of them may be answered so.
const okBody: Record<string, string | undefined> = { goldenpay: "success", em: "SUCCESS" }
// And the platform's own "retry": a non-2xx status, and for literal-body platforms their fail body.
const retry: Record<string, { readonly status: number; readonly text: string }> = {
  hmac: { status: 503, text: JSON.stringify({ outcome: "Failed", reason: "StoreUnavailable" }) },
  igv: { status: 503, text: JSON.stringify({ outcome: "Failed", reason: "StoreUnavailable" }) },
  goldenpay: { status: 503, text: "fail" },
  em: { status: 503, text: "ERROR" },
  github: { status: 503, text: JSON.stringify({ outcome: "Failed", reason: "StoreUnavailable" }) },
  shopify: { status: 503, text: JSON.stringify({ outcome: "Failed", reason: "StoreUnavailable" }) }
}

const runs = (server: ExampleProcess, key: string) => server.handled().filter((line) => line.key === key).length

describe("reference receiver on Redis: a store outage is answered 'retry' by every provider", () => {
  it("down: each provider's own non-ack and no handler run; back: the retry is processed once", async () => {
    const redis = await RedisServer.start()
    const server = await startExample(dir, {
      ...allProviders,
      HOOKLINE_STORE: "redis",
      HOOKLINE_REDIS_URL: redis.url,
      HOOKLINE_REDIS_PREFIX: `outage-${process.pid}:`
    })
    try {
      // Working first: the store is connected.
      for (const c of cases) {
        const { key, raw } = c.delivery()
        assert.strictEqual((await server.send(raw)).status, 200, `${c.provider} before the outage`)
        await server.printed(key)
      }
      await redis.stop()
      const pending = cases.map((c) => ({ c, ...c.delivery() }))
      for (const { c, raw } of pending) {
        const reply = await server.send(raw)
        assert.deepStrictEqual(
          { status: reply.status, text: reply.text },
          retry[c.provider],
          `${c.provider}: the store is down, so the answer must be the platform's "retry"`
        )
        assert.notStrictEqual(reply.text, okBody[c.provider] ?? "never")
      }
      await redis.restart()
      for (const { c, key, raw } of pending) {
        // The client reconnects with a backoff: the platform retries until it is acknowledged.
        let reply = await server.send(raw)
        for (let attempt = 0; reply.status !== 200 && attempt < 100; attempt++) {
          assert.deepStrictEqual({ status: reply.status, text: reply.text }, retry[c.provider])
          await new Promise((resolve) => setTimeout(resolve, 100))
          reply = await server.send(raw)
        }
        assert.strictEqual(reply.status, 200, `${c.provider}: Redis is back, the retry must be processed`)
        await server.printed(key)
        assert.strictEqual(runs(server, key), 1, `${c.provider}: handled exactly once`)
      }
    } finally {
      await server.stop()
      await redis.stop()
    }
  }, 60_000)
})
