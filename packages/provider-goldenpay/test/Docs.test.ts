// The snippets of docs/providers/goldenpay.md and the README, run the way a user would.
import { assert, it } from "@effect/vitest"
import { defineHandler, RawDelivery, route, Routes } from "@hookline/core"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { MemoryStore } from "@hookline/store-memory"
import { Effect, Redacted } from "effect"
import * as BigDecimal from "effect/BigDecimal"
import * as Logs from "../../../test-support/Logs.ts"

// "Testing your handler", verbatim.
const secret = Redacted.make("test-token")
const payments = defineHandler(GoldenPay.provider({ secret, kind: "collect" }), (event) => Effect.log(event._tag))

it.effect("processes a paid collect once", () =>
  Effect.gen(function*() {
    const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ payed_amount: "99.99" }), secret)
    assert.strictEqual((yield* payments.process(raw))._tag, "Processed")
    assert.strictEqual((yield* payments.process(raw))._tag, "Duplicate")
  }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

it.effect("the amount check of the guide flags a short payment and credits a full one", () =>
  Effect.gen(function*() {
    const credited: Array<string> = []
    const flagged: Array<string> = []
    // "The amount check the docs demand", with an in-memory order book standing in for `Orders`.
    const orderAmounts = new Map([["ORDER-1001", BigDecimal.fromStringUnsafe("100.00")]])
    const Orders = {
      find: (transId: string) =>
        Effect.succeed({ amount: orderAmounts.get(transId) ?? BigDecimal.fromStringUnsafe("0") }),
      flagShortPayment: (transId: string, paid: BigDecimal.BigDecimal) =>
        Effect.sync(() => flagged.push(`${transId} ${BigDecimal.format(paid)}`)),
      markPaid: (transId: string) => Effect.sync(() => credited.push(transId))
    }
    const onPaid = (paid: GoldenPay.CollectSucceeded) =>
      Effect.gen(function*() {
        const order = yield* Orders.find(paid.transId) // your amount, e.g. BigDecimal 100.00
        if (!BigDecimal.equals(paid.payedAmount, order.amount)) {
          // e.g. payed_amount "99.99" vs order_amount "100.00": do not deliver; flag for review
          return yield* Orders.flagShortPayment(paid.transId, paid.payedAmount)
        }
        yield* Orders.markPaid(paid.transId)
      })
    const handler = defineHandler(GoldenPay.provider({ secret, kind: "collect" }), {
      CollectSucceeded: onPaid,
      CollectProcessing: () => Effect.void,
      CollectFailed: () => Effect.void
    })
    const short = GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP1", payed_amount: "99.99" }), secret)
    const full = GoldenPayTesting.sign(GoldenPayTesting.collect({ id: "GP2", payed_amount: "100" }), secret)
    assert.strictEqual((yield* handler.run(short)).body, "success")
    assert.strictEqual((yield* handler.run(full)).body, "success")
    assert.deepStrictEqual([credited, flagged], [["ORDER-1001"], ["ORDER-1001 99.99"]])
  }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

it.effect("the Setup snippet: a collect route and a payout route side by side, each with its callbacks", () =>
  Effect.gen(function*() {
    const seen: Array<string> = []
    const log = (line: string) => Effect.sync(() => seen.push(line))
    const options = { secret, expectedMerchantId: "1001" }
    const routes = route({
      "/goldenpay/collect": defineHandler(GoldenPay.provider({ ...options, kind: "collect" }), {
        CollectSucceeded: (paid) =>
          paid.paidInFull ? log(`credit order ${paid.transId}`) : log(`order ${paid.transId} paid short`),
        CollectProcessing: () => Effect.void,
        CollectFailed: (failed) => log(`order ${failed.transId} failed with status ${failed.status}`)
      }),
      "/goldenpay/payout": defineHandler(GoldenPay.provider({ ...options, kind: "payout" }), {
        PayoutSucceeded: (payout) => log(`payout ${payout.transId} done`),
        PayoutCanceled: (payout) => log(`payout ${payout.transId} canceled`),
        PayoutUnknownStatus: (payout) => log(`payout ${payout.id}: status ${payout.status}`)
      })
    })
    const at = (path: string) => Routes.resolve(routes, path)!
    const { collect, payout, sign } = GoldenPayTesting
    const answers = [
      (yield* at("/goldenpay/collect").run(sign(collect(), secret))).body,
      (yield* at("/goldenpay/collect").run(sign(collect({ id: "GP9", status: 40, payed_amount: null }), secret))).body,
      (yield* at("/goldenpay/payout").run(sign(payout({ status: 50 }), secret))).body,
      (yield* at("/goldenpay/payout").run(sign(collect({ id: "GP10" }), secret))).body
    ]
    assert.deepStrictEqual(answers, ["success", "success", "success", "fail"])
    assert.deepStrictEqual(seen, [
      "credit order ORDER-1001",
      "order ORDER-1001 failed with status 40",
      "payout PAYOUT-2001 canceled"
    ])
  }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

it("the diagnose snippet: a capture read as bytes names its form", () => {
  const body = GoldenPayTesting.sign(GoldenPayTesting.collect(), Redacted.make("tok"), "secret-suffix").body
  const diagnosis = GoldenPay.diagnose(RawDelivery.make({ body }), Redacted.make("tok"))
  assert.deepStrictEqual(diagnosis.matched, ["secret-suffix"])
})
