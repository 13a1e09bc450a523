/**
 * The HTTP contenders and the signed requests they are fed. Every contender does the same work per
 * request — read the raw body, verify an HMAC (or the provider's real scheme) in constant time,
 * parse the JSON, dedupe by delivery id in memory, run a trivial handler, answer 200 — and answers a
 * duplicate 200 (the platform's retry of a delivery already handled must be acknowledged) and a bad
 * signature with a 4xx. `bench/test/contenders.test.ts` holds every contender to that.
 *
 *   bare             hand-written node:http (the Node limit)
 *   hookline-hmac    core's generic HMAC provider (GitHub scheme) + memory store + schema decode, toNodeListener
 *   hookline-igv     provider-igv, its real scheme, toNodeListener
 *   hookline-goldenpay  provider-goldenpay (MD5 sign in the JSON body), toNodeListener
 *   hookline-em      provider-em (form body, MD5), toNodeListener
 *   hookline-web     the hookline-hmac handler through toWebHandler behind a minimal node:http→fetch bridge
 *   octokit          @octokit/webhooks createNodeMiddleware (GitHub scheme), dedupe in its handler
 *   express          Express 5, express.raw() + hand-written HMAC
 */
import { defineHandler, Hmac, type RawDelivery } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { MemoryStore } from "@hookline/store-memory"
import { createNodeMiddleware, Webhooks } from "@octokit/webhooks"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import express from "express"
import { createHmac, timingSafeEqual } from "node:crypto"
import type * as http from "node:http"

/** The contenders, in report order. */
export const contenderNames = [
  "bare",
  "hookline-hmac",
  "hookline-igv",
  "hookline-goldenpay",
  "hookline-em",
  "hookline-web",
  "octokit",
  "express"
] as const

export type ContenderName = typeof contenderNames[number]

/** Which request pool a contender is fed: the five GitHub-scheme contenders share one. */
export type Scheme = "github" | "igv" | "goldenpay" | "em"

export const schemeOf = (name: ContenderName): Scheme =>
  name === "hookline-igv"
    ? "igv"
    : name === "hookline-goldenpay"
    ? "goldenpay"
    : name === "hookline-em"
    ? "em"
    : "github"

// Bench-only secrets (never real ones).
const githubSecret = "bench-github-secret-0123456789abcdef"
const igvSecret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
const goldenpaySecret = Redacted.make("bench-goldenpay-token")
const emAppId = "bench"
const emSecret = Redacted.make("bench-em-secret")

// Enough for the longest run: duplicates must stay answered from memory, never evicted.
const maxEntries = 4_000_000

/** A request ready to send: path, headers, exact body bytes. */
export interface SignedRequest {
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

const encoder = new TextEncoder()

// A GitHub-like payload of ~700 bytes: string ids and amounts (never through a JS number).
const githubBody = (i: number): string =>
  JSON.stringify({
    action: "completed",
    delivery: `bench-${i}`,
    order: {
      id: `ord_${(1_000_000_000 + i).toString(36)}`,
      number: `SO${1689644928115784 + i}`,
      amount: "129.90",
      currency: "EUR",
      status: "paid",
      created_at: "2026-11-23T10:15:30Z",
      lines: [
        { sku: "SKU-RED-42", quantity: "2", price: "39.95" },
        { sku: "SKU-BLUE-7", quantity: "1", price: "50.00" }
      ]
    },
    customer: { id: `cus_${i}`, email: "buyer@example.com", country: "DE" },
    repository: { id: "123456789", full_name: "hookline/bench", private: false },
    sender: { login: "hookline-bench", id: "987654321", type: "Bot" }
  })

const githubSign = (body: Uint8Array): string =>
  `sha256=${createHmac("sha256", githubSecret).update(body).digest("hex")}`

const fromRaw = (raw: RawDelivery.RawDelivery, path: string): SignedRequest => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw.headers)) {
    if (typeof value === "string") headers[name] = value
  }
  return { path, headers, body: raw.body }
}

