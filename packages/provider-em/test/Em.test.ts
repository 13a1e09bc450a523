import { assert, describe, it } from "@effect/vitest"
import {
  DecodeFailed,
  defineHandler,
  HandlerFailed,
  MalformedDelivery,
  Misconfigured,
  Outcome,
  PayloadMismatch,
  RawDelivery,
  SignatureInvalid,
  StoreUnavailable,
  TimedOut,
  TimestampOutOfTolerance,
  UnsupportedMediaType,
  type WebhookHandler
} from "@hookline/core"
import { SignForm } from "@hookline/core/provider"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/testing/TestClock"
import * as Logs from "../../../test-support/Logs.ts"
import { md5Hex } from "../../../test-support/Md5.ts"
import { startError } from "../../../test-support/Startup.ts"

// The docs' example notification (doc.fw199.com → EM → 订单审核状态异步回调通知, §5.1). Its `sign`
// is a placeholder that matches no rule, so the fixtures are signed here with the independent MD5.
const appId = "KEY_AAAAAA"
const secretText = "SECRET_AAAAAA"
const secret = Redacted.make(secretText)
const docsTimestamp = "1727324523"
const docsMillis = 1_727_324_523_000
const docsRequestData =
  `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD202409250002","trade_status":2,"message":"审核通过"}`

const provider = Em.provider({ appId, secret })

// The signed strings, spelled out independently of core's CanonicalString / SignForm.
const concatenated = (a: string, requestData: string, timestamp: string) =>
  `appid${a}request_data${requestData}timestamp${timestamp}`
const queryString = (a: string, requestData: string, timestamp: string) =>
  `appid=${a}&request_data=${requestData}&timestamp=${timestamp}`
const expectedSign = {
  wrap: (s: string, a: string, rd: string, ts: string) => md5Hex(`${s}${concatenated(a, rd, ts)}${s}`),
  prefix: (s: string, a: string, rd: string, ts: string) => md5Hex(`${s}${concatenated(a, rd, ts)}`),
  suffix: (s: string, a: string, rd: string, ts: string) => md5Hex(`${concatenated(a, rd, ts)}${s}`),
  "query-suffix": (s: string, a: string, rd: string, ts: string) => md5Hex(`${queryString(a, rd, ts)}${s}`),
  "key-param": (s: string, a: string, rd: string, ts: string) =>
    md5Hex(`${queryString(a, rd, ts)}&key=${s}`).toUpperCase()
} satisfies Record<Em.SignFormName, unknown>
const formNames = Object.keys(expectedSign) as Array<Em.SignFormName>

const docsSign = expectedSign.wrap(secretText, appId, docsRequestData, docsTimestamp)

// The docs' JSON body, byte for byte as printed (escaped quotes inside `request_data`), with a real sign.
const docsJsonBody = (sign: string = docsSign) =>
  String.raw`{
"appid": "KEY_AAAAAA",
"sign": "${sign}",
"request_data": "{\"notify_type\":\"OUT_TRADE_AUDIT\",\"trade_no\":\"DD202409250002\",\"trade_status\":2,\"message\":\"审核通过\"}",
"timestamp": "1727324523"
}`

// Form encoding written by hand (not URLSearchParams, which the provider's test signer uses):
// UTF-8 percent-escapes, spaces as `+`.
const formEncode = (value: string) => encodeURIComponent(value).replaceAll("%20", "+")
const formBody = (fields: Readonly<Record<string, string>>) =>
  Object.entries(fields).map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join("&")

const delivery = (body: string, contentType?: string): RawDelivery.RawDelivery =>
  RawDelivery.make({ headers: contentType === undefined ? {} : { "content-type": contentType }, body })

const fields = (requestData: string, overrides: Readonly<Record<string, string>> = {}): Record<string, string> => ({
  appid: appId,
  request_data: requestData,
  timestamp: docsTimestamp,
  sign: expectedSign.wrap(secretText, appId, requestData, docsTimestamp),
  ...overrides
})

const verifyAt = (raw: RawDelivery.RawDelivery, p = provider, now: number = docsMillis) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(now)
    return yield* p.verify(raw)
  })

// `request_data` with Chinese text, escaped quotes, an escaped backslash and every character that
// form encoding must escape (`+`, `&`, `=`, `%`, space).
const trickyRequestData =
  "{\"notify_type\":\"OUT_TRADE_AUDIT\",\"trade_no\":\"DD202409250003\",\"trade_status\":2,\"message\":\"审核通过：客户说\\\"尽快发货\\\" a+b=c & 100% ✓ \\\\ 备注\"}"
const trickyMessage = "审核通过：客户说\"尽快发货\" a+b=c & 100% ✓ \\ 备注"

