/**
 * Security checks across the four bundled providers: verification goes through the constant-time
 * primitive (node:crypto timingSafeEqual, observed by a spy — not a timing test); secrets never
 * appear in logs, spans, outcomes, responses or store errors on any path; replays outside the
 * tolerance are rejected; a repeated key with a different payload is a PayloadMismatch (409).
 */
import { assert, describe, it } from "@effect/vitest"
import {
  defineHandler,
  Hmac,
  IdempotencyStore,
  Outcome,
  type RawDelivery,
  StoreUnavailable,
  type WebhookHandler
} from "@hookline/core"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as nodeCrypto from "node:crypto"
import { inspect } from "node:util"
import { afterEach, vi } from "vitest"
import * as Capture from "../../test-support/Capture.ts"
import * as Logs from "../../test-support/Logs.ts"
import { freePort } from "../../test-support/RedisServer.ts"

// Every call of node:crypto's timingSafeEqual, with the lengths compared.
const comparisons = vi.hoisted(() => [] as Array<{ readonly a: number; readonly b: number }>)
vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof nodeCrypto>()
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    comparisons.push({ a: a.byteLength, b: b.byteLength })
    return original.timingSafeEqual(a, b)
  }
  return { ...original, default: { ...original, timingSafeEqual }, timingSafeEqual }
})

const SECRET = `s3cret-${nodeCrypto.randomBytes(16).toString("hex")}`
const secret = Redacted.make(SECRET)
const appId = "em-app"

/** The secret in every form it could leak in: as is, hex, base64, base64url. */
const forms = [
  SECRET,
  Buffer.from(SECRET).toString("hex"),
  Buffer.from(SECRET).toString("base64"),
  Buffer.from(SECRET).toString("base64url")
]

class Boom extends Data.TaggedError("Boom")<{ readonly message: string }> {}

const hmacOptions = {
  secret,
  idHeader: "x-webhook-id",
  timestampHeader: "x-webhook-timestamp",
  signedContent: "id.timestamp.body" as const
}

type Fixture = {
  readonly name: string
  /** The provider's default timestamp tolerance. */
  readonly toleranceMs: number
  readonly handler: WebhookHandler.WebhookHandler
  readonly sign: (n: number, body?: string, timestampOffsetMs?: number) => RawDelivery.RawDelivery
  /** Where the signature lives: a header to corrupt, or `body` (GoldenPay/EM sign fields). */
  readonly corrupt: (raw: RawDelivery.RawDelivery) => RawDelivery.RawDelivery
}

const fail = (event: unknown) =>
  inspect(event).includes("FAILME") ? Effect.fail(new Boom({ message: "handler failed on purpose" })) : Effect.void

const flipLast = (text: string) => `${text.slice(0, -1)}${text.endsWith("0") ? "1" : "0"}`
const runId = Date.now()

const fixtures: ReadonlyArray<Fixture> = [
  {
    name: "hmac",
    toleranceMs: 5 * 60_000,
    handler: defineHandler(Hmac.provider(hmacOptions), fail),
    sign: (n, body, offset = 0) =>
      Hmac.testing.sign(hmacOptions, {
        id: `evt-${runId}-${n}`,
        body: body ?? `{"n":${n}}`,
        timestamp: Math.floor((Date.now() + offset) / 1000)
      }),
    corrupt: (raw) => ({ ...raw, headers: { ...raw.headers, "x-signature": flipLast(raw.headers["x-signature"]!) } })
  },
  {
    name: "igv",
    toleranceMs: Duration.toMillis(Igv.defaultTolerance),
    handler: defineHandler(Igv.provider({ secret }), fail),
    sign: (n, body, offset = 0) =>
      IgvTesting.sign({
        secret,
        requestId: `${runId}${String(n).padStart(6, "0")}`,
        timestamp: Date.now() + offset,
        body: body ??
          `{"createdAt":"2025-12-17T13:44:16","orderId":${n},"orderNum":"SO${n}","sellerOrderStatus":1,"buyerId":"1"}`
      }),
    corrupt: (raw) => ({ ...raw, headers: { ...raw.headers, "x-signature": flipLast(raw.headers["x-signature"]!) } })
  },
  {
    name: "goldenpay",
    toleranceMs: 0,
    handler: defineHandler(GoldenPay.provider({ secret }), fail),
    sign: (n, body) =>
      GoldenPayTesting.sign(
        GoldenPayTesting.collect({ id: `GP${runId}${n}`, trans_id: body === undefined ? `T${n}` : body }),
        secret
      ),
    corrupt: (raw) => {
      const json = JSON.parse(Buffer.from(raw.body).toString()) as { sign: string }
      return { ...raw, body: Buffer.from(JSON.stringify({ ...json, sign: flipLast(json.sign) })) }
    }
  },
  {
    name: "em",
    toleranceMs: Duration.toMillis(Em.defaultTolerance),
    handler: defineHandler(Em.provider({ appId, secret }), fail),
    sign: (n, body, offset = 0) =>
      EmTesting.sign({
        appId,
        secret,
        encoding: "json",
        timestamp: Math.floor((Date.now() + offset) / 1000),
        requestData: `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${runId}${n}","trade_status":2,"message":"${
          body ?? "ok"
        }"}`
      }),
    corrupt: (raw) => {
      const json = JSON.parse(Buffer.from(raw.body).toString()) as { sign: string }
      return { ...raw, body: Buffer.from(JSON.stringify({ ...json, sign: flipLast(json.sign) })) }
    }
  }
]