/** The `i`-th signed delivery of a scheme: a new delivery id for every `i`. */
export const signedRequest = (scheme: Scheme, i: number): SignedRequest => {
  switch (scheme) {
    case "github": {
      const body = encoder.encode(githubBody(i))
      return {
        path: "/",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
          "x-hub-signature-256": githubSign(body)
        },
        body
      }
    }
    case "igv":
      return fromRaw(
        IgvTesting.sign({
          secret: igvSecret,
          requestId: String(2002986662652579841n + BigInt(i)),
          body: IgvTesting.exampleBody.replace("1689644928115784", String(1689644928115784 + i))
        }),
        "/"
      )
    case "goldenpay":
      return fromRaw(GoldenPayTesting.sign(GoldenPayTesting.collect({ id: `GP-${i}` }), goldenpaySecret), "/")
    case "em":
      return fromRaw(
        EmTesting.sign({
          appId: emAppId,
          secret: emSecret,
          requestData: EmTesting.exampleRequestData.replace("DD202409250002", `DD${i}`),
          encoding: "form"
        }),
        "/"
      )
  }
}

/** The same delivery with its signature broken (one signature character changed, or sign field). */
export const tampered = (scheme: Scheme, i: number): SignedRequest => {
  const request = signedRequest(scheme, i)
  const flip = (text: string) => text.slice(0, -1) + (text.endsWith("0") ? "1" : "0")
  switch (scheme) {
    case "github":
      return {
        ...request,
        headers: { ...request.headers, "x-hub-signature-256": flip(request.headers["x-hub-signature-256"]!) }
      }
    case "igv": {
      const name = Object.keys(request.headers).find((h) => h.includes("sign"))!
      return { ...request, headers: { ...request.headers, [name]: flip(request.headers[name]!) } }
    }
    case "goldenpay":
    case "em": {
      // The sign travels in the body: change one hex digit of it.
      const text = new TextDecoder().decode(request.body)
      const match = /("sign"\s*:\s*"|[&?]sign=)([0-9a-fA-F]+)/.exec(text)
      if (match === null) throw new Error(`tampered: no sign field in the ${scheme} body`)
      const at = match.index + match[1]!.length + match[2]!.length
      return { ...request, body: encoder.encode(flip(text.slice(0, at)) + text.slice(at)) }
    }
  }
}

// --- the shared hand-written work (bare, express) ----------------------------------------------

const verifyGithub = (body: Uint8Array, header: string | string[] | undefined): boolean => {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false
  const received = Buffer.from(header.slice(7), "hex")
  const expected = createHmac("sha256", githubSecret).update(body).digest()
  return received.length === expected.length && timingSafeEqual(received, expected)
}

interface GithubEvent {
  readonly delivery: string
  readonly order: { readonly id: string; readonly amount: string }
}

const trivialHandler = (event: GithubEvent): void => {
  if (event.order.id === "") throw new Error("unreachable")
}

/**
 * The whole per-request work of the hand-written contenders, on a buffered body: 200 (handled or
 * duplicate), 401 (bad signature), 400 (not JSON / no id).
 */
export const handWritten = () => {
  const seen = new Set<string>()
  return (id: string | string[] | undefined, signature: string | string[] | undefined, body: Uint8Array): number => {
    if (!verifyGithub(body, signature)) return 401
    if (typeof id !== "string") return 400
    let event: GithubEvent
    try {
      event = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")) as GithubEvent
    } catch {
      return 400
    }
    if (seen.has(id)) return 200
    trivialHandler(event)
    seen.add(id)
    return 200
  }
}

const readBody = (req: http.IncomingMessage, done: (body: Buffer) => void): void => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
}

// --- hookline handlers ---------------------------------------------------------------------

/** The schema the hookline-hmac contender decodes the body with. */
const GithubEventSchema = Schema.Struct({
  action: Schema.String,
  delivery: Schema.String,
  order: Schema.Struct({ id: Schema.String, amount: Schema.String, currency: Schema.String })
})