describe("the independent MD5", () => {
  it("matches the RFC 1321 test suite", () => {
    assert.deepStrictEqual(
      ["", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz", "1234567890".repeat(8)].map(md5Hex),
      [
        "d41d8cd98f00b204e9800998ecf8427e",
        "0cc175b9c0f1b6a831c399e269772661",
        "900150983cd24fb0d6963f7d28e17f72",
        "f96b697d7cb7938d525a2f31aaf161d0",
        "c3fcd3d76192e4007dfb496cca67e13b",
        "57edf4a22be3c955ac49da2e2107b67a"
      ]
    )
  })
})

describe("Em signatures", () => {
  it("the docs' example request_data is the one the test signer offers", () => {
    assert.strictEqual(EmTesting.exampleRequestData, docsRequestData)
  })

  it("every sign form computes exactly the string its description promises", () => {
    for (const form of formNames) {
      assert.strictEqual(
        EmTesting.signature({
          appId,
          requestData: trickyRequestData,
          timestamp: docsTimestamp,
          secret,
          signForm: form
        }),
        expectedSign[form](secretText, appId, trickyRequestData, docsTimestamp),
        form
      )
      assert.strictEqual(Em.signForms.forms[form].name, form)
    }
    assert.strictEqual(Em.signForms.default, "wrap")
    // Also computed with a third tool:
    //   printf '%s' 'SECRET_AAAAAAappidKEY_AAAAAArequest_data{"notify_type":…,"message":"审核通过"}timestamp1727324523SECRET_AAAAAA' | openssl md5
    assert.strictEqual(docsSign, "8b6936bbbe93c5b06d5d66b4964f6a49")
    assert.strictEqual(
      EmTesting.signature({ appId, requestData: docsRequestData, timestamp: docsTimestamp, secret }),
      docsSign
    )
  })

  it.effect("the docs' JSON body, signed by an independent MD5, verifies; request_data is the exact string", () =>
    Effect.gen(function*() {
      const payload = yield* verifyAt(delivery(docsJsonBody(), "application/json"))
      assert.deepStrictEqual(payload, {
        format: "json",
        appId,
        timestamp: docsTimestamp,
        requestData: docsRequestData,
        data: { notify_type: "OUT_TRADE_AUDIT", trade_no: "DD202409250002", trade_status: "2", message: "审核通过" }
      })
    }))

  it.effect("the docs' placeholder sign (ae49f778…) is rejected: it matches no form", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(verifyAt(delivery(docsJsonBody("ae49f7782e215b4bf49a80c99e1f7855"))))
      assert.instanceOf(error, SignatureInvalid)
    }))

  it.effect("Chinese text and escaped quotes verify byte-exactly in a JSON body (also with \\u escapes)", () =>
    Effect.gen(function*() {
      const body = JSON.stringify(fields(trickyRequestData))
      const payload = yield* verifyAt(delivery(body, "application/json; charset=utf-8"))
      assert.strictEqual(payload.requestData, trickyRequestData)
      assert.strictEqual(payload.data["message"], trickyMessage)
      // A sender that writes non-ASCII as \uXXXX: the signed string is the unescaped one.
      const escaped = body.replace(/[^\p{ASCII}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      assert.notStrictEqual(escaped, body)
      assert.strictEqual((yield* verifyAt(delivery(escaped, "application/json"))).requestData, trickyRequestData)
    }))

  it.effect("Chinese text and escaped quotes verify byte-exactly in a form body (percent-encoded UTF-8, +)", () =>
    Effect.gen(function*() {
      const body = formBody(fields(trickyRequestData))
      assert.include(body, "%E5%AE%A1%E6%A0%B8") // 审核
      assert.include(body, "a%2Bb%3Dc+%26+100%25") // "a+b=c & 100%"
      const payload = yield* verifyAt(delivery(body, "application/x-www-form-urlencoded"))
      assert.strictEqual(payload.format, "form")
      assert.strictEqual(payload.requestData, trickyRequestData)
      const event = yield* provider.decode(payload, delivery(body))
      assert.deepStrictEqual(event, {
        _tag: "OrderAudit",
        tradeNo: "DD202409250003",
        status: "Approved",
        statusCode: "2",
        message: trickyMessage
      })
    }))

  it.effect("an upper-case sign is accepted", () =>
    Effect.gen(function*() {
      const body = formBody(fields(docsRequestData, { sign: docsSign.toUpperCase() }))
      assert.strictEqual(
        (yield* verifyAt(delivery(body, "application/x-www-form-urlencoded"))).requestData,
        docsRequestData
      )
    }))

  it.effect("tampered request_data, timestamp or appid → SignatureInvalid, in both encodings", () =>
    Effect.gen(function*() {
      const tampered = docsRequestData.replace("\"trade_status\":2", "\"trade_status\":1")
      const cases = [
        { ...fields(docsRequestData), request_data: tampered },
        { ...fields(docsRequestData), timestamp: "1727324524" },
        { ...fields(docsRequestData), sign: docsSign.replace(/.$/u, (c) => (c === "0" ? "1" : "0")) },
        { ...fields(docsRequestData), sign: "not-hex" }
      ]
      for (const tamperedFields of cases) {
        for (const raw of [delivery(JSON.stringify(tamperedFields)), delivery(formBody(tamperedFields))]) {
          const error = yield* Effect.flip(verifyAt(raw))
          assert.instanceOf(error, SignatureInvalid)
        }
      }
    }))

  it.effect("an appid other than the configured one → SignatureInvalid, even when correctly signed", () =>
    Effect.gen(function*() {
      const other = "KEY_BBBBBB"
      const signed = {
        appid: other,
        request_data: docsRequestData,
        timestamp: docsTimestamp,
        sign: expectedSign.wrap(secretText, other, docsRequestData, docsTimestamp)
      }
      const error = yield* Effect.flip(verifyAt(delivery(JSON.stringify(signed))))
      assert.instanceOf(error, SignatureInvalid)
      assert.strictEqual(error.message, "appid is not the configured EM app id")
      // The same delivery is accepted by a provider configured for that app.
      const forOther = Em.provider({ appId: other, secret })
      assert.strictEqual((yield* verifyAt(delivery(JSON.stringify(signed)), forOther)).appId, other)
    }))

  it.effect("rotation: a signature under any configured secret is accepted; others are not", () =>
    Effect.gen(function*() {
      const next = Redacted.make("SECRET_NEXT_BBBB")
      const rotating = Em.provider({ appId, secret: [next, secret] })
      const withNext = delivery(JSON.stringify(fields(docsRequestData, {
        sign: expectedSign.wrap("SECRET_NEXT_BBBB", appId, docsRequestData, docsTimestamp)
      })))
      assert.strictEqual((yield* verifyAt(delivery(docsJsonBody()), rotating)).appId, appId)
      assert.strictEqual((yield* verifyAt(withNext, rotating)).appId, appId)
      assert.instanceOf(yield* Effect.flip(verifyAt(withNext)), SignatureInvalid)
    }))

  it.effect("each sign form verifies when configured, and only then", () =>
    Effect.gen(function*() {
      for (const form of formNames) {
        const raw = delivery(formBody(fields(docsRequestData, {
          sign: expectedSign[form](secretText, appId, docsRequestData, docsTimestamp)
        })))
        const configured = Em.provider({ appId, secret, signForm: form })
        assert.strictEqual((yield* verifyAt(raw, configured)).requestData, docsRequestData, form)
        if (form !== "wrap") assert.instanceOf(yield* Effect.flip(verifyAt(raw)), SignatureInvalid, form)
      }
    }))

  it.effect("app id and secret can come from Config; a missing one is Misconfigured without leaking the secret", () =>
    Effect.gen(function*() {
      const fromConfig = Em.provider({ appId: Config.String("EM_APP_ID"), secret: Config.Redacted("EM_APP_SECRET") })
      const env = ConfigProvider.fromUnknown({ EM_APP_ID: appId, EM_APP_SECRET: secretText })
      const payload = yield* verifyAt(delivery(docsJsonBody()), fromConfig).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, env)
      )
      assert.strictEqual(payload.appId, appId)
      for (const partial of [{ EM_APP_ID: appId }, { EM_APP_SECRET: secretText }]) {
        const error = yield* Effect.flip(
          verifyAt(delivery(docsJsonBody()), fromConfig).pipe(
            Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(partial))
          )
        )
        assert.strictEqual(error._tag, "Misconfigured")
        assert.notInclude(error.message, secretText)
      }
    }))
})

