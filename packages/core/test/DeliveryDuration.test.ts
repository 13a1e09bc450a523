// The latency histogram `hookline_delivery_duration_seconds`: one observation per counted outcome,
// measured on the runtime's Clock from the start of the delivery, through real HTTP. A TestClock in
// the receiver's layer makes the durations exact: the handler moves it, nothing sleeps.
import { afterEach, assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, WebhookHandler } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"
import { eventually } from "../../../test-support/Wait.ts"

const secret = Redacted.make("duration-test-secret")

const servers: Array<TestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

// A provider name of its own per test: the metric registry is global.
const fresh = () => {
  const name = `duration-${crypto.randomUUID().slice(0, 8)}`
  return {
    name,
    provider: Hmac.provider({ secret, name }),
    sign: (body: string) => Hmac.testing.sign({ secret, name }, { body, id: crypto.randomUUID() })
  }
}

const state = (provider: string, outcome: string) =>
  Effect.runPromise(Metric.value(Metric.withAttributes(WebhookHandler.deliveryDuration, { provider, outcome })))

// The observations that fell into the bucket ending at `le` (not cumulative).
const inBucket = (metric: Metric.HistogramState, le: number): number => {
  const index = metric.buckets.findIndex(([boundary]) => boundary === le)
  assert.notStrictEqual(index, -1, `no bucket ${le}`)
  return metric.buckets[index]![1] - (index === 0 ? 0 : metric.buckets[index - 1]![1])
}

const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { open, wait: Effect.promise(() => promise) }
}

describe("hookline_delivery_duration_seconds", () => {
  it("is a histogram with the documented name, description and buckets", async () => {
    assert.strictEqual(WebhookHandler.deliveryDuration.id, "hookline_delivery_duration_seconds")
    assert.strictEqual(WebhookHandler.deliveryDuration.type, "Histogram")
    assert.deepStrictEqual(WebhookHandler.deliveryDurationBoundaries, [
      0.001,
      0.0025,
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60,
      Infinity
    ])
  })

  it("a delivery over HTTP is observed once, in seconds from its start to its outcome, per provider and outcome", async () => {
    const { name, provider, sign } = fresh()
    // The handler takes 300 ms of the receiver's clock.
    const handler = defineHandler(provider, () => TestClock.adjust("300 millis"))
    const server = await listen(handler, Logs.capturing(Layer.mergeAll(MemoryStore.layer(), TestClock.layer())))
    servers.push(server)

    const processed = await server.send(sign(`{"n":1}`))
    assert.strictEqual(processed.status, 200)
    const forged = sign(`{"n":2}`)
    const rejected = await server.send({ ...forged, headers: { ...forged.headers, "x-signature": "00".repeat(32) } })
    assert.strictEqual(rejected.status, 401)

    const ok = await state(name, "Processed")
    assert.strictEqual(ok.count, 1)
    assert.strictEqual(ok.sum, 0.3)
    assert.strictEqual(inBucket(ok, 0.25), 0)
    assert.strictEqual(inBucket(ok, 0.5), 1)
    // The rejection took no time on the clock: the first bucket.
    const refused = await state(name, "Rejected")
    assert.strictEqual(refused.count, 1)
    assert.strictEqual(inBucket(refused, 0.001), 1)
    // Nothing else was observed for this provider; the snapshot names both series.
    const series = (await Effect.runPromise(Metric.snapshot)).filter((snapshot) =>
      snapshot.id === "hookline_delivery_duration_seconds" && snapshot.attributes?.["provider"] === name
    )
    assert.deepStrictEqual(series.map((snapshot) => snapshot.attributes?.["outcome"]).sort(), ["Processed", "Rejected"])
    assert.deepStrictEqual(series.map((snapshot) => snapshot.type), ["Histogram", "Histogram"])
  })

  it("past the time budget: TimedOut at the answer's time, then the final outcome from the background at the whole duration", async () => {
    const { name, provider, sign } = fresh()
    const finish = gate()
    const handler = defineHandler(
      provider,
      () =>
        TestClock.adjust("1500 millis").pipe(
          Effect.andThen(finish.wait),
          Effect.andThen(TestClock.adjust("2 seconds"))
        ),
      { timeBudget: "1 second" }
    )
    const server = await listen(handler, Logs.capturing(Layer.mergeAll(MemoryStore.layer(), TestClock.layer())))
    servers.push(server)

    // A failing assertion must not leave the handler waiting (closing the server waits for it).
    try {
      const answered = await server.send(sign(`{"n":3}`))
      assert.strictEqual(answered.status, 503)
      // The request's wait ended when the clock crossed the budget: the answer is observed at 1 s.
      const timedOut = await state(name, "Failed")
      assert.strictEqual(timedOut.count, 1)
      assert.strictEqual(timedOut.sum, 1)
      assert.strictEqual(inBucket(timedOut, 1), 1)
      assert.strictEqual((await state(name, "Processed")).count, 0)
    } catch (error) {
      finish.open()
      throw error
    }

    finish.open()
    const done = await eventually(
      async () => {
        const processed = await state(name, "Processed")
        return processed.count > 0 && processed
      },
      5000,
      "the background handler's outcome is observed"
    )
    assert.strictEqual(done.count, 1)
    assert.strictEqual(done.sum, 3.5)
    assert.strictEqual(inBucket(done, 5), 1)
    assert.strictEqual((await state(name, "Failed")).count, 1)
  })

  it("a request the adapter refuses before the pipeline (declared body over the limit) is observed too", async () => {
    const { name, provider, sign } = fresh()
    const handler = defineHandler(provider, () => Effect.void, { bodyLimit: 100 })
    const server = await listen(handler, Logs.capturing(Layer.mergeAll(MemoryStore.layer(), TestClock.layer())))
    servers.push(server)
    const big = await server.send(sign(JSON.stringify({ pad: "x".repeat(1000) })))
    assert.strictEqual(big.status, 413)
    const refused = await state(name, "Rejected")
    assert.strictEqual(refused.count, 1)
    assert.strictEqual(inBucket(refused, 0.001), 1)
  })
})
