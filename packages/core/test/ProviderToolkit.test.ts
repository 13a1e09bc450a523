// The toolkit helpers shared by the GitHub, Shopify, Stripe and Standard Webhooks providers:
// Provider.decodeByName / namedMember (an unsigned header names the event), RawDelivery.bodyBytes
// (test signers' bodies), requireMediaType, requireSingleHeader's message and bodyJsonObject.
import { assert, describe, it } from "@effect/vitest"
import { DecodeFailed, type LosslessJson, MalformedDelivery, Provider, RawDelivery } from "@hookline/core/provider"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"

type Event =
  | { readonly _tag: "Push"; readonly id: string; readonly ref: string }
  | { readonly _tag: "Issue"; readonly id: string; readonly title: string }
  | { readonly _tag: "Unknown"; readonly id: string; readonly event: string }

interface Payload {
  readonly event: string
  readonly id: string
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

const decode = Provider.decodeByName<Event, Payload>({
  header: "X-Example-Event",
  noun: "event",
  name: (payload) => payload.event,
  members: {
    push: Provider.namedMember(
      Schema.Struct({ ref: Schema.String }),
      (wire, payload: Payload) => ({ _tag: "Push", id: payload.id, ref: wire.ref }),
      ["issue"]
    ),
    issue: Provider.namedMember(
      Schema.Struct({ issue: Schema.Struct({ title: Schema.String }) }),
      (wire, payload: Payload) =>
        wire.issue.title === ""
          ? new DecodeFailed({ message: "issue: the title is empty" })
          : { _tag: "Issue", id: payload.id, title: wire.issue.title }
    )
  },
  unknown: (payload) => ({ _tag: "Unknown", id: payload.id, event: payload.event })
})

const run = (event: string, body: Payload["body"]) => Effect.runSync(Effect.result(decode({ event, id: "d1", body })))

const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

const success = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected a success, got ${String(result.failure)}`)
  return result.success
}

describe("Provider.decodeByName", () => {
  it("the header's name picks the member, which decodes the body (keeping only its schema's keys)", () => {
    assert.deepStrictEqual(success(run("push", { ref: "refs/heads/main", other: 1 })), {
      _tag: "Push",
      id: "d1",
      ref: "refs/heads/main"
    })
    assert.deepStrictEqual(success(run("issue", { issue: { title: "Bug" } })), {
      _tag: "Issue",
      id: "d1",
      title: "Bug"
    })
  })

  it("a name outside the table is the unknown member, own keys only (not Object.prototype's)", () => {
    assert.deepStrictEqual(success(run("star", { ref: "x" })), { _tag: "Unknown", id: "d1", event: "star" })
    assert.deepStrictEqual(success(run("constructor", {})), { _tag: "Unknown", id: "d1", event: "constructor" })
    assert.deepStrictEqual(success(run("__proto__", {})), { _tag: "Unknown", id: "d1", event: "__proto__" })
  })

  it("a body with a key the member excludes is DecodeFailed naming the header as unsigned", () => {
    // An issue body (it has `ref` too) replayed under the name `push`.
    const error = failure(run("push", { ref: "refs/heads/main", issue: { title: "Bug" } }))
    assert.instanceOf(error, DecodeFailed)
    assert.strictEqual(
      error.message,
      `X-Example-Event push does not match the body: it has "issue", which a push body never has ` +
        `(the event header is not signed)`
    )
  })

  it("a body that does not fit the schema, or that toEvent refuses, is DecodeFailed", () => {
    assert.instanceOf(failure(run("push", { ref: 1 })), DecodeFailed)
    assert.instanceOf(failure(run("issue", { ref: "refs/heads/main" })), DecodeFailed)
    const refused = failure(run("issue", { issue: { title: "" } }))
    assert.instanceOf(refused, DecodeFailed)
    assert.strictEqual(refused.message, "issue: the title is empty")
  })
})

describe("RawDelivery.bodyBytes", () => {
  it("keeps bytes, encodes text as UTF-8 and values with LosslessJson.stringify", () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x7b])
    assert.strictEqual(RawDelivery.bodyBytes(bytes), bytes)
    assert.deepStrictEqual(RawDelivery.bodyBytes("{\"a\":\"é\"}"), new TextEncoder().encode("{\"a\":\"é\"}"))
    assert.strictEqual(
      new TextDecoder().decode(RawDelivery.bodyBytes({ id: 9007199254740993n, list: [1, "two", null] })),
      `{"id":9007199254740993,"list":[1,"two",null]}`
    )
  })
})

describe("RawDelivery.requireMediaType", () => {
  it("accepts the expected media type, parameters and case aside", () => {
    const raw = RawDelivery.make({ headers: { "Content-Type": "Application/JSON; charset=utf-8" } })
    assert.strictEqual(success(RawDelivery.requireMediaType(raw, "application/json", "send JSON")), "application/json")
  })

  it("refuses another or a missing one with UnsupportedMediaType and the hint", () => {
    const form = failure(
      RawDelivery.requireMediaType(
        RawDelivery.make({ headers: { "content-type": "application/x-www-form-urlencoded" } }),
        "application/json",
        "set the webhook's content type to JSON"
      )
    )
    assert.strictEqual(form._tag, "UnsupportedMediaType")
    assert.strictEqual(
      form.message,
      "Content-Type is not supported (expected application/json: set the webhook's content type to JSON)"
    )
    assert.strictEqual(form.contentType, "application/x-www-form-urlencoded")
    const missing = failure(RawDelivery.requireMediaType(RawDelivery.make({}), "application/json", "send JSON"))
    assert.strictEqual(missing.contentType, "")
  })
})

describe("RawDelivery.requireSingleHeader with a message", () => {
  it("uses the message for a missing and a repeated header, and keeps the default without one", () => {
    const message = "Missing or repeated header X-Example-Event"
    const missing = failure(RawDelivery.requireSingleHeader(RawDelivery.make({}), "x-example-event", message))
    assert.instanceOf(missing, MalformedDelivery)
    assert.strictEqual(missing.message, message)
    const repeated = RawDelivery.make({ headers: [["x-example-event", "push"], ["x-example-event", "issue"]] })
    assert.strictEqual(failure(RawDelivery.requireSingleHeader(repeated, "x-example-event", message)).message, message)
    assert.strictEqual(
      failure(RawDelivery.requireSingleHeader(repeated, "x-example-event")).message,
      "Header x-example-event appears more than once"
    )
    const once = RawDelivery.make({ headers: { "x-example-event": " push " } })
    assert.strictEqual(success(RawDelivery.requireSingleHeader(once, "x-example-event", message)), "push")
  })
})

describe("RawDelivery.bodyJsonObject", () => {
  it("parses a JSON object body with the LosslessJson options", () => {
    const raw = RawDelivery.make({ body: `{"id":820982911946154508,"amount":1.10}` })
    assert.deepStrictEqual(success(RawDelivery.bodyJsonObject(raw, { numbers: "source" })), {
      id: "820982911946154508",
      amount: "1.10"
    })
  })

  it("refuses a body that is not a JSON object, or not UTF-8, with MalformedDelivery", () => {
    assert.instanceOf(failure(RawDelivery.bodyJsonObject(RawDelivery.make({ body: "[1,2]" }))), MalformedDelivery)
    assert.instanceOf(failure(RawDelivery.bodyJsonObject(RawDelivery.make({ body: "{" }))), MalformedDelivery)
    const invalid = RawDelivery.make({ body: new Uint8Array([0x7b, 0xff, 0x7d]) })
    assert.instanceOf(failure(RawDelivery.bodyJsonObject(invalid)), MalformedDelivery)
  })
})