describe("Em envelope", () => {
  it.effect("a missing Content-Type or text/plain is sniffed: `{` is JSON, anything else is a form", () =>
    Effect.gen(function*() {
      for (const type of [undefined, "text/plain"]) {
        assert.strictEqual((yield* verifyAt(delivery(docsJsonBody(), type))).format, "json")
        assert.strictEqual((yield* verifyAt(delivery(formBody(fields(docsRequestData)), type))).format, "form")
      }
      // The body decides even when the header says otherwise (the platform's docs and samples disagree).
      assert.strictEqual(
        (yield* verifyAt(delivery(formBody(fields(docsRequestData)), "application/json"))).format,
        "form"
      )
    }))

  it.effect("other media types → UnsupportedMediaType", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(verifyAt(delivery(docsJsonBody(), "multipart/form-data; boundary=x")))
      assert.instanceOf(error, UnsupportedMediaType)
      assert.strictEqual(error.contentType, "multipart/form-data")
      assert.notInclude(error.message, "multipart")
    }))

  it.effect("a numeric timestamp in a JSON body keeps its exact digits and verifies", () =>
    Effect.gen(function*() {
      const body = docsJsonBody().replace(`"timestamp": "1727324523"`, `"timestamp": 1727324523`)
      assert.notStrictEqual(body, docsJsonBody())
      assert.strictEqual((yield* verifyAt(delivery(body))).timestamp, docsTimestamp)
    }))

  it.effect("request_data as a JSON object (not a string) → MalformedDelivery: it cannot be verified byte-exactly", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ ...fields(docsRequestData), request_data: JSON.parse(docsRequestData) })
      const error = yield* Effect.flip(verifyAt(delivery(body)))
      assert.instanceOf(error, MalformedDelivery)
      assert.include(error.message, "request_data must be a JSON string")
    }))

  it.effect("missing appid/timestamp/request_data → MalformedDelivery; missing sign → SignatureInvalid", () =>
    Effect.gen(function*() {
      for (const field of ["appid", "timestamp", "request_data"]) {
        const { [field]: _, ...rest } = fields(docsRequestData)
        const error = yield* Effect.flip(verifyAt(delivery(formBody(rest))))
        assert.instanceOf(error, MalformedDelivery, field)
        assert.include(error.message, field)
      }
      const { sign: _, ...unsigned } = fields(docsRequestData)
      assert.instanceOf(yield* Effect.flip(verifyAt(delivery(JSON.stringify(unsigned)))), SignatureInvalid)
      assert.instanceOf(
        yield* Effect.flip(verifyAt(delivery(JSON.stringify({ ...fields(docsRequestData), sign: "" })))),
        SignatureInvalid
      )
    }))

  it.effect("a repeated form field, a broken percent-escape, invalid JSON or UTF-8 → MalformedDelivery", () =>
    Effect.gen(function*() {
      const bodies: Array<string | Uint8Array> = [
        `${formBody(fields(docsRequestData))}&appid=${appId}`,
        `${formBody(fields(docsRequestData))}&x=%E5%AE`,
        `{"appid": "KEY_AAAAAA",`,
        new Uint8Array([0x7b, 0xff, 0x7d])
      ]
      for (const body of bodies) {
        assert.instanceOf(yield* Effect.flip(verifyAt(RawDelivery.make({ body }))), MalformedDelivery)
      }
    }))

  it.effect("a signed request_data that is not a JSON object → MalformedDelivery", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(verifyAt(delivery(formBody(fields("not json")))))
      assert.instanceOf(error, MalformedDelivery)
      assert.include(error.message, "request_data is not a JSON object")
    }))
})