export const hmacHandler = () =>
  defineHandler(
    Hmac.provider({
      secret: Redacted.make(githubSecret),
      header: "x-hub-signature-256",
      prefix: "sha256=",
      idHeader: "x-github-delivery",
      schema: GithubEventSchema
    }),
    (event) => event.order.id === "" ? Effect.die("unreachable") : Effect.void
  )

const store = () => MemoryStore.layer({ maxEntries })

/** A running contender's node:http request listener and how to release it. */
export interface Contender {
  readonly listener: http.RequestListener
  readonly dispose: () => Promise<void>
}

/** Builds a contender's request listener (no socket yet). */
export const makeContender = (name: ContenderName): Contender => {
  switch (name) {
    case "bare": {
      const work = handWritten()
      return {
        listener: (req, res) =>
          readBody(req, (body) => {
            const status = work(req.headers["x-github-delivery"], req.headers["x-hub-signature-256"], body)
            res.writeHead(status, { "content-type": "text/plain" })
            res.end(status === 200 ? "ok" : "rejected")
          }),
        dispose: async () => {}
      }
    }
    case "hookline-hmac": {
      const listener = toNodeListener(hmacHandler(), store())
      return { listener, dispose: listener.dispose }
    }
    case "hookline-igv": {
      const listener = toNodeListener(defineHandler(Igv.provider({ secret: igvSecret }), () => Effect.void), store())
      return { listener, dispose: listener.dispose }
    }
    case "hookline-goldenpay": {
      const listener = toNodeListener(
        defineHandler(GoldenPay.provider({ secret: goldenpaySecret }), () => Effect.void),
        store()
      )
      return { listener, dispose: listener.dispose }
    }
    case "hookline-em": {
      const listener = toNodeListener(
        defineHandler(Em.provider({ appId: emAppId, secret: emSecret }), () => Effect.void),
        store()
      )
      return { listener, dispose: listener.dispose }
    }
    case "hookline-web": {
      const handle = toWebHandler(hmacHandler(), store())
      // The minimal bridge a user would write: buffer the body, build a Request, copy the Response.
      const listener: http.RequestListener = (req, res) =>
        readBody(req, (body) => {
          const headers = new Headers()
          for (const [key, value] of Object.entries(req.headers)) {
            if (typeof value === "string") headers.set(key, value)
          }
          const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
            method: req.method ?? "GET",
            headers,
            body: body.length === 0 ? null : new Uint8Array(body)
          })
          void handle(request).then(async (response) => {
            const bytes = Buffer.from(await response.arrayBuffer())
            res.writeHead(response.status, Object.fromEntries(response.headers))
            res.end(bytes)
          })
        })
      return { listener, dispose: handle.dispose }
    }
    case "octokit": {
      const webhooks = new Webhooks({ secret: githubSecret })
      const seen = new Set<string>()
      webhooks.onAny(({ id, payload }) => {
        if (seen.has(id)) return
        trivialHandler(payload as unknown as GithubEvent)
        seen.add(id)
      })
      // Silent: its default logger prints every rejected request (the test sends forged ones).
      const quiet = () => {}
      const middleware = createNodeMiddleware(webhooks, {
        path: "/",
        log: { debug: quiet, info: quiet, warn: quiet, error: quiet }
      })
      return { listener: (req, res) => void middleware(req, res), dispose: async () => {} }
    }
    case "express": {
      const work = handWritten()
      const app = express()
      app.post("/", express.raw({ type: "*/*", limit: "1mb" }), (req, res) => {
        const body: unknown = req.body
        const status = body instanceof Uint8Array
          ? work(req.headers["x-github-delivery"], req.headers["x-hub-signature-256"], body)
          : 400
        res.status(status).type("text/plain").send(status === 200 ? "ok" : "rejected")
      })
      return { listener: app, dispose: async () => {} }
    }
  }
}
