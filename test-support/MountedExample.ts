/**
 * The acceptance suite every framework example runs against its own server process: each bundled
 * provider mounted at `POST /<provider>` answers valid → the provider's ack, duplicate → ack with no
 * second run; for HMAC and iGV a bad signature → 401 with no run; a body over the limit → 413 with
 * no run; a rejected request puts nothing on stdout (its log goes to stderr); the app's own JSON
 * route still parses JSON; and the server limits hold over raw sockets (a request that never
 * finishes is cut off at the request timeout, connections over the cap are closed). The reference
 * receiver (examples/node-http) runs the stdout and limits parts too.
 *
 * "No second run" is checked without sleeping: after the deliveries under test, a fresh delivery
 * is sent and its handled line awaited. The server prints handled lines in order, so any line the
 * earlier deliveries caused is already there by then.
 */
import { assert, describe, it } from "@effect/vitest"
import { Hmac, type IdempotencyStore, type RawDelivery, type Routes } from "@hookline/core"
import * as EmTesting from "@hookline/provider-em/testing"
import * as GitHubTesting from "@hookline/provider-github/testing"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import * as IgvTesting from "@hookline/provider-igv/testing"
import * as ShopifyTesting from "@hookline/provider-shopify/testing"
import { MemoryStore } from "@hookline/store-memory"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as http from "node:http"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { hmacOptions, makeRoutes } from "../examples/node-http/src/app.ts"
import { type ExampleProcess, startExample } from "./ExampleProcess.ts"
import * as Logs from "./Logs.ts"
import { within } from "./Wait.ts"

const secrets = {
  hmac: Redacted.make("mount-hmac-secret"),
  igv: Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"),
  goldenpay: Redacted.make("mount-goldenpay-token"),
  em: { appId: "mount-em-app", secret: Redacted.make("mount-em-secret") },
  github: Redacted.make("mount-github-secret"),
  shopify: Redacted.make("mount-shopify-secret")
}

/** The environment that mounts every bundled provider (as examples/node-http reads it). */
export const allProviders: Record<string, string> = {
  HMAC_SECRET: Redacted.value(secrets.hmac),
  IGV_SECRET: Redacted.value(secrets.igv),
  GOLDENPAY_SECRET: Redacted.value(secrets.goldenpay),
  EM_APP_ID: secrets.em.appId,
  EM_APP_SECRET: Redacted.value(secrets.em.secret),
  GITHUB_WEBHOOK_SECRET: Redacted.value(secrets.github),
  SHOPIFY_WEBHOOK_SECRET: Redacted.value(secrets.shopify)
}

/** A signed HMAC delivery for `/hmac` (`body` defaults to a small JSON object). */
export const hmacDelivery = (id: string, body = JSON.stringify({ id, amount: "12.50" })): RawDelivery.RawDelivery =>
  Hmac.testing.sign(hmacOptions(secrets.hmac), { body, id, url: "/hmac" })

/** One bundled provider as the examples mount it: a fresh signed delivery and its ack. */
export interface Case {
  readonly provider: string
  readonly delivery: () => { readonly raw: RawDelivery.RawDelivery; readonly key: string }
  /** The provider's ack, as status and body text (`undefined`: any body). */
  readonly ack: (first: boolean) => { readonly status: number; readonly text?: string | undefined }
}

const jsonOutcome = (first: boolean) => JSON.stringify({ outcome: first ? "Processed" : "Duplicate" })