describe("Em before verification: bounded parse, no request data in messages", () => {
  // A correctly signed notification carrying `extra` more envelope fields: it verifies on a parser
  // without bounds, so only the bounds can refuse it.
  const padded = (extra: number) => {
    const base = fields(docsRequestData)
    const more = Object.fromEntries(Array.from({ length: extra }, (_, i) => [`x${i}`, "1"]))
    return { ...base, ...more }
  }

  it.effect("a JSON envelope of more than 32 values or nested deeper than 2 → MalformedDelivery naming the bound", () =>
    Effect.gen(function*() {
      // 4 parameters + 28 extras = 32 values: accepted (extras are ignored).
      assert.strictEqual((yield* verifyAt(delivery(JSON.stringify(padded(28)), "application/json"))).format, "json")
      const tooMany = yield* Effect.flip(verifyAt(delivery(JSON.stringify(padded(29)), "application/json")))
      assert.instanceOf(tooMany, MalformedDelivery)
      assert.strictEqual(tooMany.message, "Body has more than 32 values")

      const deep = JSON.stringify({ ...fields(docsRequestData), x: [[1]] })
      const tooDeep = yield* Effect.flip(verifyAt(delivery(deep, "application/json")))
      assert.instanceOf(tooDeep, MalformedDelivery)
      assert.strictEqual(tooDeep.message, "Body nests deeper than 2 levels")
      // The bound is on the envelope only: request_data is a string, whatever it holds.
      const nestedData = `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD1","trade_status":2,"x":[[[[{"y":[1,2,3]}]]]]}`
      assert.strictEqual(
        (yield* verifyAt(delivery(JSON.stringify(fields(nestedData)), "application/json"))).requestData,
        nestedData
      )
    }))

  it.effect("a form envelope of more than 32 fields → MalformedDelivery naming the bound", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* verifyAt(delivery(formBody(padded(28))))).format, "form")
      const error = yield* Effect.flip(verifyAt(delivery(formBody(padded(29)))))
      assert.instanceOf(error, MalformedDelivery)
      assert.strictEqual(error.message, "Body has more than 32 form fields")
    }))

  it("the bounds are exported", () => {
    assert.deepStrictEqual(Em.envelopeLimits, { depth: 2, members: 32, formFields: 32 })
    assert.strictEqual(Em.defaults.bodyLimit, 64 * 1024)
  })

  // A forged log line: what a log reader (or a JSON-lines log pipeline) would take for an entry.
  const forged = `\n{"level":"INFO","handled":"em","message":"webhook processed"}`

  it.effect("a hostile appid or Content-Type is not quoted in the error message, nor in what the pipeline logs", () =>
    Effect.gen(function*() {
      const logs = Logs.make()
      const hostileAppId = `KEY_AAAAAA${forged}`
      const signed = {
        appid: hostileAppId,
        request_data: docsRequestData,
        timestamp: docsTimestamp,
        sign: expectedSign.wrap(secretText, hostileAppId, docsRequestData, docsTimestamp)
      }
      const raws = [
        delivery(JSON.stringify(signed), "application/json"),
        delivery(formBody(signed)),
        delivery(docsJsonBody(), `application/evil${forged}`),
        delivery(JSON.stringify({ ...fields(docsRequestData), appid: { [forged]: forged } }), "application/json"),
        delivery(`${formBody(fields(docsRequestData))}&${formEncode(forged)}=1&${formEncode(forged)}=2`)
      ]
      const errors = []
      for (const raw of raws) errors.push(yield* Effect.flip(verifyAt(raw)))
      assert.deepStrictEqual(errors.map((error) => error._tag), [
        "SignatureInvalid",
        "SignatureInvalid",
        "UnsupportedMediaType",
        "MalformedDelivery",
        "MalformedDelivery"
      ])
      const handler = defineHandler(provider, () => Effect.die("must not run"))
      const outcomes = []
      for (const raw of raws) outcomes.push(yield* handler.process(raw).pipe(Effect.provide(logs.layer)))
      assert.deepStrictEqual(outcomes.map(Outcome.label), [
        "Rejected(SignatureInvalid)",
        "Rejected(SignatureInvalid)",
        "Rejected(UnsupportedMediaType)",
        "Rejected(MalformedDelivery)",
        "Rejected(MalformedDelivery)"
      ])
      const logged = logs.entries.map(Logs.render)
      assert.strictEqual(logged.length, raws.length)
      for (const message of errors.map((error) => error.message)) {
        assert.notInclude(message, "handled")
        assert.notInclude(message, "evil")
        assert.notInclude(message, "\n")
      }
      // Logged entries are rendered with `inspect` (multi-line), so look for the payload itself.
      for (const entry of logged) {
        assert.notInclude(entry, "handled")
        assert.notInclude(entry, "evil")
      }
      // Positive control: the capture holds the rejections' texts.
      assert.include(logged.join("\n"), "appid is not the configured EM app id")
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))
})

