/**
 * The HTTP contenders and the signed requests they are fed. Every contender does the same work per
 * request — read the raw body, verify an HMAC (or the provider's real scheme) in constant time,
 * parse the JSON, dedupe by delivery id, run a trivial handler, answer 200 — and answers a
 * duplicate 200 (the platform's retry of a delivery already handled must be acknowledged) and a bad
 * signature with a 4xx. `bench/test/contenders.test.ts` holds every contender to that.
 *
 *   bare             hand-written node:http (the Node limit)
 *   guarded          hand-written node:http with hookline-hmac's guarantees (lossless parse, fingerprint,
 *                    claim token and lease, schema decode, fenced completion): the floor with them
 *   hookline-hmac    core's generic HMAC provider (GitHub scheme) + memory store + schema decode, toNodeListener
 *   hookline-igv     provider-igv, its real scheme, toNodeListener
 *   hookline-goldenpay  provider-goldenpay (MD5 sign in the JSON body), toNodeListener
 *   hookline-em      provider-em (form body, MD5), toNodeListener
 *   hookline-github  provider-github (`GitHub.provider`) on the GitHub-scheme pool, toNodeListener
 *   hookline-stripe  provider-stripe (`Stripe.provider`, `Stripe-Signature` over `t.body`), toNodeListener
 *   hookline-web     the hookline-hmac handler through toWebHandler behind a minimal node:http→fetch bridge
 *   bare-web         the bare hand-written work as a fetch handler behind the same bridge (the bridge's own cost)
 *   octokit          @octokit/webhooks createNodeMiddleware (GitHub scheme), dedupe in its handler
 *   express          Express 5, express.raw() + the hand-written HMAC
 *   fastify          Fastify 5, a raw-body (`parseAs: "buffer"`) content-type parser + the hand-written HMAC
 *   standardwebhooks the `standardwebhooks` library's `Webhook.verify` in node:http (Standard Webhooks scheme)
 *   hookline-standard  core's `Hmac.provider` configured for the Standard Webhooks scheme, toNodeListener
 *   bare-redis       bare node:http deduping on Redis: `SET NX` to claim, `SET` to complete (node-redis)
 *   hookline-redis   the hookline-hmac handler with store-redis (`RedisStore.layerNode`) on the same Redis
 *   floor-<provider> a provider's own functions (verify, key, fingerprint, decode) called directly, with
 *                    guarded's Map claim and fenced completion and no pipeline: the floor of that
 *                    provider's guaranteed work (hmac, igv, goldenpay, em, github, stripe)
 *
 * The two Redis contenders need a Redis URL (`makeContender(name, { redisUrl })`; the bench passes a
 * private redis-server's in `BENCH_REDIS_URL`).
 */
import { defineHandler, Hmac, RawDelivery } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { type Provider as ProviderModel, Signing } from "@hookline/core/provider"
import { toWebHandler } from "@hookline/core/web"
import { Em } from "@hookline/provider-em"
import * as EmTesting from "@hookline/provider-em/testing"
import { GitHub } from "@hookline/provider-github"
import { GoldenPay } from "@hookline/provider-goldenpay"
import * as GoldenPayTesting from "@hookline/provider-goldenpay/testing"
import { Igv } from "@hookline/provider-igv"
import * as IgvTesting from "@hookline/provider-igv/testing"
import { Stripe } from "@hookline/provider-stripe"
import * as StripeTesting from "@hookline/provider-stripe/testing"
import { MemoryStore } from "@hookline/store-memory"
import { RedisStore } from "@hookline/store-redis"
import { createNodeMiddleware, Webhooks } from "@octokit/webhooks"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import express from "express"
import Fastify from "fastify"
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto"
import * as http from "node:http"
import { createClient } from "redis"
import { Webhook, WebhookVerificationError } from "standardwebhooks"

/** The contenders, in report order. */
export const contenderNames = [
  "bare",
  "guarded",
  "hookline-hmac",
  "hookline-igv",
  "hookline-goldenpay",
  "hookline-em",
  "hookline-github",
  "hookline-stripe",
  "hookline-web",
  "bare-web",
  "octokit",
  "express",
  "fastify",
  "standardwebhooks",
  "hookline-standard",
  "bare-redis",
  "hookline-redis",
  "floor-hmac",
  "floor-igv",
  "floor-goldenpay",
  "floor-em",
  "floor-github",
  "floor-stripe"
] as const