/** Every bundled provider, as mounted by every example. */
export const cases: ReadonlyArray<Case> = [
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
        raw: IgvTesting.sign({ body: IgvTesting.exampleBody, secret: secrets.igv, requestId, url: "/igv" }),
        key: `igv:${requestId}`
      }
    },
    ack: (first) => ({ status: 200, text: jsonOutcome(first) })
  },
  {
    provider: "goldenpay",
    delivery: () => {
      const id = `GP-${crypto.randomUUID()}`
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ id }), secrets.goldenpay)
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
        raw: EmTesting.sign({ ...secrets.em, requestData, encoding: "json", url: "/em" }),
        key: `em:IN_STOCK_AUDIT:${no}:1`
      }
    },
    ack: () => ({ status: 200, text: "SUCCESS" })
  },
  {
    provider: "github",
    delivery: () => {
      const delivery = crypto.randomUUID()
      const body = GitHubTesting.samples.push
      return {
        raw: GitHubTesting.sign({ event: "push", body, secret: secrets.github, delivery, url: "/github" }),
        key: `github:${delivery}`
      }
    },
    ack: (first) => ({ status: 200, text: jsonOutcome(first) })
  },
  {
    provider: "shopify",
    delivery: () => {
      const eventId = crypto.randomUUID()
      const body = ShopifyTesting.samples["orders/create"]
      return {
        raw: ShopifyTesting.sign({ topic: "orders/create", body, secret: secrets.shopify, eventId, url: "/shopify" }),
        key: `shopify:${eventId}`
      }
    },
    ack: (first) => ({ status: 200, text: jsonOutcome(first) })
  }
]

const runs = (server: ExampleProcess, key: string): number => server.handled().filter((line) => line.key === key).length

// Sends a fresh HMAC delivery and waits for its line: every earlier line is printed by then.
const settle = async (server: ExampleProcess): Promise<void> => {
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
      const forged = IgvTesting.sign({
        body: IgvTesting.exampleBody,
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

    it("a rejected request puts no line on stdout, not even a forged one; its log goes to stderr", () =>
      rejectedStaysOffStdout(server))

    it("the app's own JSON route still parses JSON next to the webhooks", async () => {
      const reply = await server.post("/orders", { "content-type": "application/json" }, `{"orderId":"A-1","qty":2}`)
      assert.deepStrictEqual([reply.status, JSON.parse(reply.text)], [200, { accepted: { orderId: "A-1", qty: 2 } }])
    })
  })
  describeServerLimits(`examples/${stack}`, dir)
}

// What a forger would like the event stream to read: a handled line of its own.
const forgedLine = (key: string) =>
  JSON.stringify({ handled: "hmac", tag: "HmacEvent", key, event: { _tag: "HmacEvent", id: key, payload: {} } })

/**
 * Sends `/hmac` a delivery with a bad signature whose body and headers carry a line break and a
 * forged handled-event line, and checks that stdout got no line at all for it (the next line on
 * stdout is the following valid delivery's) while the rejection was logged on stderr.
 */
export const rejectedStaysOffStdout = async (server: ExampleProcess): Promise<void> => {
  const rejections = /webhook rejected/g
  const logged = server.stderr().match(rejections)?.length ?? 0
  const printed = server.stdout().length
  const id = `evt-forged-${crypto.randomUUID()}`
  const signed = hmacDelivery(id)
  // Valid JSON (a malformed body is refused before the signature is checked) with a line of its own.
  const body = `{"id":"${id}","note":\n${forgedLine(`hmac:${id}`)}\n}`
  const reply = await server.post("/hmac", {
    ...signed.headers,
    // A header cannot carry a line break; this one carries the forged line itself.
    "x-note": forgedLine(`hmac:${id}-header`),
    "x-signature": "sha256=" + "0".repeat(64)
  }, body)
  assert.deepStrictEqual([reply.status, JSON.parse(reply.text).reason], [401, "SignatureInvalid"])
  await server.logged(rejections, logged + 1)
  await settle(server)
  const lines = server.stdout().slice(printed)
  assert.strictEqual(lines.length, 1, `stdout got more than the next delivery's line:\n${lines.join("\n")}`)
  assert.strictEqual(JSON.parse(lines[0]!).handled, "hmac")
  assert.notInclude(lines[0]!, "forged")
  assert.notInclude(server.stdout().join("\n"), "forged")
}

/** A raw TCP connection to the server, recording what it received and when it closed. */
interface Connection {
  readonly socket: net.Socket
  readonly received: () => string
  /** Resolves once the connection is closed (by either side). */
  readonly closed: Promise<void>
  /** Resolves with the text received after offset `from` once it holds a complete HTTP response. */
  readonly response: (millis: number, from?: number) => Promise<string>
}