describe("Em timestamp tolerance", () => {
  const hour = 3_600_000

  it.effect("default 24 h both ways: 23 h old or ahead is accepted, 25 h is TimestampOutOfTolerance", () =>
    Effect.gen(function*() {
      const raw = delivery(docsJsonBody())
      assert.strictEqual((yield* verifyAt(raw, provider, docsMillis + 23 * hour)).appId, appId)
      assert.strictEqual((yield* verifyAt(raw, provider, docsMillis - 23 * hour)).appId, appId)
      for (const now of [docsMillis + 25 * hour, docsMillis - 25 * hour]) {
        const error = yield* Effect.flip(verifyAt(raw, provider, now))
        assert.instanceOf(error, TimestampOutOfTolerance)
        assert.strictEqual(error.timestamp, docsTimestamp)
      }
    }))

  it.effect("the timestamp is checked after the signature; `false` disables the window", () =>
    Effect.gen(function*() {
      const week = 7 * 24 * hour
      const badSign = delivery(docsJsonBody(docsSign.replace(/^./u, (c) => (c === "a" ? "b" : "a"))))
      assert.instanceOf(yield* Effect.flip(verifyAt(badSign, provider, docsMillis + week)), SignatureInvalid)
      const open = Em.provider({ appId, secret, tolerance: false })
      assert.strictEqual((yield* verifyAt(delivery(docsJsonBody()), open, docsMillis + week)).appId, appId)
      const tight = Em.provider({ appId, secret, tolerance: "5 minutes" })
      assert.instanceOf(
        yield* Effect.flip(verifyAt(delivery(docsJsonBody()), tight, docsMillis + 6 * 60_000)),
        TimestampOutOfTolerance
      )
    }))

  it.effect("a signed non-numeric timestamp → MalformedDelivery", () =>
    Effect.gen(function*() {
      const ts = "2024-09-26 12:22:03"
      const body = formBody(fields(docsRequestData, {
        timestamp: ts,
        sign: expectedSign.wrap(secretText, appId, docsRequestData, ts)
      }))
      assert.instanceOf(yield* Effect.flip(verifyAt(delivery(body))), MalformedDelivery)
    }))
})