export type ContenderName = typeof contenderNames[number]

/** The contenders that keep their idempotency records in Redis. */
export const usesRedis = (name: ContenderName): boolean => name === "bare-redis" || name === "hookline-redis"

/**
 * Which request pool a contender is fed: the GitHub-scheme contenders (bare, hookline-hmac,
 * hookline-github, octokit, express, fastify, hookline-web and the Redis pair) share one, the two
 * Standard Webhooks contenders another, each other bundled provider its own.
 */
export type Scheme = "github" | "standard" | "igv" | "goldenpay" | "em" | "stripe"

export const schemeOf = (name: ContenderName): Scheme => {
  switch (name) {
    case "hookline-igv":
    case "floor-igv":
      return "igv"
    case "hookline-goldenpay":
    case "floor-goldenpay":
      return "goldenpay"
    case "hookline-em":
    case "floor-em":
      return "em"
    case "hookline-stripe":
    case "floor-stripe":
      return "stripe"
    case "standardwebhooks":
    case "hookline-standard":
      return "standard"
    default:
      return "github"
  }
}

/**
 * How long a scheme's signed requests stay acceptable (their timestamp is checked), in seconds, or
 * `undefined` when nothing in them ages. The bench re-signs a pool before it gets this old.
 */
export const toleranceSecondsOf = (scheme: Scheme): number | undefined =>
  scheme === "standard" || scheme === "stripe" ? 5 * 60 : scheme === "igv" ? 60 * 60 : undefined

// Bench-only secrets (never real ones).
const githubSecret = "bench-github-secret-0123456789abcdef"
const igvSecret = Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")
const goldenpaySecret = Redacted.make("bench-goldenpay-token")
const emAppId = "bench"
const emSecret = Redacted.make("bench-em-secret")
// Standard Webhooks: the HMAC key is the base64 text after `whsec_`, decoded — random bytes, as a
// platform issues them (not valid UTF-8 text).
const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const standardKey = Buffer.from(standardSecret.slice("whsec_".length), "base64")
// Stripe uses its `whsec_` secret whole, as UTF-8 text.
const stripeSecret = Redacted.make("whsec_bench0123456789abcdefghijklmnopqrstuv")

// Enough for the longest run: duplicates must stay answered from memory, never evicted.
const maxEntries = 4_000_000
// The bare Redis contender's lease and retention, as the hookline handler's defaults (60 s, 7 days).
const leaseMs = 60_000
const retainMs = 7 * 24 * 60 * 60 * 1000

