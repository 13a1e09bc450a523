/**
 * Hostile input against real receivers: signed deliveries of four providers, mutated (flipped bits
 * in body, signature, timestamp and other headers; dropped, renamed and duplicated headers;
 * truncated and oversized bodies; invalid UTF-8) and re-signed awkward content (invalid UTF-8,
 * numbers beyond 2^53, `__proto__` / `constructor` keys, deep nesting, repeated form keys), sent
 * through a real `node:http` server (`toNodeListener`, raw sockets, so duplicate and malformed
 * headers reach it as a platform or an attacker would send them) or through `toWebHandler`.
 *
 * Each case sends the mutated request first, then the authentic one. The handler records every
 * event it runs; an event that is not the authentic delivery's event (decoded by a separate,
 * untouched receiver) is a handler run on an unverified delivery.
 *
 * Issue #15's cases are built here too (run by `HostileRun.promises`): GoldenPay captures with
 * their empty fields stripped or added, or a field folded into its neighbour under the same `sign`;
 * deliveries signed with `&` or `=` inside; an id header sent twice; requests carrying a forged log
 * line ({@link forgedMarker}), which the captured logs must never quote in a message.
 */
import { defineHandler, Hmac, type RawDelivery, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as crypto from "node:crypto"
import * as http from "node:http"
import * as net from "node:net"
import * as util from "node:util"

export const secret = Redacted.make(`hostile-${crypto.randomBytes(12).toString("hex")}`)
/**
 * Text that only forged requests carry (in headers, bodies and URLs, next to a fake
 * `{"handled":…}` event line): a log message containing it quotes the request before verification.
 */
export const forgedMarker = `forged${crypto.randomBytes(6).toString("hex")}`
const emAppId = "em-app-1"
/** Body limit of every receiver here (small, so oversized bodies are cheap to send). */
export const bodyLimit = 64 * 1024

const hmacOptions = {
  secret,
  header: "x-signature",
  prefix: "sha256=",
  idHeader: "x-webhook-id",
  timestampHeader: "x-webhook-timestamp",
  // The id is signed too: with "timestamp.body" the id header (the idempotency key) is not, and a
  // captured delivery replayed within the tolerance under a new id runs the handler again.
  signedContent: "id.timestamp.body" as const,
  bodyLimit
}
const emOptions = { appId: emAppId, secret }

/**
 * The same scheme with only the body signed (no timestamp, the id header unsigned): the receiver
 * where a repeated id header must be refused rather than joined into a key nobody sent.
 */
export const hmacBodyOptions = {
  secret,
  header: "x-signature",
  prefix: "sha256=",
  idHeader: "x-webhook-id",
  signedContent: "body" as const,
  name: "hmac-body",
  bodyLimit
}

/**
 * The routes' providers. GoldenPay has one route per notify URL, each told its kind
 * (`/goldenpay`: collect, `/goldenpay/payout`: payout); `/goldenpay/auto` detects the kind and must
 * refuse what its signed content does not settle. `/hmac-body` serves {@link hmacBodyOptions}; it
 * is not in the mutation corpus, whose header mutations would change its unsigned id (the
 * documented limit of that scheme), but in the targeted checks of `HostileRun.promises`.
 */
export type ProviderName = "hmac" | "igv" | "goldenpay" | "goldenpay-payout" | "em"
export const providers: ReadonlyArray<ProviderName> = ["hmac", "igv", "goldenpay", "goldenpay-payout", "em"]

/** What the handler saw: the provider and the event, printed canonically. */
const show = (event: unknown): string => util.inspect(event, { depth: 50, sorted: true, breakLength: Infinity })

// ---------------------------------------------------------------------------------------------
// Receivers

/** The secret in every form it could leak in: as is, hex, base64, base64url. */
export const secretForms: ReadonlyArray<string> = [
  Redacted.value(secret),
  Buffer.from(Redacted.value(secret)).toString("hex"),
  Buffer.from(Redacted.value(secret)).toString("base64"),
  Buffer.from(Redacted.value(secret)).toString("base64url")
]

export interface Receivers {
  /** Events handled, by provider (printed with `show`). */
  readonly runs: Array<{ readonly provider: string; readonly event: string }>
  readonly routes: ReturnType<typeof makeRoutes>
}

const makeRoutes = (onRun: (provider: string, event: unknown) => void) => {
  const handle = (provider: string) => (event: unknown) => Effect.sync(() => onRun(provider, event))
  return route({
    "/hmac": defineHandler(Hmac.provider(hmacOptions), handle("hmac")),
    "/hmac-body": defineHandler(Hmac.provider(hmacBodyOptions), handle("hmac-body")),
    "/igv": defineHandler(Igv.provider({ secret }), handle("igv"), { bodyLimit }),
    "/goldenpay": defineHandler(GoldenPay.provider({ secret, kind: "collect" }), handle("goldenpay"), { bodyLimit }),
    "/goldenpay/payout": defineHandler(GoldenPay.provider({ secret, kind: "payout" }), handle("goldenpay-payout"), {
      bodyLimit
    }),
    "/goldenpay/auto": defineHandler(GoldenPay.provider({ secret }), handle("goldenpay-auto"), { bodyLimit }),
    "/em": defineHandler(Em.provider(emOptions), handle("em"), { bodyLimit })
  })
}

export const makeReceivers = (): Receivers => {
  const runs: Array<{ provider: string; event: string }> = []
  return { runs, routes: makeRoutes((provider, event) => runs.push({ provider, event: show(event) })) }
}

// A separate, untouched receiver: the event each authentic delivery decodes to.
let reference: { readonly handler: (request: Request) => Promise<Response>; readonly last: Array<string> } | undefined
const referenceEvents = new WeakMap<RawDelivery.RawDelivery, string>()
const referenceEvent = async (raw: RawDelivery.RawDelivery): Promise<string> => {
  const known = referenceEvents.get(raw)
  if (known !== undefined) return known
  if (reference === undefined) {
    const last: Array<string> = []
    const handler = toWebHandler(
      makeRoutes((_provider, event) => last.push(show(event))),
      Layer.merge(MemoryStore.layer(), Logger.layer([]))
    )
    reference = { handler, last }
  }
  reference.last.length = 0
  const response = await reference.handler(toRequest("http://reference", raw.url, headerList(raw), raw.body))
  await response.arrayBuffer()
  const event = reference.last[0]
  if (response.status !== 200 || event === undefined) {
    throw new Error(`the authentic ${raw.url} delivery was not processed by the reference (${response.status})`)
  }
  referenceEvents.set(raw, event)
  return event
}

// ---------------------------------------------------------------------------------------------
// Deliveries

let sequence = 0
const unique = () => `${process.pid}${Date.now()}${++sequence}`

/** A fresh authentic delivery (its own idempotency key) of a provider. */
export const authentic = (provider: ProviderName, body?: string): RawDelivery.RawDelivery => {
  const n = unique()
  switch (provider) {
    case "hmac":
      return Hmac.testing.sign(hmacOptions, {
        url: "/hmac",
        body: body ?? `{"id":"evt_${n}","amount":"12.30","ref":9007199254740993,"tags":["a","b"]}`
      })
    case "igv":
      return IgvTesting.sign({
        secret,
        url: "/igv",
        requestId: `1${n.padStart(18, "0").slice(-18)}`,
        body: body ??
          `{"createdAt":"2025-12-17T13:44:16","orderId":${n},"orderNum":"SO${n}","sellerOrderStatus":1,"buyerId":"1907369850568257537"}`
      })
    case "goldenpay": {
      const raw = GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GP${n}`, trans_id: `ORDER-${n}` }), secret)
      return { ...raw, url: "/goldenpay" }
    }
    case "goldenpay-payout": {
      const raw = GoldenPayTesting.sign(GoldenPayTesting.payout({ id: `GP${n}`, trans_id: `PAYOUT-${n}` }), secret)
      return { ...raw, url: "/goldenpay/payout" }
    }
    case "em":
      return EmTesting.sign({
        appId: emAppId,
        secret,
        url: "/em",
        encoding: Number(n) % 2 === 0 ? "json" : "form",
        requestData: body ??
          `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${n}","trade_status":2,"message":"审核通过"}`
      })
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** A change to a delivery; numbers are taken modulo the size of what they index. */
export type Mutation =
  | { readonly _tag: "FlipBodyBit"; readonly bit: number }
  | { readonly _tag: "FlipHeaderBit"; readonly header: number; readonly bit: number }
  | { readonly _tag: "FlipHeaderNameBit"; readonly header: number; readonly bit: number }
  | { readonly _tag: "DropHeader"; readonly header: number }
  | { readonly _tag: "DuplicateHeader"; readonly header: number; readonly value: string }
  | { readonly _tag: "Truncate"; readonly keep: number }
  | { readonly _tag: "Oversize"; readonly extra: number }
  | { readonly _tag: "InsertBytes"; readonly at: number; readonly bytes: ReadonlyArray<number> }
  | { readonly _tag: "StaleTimestamp"; readonly minutes: number }

export interface Request_ {
  readonly url: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
}

const headerList = (raw: RawDelivery.RawDelivery): Array<[string, string]> =>
  Object.entries(raw.headers).map(([name, value]) => [name, value])

const flip = (text: string, bit: number): string => {
  const bytes = Buffer.from(text, "latin1")
  if (bytes.length === 0) return text
  const index = bit % (bytes.length * 8)
  bytes[Math.floor(index / 8)]! ^= 1 << (index % 8)
  return bytes.toString("latin1")
}

/** Applies a mutation (the signature is not recomputed). */
export const mutate = (raw: RawDelivery.RawDelivery, mutation: Mutation): Request_ => {
  const headers = headerList(raw)
  const body = raw.body
  const pick = (n: number) => n % headers.length
  switch (mutation._tag) {
    case "FlipBodyBit": {
      if (body.length === 0) return { url: raw.url, headers, body }
      const copy = Uint8Array.from(body)
      const index = mutation.bit % (copy.length * 8)
      copy[Math.floor(index / 8)]! ^= 1 << (index % 8)
      return { url: raw.url, headers, body: copy }
    }
    case "FlipHeaderBit": {
      const i = pick(mutation.header)
      const [name, value] = headers[i]!
      headers[i] = [name, flip(value, mutation.bit)]
      return { url: raw.url, headers, body }
    }
    case "FlipHeaderNameBit": {
      const i = pick(mutation.header)
      const [name, value] = headers[i]!
      headers[i] = [flip(name, mutation.bit), value]
      return { url: raw.url, headers, body }
    }
    case "DropHeader":
      headers.splice(pick(mutation.header), 1)
      return { url: raw.url, headers, body }
    case "DuplicateHeader": {
      const [name, value] = headers[pick(mutation.header)]!
      headers.push([name, mutation.value === "" ? value : mutation.value])
      return { url: raw.url, headers, body }
    }
    case "Truncate":
      return { url: raw.url, headers, body: body.slice(0, mutation.keep % Math.max(1, body.length)) }
    case "Oversize": {
      const big = new Uint8Array(bodyLimit + 1 + mutation.extra)
      big.set(body.slice(0, big.length))
      big.fill(0x20, body.length)
      return { url: raw.url, headers, body: big }
    }
    case "InsertBytes": {
      const at = mutation.at % (body.length + 1)
      return {
        url: raw.url,
        headers,
        body: Buffer.concat([body.slice(0, at), Uint8Array.from(mutation.bytes), body.slice(at)])
      }
    }
    case "StaleTimestamp": {
      // Re-signed with a timestamp outside the tolerance (a replay of an old delivery).
      return asRequest(restamp(raw, mutation.minutes))
    }
  }
}

const restamp = (raw: RawDelivery.RawDelivery, minutes: number): RawDelivery.RawDelivery => {
  const offset = minutes * 60_000 * (minutes % 2 === 0 ? 1 : -1)
  const text = Buffer.from(raw.body).toString()
  switch (raw.url) {
    case "/hmac":
      return Hmac.testing.sign(hmacOptions, {
        url: "/hmac",
        body: text,
        id: raw.headers["x-webhook-id"],
        timestamp: Math.floor((Date.now() + offset) / 1000)
      })
    case "/igv":
      return IgvTesting.sign({
        secret,
        url: "/igv",
        body: text,
        requestId: raw.headers["x-request-id"],
        timestamp: Date.now() + offset
      })
    case "/em": {
      const form = raw.headers["content-type"]?.includes("form") ?? false
      const fields = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text)
      return EmTesting.sign({
        appId: emAppId,
        secret,
        url: "/em",
        encoding: form ? "form" : "json",
        requestData: String(fields.request_data),
        timestamp: Math.floor((Date.now() + offset) / 1000)
      })
    }
    default:
      return raw // GoldenPay carries no timestamp.
  }
}

export const asRequest = (raw: RawDelivery.RawDelivery): Request_ => ({
  url: raw.url,
  headers: headerList(raw),
  body: raw.body
})

// ---------------------------------------------------------------------------------------------
// Awkward but authentic content: signed by us, so verification passes and parsing is what's tested.

export type Awkward = "invalidUtf8" | "hugeNumber" | "protoKeys" | "deepNesting" | "repeatedFormKeys" | "emptyBody"
export const awkwardKinds: ReadonlyArray<Awkward> = [
  "invalidUtf8",
  "hugeNumber",
  "protoKeys",
  "deepNesting",
  "repeatedFormKeys",
  "emptyBody"
]

/** Signed deliveries with awkward content, and whether a handler run is expected. */
export const awkward = (
  kind: Awkward
): ReadonlyArray<{
  readonly request: Request_
  readonly provider: ProviderName
  /** Not signed (or no longer matching its signature): the handler must not run. */
  readonly unsigned?: true
  /** Made from this authentic delivery: the handler may run only with its event. */
  readonly from?: RawDelivery.RawDelivery
}> => {
  const n = unique()
  switch (kind) {
    case "invalidUtf8": {
      const body = Buffer.concat([
        Buffer.from(`{"id":"u${n}","name":"`),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from(`"}`)
      ])
      return [
        { provider: "hmac", request: asRequest(Hmac.testing.sign(hmacOptions, { url: "/hmac", body })) },
        { provider: "igv", request: asRequest(IgvTesting.sign({ secret, url: "/igv", body })) }
      ]
    }
    case "hugeNumber":
      return [
        {
          provider: "hmac",
          request: asRequest(
            authentic("hmac", `{"id":"h${n}","big":123456789012345678901234567890,"neg":-9007199254740993,"exp":1e400}`)
          )
        },
        {
          provider: "igv",
          request: asRequest(
            authentic(
              "igv",
              `{"createdAt":"2025-12-17T13:44:16","orderId":18446744073709551617${n},"orderNum":"SO1","sellerOrderStatus":1,"buyerId":"1"}`
            )
          )
        },
        {
          provider: "goldenpay",
          request: {
            ...asRequest(
              GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GP${n}`, mch_id: 10n ** 30n }), secret)
            ),
            url: "/goldenpay"
          }
        }
      ]
    case "protoKeys":
      return [
        {
          provider: "hmac",
          request: asRequest(
            authentic(
              "hmac",
              `{"id":"p${n}","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`
            )
          )
        },
        {
          provider: "goldenpay",
          request: {
            ...asRequest(
              GoldenPayTesting.sign(
                GoldenPayTesting.collect({ id: `GP${n}`, __proto__: "x", constructor: "y" }),
                secret
              )
            ),
            url: "/goldenpay"
          }
        },
        {
          provider: "em",
          request: asRequest(
            authentic(
              "em",
              `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${n}","trade_status":2,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`
            )
          )
        }
      ]
    case "deepNesting": {
      const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`
      return [
        { provider: "hmac", request: asRequest(authentic("hmac", `{"id":"d${n}","deep":${deep}}`)) },
        {
          provider: "em",
          request: asRequest(
            authentic("em", `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${n}","trade_status":2,"x":${deep}}`)
          )
        },
        // Unsigned: GoldenPay's signature is inside the JSON, so the body must be parsed first.
        {
          provider: "goldenpay",
          unsigned: true,
          request: {
            url: "/goldenpay",
            headers: [["content-type", "application/json"]],
            body: Buffer.from(`{"id":${deep}}`)
          }
        },
        {
          provider: "em",
          unsigned: true,
          request: {
            url: "/em",
            headers: [["content-type", "application/json"]],
            body: Buffer.from(`{"appid":${deep}}`)
          }
        }
      ]
    }
    case "repeatedFormKeys": {
      const raw = EmTesting.sign({
        appId: emAppId,
        secret,
        url: "/em",
        encoding: "form",
        requestData: `{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${n}","trade_status":2,"message":"ok"}`
      })
      const text = Buffer.from(raw.body).toString()
      const other = `request_data=${
        encodeURIComponent(`{"notify_type":"OUT_TRADE_AUDIT","trade_no":"DD${n}","trade_status":3,"message":"evil"}`)
      }`
      return [
        { provider: "em", from: raw, request: { ...asRequest(raw), body: Buffer.from(`${text}&${other}`) } },
        { provider: "em", from: raw, request: { ...asRequest(raw), body: Buffer.from(`${other}&${text}`) } },
        { provider: "em", from: raw, request: { ...asRequest(raw), body: Buffer.from(`${text}&${text}`) } }
      ]
    }
    case "emptyBody":
      return providers.map((provider) => {
        const raw = authentic(provider)
        return { provider, from: raw, request: { ...asRequest(raw), body: new Uint8Array() } }
      })
  }
}