describe("Em key and events", () => {
  const payloadOf = (requestData: string) => verifyAt(delivery(formBody(fields(requestData))))

  it.effect("order audit: key notify_type:trade_no:status; event with readable status and verbatim message", () =>
    Effect.gen(function*() {
      const payload = yield* payloadOf(docsRequestData)
      const key = Em.key(payload)
      assert.strictEqual(key._tag === "Success" ? key.success : "", "OUT_TRADE_AUDIT:DD202409250002:2")
      assert.deepStrictEqual(yield* Em.decode(payload), {
        _tag: "OrderAudit",
        tradeNo: "DD202409250002",
        status: "Approved",
        statusCode: "2",
        message: "审核通过"
      })
    }))

  it.effect("in-stock audit: instock_no and instock_status; status 1 is PendingAudit; no message is no key", () =>
    Effect.gen(function*() {
      const payload = yield* payloadOf(
        `{"notify_type":"IN_STOCK_AUDIT","instock_no":"RK202409240007","instock_status":1}`
      )
      const key = Em.key(payload)
      assert.strictEqual(key._tag === "Success" ? key.success : "", "IN_STOCK_AUDIT:RK202409240007:1")
      assert.deepStrictEqual(yield* Em.decode(payload), {
        _tag: "InStockAudit",
        instockNo: "RK202409240007",
        status: "PendingAudit",
        statusCode: "1"
      })
    }))

  it.effect("an unknown status code is Unknown with its exact code; a null message is no message", () =>
    Effect.gen(function*() {
      const payload = yield* payloadOf(
        `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD1","trade_status":3,"message":null}`
      )
      assert.deepStrictEqual(yield* Em.decode(payload), {
        _tag: "OrderAudit",
        tradeNo: "DD1",
        status: "Unknown",
        statusCode: "3"
      })
    }))

  it.effect("a notification without notify_type (the docs' older example) is inferred from trade_no", () =>
    Effect.gen(function*() {
      const payload = yield* payloadOf(`{"trade_no":"DD202409250002","trade_status":2,"message":"审核通过"}`)
      const key = Em.key(payload)
      assert.strictEqual(key._tag === "Success" ? key.success : "", "OUT_TRADE_AUDIT:DD202409250002:2")
      assert.strictEqual((yield* Em.decode(payload))._tag, "OrderAudit")
    }))

  it.effect("a document number beyond 2^53 sent as a bare number stays exact", () =>
    Effect.gen(function*() {
      const payload = yield* payloadOf(`{"notify_type":"OUT_TRADE_AUDIT","trade_no":9007199254740993,"trade_status":2}`)
      const event = yield* Em.decode(payload)
      assert.strictEqual(event._tag === "OrderAudit" ? event.tradeNo : "", "9007199254740993")
    }))

  it.effect("an unknown notify_type is UnknownNotification with raw fields, keyed by its content", () =>
    Effect.gen(function*() {
      const requestData = `{"notify_type":"OUT_TRADE_CANCEL","cancel_no":"QX1","amount":100.10}`
      const payload = yield* payloadOf(requestData)
      const key = Em.key(payload)
      assert.match(key._tag === "Success" ? key.success : "", /^OUT_TRADE_CANCEL:sha256:[0-9a-f]{64}$/u)
      assert.deepStrictEqual(yield* Em.decode(payload), {
        _tag: "UnknownNotification",
        notifyType: "OUT_TRADE_CANCEL",
        fields: { notify_type: "OUT_TRADE_CANCEL", cancel_no: "QX1", amount: "100.10" },
        requestData
      })
    }))

  it.effect("a known type without its document number → DecodeFailed; no notify type at all → MalformedDelivery", () =>
    Effect.gen(function*() {
      const missing = yield* payloadOf(`{"notify_type":"IN_STOCK_AUDIT","instock_status":2}`)
      assert.instanceOf(yield* Effect.flip(Em.decode(missing)), DecodeFailed)
      const anonymous = yield* payloadOf(`{"message":"审核通过"}`)
      const key = Em.key(anonymous)
      assert.isTrue(key._tag === "Failure" && key.failure instanceof MalformedDelivery)
    }))
})

