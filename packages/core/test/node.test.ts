import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, IdempotencyStore, route, type Routes, StoreUnavailable } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { listen, type TestServer } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import express from "express"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Logs from "../../../test-support/Logs.ts"
import { eventually, settles, within } from "../../../test-support/Wait.ts"

const secret = Redacted.make("node-adapter-secret")
const provider = Hmac.provider({ secret })
const sign = (body: string, id?: string) => Hmac.testing.sign({ secret }, { body, id })

const servers: Array<TestServer> = []
const serve = async <R, E>(
  endpoint: Routes.Endpoint<R>,
  layer: Layer.Layer<R | IdempotencyStore.IdempotencyStore, E>
) => {
  const server = await listen(endpoint, Logs.capturing(layer))
  servers.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// Resolvable gate for handlers that must wait for the test.
const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { open, wait: Effect.promise(() => promise) }
}

// Sends a raw HTTP request with node:http (chunked when `chunks` is a generator), returning the
// status and body. Used where fetch cannot express the case (endless bodies, wrong methods).
const rawRequest = (
  url: string,
  options: { method?: string; headers?: Record<string, string>; chunks?: Iterable<Buffer> | undefined }
) =>
  new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
    let written = 0
    const request = http.request(url, { method: options.method ?? "POST", headers: options.headers }, (response) => {
      const parts: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => parts.push(chunk))
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString(), written }))
    })
    request.on("error", reject)
    if (options.chunks === undefined) {
      return request.end()
    }
    const iterator = options.chunks[Symbol.iterator]()
    const pump = () => {
      for (;;) {
        const next = iterator.next()
        if (next.done) {
          return request.end()
        }
        written += next.value.length
        if (!request.write(next.value)) {
          return request.once("drain", pump)
        }
      }
    }
    request.on("response", () =>
      iterator.return?.())
    pump()
  })