afterEach(() => {
  comparisons.length = 0
})

describe("constant-time comparison", () => {
  for (const fixture of fixtures) {
    it.live(`${fixture.name}: valid and forged signatures both go through timingSafeEqual on equal lengths`, () =>
      Effect.gen(function*() {
        comparisons.length = 0
        const valid = yield* fixture.handler.process(fixture.sign(1))
        assert.strictEqual(Outcome.label(valid), "Processed")
        assert.isAbove(comparisons.length, 0, "the valid signature was not compared with timingSafeEqual")
        comparisons.length = 0
        // Same length, one character different: a `===` shortcut would reject it without the spy.
        const forged = yield* fixture.handler.process(fixture.corrupt(fixture.sign(2)))
        assert.strictEqual(Outcome.label(forged), "Rejected(SignatureInvalid)")
        assert.isAbove(comparisons.length, 0, "the forged signature was not compared with timingSafeEqual")
        for (const { a, b } of comparisons) assert.strictEqual(a, b)
      }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
  }
})

describe("replay and payload checks", () => {
  for (const fixture of fixtures.filter((f) => f.name !== "goldenpay")) {
    it.live(`${fixture.name}: a delivery signed outside the tolerance (past or future) is rejected`, () =>
      Effect.gen(function*() {
        const beyond = fixture.toleranceMs + 60_000
        for (const offset of [-beyond, beyond, -30 * beyond]) {
          const outcome = yield* fixture.handler.process(fixture.sign(10, undefined, offset))
          assert.strictEqual(Outcome.label(outcome), "Rejected(TimestampOutOfTolerance)")
        }
        // Inside the tolerance the same delivery is processed.
        assert.strictEqual(
          Outcome.label(yield* fixture.handler.process(fixture.sign(10, undefined, -60_000))),
          "Processed"
        )
      }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
  }

  it.live("a repeated key with a different payload is PayloadMismatch (409), on every provider", () =>
    Effect.gen(function*() {
      // Dedicated handlers: the bodies differ in a field that is not part of the key.
      const cases: ReadonlyArray<readonly [Fixture, string, string]> = [
        [fixtures[0]!, `{"amount":"1.00"}`, `{"amount":"1000.00"}`],
        [
          fixtures[1]!,
          `{"createdAt":"2025-12-17T13:44:16","orderId":7,"orderNum":"SO7","sellerOrderStatus":1,"buyerId":"1"}`,
          `{"createdAt":"2025-12-17T13:44:16","orderId":7,"orderNum":"SO7","sellerOrderStatus":1,"buyerId":"2"}`
        ],
        [fixtures[2]!, "T-first", "T-second"],
        [fixtures[3]!, "first", "second"]
      ]
      for (const [fixture, first, second] of cases) {
        const web = toWebHandler(fixture.handler, Logs.capturing(MemoryStore.layer()))
        const send = async (raw: RawDelivery.RawDelivery) =>
          (await web(
            new Request(`http://x${raw.url}`, { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
          ))
            .status
        const statuses = yield* Effect.promise(async () => {
          const a = await send(fixture.sign(20, first))
          const again = await send(fixture.sign(20, first))
          const b = await send(fixture.sign(20, second))
          await web.dispose()
          return [a, again, b]
        })
        assert.deepStrictEqual(statuses, [200, 200, 409], fixture.name)
      }
    }))
})

const { logged, logger, spans, tracer } = Capture.make()

describe("secrets never appear in logs, spans, outcomes, responses or store errors", () => {
  it.live("on every path of the four providers, and with unreachable stores", () =>
    Effect.gen(function*() {
      const down = Layer.succeed(
        IdempotencyStore.IdempotencyStore,
        {
          claim: () => Effect.fail(new StoreUnavailable({ message: "store down" })),
          complete: () => Effect.fail(new StoreUnavailable({ message: "store down" })),
          release: () => Effect.fail(new StoreUnavailable({ message: "store down" }))
        } as IdempotencyStore.IdempotencyStore["Service"]
      )
      const seen: Array<string> = []
      const labels = new Set<string>()
      for (const fixture of fixtures) {
        const deliveries = [
          fixture.sign(30),
          fixture.sign(30),
          fixture.sign(
            31,
            fixture.name === "hmac" ? `{"x":"FAILME"}` : fixture.name === "igv" ? `{"FAILME":1}` : "FAILME"
          ),
          fixture.corrupt(fixture.sign(32)),
          fixture.sign(33, undefined, -3600_000),
          { ...fixture.sign(34), body: Buffer.from("{not json") },
          { ...fixture.sign(35), body: Buffer.from([0xff, 0xfe]) },
          fixture.sign(30, fixture.name === "goldenpay" ? "T-other" : undefined)
        ]
        yield* Effect.gen(function*() {
          for (const raw of deliveries) {
            const outcome = yield* fixture.handler.process(raw)
            labels.add(Outcome.label(outcome))
            seen.push(
              inspect(outcome, { depth: 10 }),
              JSON.stringify(outcome),
              JSON.stringify(fixture.handler.respond(outcome))
            )
          }
        }).pipe(Effect.provide(MemoryStore.layer()))
        const unavailable = yield* fixture.handler.process(fixture.sign(36)).pipe(Effect.provide(down))
        labels.add(Outcome.label(unavailable))
        seen.push(inspect(unavailable, { depth: 10 }))
      }
      // Stores whose URL carries a password, on a port where nothing listens. A layer that fails
      // to build logs through the default logger (its own Logger layer never started): capture the
      // console and the process streams too.
      const port = yield* Effect.promise(() => freePort())
      const printed: Array<string> = []
      const capture = (...args: Array<unknown>) =>
        void printed.push(args.map((a) => inspect(a, { depth: 10 })).join(" "))
      const spies = [
        ...(["log", "info", "warn", "error", "debug", "trace"] as const).map((method) =>
          vi.spyOn(console, method).mockImplementation(capture)
        ),
        vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (capture(String(chunk)), true)),
        vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (capture(String(chunk)), true))
      ]
      for (
        const layer of [
          RedisStore.layerNode({ url: Redacted.make(`redis://:${SECRET}@127.0.0.1:${port}`) }),
          SqlStore.layerPg({ url: Redacted.make(`postgres://postgres:${SECRET}@127.0.0.1:${port}/test`) })
        ]
      ) {
        const web = toWebHandler(fixtures[0]!.handler, Layer.merge(layer, Logger.layer([logger])))
        const raw = fixtures[0]!.sign(40)
        const response = yield* Effect.promise(() =>
          web(new Request("http://x/", { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) }))
        )
        seen.push(String(response.status), yield* Effect.promise(() => response.text()))
        yield* Effect.promise(() => web.dispose())
      }
      for (const spy of spies) spy.mockRestore()
      assert.isAbove(printed.length + logged.length, 0)

      // The paths really happened.
      for (
        const label of [
          "Processed",
          "Duplicate",
          "Failed(HandlerFailed)",
          "Rejected(SignatureInvalid)",
          "Rejected(TimestampOutOfTolerance)",
          "Rejected(MalformedDelivery)",
          "Rejected(PayloadMismatch)",
          "Failed(StoreUnavailable)"
        ]
      ) assert.isTrue(labels.has(label), `${label} not exercised: ${[...labels].join(", ")}`)
      assert.isAbove(spans.length, 50)

      const everything = [
        ...logged,
        ...printed,
        ...seen,
        ...spans.map((span) =>
          inspect({ name: span.name, attributes: span.attributes, status: span.status, events: span.events }, {
            depth: 10
          })
        ),
        ...fixtures.map((fixture) => inspect(fixture.handler, { depth: 10 }))
      ].join("\n")
      for (const form of forms) assert.notInclude(everything, form)
      // Positive control: the capture holds what it should.
      assert.include(everything, "hookline.verify")
      assert.include(everything, "handler failed on purpose")
      assert.include(everything, "ECONNREFUSED")
    }).pipe(Effect.provide(Logger.layer([logger])), Effect.withTracer(tracer)))
})