describe("Em sign doctor", () => {
  it("identifies each form from a real capture, JSON or form", () => {
    for (const form of formNames) {
      for (const encoding of ["json", "form"] as const) {
        const raw = EmTesting.sign({ appId, secret, requestData: trickyRequestData, encoding, signForm: form })
        const report = Em.diagnose(raw, secret)
        assert.deepStrictEqual(report.matched, [form], `${form} ${encoding}`)
        assert.include(report.summary, `"${form}"`)
        assert.strictEqual(report.checks.filter((check) => check.matches).length, 1)
      }
    }
  })

  it("a wrong secret: no form matches, and the report leaks neither the secret nor any expected signature", () => {
    const wrongText = "WRONG_SECRET_ZZZ"
    const wrong = Redacted.make(wrongText)
    const raw = EmTesting.sign({
      appId,
      secret,
      requestData: docsRequestData,
      timestamp: docsTimestamp,
      encoding: "form"
    })
    const report = Em.diagnose(raw, wrong)
    assert.deepStrictEqual(report.matched, [])
    assert.include(report.summary, "No known sign form matches")
    const printed = JSON.stringify(report).toLowerCase()
    assert.notInclude(printed, wrongText.toLowerCase())
    assert.notInclude(printed, secretText.toLowerCase())
    for (const form of formNames) {
      assert.notInclude(printed, expectedSign[form](wrongText, appId, docsRequestData, docsTimestamp).toLowerCase())
    }
    // The canonical strings (secret excluded) are there to compare with the platform's.
    assert.include(report.canonical, concatenated(appId, docsRequestData, docsTimestamp))
  })

  it("extra candidate forms can be tried, e.g. a custom placement", () => {
    const custom = SignForm.make({
      ...Em.signForms.forms["key-param"],
      name: "appsecret-param",
      secret: { _tag: "Param", name: "appsecret" }
    })
    const raw = EmTesting.sign({ appId, secret, requestData: docsRequestData, encoding: "json", signForm: custom })
    const envelope = JSON.parse(new TextDecoder().decode(raw.body)) as {
      readonly sign: string
      readonly timestamp: string
    }
    assert.strictEqual(
      envelope.sign,
      md5Hex(`${queryString(appId, docsRequestData, envelope.timestamp)}&appsecret=${secretText}`).toUpperCase()
    )
    assert.deepStrictEqual(Em.diagnose(raw, secret).matched, [])
    assert.deepStrictEqual(Em.diagnose(raw, secret, [...SignForm.formsOf(Em.signForms), custom]).matched, [
      "appsecret-param"
    ])
  })

  it("a capture that is not an EM notification is reported as such", () => {
    const report = Em.diagnose(delivery("{not json", "application/json"), secret)
    assert.deepStrictEqual(report.matched, [])
    assert.include(report.summary, "The capture is not a EM callback: ")
  })
})

