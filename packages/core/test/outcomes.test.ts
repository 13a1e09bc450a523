// Every Outcome, driven through both adapters the way a platform would reach them: real HTTP on a
// node listener, and `Request` objects through `toWebHandler`. Each test names the outcomes, the
// deliveries that provoke them and the answers the platform must get. (BodyUnavailable needs a
// framework that consumed the body first: see the Express tests in node.test.ts.)
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  defineHandler,
  Hmac,
  IdempotencyStore,
  RawDelivery,
  route,
  StoreUnavailable,
  UnsupportedMediaType
} from "@hookline/core"
import { LosslessJson, Provider } from "@hookline/core/provider"
import { listen } from "@hookline/core/testing"
import { toWebHandler } from "@hookline/core/web"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Logs from "../../../test-support/Logs.ts"
import { eventually } from "../../../test-support/Wait.ts"

const secret = Redacted.make("every-outcome-secret")
const options = {
  secret,
  timestampHeader: "x-webhook-timestamp",
  signedContent: "timestamp.body" as const,
  tolerance: "5 minutes" as const
}

// Gates that let a test hold a handler open (InFlight, TimedOut) without sleeping.
const gates = new Map<string, { open: () => void; promise: Promise<void> }>()
const gate = (id: string) => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  gates.set(id, { open, promise })
  return { open }
}

const behave = (id: string) =>
  id.startsWith("fail")
    ? Effect.fail("handler error")
    : gates.has(id)
    ? Effect.promise(() => gates.get(id)!.promise)
    : Effect.void

// A provider that only accepts JSON (for UnsupportedMediaType).
const jsonOnly = Provider.make({
  name: "json-only",
  verify: (raw) =>
    RawDelivery.mediaType(raw) === "application/json"
      ? Effect.map(Effect.fromResult(RawDelivery.bodyText(raw)), (text) => text)
      : Effect.fail(
        new UnsupportedMediaType({ message: "JSON only", contentType: RawDelivery.mediaType(raw) ?? "none" })
      ),
  key: (text) => text,
  decode: (text) => Effect.succeed(text)
})

const routes = route({
  "/hmac": defineHandler(Hmac.provider(options), (event) => behave(event.id), { timeBudget: "300 millis" }),
  "/strict": defineHandler(
    Hmac.provider({ ...options, name: "strict", schema: Schema.Struct({ amount: Schema.String }) }),
    () => Effect.void
  ),
  "/json-only": defineHandler(jsonOnly, () => Effect.void),
  "/config": defineHandler(
    Hmac.provider({ ...options, name: "config", secret: Config.Redacted("HOOKLINE_UNSET_SECRET") }),
    () => Effect.void
  ),
  "/small": defineHandler(Hmac.provider({ ...options, name: "small" }), () => Effect.void, { bodyLimit: 64 })
})

const storeDown = Layer.succeed(
  IdempotencyStore.IdempotencyStore,
  IdempotencyStore.IdempotencyStore.of({
    ...MemoryStore.make(),
    claim: () => Effect.fail(new StoreUnavailable({ message: "store outage" }))
  })
)

interface Answer {
  readonly status: number
  readonly outcome: string
}
type Send = (raw: RawDelivery.RawDelivery) => Promise<Answer>

const answerOf = async (status: number, text: string): Promise<Answer> => {
  const body = JSON.parse(text) as { outcome: string; reason?: string }
  return { status, outcome: body.reason === undefined ? body.outcome : `${body.outcome}(${body.reason})` }
}

const sign = (url: string, body: unknown, extra?: { id?: string; timestamp?: number }) =>
  Hmac.testing.sign(options, {
    body: typeof body === "string" ? body : LosslessJson.stringify(body as LosslessJson.Json),
    url,
    id: extra?.id,
    timestamp: extra?.timestamp
  })

