/**
 * The acceptance suite every framework example runs against its own server process: each bundled
 * provider mounted at `POST /<provider>` answers valid → the provider's ack, duplicate → ack with no
 * second run; for HMAC and iGV a bad signature → 401 with no run; a body over the limit → 413 with
 * no run; and the app's own JSON route still parses JSON.
 *
 * "No second run" is checked without sleeping: after the deliveries under test, a fresh delivery
 * is sent and its handled line awaited. The server prints handled lines in order, so any line the
 * earlier deliveries caused is already there by then.
 */
import { assert, describe, it } from "@effect/vitest"
import { Hmac, type IdempotencyStore, type RawDelivery, type Routes } from "@hookline/core"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import { MemoryStore } from "@hookline/store-memory"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as http from "node:http"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { hmacOptions, makeRoutes } from "../examples/node-http/src/app.ts"
import { type ExampleProcess, startExample } from "./ExampleProcess.ts"

const secrets = {
  hmac: Redacted.make("mount-hmac-secret"),
  igv: Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"),
  goldenpay: Redacted.make("mount-goldenpay-token"),
  em: { appId: "mount-em-app", secret: Redacted.make("mount-em-secret") }
}

/** The environment that mounts every bundled provider (as examples/node-http reads it). */
export const allProviders: Record<string, string> = {
  HMAC_SECRET: Redacted.value(secrets.hmac),
  IGV_SECRET: Redacted.value(secrets.igv),
  GOLDENPAY_SECRET: Redacted.value(secrets.goldenpay),
  EM_APP_ID: secrets.em.appId,
  EM_APP_SECRET: Redacted.value(secrets.em.secret)
}

/** A signed HMAC delivery for `/hmac` (`body` defaults to a small JSON object). */
export const hmacDelivery = (id: string, body = JSON.stringify({ id, amount: "12.50" })): RawDelivery.RawDelivery =>
  Hmac.testing.sign(hmacOptions(secrets.hmac), { body, id, url: "/hmac" })

interface Case {
  readonly provider: string
  readonly delivery: () => { readonly raw: RawDelivery.RawDelivery; readonly key: string }
  /** The provider's ack, as status and body text (`undefined`: any body). */
  readonly ack: (first: boolean) => { readonly status: number; readonly text?: string | undefined }
}

const jsonOutcome = (first: boolean) => JSON.stringify({ outcome: first ? "Processed" : "Duplicate" })

const cases: ReadonlyArray<Case> = [
  {
    provider: "hmac",
    delivery: () => {
      const id = `evt-${crypto.randomUUID()}`
      return { raw: hmacDelivery(id), key: `hmac:${id}` }
    },
    ack: (first) => ({ status: 200, text: jsonOutcome(first) })
  },
  {
    provider: "igv",
    delivery: () => {
      const requestId = String(Math.floor(Math.random() * 1e12))
      return {
        raw: Igv.testing.sign({ body: Igv.testing.exampleBody, secret: secrets.igv, requestId, url: "/igv" }),
        key: `igv:${requestId}`
      }
    },
    ack: (first) => ({ status: 200, text: jsonOutcome(first) })
  },
  {
    provider: "goldenpay",
    delivery: () => {
      const id = `GP-${crypto.randomUUID()}`
      const raw = GoldenPay.testing.sign(GoldenPay.testing.collect({ id }), secrets.goldenpay)
      return { raw: { ...raw, url: "/goldenpay" }, key: `goldenpay:collect:${id}:60` }
    },
    ack: () => ({ status: 200, text: "success" })
  },
  {
    provider: "em",
    delivery: () => {
      const no = `RK-${crypto.randomUUID()}`
      const requestData = JSON.stringify({ notify_type: "IN_STOCK_AUDIT", instock_no: no, instock_status: 1 })
      return {
        raw: Em.testing.sign({ ...secrets.em, requestData, encoding: "json", url: "/em" }),
        key: `em:IN_STOCK_AUDIT:${no}:1`
      }
    },
    ack: () => ({ status: 200, text: "SUCCESS" })
  }
]

const runs = (server: ExampleProcess, key: string) => server.handled().filter((line) => line.key === key).length

// Sends a fresh HMAC delivery and waits for its line: every earlier line is printed by then.
const settle = async (server: ExampleProcess) => {
  const { key, raw } = cases[0]!.delivery()
  assert.strictEqual((await server.send(raw)).status, 200)
  await server.printed(key)
}

