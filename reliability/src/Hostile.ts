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
 */
import { defineHandler, Hmac, type RawDelivery, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import { GoldenPay } from "@hookline/provider-goldenpay"
import { Igv } from "@hookline/provider-igv"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as http from "node:http"
import * as net from "node:net"
import * as util from "node:util"

export const secret = Redacted.make(`hostile-${crypto.randomBytes(12).toString("hex")}`)
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
const emOptions = { appId: emAppId, secret, bodyLimit }

export type ProviderName = "hmac" | "igv" | "goldenpay" | "em"
export const providers: ReadonlyArray<ProviderName> = ["hmac", "igv", "goldenpay", "em"]

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
    "/igv": defineHandler(Igv.provider({ secret, bodyLimit }), handle("igv")),
    "/goldenpay": defineHandler(GoldenPay.provider({ secret, bodyLimit }), handle("goldenpay")),
    "/em": defineHandler(Em.provider(emOptions), handle("em"))
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
      return Igv.testing.sign({
        secret,
        url: "/igv",
        requestId: `1${n.padStart(18, "0").slice(-18)}`,
        body: body ??
          `{"createdAt":"2025-12-17T13:44:16","orderId":${n},"orderNum":"SO${n}","sellerOrderStatus":1,"buyerId":"1907369850568257537"}`
      })
    case "goldenpay": {
      const raw = GoldenPay.testing.sign(GoldenPay.testing.collect({ id: `GP${n}`, trans_id: `ORDER-${n}` }), secret)
      return { ...raw, url: "/goldenpay" }
    }
    case "em":
      return Em.testing.sign({
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
      return Igv.testing.sign({
        secret,
        url: "/igv",
        body: text,
        requestId: raw.headers["x-request-id"],
        timestamp: Date.now() + offset
      })
    case "/em": {
      const form = raw.headers["content-type"]?.includes("form") ?? false
      const fields = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text)
      return Em.testing.sign({
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
        { provider: "igv", request: asRequest(Igv.testing.sign({ secret, url: "/igv", body })) }
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
              GoldenPay.testing.sign(GoldenPay.testing.collect({ id: `GP${n}`, mch_id: 10n ** 30n }), secret)
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
              GoldenPay.testing.sign(
                GoldenPay.testing.collect({ id: `GP${n}`, __proto__: "x", constructor: "y" }),
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
      const raw = Em.testing.sign({
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
  /** Descriptions of every violation (empty when all is well). */
  violations: Array<string>
}

export interface Harness {
  readonly transport: "node" | "web"
  readonly figures: Figures
  /** Sends a hostile request, then the authentic delivery it was made from, and checks both. */
  readonly check: (label: string, authenticRaw: RawDelivery.RawDelivery | undefined, hostile: Request_) => Promise<void>
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

export const start = async (transport: "node" | "web", options?: HarnessOptions): Promise<Harness> => {
  const receivers = makeReceivers()
  const figures: Figures = {
    requests: 0,
    unverifiedRuns: 0,
    serverErrors: 0,
    crashes: 0,
    unsendable: 0,
    statuses: {},
    logLines: 0,
    secretLeaks: 0,
    violations: []
  }
  const leaks = (text: string) => secretForms.some((form) => text.includes(form))
  // The receivers' logs are captured (and searched for the secret) instead of printed.
  const logs = Logger.layer([
    Logger.make((options) => {
      figures.logLines++
      const text = util.inspect({ message: options.message, cause: options.cause }, { depth: 10 })
      if (leaks(text)) {
        figures.secretLeaks++
        figures.violations.push(`secret in a log line: ${text.slice(0, 200)}`)
      }
    })
  ])
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
    if (answer.status === -1) return
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