const everyOutcome = (name: string, adapters: () => Promise<{ send: Send; sendDown: Send }>) =>
  describe(`every outcome through ${name}`, () => {
    let send: Send
    let sendDown: Send
    beforeAll(async () => {
      ;({ send, sendDown } = await adapters())
    })

    it("Processed 200 → Duplicate 200 → PayloadMismatch 409", async () => {
      const id = `p-${crypto.randomUUID()}`
      const raw = sign("/hmac", { n: 1 }, { id })
      assert.deepStrictEqual(await send(raw), { status: 200, outcome: "Processed" })
      assert.deepStrictEqual(await send(raw), { status: 200, outcome: "Duplicate" })
      assert.deepStrictEqual(await send(sign("/hmac", { n: 2 }, { id })), {
        status: 409,
        outcome: "Rejected(PayloadMismatch)"
      })
    })

    it("InFlight 503 while running, TimedOut 503 past the budget, then Duplicate 200", async () => {
      const id = `slow-${crypto.randomUUID()}`
      const held = gate(id)
      const raw = sign("/hmac", { n: 3 }, { id })
      assert.deepStrictEqual(await send(raw), { status: 503, outcome: "Failed(TimedOut)" })
      assert.deepStrictEqual(await send(raw), { status: 503, outcome: "InFlight" })
      held.open()
      // The completion is recorded just after the handler returns: the platform's retries see it.
      let last: Answer | undefined
      const retry = await eventually(
        async () => {
          last = await send(raw)
          return last.status === 200 && last
        },
        5000,
        "the retry was not acknowledged once the handler finished",
        { describe: () => JSON.stringify(last) }
      )
      assert.deepStrictEqual(retry, { status: 200, outcome: "Duplicate" })
    })

    it("rejections: SignatureInvalid 401, TimestampOutOfTolerance 401, MalformedDelivery 400", async () => {
      const good = sign("/hmac", { n: 4 })
      assert.deepStrictEqual(await send({ ...good, body: new TextEncoder().encode(`{"n":5}`) }), {
        status: 401,
        outcome: "Rejected(SignatureInvalid)"
      })
      const stale = sign("/hmac", { n: 6 }, { timestamp: Math.floor(Date.now() / 1000) - 3600 })
      assert.deepStrictEqual(await send(stale), { status: 401, outcome: "Rejected(TimestampOutOfTolerance)" })
      assert.deepStrictEqual(await send(sign("/hmac", "{not json")), {
        status: 400,
        outcome: "Rejected(MalformedDelivery)"
      })
    })

    it("rejections: BodyTooLarge 413, UnsupportedMediaType 415, MethodNotAllowed 405", async () => {
      assert.deepStrictEqual(await send(sign("/small", { pad: "x".repeat(100) })), {
        status: 413,
        outcome: "Rejected(BodyTooLarge)"
      })
      const form = RawDelivery.make({ url: "/json-only", headers: { "content-type": "text/plain" }, body: "a=1" })
      assert.deepStrictEqual(await send(form), { status: 415, outcome: "Rejected(UnsupportedMediaType)" })
      assert.deepStrictEqual(await send({ ...sign("/hmac", {}), method: "PUT" }), {
        status: 405,
        outcome: "Rejected(MethodNotAllowed)"
      })
    })

    it("failures: HandlerFailed 500, DecodeFailed 500, Misconfigured 500, StoreUnavailable 503", async () => {
      assert.deepStrictEqual(await send(sign("/hmac", {}, { id: `fail-${crypto.randomUUID()}` })), {
        status: 500,
        outcome: "Failed(HandlerFailed)"
      })
      assert.deepStrictEqual(await send(sign("/strict", { amount: 1 })), {
        status: 500,
        outcome: "Failed(DecodeFailed)"
      })
      assert.deepStrictEqual(await send(sign("/config", {})), { status: 500, outcome: "Failed(Misconfigured)" })
      assert.deepStrictEqual(await sendDown(sign("/hmac", {})), { status: 503, outcome: "Failed(StoreUnavailable)" })
    })
  })

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  await Promise.all(closers.map((close) => close()))
})

everyOutcome("a node listener (real HTTP)", async () => {
  const up = await listen(routes, Logs.capturing(MemoryStore.layer()))
  const down = await listen(routes, Logs.capturing(storeDown))
  closers.push(up.close, down.close)
  const via = (server: typeof up): Send => async (raw) => {
    const response = await server.send(raw)
    return answerOf(response.status, response.body)
  }
  return { send: via(up), sendDown: via(down) }
})

everyOutcome("toWebHandler (Request → Response)", async () => {
  const up = toWebHandler(routes, Logs.capturing(MemoryStore.layer()))
  const down = toWebHandler(routes, Logs.capturing(storeDown))
  closers.push(up.dispose, down.dispose)
  const via = (handle: typeof up): Send => async (raw) => {
    const response = await handle(
      new Request(`http://hooks.test${raw.url}`, {
        method: raw.method,
        headers: raw.headers,
        ...(raw.method === "GET" ? {} : { body: Buffer.from(raw.body) })
      })
    )
    return answerOf(response.status, await response.text())
  }
  return { send: via(up), sendDown: via(down) }
})