const assertAck = (reply: { status: number; text: string }, expected: { status: number; text?: string | undefined }) =>
  assert.deepStrictEqual(
    [reply.status, expected.text === undefined ? undefined : reply.text],
    [expected.status, expected.text]
  )

/**
 * Registers the suite for the example whose test file is `testUrl` (`import.meta.url`): its server
 * is started once, with every provider mounted.
 */
export const describeMountedExample = (stack: string, testUrl: string): void => {
  const dir = fileURLToPath(new URL("..", testUrl))
  describe(`examples/${stack} as a real process`, () => {
    let server: ExampleProcess
    beforeAll(async () => {
      server = await startExample(dir, allProviders)
    })
    afterAll(() => server?.stop())

    for (const c of cases) {
      it(`${c.provider}: valid → ack, duplicate → ack without a second run`, async () => {
        const { key, raw } = c.delivery()
        assertAck(await server.send(raw), c.ack(true))
        await server.printed(key)
        assertAck(await server.send(raw), c.ack(false))
        await settle(server)
        assert.strictEqual(runs(server, key), 1)
      })
    }

    it("bad signature → 401 with no run (hmac: tampered body; igv: another secret)", async () => {
      const hmac = cases[0]!.delivery()
      const tampered = { ...hmac.raw, body: new TextEncoder().encode(`{"id":"tampered"}`) }
      const igvKey = "igv:777000111"
      const forged = Igv.testing.sign({
        body: Igv.testing.exampleBody,
        secret: Redacted.make("not-the-igv-secret-0123456789abc"),
        requestId: "777000111",
        url: "/igv"
      })
      assert.deepStrictEqual([(await server.send(tampered)).status, (await server.send(forged)).status], [401, 401])
      await settle(server)
      assert.deepStrictEqual([runs(server, hmac.key), runs(server, igvKey)], [0, 0])
    })

    it("a body over the provider's 1 MiB limit → 413 with no run (validly signed)", async () => {
      const id = `evt-big-${crypto.randomUUID()}`
      const big = hmacDelivery(id, JSON.stringify({ id, pad: "x".repeat(1024 * 1024) }))
      assert.strictEqual((await server.send(big)).status, 413)
      await settle(server)
      assert.strictEqual(runs(server, `hmac:${id}`), 0)
    })

    it("the app's own JSON route still parses JSON next to the webhooks", async () => {
      const reply = await server.post("/orders", { "content-type": "application/json" }, `{"orderId":"A-1","qty":2}`)
      assert.deepStrictEqual([reply.status, JSON.parse(reply.text)], [200, { accepted: { orderId: "A-1", qty: 2 } }])
    })
  })
}

/** An app under test, reachable by path: over real HTTP or in-process (`app.request`). */
export interface Served {
  readonly fetch: (path: string, init: RequestInit) => Promise<Response>
  readonly close: () => Promise<unknown>
}

/** A started `node:http` server as `Served`. */
export const servedOver = async (server: http.Server): Promise<Served> => {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    fetch: (path, init) => fetch(`http://127.0.0.1:${port}${path}`, init),
    close: () => new Promise((resolve) => server.close(resolve))
  }
}

/** What a misconfigured mount must answer: a configuration error (500), no handler run. */
export const bodyUnavailable = { status: 500, reason: "BodyUnavailable", runs: 0 }

/**
 * Mounts `/hmac` the wrong way (`serve` puts the app's body parsing first), posts one validly signed
 * delivery, and returns the status, the outcome's reason and how often the handler ran.
 */
export const afterBodyParser = async <H extends { readonly dispose: () => Promise<void> }>(
  adapter: (routes: Routes.Routes<never>, layer: Layer.Layer<IdempotencyStore.IdempotencyStore>) => H,
  serve: (webhooks: H) => Promise<Served>
) => {
  let runs = 0
  const webhooks = adapter(makeRoutes({ hmacSecret: secrets.hmac, onEvent: () => runs++ }), MemoryStore.layer())
  const app = await serve(webhooks)
  try {
    const raw = hmacDelivery(`evt-misplaced-${crypto.randomUUID()}`)
    const response = await app.fetch("/hmac", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
    return { status: response.status, reason: (await response.json()).reason, runs }
  } finally {
    await app.close()
    await webhooks.dispose()
  }
}