// ---------------------------------------------------------------------------------------------
// Issue #15's promises, case by case: GoldenPay's unsigned (empty) fields and unescaped separators,
// a repeated id header, and request text aimed at the logs.

/** A GoldenPay capture and the route it belongs to. */
export interface GoldenPayCapture {
  readonly label: string
  readonly raw: RawDelivery.RawDelivery
  /** Whether its signed content says "collect" (a non-empty `payed_amount` or `channel`). */
  readonly signsKind: boolean
}

/**
 * Four captures: a paid collect (signs `channel`), a failed collect whose `payed_amount`, `channel`
 * and `payed_at` are null (signs nothing that tells its kind), a paid payout, and a payout with a
 * null `payed_at`.
 */
export const goldenpayCaptures = (): ReadonlyArray<GoldenPayCapture> => {
  const n = unique()
  const at = (url: string, raw: RawDelivery.RawDelivery) => ({ ...raw, url })
  return [
    {
      label: "paid collect",
      signsKind: true,
      raw: at(
        "/goldenpay",
        GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GPC${n}`, trans_id: `ORDER-${n}` }), secret)
      )
    },
    {
      label: "failed collect",
      signsKind: false,
      raw: at(
        "/goldenpay",
        GoldenPayTesting.sign(
          GoldenPayTesting.collect({
            id: `GPF${n}`,
            trans_id: `ORDER-F${n}`,
            status: 70,
            payed_amount: null,
            channel: null,
            payed_at: null
          }),
          secret
        )
      )
    },
    {
      label: "paid payout",
      signsKind: false,
      raw: at(
        "/goldenpay/payout",
        GoldenPayTesting.sign(GoldenPayTesting.payout({ id: `GPP${n}`, trans_id: `PAYOUT-${n}` }), secret)
      )
    },
    {
      label: "pending payout",
      signsKind: false,
      raw: at(
        "/goldenpay/payout",
        GoldenPayTesting.sign(
          GoldenPayTesting.payout({ id: `GPQ${n}`, trans_id: `PAYOUT-Q${n}`, status: 20, payed_at: null }),
          secret
        )
      )
    }
  ]
}

type JsonFields = Record<string, unknown>
const fieldsOf = (raw: RawDelivery.RawDelivery): JsonFields => JSON.parse(Buffer.from(raw.body).toString())
const withBody = (raw: RawDelivery.RawDelivery, fields: JsonFields): Request_ => ({
  ...asRequest(raw),
  body: Buffer.from(JSON.stringify(fields))
})

/**
 * The capture with its empty fields changed and its `sign` kept: every empty field stripped;
 * `"channel": null`, `"payed_amount": null`, `"channel": ""`, or both nulls added. None of this is
 * signed, so each is the same delivery — and none may change its kind, key or event.
 */
export const emptyFieldVariants = (raw: RawDelivery.RawDelivery): ReadonlyArray<{
  readonly label: string
  readonly request: Request_
}> => {
  const fields = fieldsOf(raw)
  const signedValue = (value: unknown) => value !== null && value !== undefined && value !== ""
  const stripped = Object.fromEntries(Object.entries(fields).filter(([, value]) => signedValue(value)))
  // Added only where the capture has no signed value (blanking a signed one is a forgery, refused
  // by the signature; the mutation corpus covers those).
  const added = (extra: JsonFields, base: JsonFields = fields) => ({
    ...base,
    ...Object.fromEntries(Object.entries(extra).filter(([name]) => !signedValue(base[name])))
  })
  return [
    { label: "empty fields stripped", request: withBody(raw, stripped) },
    { label: "channel null added", request: withBody(raw, added({ channel: null })) },
    { label: "payed_amount null added", request: withBody(raw, added({ payed_amount: null })) },
    { label: "channel \"\" added", request: withBody(raw, added({ channel: "" })) },
    { label: "both nulls added", request: withBody(raw, added({ channel: null, payed_amount: null })) },
    { label: "stripped, then channel null", request: withBody(raw, added({ channel: null }, stripped)) }
  ]
}

/**
 * The capture reshaped without touching its `sign`: for each pair of neighbours in the signed
 * order (`a=1&b=2`), `b` is folded into `a`'s value (`{"a":"1&b=2"}`), which signs the same
 * string. Each must be refused (400): it is another delivery under the captured signature.
 */
export const reshaped = (raw: RawDelivery.RawDelivery): ReadonlyArray<{
  readonly label: string
  readonly request: Request_
}> => {
  const fields = fieldsOf(raw)
  const signed = Object.keys(fields).filter((name) => name !== "sign" && fields[name] !== null && fields[name] !== "")
    .sort()
  const out: Array<{ label: string; request: Request_ }> = []
  for (let i = 0; i + 1 < signed.length; i++) {
    const a = signed[i]!
    const b = signed[i + 1]!
    const { [b]: folded, ...rest } = fields
    out.push({
      label: `${b} folded into ${a}`,
      request: withBody(raw, { ...rest, [a]: `${String(fields[a])}&${b}=${String(folded)}` })
    })
  }
  return out
}

/** Deliveries signed with the real token whose field names or values contain `&` or `=`. */
export const separatorsSigned = (): ReadonlyArray<{ readonly label: string; readonly request: Request_ }> => {
  const n = unique()
  const signed = (url: string, fields: Readonly<Record<string, GoldenPayTesting.TestField>>) => ({
    ...asRequest(GoldenPayTesting.sign(fields, secret)),
    url
  })
  return [
    {
      label: "& and = in trans_id",
      request: signed("/goldenpay", GoldenPayTesting.collect({ id: `GPS${n}`, trans_id: "ORDER-1&status=60" }))
    },
    {
      label: "= in a value",
      request: signed("/goldenpay", GoldenPayTesting.collect({ id: `GPT${n}`, channel: "A=B" }))
    },
    {
      label: "& in a field name",
      request: signed("/goldenpay/payout", GoldenPayTesting.payout({ id: `GPU${n}`, "note&x": "1" }))
    },
    {
      label: "= in a field name",
      request: signed("/goldenpay/payout", GoldenPayTesting.payout({ id: `GPV${n}`, "a=b": "1" }))
    }
  ]
}

/** An authentic delivery of `/hmac-body` (only the body signed; the id header is not). */
export const authenticBodySigned = (): RawDelivery.RawDelivery =>
  Hmac.testing.sign(hmacBodyOptions, {
    url: "/hmac-body",
    id: `evt_${unique()}`,
    body: `{"id":"b${unique()}","amount":"12.30"}`
  })

/**
 * The delivery with its id header sent twice (another id, or the same one again): HTTP joins the
 * values with ", ", and a key made of two ids is a key nobody sent. Must be refused (400).
 */
export const repeatedId = (raw: RawDelivery.RawDelivery): ReadonlyArray<{
  readonly label: string
  readonly request: Request_
}> => {
  const id = raw.headers["x-webhook-id"] ?? ""
  const others = headerList(raw).filter(([name]) => name !== "x-webhook-id")
  const twice = (first: string, second: string): Request_ => ({
    url: raw.url,
    headers: [...others, ["x-webhook-id", first], ["x-webhook-id", second]],
    body: raw.body
  })
  return [
    { label: "another id after it", request: twice(id, `${id}x`) },
    { label: "another id before it", request: twice(`evt_${unique()}`, id) },
    { label: "the same id twice", request: twice(id, id) }
  ]
}

/** What a forged request carries: a fake event line after a line break, and the marker. */
export const forgedLine = `${forgedMarker}\n{"handled":"${forgedMarker}","event":"OrderPaid"}\n`
const forgedHeader = `${forgedMarker} {"handled":"${forgedMarker}"}`

/** Routes whose deliveries the forged requests are made from. */
export const forgedRoutes: ReadonlyArray<ProviderName | "hmac-body" | "goldenpay-auto"> = [
  ...providers,
  "hmac-body",
  "goldenpay-auto"
]

/**
 * Requests made from an authentic delivery of `route`, each carrying {@link forgedMarker} where
 * the receiver reads before verifying: every header's value in turn (but where that header is
 * unsigned by the scheme's design — iGV's body, `/hmac-body`'s id — and the request would be
 * authentic), the body replaced by a fake log line, every JSON string value replaced, a form
 * field, and the query string. None is authentic, so nothing of it may reach a log message.
 */
export const forged = (route: (typeof forgedRoutes)[number]): {
  readonly from: RawDelivery.RawDelivery
  readonly requests: ReadonlyArray<{ readonly label: string; readonly request: Request_ }>
} => {
  const from = route === "hmac-body"
    ? authenticBodySigned()
    : route === "goldenpay-auto"
    ? { ...authentic("goldenpay"), url: "/goldenpay/auto" }
    : authentic(route)
  const headers = headerList(from)
  const requests: Array<{ label: string; request: Request_ }> = []
  headers.forEach(([name], i) => {
    if (route === "hmac-body" && name === "x-webhook-id") return
    const changed = headers.map(([n, v], j): [string, string] => [n, j === i ? forgedHeader : v])
    requests.push({ label: `${name} forged`, request: { url: from.url, headers: changed, body: from.body } })
  })
  // A line break inside a header value (an obsolete line folding on the wire): node refuses it
  // before any handler sees it; the web transport cannot even build it (not sent).
  requests.push({
    label: "line break in a header",
    request: {
      url: from.url,
      headers: [...headers, ["x-note", `${forgedMarker}\r\n {"handled":"${forgedMarker}"}`]],
      body: from.body
    }
  })
  requests.push({
    label: "forged header added",
    request: { url: from.url, headers: [...headers, ["x-forwarded-for", forgedHeader]], body: from.body }
  })
  requests.push({
    label: "query string",
    request: { ...asRequest(from), url: `${from.url}?${forgedMarker}=%7B%22handled%22%3A1%7D` }
  })
  if (route !== "igv") {
    requests.push({ label: "body is a log line", request: { ...asRequest(from), body: Buffer.from(forgedLine) } })
    const text = Buffer.from(from.body).toString()
    if (text.startsWith("{")) {
      const json = JSON.parse(text) as Record<string, unknown>
      for (const [name, value] of Object.entries(json)) {
        if (typeof value !== "string") continue
        requests.push({
          label: `${name} forged in the JSON body`,
          request: withBody(from, { ...json, [name]: forgedLine })
        })
      }
      // A raw line break inside a JSON string: invalid JSON, whose parse error must not quote it.
      requests.push({
        label: "raw line break in the JSON body",
        request: { ...asRequest(from), body: Buffer.from(`{"id":"${forgedLine}","sign":"${"0".repeat(32)}"}`) }
      })
    } else {
      const form = new URLSearchParams(text)
      for (const name of Array.from(form.keys())) {
        const copy = new URLSearchParams(form)
        copy.set(name, forgedLine)
        requests.push({
          label: `${name} forged in the form body`,
          request: { ...asRequest(from), body: Buffer.from(copy.toString()) }
        })
      }
    }
  }
  return { from, requests }
}

// ---------------------------------------------------------------------------------------------
// Transports

export interface Answer {
  /** HTTP status; 0 when the connection closed without an answer. */
  readonly status: number
  /** The response body (the outcome and reason, for the report). */
  readonly body: string
}

/** One request over a fresh socket, headers written exactly as given (duplicates included). */
export const sendRaw = (port: number, request: Request_, timeoutMs = 10_000): Promise<Answer> =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    const head = [`POST ${request.url} HTTP/1.1`, "host: 127.0.0.1", "connection: close"]
    for (const [name, value] of request.headers) {
      if (name.toLowerCase() === "content-length" || name.toLowerCase() === "host") continue
      head.push(`${name}: ${value}`)
    }
    head.push(`content-length: ${request.body.length}`)
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.once("connect", () => {
      socket.write(Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"))
      socket.write(request.body)
    })
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", () => {})
    socket.once("close", () => {
      const text = Buffer.concat(chunks).toString("latin1")
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      resolve({ status: match === null ? 0 : Number(match[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) })
    })
  })

const toRequest = (
  origin: string,
  url: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array
): Request => {
  const list = new Headers()
  for (const [name, value] of headers) list.append(name, value)
  return new Request(`${origin}${url}`, { method: "POST", headers: list, body: Buffer.from(body) })
}

// ---------------------------------------------------------------------------------------------
// A harness: receivers behind one transport, and the figures.

export interface Figures {
  requests: number
  /** Handler runs whose event is not the authentic delivery's event. */
  unverifiedRuns: number
  /** 5xx answers to requests the client got wrong (everything here except authentic deliveries). */
  serverErrors: number
  /** Uncaught exceptions and unhandled rejections in the receiving process. */
  crashes: number
  /** Requests the web transport could not even build (invalid header bytes): not sent. */
  unsendable: number
  /** Statuses seen, for the report. */
  statuses: Record<string, number>
  /** Log lines of the receivers (captured, not printed). */
  logLines: number
  /** Log lines or responses carrying the secret in any form. */
  secretLeaks: number
  /**
   * Log messages (the message and its cause, not the annotations) carrying {@link forgedMarker}:
   * text a forged request supplied, logged before verification.
   */
  logInjections: number
  /** Annotations carrying {@link forgedMarker} next to a raw line break (an unescaped detail). */
  unescapedAnnotations: number
  /** Log lines written while the forged requests were sent (the capture saw them). */
  rejectionLogs: number
  /** Issue #15's targeted cases (`HostileRun.promises`). */
  promises: PromiseFigures
  /** Descriptions of every violation (empty when all is well). */
  violations: Array<string>
}

/** The targeted cases of `HostileRun.promises`: what was sent, and how much of it was refused. */
export interface PromiseFigures {
  /** GoldenPay captures with empty fields stripped or added, same `sign`, sent to their own route. */
  emptyFieldVariants: number
  /** Captures (and variants) whose signed content does not tell the kind, sent to `/goldenpay/auto`. */
  ambiguousSent: number
  /** Of those, refused with 400 (must be all). */
  ambiguousRefused: number
  /** Reshaped captures (a field folded into its neighbour, same `sign`) and signed `&`/`=` content. */
  separatorSent: number
  /** Of those, refused with 400 (must be all). */
  separatorRefused: number
  /** Requests with the id header sent twice (`/hmac-body` and `/hmac`). */
  repeatedIdSent: number
  /** Of those, refused with 400 (must be all). */
  repeatedIdRefused: number
  /** `Hmac.provider({ signedContent: "body", timestampHeader })` threw `Misconfigured`. */
  unsignedTimestampRefused: boolean
  /** Captures replayed to the other kind's GoldenPay route (the documented limit of the scheme). */
  crossRouteSent: number
  /** Of those, handled (acknowledged as a delivery of that route's kind). */
  crossRouteHandled: number
  /** Requests carrying forged log lines ({@link forgedMarker}). */
  forgedRequests: number
}

export interface Harness {
  readonly transport: "node" | "web"
  readonly figures: Figures
  /**
   * Sends a hostile request, then the authentic delivery it was made from, and checks both. Returns
   * the hostile request's answer (undefined when it could not be built).
   */
  readonly check: (
    label: string,
    authenticRaw: RawDelivery.RawDelivery | undefined,
    hostile: Request_
  ) => Promise<Answer | undefined>
  /** Handler runs so far, by route name (`hmac-body`, `goldenpay-auto`, …). */
  readonly runs: () => ReadonlyArray<{ readonly provider: string; readonly event: string }>
  /**
   * Sends awkward content signed with the real secret: the handler may run (it is authentic), but
   * the answer must not be a 5xx other than `DecodeFailed` (an authentic delivery the schema
   * rejects is answered "retry" by design) and nothing may leak into `Object.prototype`.
   */
  readonly checkSigned: (label: string, request: Request_) => Promise<void>
  /** Sends a request and returns its answer (no checks); status -1 when it could not be built. */
  readonly send: (request: Request_) => Promise<Answer>
  readonly port: number
  readonly server: http.Server | undefined
  readonly close: () => Promise<void>
}

export interface HarnessOptions {
  /** node:http requestTimeout (the slow-loris guard). Default 2,000 ms. */
  readonly requestTimeoutMs?: number
}

/** Figures at zero. */
export const emptyFigures = (): Figures => ({
  requests: 0,
  unverifiedRuns: 0,
  serverErrors: 0,
  crashes: 0,
  unsendable: 0,
  statuses: {},
  logLines: 0,
  secretLeaks: 0,
  logInjections: 0,
  unescapedAnnotations: 0,
  rejectionLogs: 0,
  promises: {
    emptyFieldVariants: 0,
    ambiguousSent: 0,
    ambiguousRefused: 0,
    separatorSent: 0,
    separatorRefused: 0,
    repeatedIdSent: 0,
    repeatedIdRefused: 0,
    unsignedTimestampRefused: false,
    crossRouteSent: 0,
    crossRouteHandled: 0,
    forgedRequests: 0
  },
  violations: []
})

const leaks = (text: string) => secretForms.some((form) => text.includes(form))

/**
 * The receivers' logger: every log line is captured (not printed) and counted, and searched for the
 * secret (message, cause and annotations), for {@link forgedMarker} in the message or cause, and
 * for the marker next to a raw line break in an annotation.
 */
export const captureLogs = (figures: Figures): Layer.Layer<never> =>
  Logger.layer([
    Logger.make((options) => {
      figures.logLines++
      const text = util.inspect({ message: options.message, cause: options.cause }, { depth: 10 })
      const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
      if (leaks(text) || leaks(util.inspect(annotations, { depth: 10 }))) {
        figures.secretLeaks++
        figures.violations.push(`secret in a log line: ${text.slice(0, 200)}`)
      }
      if (text.includes(forgedMarker)) {
        figures.logInjections++
        figures.violations.push(`request text in a log message: ${text.slice(0, 200)}`)
      }
      for (const [name, value] of Object.entries(annotations)) {
        const shown = typeof value === "string" ? value : util.inspect(value, { depth: 10 })
        if (shown.includes(forgedMarker) && /[\r\n]/.test(shown)) {
          figures.unescapedAnnotations++
          figures.violations.push(`unescaped request text in the ${name} annotation: ${shown.slice(0, 200)}`)
        }
      }
    })
  ])

export const start = async (transport: "node" | "web", options?: HarnessOptions): Promise<Harness> => {
  const receivers = makeReceivers()
  const figures = emptyFigures()
  const logs = captureLogs(figures)
  const layer = Layer.merge(MemoryStore.layer(), logs)
  const onCrash = (error: unknown) => {
    figures.crashes++
    figures.violations.push(`crash: ${String(error)}`)
  }
  process.on("uncaughtException", onCrash)
  process.on("unhandledRejection", onCrash)

  let send: (request: Request_) => Promise<Answer>
  let close: () => Promise<void>
  let port = 0
  let server: http.Server | undefined
  if (transport === "node") {
    const listener = toNodeListener(receivers.routes, layer)
    const timeout = options?.requestTimeoutMs ?? 2000
    // requestTimeout is enforced by a timer that checks every `connectionsCheckingInterval`.
    const created = http.createServer(
      { requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.max(100, timeout / 4) },
      listener
    )
    await new Promise<void>((resolve) => created.listen(0, "127.0.0.1", () => resolve()))
    const address = created.address()
    port = typeof address === "object" && address !== null ? address.port : 0
    server = created
    send = (request) => sendRaw(port, request)
    close = async () => {
      created.closeAllConnections()
      await new Promise((resolve) => created.close(resolve))
      await listener.dispose()
    }
  } else {
    const handler = toWebHandler(receivers.routes, layer)
    send = async (request) => {
      let built: Request
      try {
        built = toRequest("http://hookline.test", request.url, request.headers, request.body)
      } catch {
        figures.unsendable++
        return { status: -1, body: "" }
      }
      const response = await handler(built)
      return { status: response.status, body: await response.text() }
    }
    close = () => handler.dispose()
  }

  const record = (status: number) => {
    figures.requests++
    figures.statuses[String(status)] = (figures.statuses[String(status)] ?? 0) + 1
  }

  const polluted = () => Object.keys(Object.prototype).length > 0 || "polluted" in {}

  const check = async (label: string, authenticRaw: RawDelivery.RawDelivery | undefined, hostile: Request_) => {
    const expected = authenticRaw === undefined ? undefined : await referenceEvent(authenticRaw)
    const before = receivers.runs.length
    const answer = await send(hostile)
    if (answer.status === -1) return undefined
    record(answer.status)
    if (leaks(answer.body)) {
      figures.secretLeaks++
      figures.violations.push(`${transport} ${label}: the secret in the response`)
    }
    if (answer.status >= 500) {
      figures.serverErrors++
      figures.violations.push(`${transport} ${label}: ${answer.status} ${answer.body.slice(0, 120)} for client input`)
    }
    for (const run of receivers.runs.slice(before)) {
      if (run.event !== expected) {
        figures.unverifiedRuns++
        figures.violations.push(`${transport} ${label}: handler ran on ${run.event.slice(0, 200)}`)
      }
    }
    if (authenticRaw !== undefined) {
      // The authentic delivery still goes through (or was already handled, when the mutation
      // changed nothing that matters, e.g. the case of a hex signature).
      const after = await send(asRequest(authenticRaw))
      record(after.status)
      if (after.status !== 200) {
        figures.violations.push(`${transport} ${label}: the authentic delivery answered ${after.status} afterwards`)
      }
    }
    return answer
  }

  const checkSigned = async (label: string, request: Request_) => {
    const answer = await send(request)
    if (answer.status === -1) return
    record(answer.status)
    if (answer.status >= 500 && !answer.body.includes("DecodeFailed")) {
      figures.serverErrors++
      figures.violations.push(`${transport} ${label}: ${answer.status} ${answer.body.slice(0, 120)}`)
    }
    if (polluted()) figures.violations.push(`${transport} ${label}: Object.prototype was polluted`)
  }

  return {
    transport,
    figures,
    check,
    checkSigned,
    runs: () => receivers.runs,
    send,
    port,
    server,
    close: async () => {
      await close()
      process.off("uncaughtException", onCrash)
      process.off("unhandledRejection", onCrash)
    }
  }
}

/** A slow-loris request: headers and part of the declared body, then silence. Resolves with the
 * time until the server closed the connection (and its status, 408 from node). */
export const slowLoris = (port: number, path: string): Promise<{ readonly status: number; readonly ms: number }> =>
  new Promise((resolve) => {
    const startedAt = performance.now()
    const socket = net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    socket.once("connect", () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id":`
      )
    })
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", () => {})
    socket.once("close", () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString("latin1"))
      resolve({ status: match === null ? 0 : Number(match[1]), ms: performance.now() - startedAt })
    })
  })