/** A request ready to send: path, headers, exact body bytes. */
export interface SignedRequest {
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

const encoder = new TextEncoder()

// A commit SHA of the bench: 40 hex digits, one per delivery number.
const sha = (i: number): string => createHash("sha1").update(`bench-${i}`).digest("hex")

// A GitHub `push` body of ~820 bytes (what `X-GitHub-Event: push` announces, so provider-github
// decodes it as a Push): numeric ids as GitHub sends them (all below 2^53), a 16-digit order number
// inside the commit message text.
const githubBody = (i: number): string => {
  const commit = {
    id: sha(i),
    message: `Order SO${1689644928115784 + i} paid`,
    timestamp: "2026-11-23T10:15:30Z",
    author: { name: "Hookline Bench", email: "bench@example.com", username: "hookline-bench" }
  }
  return JSON.stringify({
    ref: "refs/heads/main",
    before: sha(i - 1),
    after: commit.id,
    repository: {
      id: 123456789,
      node_id: "R_kgDOHdL5hQ",
      name: "bench",
      full_name: "hookline/bench",
      private: false,
      owner: { login: "hookline", id: 87654321, type: "Organization" },
      default_branch: "main"
    },
    pusher: { name: "hookline-bench", email: "bench@example.com" },
    sender: { login: "hookline-bench", id: 987654321, type: "Bot" },
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/hookline/bench/compare/${sha(i - 1).slice(0, 12)}...${commit.id.slice(0, 12)}`,
    commits: [commit]
  })
}

/** The GitHub-scheme signature header value of a body, with the bench's secret. */
export const githubSign = (body: Uint8Array): string =>
  `sha256=${createHmac("sha256", githubSecret).update(body).digest("hex")}`

// Standard Webhooks: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, timestamp in Unix seconds.
const standardSign = (id: string, timestamp: string, body: Uint8Array): string =>
  `v1,${createHmac("sha256", standardKey).update(`${id}.${timestamp}.`).update(body).digest("base64")}`

const fromRaw = (raw: RawDelivery.RawDelivery, path: string): SignedRequest => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw.headers)) {
    if (typeof value === "string") headers[name] = value
  }
  return { path, headers, body: raw.body }
}

/** The `i`-th signed delivery of a scheme: a new delivery id for every `i`, signed now. */
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
    case "standard": {
      const body = encoder.encode(githubBody(i))
      const id = `msg_bench${i.toString(36).padStart(10, "0")}`
      const timestamp = String(Math.floor(Date.now() / 1000))
      return {
        path: "/",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": timestamp,
          "webhook-signature": standardSign(id, timestamp, body)
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
    case "stripe":
      // A `payment_intent.succeeded` event signed now (`t=` within Stripe's 300 s, checked both ways).
      return fromRaw(
        StripeTesting.sign({
          secret: stripeSecret,
          body: StripeTesting.eventBody({
            id: `evt_bench${i.toString(36).padStart(15, "0")}`,
            amount: BigInt(1000 + (i % 100_000))
          })
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
    case "standard": {
      // Change the first base64 digit of the MAC (all six of its bits count, unlike the last one's).
      const signature = request.headers["webhook-signature"]!
      const first = signature[3] === "A" ? "B" : "A"
      return {
        ...request,
        headers: { ...request.headers, "webhook-signature": `v1,${first}${signature.slice(4)}` }
      }
    }
    case "igv": {
      const name = Object.keys(request.headers).find((h) => h.includes("sign"))!
      return { ...request, headers: { ...request.headers, [name]: flip(request.headers[name]!) } }
    }
    case "stripe":
      // `t=…,v1=<hex>`: the last hex digit of the v1 signature.
      return {
        ...request,
        headers: { ...request.headers, "stripe-signature": flip(request.headers["stripe-signature"]!) }
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
  readonly ref: string
  readonly after: string
}

const trivialHandler = (event: GithubEvent): void => {
  if (event.after === "") throw new Error("unreachable")
}

// Verifies and parses a GitHub-scheme delivery: the event, or the status that refuses it.
const verified = (
  id: string | string[] | undefined,
  signature: string | string[] | undefined,
  body: Uint8Array
): GithubEvent | 400 | 401 => {
  if (!verifyGithub(body, signature)) return 401
  if (typeof id !== "string") return 400
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")) as GithubEvent
  } catch {
    return 400
  }
}

/**
 * The whole per-request work of the hand-written contenders, on a buffered body: 200 (handled or
 * duplicate), 401 (bad signature), 400 (not JSON / no id).
 */
export const handWritten = () => {
  const seen = new Set<string>()
  return (id: string | string[] | undefined, signature: string | string[] | undefined, body: Uint8Array): number => {
    const event = verified(id, signature, body)
    if (typeof event === "number") return event
    if (seen.has(id as string)) return 200
    trivialHandler(event)
    seen.add(id as string)
    return 200
  }
}

/**
 * The hand-written work deduping on Redis, what a user writes without a library: claim with
 * `SET key "i:<token>:<fingerprint>" NX GET PX lease` (one round trip: set when new, else the value
 * already there), run the handler, complete with `SET key "c:<fingerprint>" PX retention`. A
 * completed key with the same fingerprint is a duplicate (200), with another one a different payload
 * under a used id (409); a key in flight asks the platform to retry (409). No fencing token check on
 * complete: two `SET`s cannot do that atomically, the store's script can.
 */
export const handWrittenRedis = (client: ReturnType<typeof createClient>) =>
async (
  id: string | string[] | undefined,
  signature: string | string[] | undefined,
  body: Uint8Array
): Promise<number> => {
  const event = verified(id, signature, body)
  if (typeof event === "number") return event
  const key = `bare:hmac:${id as string}`
  const fingerprint = createHash("sha256").update(body).digest("hex")
  const previous = await client.set(key, `i:${randomUUID()}:${fingerprint}`, { NX: true, PX: leaseMs, GET: true })
  if (previous !== null) return previous === `c:${fingerprint}` ? 200 : 409
  trivialHandler(event)
  await client.set(key, `c:${fingerprint}`, { PX: retainMs })
  return 200
}

const readBody = (req: http.IncomingMessage, done: (body: Buffer) => void): void => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
}

const answer = (res: http.ServerResponse, status: number): void => {
  res.writeHead(status, { "content-type": "text/plain" })
  res.end(status === 200 ? "ok" : "rejected")
}

// --- hookline handlers ---------------------------------------------------------------------

/**
 * The schema the hookline-hmac and hookline-standard contenders decode the (push) body with: a few
 * fields, as a user of `Hmac.provider` would declare.
 */
const GithubEventSchema = Schema.Struct({
  ref: Schema.String,
  after: Schema.String,
  repository: Schema.Struct({ full_name: Schema.String }),
  commits: Schema.Array(Schema.Struct({ id: Schema.String, message: Schema.String }))
})

// --- the hand-written work with hookline's guarantees (guarded) --------------------------------

// A run of 16 digits where a number can start: only then can an integer exceed 2^53 (the same
// prefilter as LosslessJson's auto mode, so the plain parse is taken for most bodies).
const longNumber = /[:[,]\s*-?\d{16}|^\s*-?\d{16}/
const integerText = /^-?\d+$/
interface ReviverContext {
  readonly source?: string
}
const exactIntegers = (_key: string, value: unknown, context?: ReviverContext): unknown =>
  typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined &&
    integerText.test(context.source)
    ? BigInt(context.source)
    : value
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Lossless JSON by hand: strict UTF-8, integers beyond 2^53 as `bigint` (a reviver reading the
 * source text, only when a 16-digit number can be in the body); `undefined` for invalid input.
 */
export const losslessParse = (body: Uint8Array): unknown => {
  try {
    const text = strictUtf8.decode(body)
    return longNumber.test(text) ? JSON.parse(text, exactIntegers) : JSON.parse(text)
  } catch {
    return undefined
  }
}

const decodeGithubEvent = Schema.decodeUnknownExit(GithubEventSchema)

// A claim in flight (its holder's token, the payload's fingerprint, the lease's end) or a completed
// key (its fingerprint, the retention's end).
type GuardedEntry =
  | { readonly token: string; readonly fingerprint: string; readonly expiresAt: number }
  | { readonly completed: string; readonly expiresAt: number }

/**
 * What a careful user writes by hand to get hookline-hmac's guarantees without a framework: HMAC in
 * constant time over the exact bytes, the id from a single header, a lossless parse, a SHA-256
 * fingerprint that tells a retry (200) from another payload under a used id (409), a claim with a
 * token and a lease (a key in flight elsewhere answers 503, "retry"), the same `Schema` decode, the
 * completion recorded only if this claim still holds it (else 503), and the claim released when the
 * decode or the handler fails — on a `Map`, like the memory store. The receiver's floor with the
 * guarantees, beside `bare`'s floor without them.
 */
export const handWrittenGuarded = () => {
  const entries = new Map<string, GuardedEntry>()
  return (id: string | string[] | undefined, signature: string | string[] | undefined, body: Uint8Array): number => {
    if (!verifyGithub(body, signature)) return 401
    if (typeof id !== "string" || id === "") return 400
    const json = losslessParse(body)
    if (json === undefined) return 400
    const fingerprint = createHash("sha256").update(body).digest("hex")
    return claimed(entries, `guarded:${id}`, fingerprint, () => {
      const event = decodeGithubEvent(json)
      if (event._tag === "Failure") return 400
      try {
        trivialHandler(event.value)
      } catch {
        return 500
      }
      return 200
    })
  }
}

/**
 * `guarded`'s store on a `Map`: a key completed with this fingerprint is a duplicate (200), with
 * another a mismatch (409), in flight elsewhere "retry" (503); otherwise it is claimed with a token and
 * a lease, `work` runs, and its 200 is recorded as completed only while the claim still holds (else
 * 503) — any other status releases the claim and is the answer.
 */
const claimed = (entries: Map<string, GuardedEntry>, key: string, fingerprint: string, work: () => number): number => {
  const now = Date.now()
  const entry = entries.get(key)
  if (entry !== undefined && entry.expiresAt > now) {
    if ("token" in entry) return 503
    return entry.completed === fingerprint ? 200 : 409
  }
  const token = randomUUID()
  entries.set(key, { token, fingerprint, expiresAt: now + leaseMs })
  const status = work()
  const held = entries.get(key)
  const holds = held !== undefined && "token" in held && held.token === token
  if (status !== 200) {
    if (holds) entries.delete(key)
    return status
  }
  const done = Date.now()
  if (!holds || held.expiresAt <= done) return 503
  entries.set(key, { completed: fingerprint, expiresAt: done + retainMs })
  return 200
}

// An effect that usually finished already (an Exit) without the runtime; otherwise run to its end.
const exitOf = <A, E>(effect: Effect.Effect<A, E>): Exit.Exit<A, E> =>
  Exit.isExit(effect) ? (effect as Exit.Exit<A, E>) : Effect.runSyncExit(effect)

/**
 * A provider's own work with no pipeline around it: its `verify`, `key`, `fingerprint` and `decode`
 * called directly, `guarded`'s claim/lease/fenced completion on a `Map`, the handler, 200.
 */
export const providerFloor = <A, P>(
  provider: ProviderModel.Provider<A, P, any>,
  handle: (event: A) => Effect.Effect<void>
) => {
  const entries = new Map<string, GuardedEntry>()
  return (raw: RawDelivery.RawDelivery): number => {
    const verified = exitOf(provider.verify(raw, Date.now()))
    if (verified._tag === "Failure") return 401
    const payload = verified.value
    const id = provider.key(payload, raw)
    if (Result.isFailure(id)) return 400
    const fingerprint = Signing.sha256Parts(provider.fingerprint(payload, raw))
    return claimed(entries, `${provider.name}:${id.success}`, fingerprint, () => {
      const event = exitOf(provider.decode(payload, raw))
      if (event._tag === "Failure") return 400
      return exitOf(handle(event.value))._tag === "Failure" ? 500 : 200
    })
  }
}

const floorListener = (work: (raw: RawDelivery.RawDelivery) => number): http.RequestListener => (req, res) =>
  readBody(
    req,
    (body) =>
      answer(
        res,
        work(RawDelivery.make({ method: req.method ?? "POST", url: req.url ?? "/", headers: req.headers, body }))
      )
  )

const floor = (work: (raw: RawDelivery.RawDelivery) => number): Contender => ({
  listener: floorListener(work),
  ready: Promise.resolve(),
  dispose: async () => {}
})

/** The hookline-hmac contender's provider: core's `Hmac.provider` on the GitHub scheme, with a schema. */
export const hmacProvider = () =>
  Hmac.provider({
    secret: Redacted.make(githubSecret),
    header: "x-hub-signature-256",
    prefix: "sha256=",
    idHeader: "x-github-delivery",
    schema: GithubEventSchema
  })

/** The hookline-hmac contender's handler body: as trivial as the hand-written ones'. */
export const hmacHandle = (event: Schema.Schema.Type<typeof GithubEventSchema>) =>
  event.after === "" ? Effect.die("unreachable") : Effect.void

export const hmacHandler = () => defineHandler(hmacProvider(), hmacHandle)

/**
 * `Hmac.provider` on the Standard Webhooks scheme: the `whsec_` secret, `v1,<base64>` signatures
 * (several, space-separated, during a key rotation) in `webhook-signature` over `id.timestamp.body`,
 * id and timestamp (Unix seconds, 5 minutes either way) in their headers.
 */
export const standardProvider = () =>
  Hmac.provider({
    name: "standard",
    secret: Redacted.make(standardSecret),
    secretEncoding: "whsec",
    header: "webhook-signature",
    prefix: "v1,",
    separator: " ",
    encoding: "base64",
    idHeader: "webhook-id",
    signedContent: "id.timestamp.body",
    timestampHeader: "webhook-timestamp",
    tolerance: "5 minutes",
    schema: GithubEventSchema
  })

/** The bundled providers as the bench configures them (their secrets are the bench's). */
export const igvProvider = () => Igv.provider({ secret: igvSecret })
export const goldenpayProvider = () => GoldenPay.provider({ secret: goldenpaySecret })
export const emProvider = () => Em.provider({ appId: emAppId, secret: emSecret })
export const githubProvider = () => GitHub.provider({ secret: Redacted.make(githubSecret) })
export const stripeProvider = () => Stripe.provider({ secret: stripeSecret })

/** The hookline-github handler body: as trivial as the others (reads one field of the push). */
export const githubHandle = (event: GitHub.Event) =>
  event._tag === "Push" && event.after === "" ? Effect.die("unreachable") : Effect.void

/** The hookline-stripe handler body: reads one field of the payment intent. */
export const stripeHandle = (event: Stripe.Event) =>
  event.type === "payment_intent.succeeded" && event.data.object.id === "" ? Effect.die("unreachable") : Effect.void

const store = () => MemoryStore.layer({ maxEntries })

/** A contender's node:http request listener, when it can take requests, and how to release it. */
export interface Contender {
  readonly listener: http.RequestListener
  /** Resolves when the contender is ready (store connected, framework routes compiled). */
  readonly ready: Promise<void>
  readonly dispose: () => Promise<void>
}

export interface ContenderOptions {
  /** The Redis server of `bare-redis` and `hookline-redis`. */
  readonly redisUrl?: string | undefined
}

const hookline = (listener: ReturnType<typeof toNodeListener>): Contender => ({
  listener,
  ready: listener.start(),
  dispose: listener.dispose
})

const handWrittenListener = (work: ReturnType<typeof handWritten>): http.RequestListener => (req, res) =>
  readBody(req, (body) => answer(res, work(req.headers["x-github-delivery"], req.headers["x-hub-signature-256"], body)))

// The minimal node:http → Fetch bridge a user would write: buffer the body, build a `Request`, copy
// the `Response` back. `hookline-web` and `bare-web` both run behind it, so their gap is the
// handler's, and `bare-web` against `bare` is what the bridge itself costs.
const webBridge = (handle: (request: Request) => Promise<Response>): http.RequestListener => (req, res) =>
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

const redisUrlOf = (name: ContenderName, options: ContenderOptions | undefined): string => {
  if (options?.redisUrl === undefined) throw new Error(`${name} needs a Redis URL (options.redisUrl)`)
  return options.redisUrl
}

/** Builds a contender's request listener (no socket yet). */
export const makeContender = (name: ContenderName, options?: ContenderOptions): Contender => {
  switch (name) {
    case "bare":
      return { listener: handWrittenListener(handWritten()), ready: Promise.resolve(), dispose: async () => {} }
    case "guarded":
      return { listener: handWrittenListener(handWrittenGuarded()), ready: Promise.resolve(), dispose: async () => {} }
    case "floor-hmac":
      return floor(providerFloor(hmacProvider(), hmacHandle))
    case "floor-igv":
      return floor(providerFloor(igvProvider(), () => Effect.void))
    case "floor-goldenpay":
      return floor(providerFloor(goldenpayProvider(), () => Effect.void))
    case "floor-em":
      return floor(providerFloor(emProvider(), () => Effect.void))
    case "floor-github":
      return floor(providerFloor(githubProvider(), githubHandle))
    case "floor-stripe":
      return floor(providerFloor(stripeProvider(), stripeHandle))
    case "hookline-hmac":
      return hookline(toNodeListener(hmacHandler(), store()))
    case "hookline-igv":
      return hookline(toNodeListener(defineHandler(igvProvider(), () => Effect.void), store()))
    case "hookline-goldenpay":
      return hookline(toNodeListener(defineHandler(goldenpayProvider(), () => Effect.void), store()))
    case "hookline-em":
      return hookline(toNodeListener(defineHandler(emProvider(), () => Effect.void), store()))
    case "hookline-github":
      return hookline(toNodeListener(defineHandler(githubProvider(), githubHandle), store()))
    case "hookline-stripe":
      return hookline(toNodeListener(defineHandler(stripeProvider(), stripeHandle), store()))
    case "hookline-standard":
      return hookline(toNodeListener(defineHandler(standardProvider(), hmacHandle), store()))
    case "hookline-redis":
      return hookline(
        toNodeListener(hmacHandler(), RedisStore.layerNode({ url: redisUrlOf(name, options), prefix: "hookline:" }))
      )
    case "hookline-web": {
      const handle = toWebHandler(hmacHandler(), store())
      return { listener: webBridge(handle), ready: Promise.resolve(), dispose: handle.dispose }
    }
    case "bare-web": {
      // The hand-written work as a Fetch handler: the body as bytes, the same answers as `bare`.
      const work = handWritten()
      const handle = async (request: Request): Promise<Response> => {
        const status = work(
          request.headers.get("x-github-delivery") ?? undefined,
          request.headers.get("x-hub-signature-256") ?? undefined,
          new Uint8Array(await request.arrayBuffer())
        )
        return new Response(status === 200 ? "ok" : "rejected", { status, headers: { "content-type": "text/plain" } })
      }
      return { listener: webBridge(handle), ready: Promise.resolve(), dispose: async () => {} }
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
      return { listener: (req, res) => void middleware(req, res), ready: Promise.resolve(), dispose: async () => {} }
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
      return { listener: app, ready: Promise.resolve(), dispose: async () => {} }
    }
    case "fastify": {
      const work = handWritten()
      // Fastify owns its request handler; `serverFactory` hands it over so the bench's server runs it.
      let route: http.RequestListener = () => {
        throw new Error("fastify is not ready")
      }
      const app = Fastify({
        logger: false,
        serverFactory: (handler) => {
          route = handler
          return http.createServer()
        }
      })
      // Every body as the exact received bytes (Fastify's JSON parser would lose them).
      app.removeAllContentTypeParsers()
      app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: 1024 * 1024 }, (_req, body, done) => {
        done(null, body)
      })
      app.post("/", (req, reply) => {
        const body: unknown = req.body
        const status = body instanceof Uint8Array
          ? work(req.headers["x-github-delivery"], req.headers["x-hub-signature-256"], body)
          : 400
        void reply.code(status).type("text/plain").send(status === 200 ? "ok" : "rejected")
      })
      return {
        listener: (req, res) => route(req, res),
        ready: Promise.resolve(app.ready()).then(() => undefined),
        dispose: () => app.close()
      }
    }
    case "standardwebhooks": {
      const webhook = new Webhook(standardSecret)
      const seen = new Set<string>()
      return {
        listener: (req, res) =>
          readBody(req, (body) => {
            let event: GithubEvent
            try {
              // Verifies (constant time, timestamp tolerance) and parses the JSON.
              event = webhook.verify(body, req.headers as Record<string, string>) as GithubEvent
            } catch (error) {
              return answer(res, error instanceof WebhookVerificationError ? 401 : 400)
            }
            const id = req.headers["webhook-id"] as string
            if (!seen.has(id)) {
              trivialHandler(event)
              seen.add(id)
            }
            answer(res, 200)
          }),
        ready: Promise.resolve(),
        dispose: async () => {}
      }
    }
    case "bare-redis": {
      const client = createClient({ url: redisUrlOf(name, options), disableOfflineQueue: true })
      const work = handWrittenRedis(client)
      return {
        listener: (req, res) =>
          readBody(req, (body) => {
            work(req.headers["x-github-delivery"], req.headers["x-hub-signature-256"], body).then(
              (status) => answer(res, status),
              () => answer(res, 503)
            )
          }),
        ready: client.connect().then(() => undefined),
        dispose: () => client.close()
      }
    }
  }
}