describe("toNodeListener over real HTTP", () => {
  it("valid → 200 Processed, repeat → 200 Duplicate, handler runs once", async () => {
    let runs = 0
    const server = await serve(defineHandler(provider, () => Effect.sync(() => runs++)), MemoryStore.layer())
    const raw = sign(`{"order":1}`)
    const first = await server.send(raw)
    const second = await server.send(raw)
    assert.deepStrictEqual([first.status, JSON.parse(first.body)], [200, { outcome: "Processed" }])
    assert.deepStrictEqual([second.status, JSON.parse(second.body)], [200, { outcome: "Duplicate" }])
    assert.strictEqual(runs, 1)
  })

  it("missing or invalid signature → 401 and the handler never runs", async () => {
    let runs = 0
    const server = await serve(defineHandler(provider, () => Effect.sync(() => runs++)), MemoryStore.layer())
    const raw = sign(`{"a":1}`)
    const invalid = await server.send({ ...raw, headers: { ...raw.headers, "x-signature": "0".repeat(64) } })
    const { "x-signature": _, ...unsignedHeaders } = raw.headers
    const missing = await server.send({ ...raw, headers: unsignedHeaders })
    assert.deepStrictEqual([invalid.status, missing.status], [401, 401])
    assert.strictEqual(JSON.parse(invalid.body).reason, "SignatureInvalid")
    assert.strictEqual(runs, 0)
  })

  it("malformed body (valid signature, not JSON) → 400", async () => {
    const server = await serve(defineHandler(provider, () => Effect.void), MemoryStore.layer())
    const response = await server.send(sign("{not json"))
    assert.deepStrictEqual([response.status, JSON.parse(response.body).reason], [400, "MalformedDelivery"])
  })

  it("non-POST → 405 without reading a body", async () => {
    const server = await serve(defineHandler(provider, () => Effect.void), MemoryStore.layer())
    const response = await rawRequest(server.url, { method: "GET" })
    assert.deepStrictEqual([response.status, JSON.parse(response.body).reason], [405, "MethodNotAllowed"])
  })

  it("declared body over the limit → 413 before reading", async () => {
    const server = await serve(defineHandler(provider, () => Effect.void, { bodyLimit: 1024 }), MemoryStore.layer())
    const raw = sign(JSON.stringify({ pad: "x".repeat(2000) }))
    const response = await server.send(raw)
    assert.deepStrictEqual([response.status, JSON.parse(response.body).reason], [413, "BodyTooLarge"])
  })

  it("an endless chunked body → 413 once the limit is passed (the stream is not buffered to its end)", async () => {
    const server = await serve(
      defineHandler(provider, () => Effect.void, { bodyLimit: 64 * 1024 }),
      MemoryStore.layer()
    )
    function* endless() {
      const chunk = Buffer.alloc(16 * 1024, 120)
      for (;;) yield chunk
    }
    const response = await rawRequest(server.url, {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks: endless()
    })
    assert.strictEqual(response.status, 413)
    assert.strictEqual(JSON.parse(response.body).reason, "BodyTooLarge")
  })

  it("handler failure → 500 (not acked); the retry is processed exactly once", async () => {
    let attempts = 0
    let successes = 0
    const handler = defineHandler(
      provider,
      () => Effect.suspend(() => ++attempts === 1 ? Effect.fail("db down") : Effect.sync(() => successes++))
    )
    const server = await serve(handler, MemoryStore.layer())
    const raw = sign(`{"pay":1}`)
    const statuses = [(await server.send(raw)).status, (await server.send(raw)).status, (await server.send(raw)).status]
    assert.deepStrictEqual(statuses, [500, 200, 200])
    assert.deepStrictEqual([attempts, successes], [2, 1])
  })

  it("store failure → 503, never 200", async () => {
    const store = MemoryStore.make()
    const down = Layer.succeed(
      IdempotencyStore.IdempotencyStore,
      IdempotencyStore.IdempotencyStore.of({
        ...store,
        claim: () => Effect.fail(new StoreUnavailable({ message: "redis unreachable" }))
      })
    )
    let runs = 0
    const server = await serve(defineHandler(provider, () => Effect.sync(() => runs++)), down)
    const response = await server.send(sign(`{}`))
    assert.deepStrictEqual([response.status, JSON.parse(response.body).reason], [503, "StoreUnavailable"])
    assert.strictEqual(response.headers.get("retry-after"), "5")
    assert.strictEqual(runs, 0)
  })

  it("a layer that fails to build → 503; a later request builds it again (failure is not cached)", async () => {
    let builds = 0
    const flaky = Layer.effect(
      IdempotencyStore.IdempotencyStore,
      Effect.suspend(() =>
        ++builds === 1
          ? Effect.fail(new StoreUnavailable({ message: "connection refused" }))
          : Effect.succeed(MemoryStore.make())
      )
    )
    const server = await serve(defineHandler(provider, () => Effect.void), flaky)
    const raw = sign(`{}`)
    // With no runtime there is no user logger: core logs this one through Effect's default logger.
    const stderr = Logs.captureConsole()
    assert.strictEqual((await server.send(raw)).status, 503)
    assert.strictEqual((await server.send(raw)).status, 200)
    assert.strictEqual(builds, 2)
    await eventually(
      () =>
        stderr.lines.some((line) =>
          line.includes("the runtime is not available") && line.includes("connection refused")
        ),
      2000,
      "the failed build was not logged on stderr with its cause"
    )
  })

  it("time budget exceeded → 503 now; completion recorded later; retry → 200 Duplicate, no second run", async () => {
    const slow = gate()
    const finished = gate()
    let runs = 0
    const handler = defineHandler(
      provider,
      () => Effect.sync(() => runs++).pipe(Effect.andThen(slow.wait), Effect.tap(() => Effect.sync(finished.open))),
      { timeBudget: "100 millis" }
    )
    const server = await serve(handler, MemoryStore.layer())
    const raw = sign(`{"slow":true}`)
    const first = await server.send(raw)
    assert.deepStrictEqual([first.status, JSON.parse(first.body).reason], [503, "TimedOut"])
    assert.strictEqual((await server.send(raw)).status, 503) // still running: InFlight
    slow.open()
    await within(Effect.runPromise(finished.wait), 5000, "the handler did not finish once its gate opened")
    // Completion is recorded right after the handler returns; the platform's retries see it soon.
    let last = ""
    const retry = await eventually(
      async () => {
        const answer = await server.send(raw)
        last = `${answer.status} ${answer.body}`
        return answer.status === 200 && answer
      },
      5000,
      "the retry was never acknowledged: the background completion was not recorded",
      { describe: () => last }
    )
    assert.deepStrictEqual([retry.status, JSON.parse(retry.body).outcome], [200, "Duplicate"])
    assert.strictEqual(runs, 1)
  })

  it("dispose waits for handlers still running in the background", async () => {
    const slow = gate()
    const events: Array<string> = []
    const handler = defineHandler(
      provider,
      () => slow.wait.pipe(Effect.tap(() => Effect.sync(() => events.push("handler finished")))),
      { timeBudget: "50 millis" }
    )
    // The store's finalizer shows when dispose closes it: after the background handlers.
    const store = Layer.merge(
      MemoryStore.layer(),
      Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => events.push("store closed"))))
    )
    const server = await listen(handler, Logs.capturing(store))
    assert.strictEqual((await server.send(sign(`{}`))).status, 503)
    const closing = server.close().then(() => events.push("disposed"))
    // A negative needs a window: a dispose that did not wait would close the store and end at once.
    assert.isFalse(await settles(closing, 100), "dispose ended while a handler was still running")
    assert.deepStrictEqual(events, [])
    slow.open()
    await within(closing, 5000, "dispose did not end once the handler finished")
    assert.deepStrictEqual(events, ["handler finished", "store closed", "disposed"])
  })

  it("route(): each path to its handler, unknown path → 404, wrong method → 405", async () => {
    const seen: Array<string> = []
    const other = Hmac.provider({ secret, name: "other" })
    const server = await serve(
      route({
        "/hmac": defineHandler(provider, () => Effect.sync(() => seen.push("hmac"))),
        "/other/": defineHandler(other, () => Effect.sync(() => seen.push("other")))
      }),
      MemoryStore.layer()
    )
    const toHmac = Hmac.testing.sign({ secret }, { body: "{}", url: "/hmac" })
    const toOther = Hmac.testing.sign({ secret }, { body: "{}", url: "/other?source=test" })
    assert.strictEqual((await server.send(toHmac)).status, 200)
    assert.strictEqual((await server.send(toOther)).status, 200)
    assert.strictEqual((await server.send({ ...toHmac, url: "/nope" })).status, 404)
    assert.strictEqual((await rawRequest(`${server.url}/hmac`, { method: "PUT" })).status, 405)
    assert.deepStrictEqual(seen, ["hmac", "other"])
  })
})

