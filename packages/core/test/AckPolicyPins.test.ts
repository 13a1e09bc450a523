/**
 * Pins on `AckPolicy.ts` and `Outcome.ts` that mutation testing showed no other test held: the
 * whole status table, which answers carry `Retry-After`, the literal-body policy's ok/fail split
 * (rule zero), overrides, and the outcome helpers (see docs/testing.md).
 */
import { assert, describe, it } from "@effect/vitest"
import { DeliveryError, Outcome } from "@hookline/core"
import { AckPolicy } from "@hookline/core/provider"

const key = "p:1"
const rejected = (reason: DeliveryError.Rejection) => Outcome.Rejected({ key, reason })
const failed = (reason: DeliveryError.Failure) => Outcome.Failed({ key, reason })

// One outcome per status key, with the status the defaults give it.
const table: ReadonlyArray<readonly [Outcome.Outcome, number]> = [
  [Outcome.Processed({ key, eventTag: "Paid" }), 200],
  [Outcome.Duplicate({ key }), 200],
  [Outcome.InFlight({ key }), 503],
  [rejected(new DeliveryError.SignatureInvalid({ message: "m" })), 401],
  [rejected(new DeliveryError.TimestampOutOfTolerance({ message: "m", timestamp: "1", skewMillis: 1 })), 401],
  [rejected(new DeliveryError.MalformedDelivery({ message: "m" })), 400],
  [rejected(new DeliveryError.BodyTooLarge({ message: "m", limit: 1 })), 413],
  [rejected(new DeliveryError.UnsupportedMediaType({ message: "m", contentType: "text/xml" })), 415],
  [rejected(new DeliveryError.PayloadMismatch({ message: "m", key })), 409],
  [rejected(new DeliveryError.MethodNotAllowed({ message: "m", method: "GET" })), 405],
  [failed(new DeliveryError.DecodeFailed({ message: "m" })), 500],
  [failed(new DeliveryError.HandlerFailed({ message: "m", error: "e", defect: false })), 500],
  [failed(new DeliveryError.StoreUnavailable({ message: "m" })), 503],
  [failed(new DeliveryError.TimedOut({ message: "m", budgetMillis: 1 })), 503],
  [failed(new DeliveryError.BodyUnavailable({ message: "m" })), 500],
  [failed(new DeliveryError.Misconfigured({ message: "m" })), 500]
]

// `Retry-After` only where "try again soon" is the answer.
const retrySoon = new Set(["InFlight", "Failed(StoreUnavailable)"])

describe("AckPolicy.status", () => {
  it("answers every outcome with its default status, a JSON body naming outcome and reason, and Retry-After only for InFlight and StoreUnavailable", () => {
    const policy = AckPolicy.status()
    for (const [outcome, status] of table) {
      const name = Outcome.label(outcome)
      const ack = policy(outcome)
      assert.strictEqual(ack.status, status, name)
      assert.strictEqual(AckPolicy.statusOf(outcome), status, name)
      const reason = Outcome.reasonTag(outcome)
      const statusKey = (reason ?? outcome._tag) as AckPolicy.StatusKey
      assert.strictEqual(AckPolicy.defaultStatuses[statusKey], status, name)
      assert.deepStrictEqual(
        JSON.parse(ack.body),
        reason === undefined ? { outcome: outcome._tag } : { outcome: outcome._tag, reason },
        name
      )
      assert.strictEqual(ack.headers["content-type"], "application/json", name)
      assert.strictEqual(ack.headers["retry-after"], retrySoon.has(name) ? "5" : undefined, name)
    }
  })

  it("builds each answer once per outcome and reason, never sharing one between reasons", () => {
    const policy = AckPolicy.status()
    const handlerFailed = failed(new DeliveryError.HandlerFailed({ message: "a", error: 1, defect: false }))
    const first = policy(handlerFailed)
    assert.strictEqual(policy(failed(new DeliveryError.HandlerFailed({ message: "b", error: 2, defect: true }))), first)
    // Same outcome tag, another reason: its own answer.
    const store = policy(failed(new DeliveryError.StoreUnavailable({ message: "m" })))
    assert.strictEqual(store.status, 503)
    assert.strictEqual(policy(handlerFailed).status, 500)
    // Outcomes without a reason are keyed by their tag alone.
    assert.strictEqual(policy(Outcome.InFlight({ key: "other" })), policy(Outcome.InFlight({ key })))
    assert.strictEqual(policy(Outcome.Duplicate({ key })).status, 200)
    assert.strictEqual(policy(Outcome.InFlight({ key })).status, 503)
  })

  it("overrides replace only the statuses they name", () => {
    const policy = AckPolicy.status({ statuses: { InFlight: 429, SignatureInvalid: 403 } })
    for (const [outcome, status] of table) {
      const name = Outcome.label(outcome)
      const expected = name === "InFlight" ? 429 : name === "Rejected(SignatureInvalid)" ? 403 : status
      assert.strictEqual(policy(outcome).status, expected, name)
      assert.strictEqual(AckPolicy.statusOf(outcome, { statuses: { InFlight: 429, SignatureInvalid: 403 } }), expected)
    }
    assert.strictEqual(AckPolicy.statusOf(Outcome.InFlight({ key }), {}), 503, "no overrides: the default")
  })
})

describe("AckPolicy.text", () => {
  it("answers ok only for Processed and Duplicate (rule zero), fail with the outcome's status otherwise", () => {
    const policy = AckPolicy.text({ ok: "success", fail: "fail" })
    for (const [outcome, status] of table) {
      const name = Outcome.label(outcome)
      const ack = policy(outcome)
      const acknowledged = name === "Processed" || name === "Duplicate"
      assert.strictEqual(ack.body, acknowledged ? "success" : "fail", name)
      assert.strictEqual(ack.status, status, name)
      assert.strictEqual(ack.headers["content-type"], "text/plain; charset=utf-8", name)
      assert.strictEqual(ack.headers["retry-after"], retrySoon.has(name) ? "5" : undefined, name)
    }
  })

  it("applies status overrides", () => {
    const policy = AckPolicy.text({ ok: "OK", fail: "NO", statuses: { TimedOut: 504 } })
    assert.strictEqual(policy(failed(new DeliveryError.TimedOut({ message: "m", budgetMillis: 1 }))).status, 504)
    assert.strictEqual(policy(Outcome.Processed({ key, eventTag: undefined })).body, "OK")
  })
})

describe("Outcome helpers", () => {
  it("isAcknowledged is true for Processed and Duplicate only; label and reasonTag name the reason", () => {
    for (const [outcome] of table) {
      const tag = outcome._tag
      const reason = tag === "Rejected" || tag === "Failed" ? outcome.reason._tag : undefined
      assert.strictEqual(Outcome.isAcknowledged(outcome), tag === "Processed" || tag === "Duplicate", tag)
      assert.strictEqual(Outcome.reasonTag(outcome), reason, tag)
      assert.strictEqual(Outcome.label(outcome), reason === undefined ? tag : `${tag}(${reason})`)
    }
    assert.strictEqual(
      Outcome.label(rejected(new DeliveryError.SignatureInvalid({ message: "m" }))),
      "Rejected(SignatureInvalid)"
    )
    assert.strictEqual(Outcome.label(Outcome.Duplicate({ key })), "Duplicate")
  })
})