const isComplete = (text: string): boolean => {
  const end = text.indexOf("\r\n\r\n")
  if (end < 0) return false
  const head = text.slice(0, end).toLowerCase()
  const length = /\r\ncontent-length: *(\d+)/.exec(head)
  if (length !== null) return Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])
  return /\r\ntransfer-encoding: *chunked/.test(head) ? text.endsWith("\r\n0\r\n\r\n") : true
}

const connect = (port: number): Promise<Connection> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    let received = ""
    const watchers = new Set<() => void>()
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString()
      for (const watch of watchers) watch()
    })
    // A refused or reset connection is an outcome under test, not a test failure.
    socket.on("error", () => undefined)
    const closed = new Promise<void>((done) => socket.once("close", () => done()))
    socket.once("connect", () =>
      resolve({
        socket,
        received: () => received,
        closed,
        response: (millis, from = 0) =>
          within(
            new Promise<string>((done) => {
              const watch = () => {
                if (!isComplete(received.slice(from))) return
                watchers.delete(watch)
                done(received.slice(from))
              }
              watchers.add(watch)
              watch()
            }),
            millis,
            `no complete HTTP response; received: ${JSON.stringify(received)}`
          )
      }))
    socket.once("error", reject)
  })

// A /hmac request with a bad signature: answered 401 at once, and the connection is kept alive.
const refusedRequest = (id: string): string => {
  const body = "{}"
  return `POST /hmac HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `x-webhook-id: ${id}\r\nx-webhook-timestamp: ${Math.floor(Date.now() / 1000)}\r\n` +
    `x-signature: sha256=${"0".repeat(64)}\r\ncontent-length: ${body.length}\r\n\r\n${body}`
}

/** The limits the limits suite starts its servers with (small, so the tests are quick). */
export const testLimits = { requestTimeout: 1000, maxConnections: 3 } as const

/**
 * Registers the server-limits suite for the example in `dir`: over raw sockets, a request whose
 * headers or body never finish is cut off once the request timeout (set to 1 s through
 * `HOOKLINE_REQUEST_TIMEOUT_MS`) is spent, and a connection over `HOOKLINE_MAX_CONNECTIONS` (3) is
 * closed while the accepted ones keep working.
 */
export const describeServerLimits = (name: string, dir: string): void => {
  describe(`${name}: server limits over raw sockets`, () => {
    let timeouts: ExampleProcess
    let capped: ExampleProcess
    beforeAll(async () => {
      ;[timeouts, capped] = await Promise.all([
        startExample(dir, { HMAC_SECRET: allProviders.HMAC_SECRET!, HOOKLINE_REQUEST_TIMEOUT_MS: "1000" }),
        startExample(dir, {
          HMAC_SECRET: allProviders.HMAC_SECRET!,
          HOOKLINE_MAX_CONNECTIONS: String(testLimits.maxConnections),
          // Accepted connections must stay open while the test holds them.
          HOOKLINE_KEEP_ALIVE_TIMEOUT_MS: "30000"
        })
      ])
    })
    afterAll(() => Promise.all([timeouts?.stop(), capped?.stop()]))

    const cutOff = async (label: string, request: string) => {
      const connection = await connect(timeouts.port)
      const started = performance.now()
      connection.socket.write(request)
      await within(
        connection.closed,
        testLimits.requestTimeout + 2000,
        `the server kept a connection whose ${label} never finished open past the ${testLimits.requestTimeout} ms request timeout`
      )
      const elapsed = performance.now() - started
      // Closed by the timeout, not by something else at once (a 4xx for the request itself).
      assert.isAtLeast(elapsed, testLimits.requestTimeout * 0.9, `closed after ${elapsed} ms`)
      const answer = connection.received()
      assert.isTrue(answer === "" || answer.startsWith("HTTP/1.1 408"), `answered ${JSON.stringify(answer)}`)
    }

    it("headers that never finish (slowloris) are cut off at the request timeout", () =>
      cutOff("headers", "POST /hmac HTTP/1.1\r\nhost: 127.0.0.1\r\nx-webhook-id: slow"))

    it("a body that never finishes (slow 1 MiB upload) is cut off at the request timeout", () => {
      const head = "POST /hmac HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
        `x-webhook-id: slow-body\r\ncontent-length: ${1024 * 1024 - 1}\r\n\r\n`
      return cutOff("body", head + "x".repeat(64 * 1024))
    })

    it(`connections over the cap (${testLimits.maxConnections}) are closed; the accepted ones keep working`, async () => {
      const accepted: Array<Connection> = []
      try {
        for (let i = 0; i < testLimits.maxConnections; i++) {
          const connection = await connect(capped.port)
          accepted.push(connection)
          connection.socket.write(refusedRequest(`cap-${i}`))
          // Answered: the server accepted this connection (and keeps it: no `connection: close`).
          const answer = await connection.response(5000)
          assert.match(answer, /^HTTP\/1\.1 401/)
          assert.notMatch(answer, /\r\nconnection: *close/i)
        }
        const extra = await connect(capped.port)
        extra.socket.write(refusedRequest("cap-extra"))
        await within(extra.closed, 2000, `a connection over the cap of ${testLimits.maxConnections} was kept open`)
        assert.strictEqual(extra.received(), "", "a connection over the cap was answered")
        // Still serving the accepted connections: the cap refused the extra one, nothing broke.
        const first = accepted[0]!
        const before = first.received().length
        first.socket.write(refusedRequest("cap-again"))
        assert.match(await first.response(5000, before), /^HTTP\/1\.1 401/)
      } finally {
        for (const connection of accepted) connection.socket.destroy()
      }
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
  const webhooks = adapter(
    makeRoutes({ hmacSecret: secrets.hmac, onEvent: () => runs++ }),
    Logs.capturing(MemoryStore.layer())
  )
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

/**
 * The example on the shared stores the reference receiver selects with `HOOKLINE_STORE`: two
 * processes of it on one Redis, then on one PostgreSQL: a delivery handled by the first is a
 * `Duplicate` at the second (handled once in all).
 */
export const describeOnSharedStores = (stack: string, testUrl: string): void => {
  const dir = fileURLToPath(new URL("..", testUrl))
  const redisUrl = process.env["HOOKLINE_REDIS_URL"] ?? "redis://127.0.0.1:6379"
  const pgUrl = process.env["HOOKLINE_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
  const stores: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ["redis", {
      HOOKLINE_STORE: "redis",
      HOOKLINE_REDIS_URL: redisUrl,
      HOOKLINE_REDIS_PREFIX: `hookline-test-${stack}-${crypto.randomUUID()}:`
    }],
    ["postgres", { HOOKLINE_STORE: "postgres", HOOKLINE_PG_URL: pgUrl }]
  ]
  for (const [name, env] of stores) {
    describe(`examples/${stack}: two processes on one ${name} store (HOOKLINE_STORE=${name})`, () => {
      let first: ExampleProcess
      let second: ExampleProcess
      beforeAll(async () => {
        ;[first, second] = await Promise.all([
          startExample(dir, { HMAC_SECRET: allProviders.HMAC_SECRET!, ...env }),
          startExample(dir, { HMAC_SECRET: allProviders.HMAC_SECRET!, ...env })
        ])
      })
      afterAll(async () => {
        await Promise.all([first?.stop(), second?.stop()])
      })

      it("a delivery handled by one process is a Duplicate at the other: handled once", async () => {
        const id = `evt-shared-${crypto.randomUUID()}`
        const raw = hmacDelivery(id)
        const a = await first.send(raw)
        assert.strictEqual(a.status, 200, a.text)
        assert.deepStrictEqual(JSON.parse(a.text), { outcome: "Processed" })
        await first.printed(`hmac:${id}`)
        const b = await second.send(raw)
        assert.strictEqual(b.status, 200, b.text)
        assert.deepStrictEqual(JSON.parse(b.text), { outcome: "Duplicate" })
        const handled = [...first.handled(), ...second.handled()].filter((line) => line.key === `hmac:${id}`)
        assert.strictEqual(handled.length, 1)
      })
    })
  }
}