describe("toNodeListener inside Express", () => {
  // Mounts a counting handler's listener with `mount`, posts one signed delivery (optionally with
  // another content type), and returns the response and how often the handler ran.
  const viaExpress = async (
    mount: (app: express.Express, listener: ReturnType<typeof toNodeListener>) => void,
    contentType?: string
  ) => {
    let runs = 0
    const listener = toNodeListener(
      defineHandler(provider, () => Effect.sync(() => runs++)),
      Logs.capturing(MemoryStore.layer())
    )
    const app = express()
    mount(app, listener)
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const raw = sign(`{"n":"${crypto.randomUUID()}"}`)
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, {
        method: "POST",
        headers: contentType === undefined ? raw.headers : { ...raw.headers, "content-type": contentType },
        body: Buffer.from(raw.body)
      })
      return { status: response.status, body: await response.text(), runs }
    } finally {
      server.close()
      await listener.dispose()
    }
  }

  it("works when express.raw() already buffered the exact body", async () => {
    const result = await viaExpress((app, listener) => app.post("/hooks", express.raw({ type: "*/*" }), listener))
    assert.deepStrictEqual([result.status, result.runs], [200, 1])
  })

  it("answers a clear BodyUnavailable (500), not a false 401, after express.json() consumed the body", async () => {
    const result = await viaExpress((app, listener) => {
      app.use(express.json())
      app.post("/hooks", listener)
    })
    assert.deepStrictEqual([result.status, JSON.parse(result.body).reason, result.runs], [500, "BodyUnavailable", 0])
  })

  it("works behind a global express.json() when the parser skipped the request (other content type)", async () => {
    const result = await viaExpress((app, listener) => {
      app.use(express.json())
      app.post("/hooks", listener)
    }, "text/plain")
    assert.deepStrictEqual([result.status, result.runs], [200, 1])
  })

  it("works mounted with no body parser at all", async () => {
    const result = await viaExpress((app, listener) => app.post("/hooks", listener))
    assert.deepStrictEqual([result.status, result.runs], [200, 1])
  })
})

describe("listener.deliver (a framework buffered the exact bytes)", () => {
  // A server whose framework stand-in consumes the stream itself, then hands the bytes over.
  const viaDeliver = async (bodyLimit?: number) => {
    let runs = 0
    const listener = toNodeListener(
      defineHandler(provider, () => Effect.sync(() => runs++), bodyLimit === undefined ? undefined : { bodyLimit }),
      Logs.capturing(MemoryStore.layer())
    )
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => listener.deliver(req, res, Buffer.concat(chunks)))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const raw = sign(`{"n":"${crypto.randomUUID()}","pad":"${"x".repeat(200)}"}`)
    const post = () =>
      fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        method: "POST",
        headers: raw.headers,
        body: Buffer.from(raw.body)
      }).then(async (response) => [response.status, (await response.json()).outcome ?? null])
    try {
      return { first: await post(), second: await post(), runs }
    } finally {
      server.close()
      await listener.dispose()
    }
  }

  it("runs the pipeline over the handed bytes: Processed, then Duplicate, handler once", async () => {
    const result = await viaDeliver()
    assert.deepStrictEqual(result, { first: [200, "Processed"], second: [200, "Duplicate"], runs: 1 })
  })

  it("applies the body limit to the handed bytes (413, no run)", async () => {
    const result = await viaDeliver(100)
    assert.deepStrictEqual([result.first[0], result.second[0], result.runs], [413, 413, 0])
  })
})

describe("toNodeListener after a body parser", () => {
  it("logs a BodyUnavailable message that names the fix (mount before the parser, or hand over the raw bytes)", async () => {
    const logs = Logs.make()
    const listener = toNodeListener(defineHandler(provider, () => Effect.void), logs.capturing(MemoryStore.layer()))
    // A stand-in body parser: reads the stream to its end before the listener runs.
    const server = http.createServer((req, res) => req.resume().once("end", () => listener(req, res)))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const raw = sign(`{"n":"parsed-first"}`)
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        method: "POST",
        headers: raw.headers,
        body: Buffer.from(raw.body)
      })
      assert.deepStrictEqual([response.status, (await response.json()).reason], [500, "BodyUnavailable"])
      const logged = logs.entries.find((entry) => entry.message.includes("consumed"))?.message
      assert.include(logged, "Mount the hookline listener before any body parser")
      assert.include(logged, "listener.deliver(")
    } finally {
      server.close()
      await listener.dispose()
    }
  })
})