describe("Em through the pipeline (MemoryStore)", () => {
  const counting = Effect.gen(function*() {
    const runs = yield* Ref.make(0)
    const handler = defineHandler(provider, () => Ref.update(runs, (n) => n + 1))
    return { handler, runs }
  })

  it.effect("a retry re-signed with a fresh timestamp after success → Duplicate, not PayloadMismatch", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(docsMillis)
      const { handler, runs } = yield* counting
      const first = EmTesting.sign({
        appId,
        secret,
        requestData: docsRequestData,
        timestamp: docsTimestamp,
        encoding: "json"
      })
      const retry = EmTesting.sign({
        appId,
        secret,
        requestData: docsRequestData,
        timestamp: "1727324583",
        encoding: "form"
      })
      assert.notStrictEqual(new TextDecoder().decode(first.body), new TextDecoder().decode(retry.body))
      assert.strictEqual((yield* handler.process(first))._tag, "Processed")
      const again = yield* handler.process(retry)
      assert.deepStrictEqual(again, Outcome.Duplicate({ key: "em:OUT_TRADE_AUDIT:DD202409250002:2" }))
      assert.strictEqual(yield* Ref.get(runs), 1)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("same key with a different request_data → PayloadMismatch; a new status is a new notification", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(docsMillis)
      const { handler, runs } = yield* counting
      const sign = (requestData: EmTesting.SignInput["requestData"]) =>
        EmTesting.signWithClock({ appId, secret, requestData, encoding: "json" })
      assert.strictEqual((yield* handler.process(yield* sign(docsRequestData)))._tag, "Processed")
      const changed = yield* handler.process(yield* sign(docsRequestData.replace("审核通过", "审核通过（改）")))
      assert.isTrue(changed._tag === "Rejected" && changed.reason instanceof PayloadMismatch)
      const pending = { notify_type: "OUT_TRADE_AUDIT", trade_no: "DD202409250002", trade_status: 1 }
      const next = yield* handler.process(yield* sign(pending))
      assert.deepStrictEqual(
        next,
        Outcome.Processed({ key: "em:OUT_TRADE_AUDIT:DD202409250002:1", eventTag: "OrderAudit" })
      )
      assert.strictEqual(yield* Ref.get(runs), 2)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it.effect("an authentic known notification missing its status → Failed(DecodeFailed), handler not run", () =>
    Effect.gen(function*() {
      const { handler, runs } = yield* counting
      const raw = yield* EmTesting.signWithClock({
        appId,
        secret,
        requestData: { notify_type: "OUT_TRADE_AUDIT", trade_no: "DD9" },
        encoding: "form"
      })
      const outcome = yield* handler.process(raw)
      assert.isTrue(outcome._tag === "Failed" && outcome.reason instanceof DecodeFailed)
      assert.strictEqual(handler.respond(outcome).status, 500)
      assert.strictEqual(yield* Ref.get(runs), 0)
    }).pipe(Effect.provide(Logs.capturing(MemoryStore.layer()))))

  it("defaults: 10 s time budget, 5 min lease, 7 day retention, 64 KiB; each overridable per handler", () => {
    const settingsOf = (overrides?: WebhookHandler.HandlerOptions) => {
      const { settings } = defineHandler(provider, () => Effect.void, overrides)
      return [
        Duration.toMillis(settings.timeBudget),
        Duration.toMillis(settings.lease),
        Duration.toMillis(settings.retention),
        settings.bodyLimit
      ]
    }
    assert.deepStrictEqual(settingsOf(), [10_000, 300_000, 7 * 24 * 3_600_000, 64 * 1024])
    assert.deepStrictEqual(
      settingsOf({ timeBudget: "3 seconds", lease: "1 minute", retention: "2 days", bodyLimit: 4096 }),
      [3_000, 60_000, 2 * 24 * 3_600_000, 4096]
    )
  })

  it("answers: SUCCESS (200, text/plain) only for Processed and Duplicate; ERROR with the outcome's status otherwise", () => {
    const key = "em:k"
    const cases: Array<[Outcome.Outcome, number, string]> = [
      [Outcome.Processed({ key, eventTag: "OrderAudit" }), 200, "SUCCESS"],
      [Outcome.Duplicate({ key }), 200, "SUCCESS"],
      [Outcome.InFlight({ key }), 503, "ERROR"],
      [Outcome.Rejected({ key: undefined, reason: new SignatureInvalid({ message: "x" }) }), 401, "ERROR"],
      [Outcome.Rejected({ key: undefined, reason: new MalformedDelivery({ message: "x" }) }), 400, "ERROR"],
      [Outcome.Rejected({ key, reason: new PayloadMismatch({ message: "x", key }) }), 409, "ERROR"],
      [Outcome.Failed({ key, reason: new StoreUnavailable({ message: "x" }) }), 503, "ERROR"],
      [Outcome.Failed({ key, reason: new TimedOut({ message: "x", budgetMillis: 10_000 }) }), 503, "ERROR"],
      [
        Outcome.Failed({ key, reason: new HandlerFailed({ message: "x", error: "boom", defect: false }) }),
        500,
        "ERROR"
      ],
      [Outcome.Failed({ key, reason: new DecodeFailed({ message: "x" }) }), 500, "ERROR"]
    ]
    for (const [outcome, status, body] of cases) {
      const ack = Em.ack(outcome)
      assert.deepStrictEqual([ack.status, ack.body], [status, body], Outcome.label(outcome))
      assert.strictEqual(ack.headers["content-type"], "text/plain; charset=utf-8")
      assert.strictEqual(provider.ack(outcome).body, body)
    }
  })
})

describe("start-up", () => {
  it("a missing app id or secret is reported by the listener's start(), not on every delivery", async () => {
    const provider = Em.provider({ appId: Config.String("HOOKLINE_TEST_UNSET_EM_APP_ID"), secret: Redacted.make("s") })
    const error = await startError(provider)
    assert.instanceOf(error, Misconfigured)
    assert.include((error as Misconfigured).message, "EM app id")
    const noSecret = Em.provider({ appId: "app", secret: Config.Redacted("HOOKLINE_TEST_UNSET_EM_SECRET") })
    const second = await startError(noSecret)
    assert.instanceOf(second, Misconfigured)
    assert.include((second as Misconfigured).message, "EM app secret")
  })
})
