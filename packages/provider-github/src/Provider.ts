/**
 * GitHub webhooks (repository, organisation and App hooks): the scheme.
 *
 * GitHub `POST`s the event as JSON with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the
 * raw body keyed with the webhook secret (as UTF-8), `X-GitHub-Event` (the event name) and
 * `X-GitHub-Delivery` (a GUID per delivery, the same on a redelivery: the idempotency key).
 *
 * **GitHub signs only the body.** `X-GitHub-Event` and `X-GitHub-Delivery` are not signed and no
 * timestamp is, so whoever captured one delivery can send its body again, at any time, under
 * another delivery id (a new key: the handler runs again) or another event name. What this
 * provider does about it:
 * - the event name must agree with the signed body: a modelled event whose body does not fit
 *   (a `push` without `ref`/`commits`, an `issues` body with a `comment`) is `DecodeFailed`;
 * - the fingerprint covers the event name and the body: the same delivery id sent again with
 *   another event name (or body) is a `PayloadMismatch` (409), not a new event;
 * - what remains: a replay under a fresh delivery id runs the handler again with the genuine body
 *   (make effects idempotent on body ids — a push's `after`, a PR's `id` + `action` — or compare
 *   the body's own timestamps), and a replay under an event name this version does not model is
 *   decoded as `Unknown` with the original body.
 *
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { GitHub } from "@hookline/provider-github"
 * import { Config, Effect } from "effect"
 *
 * const hooks = defineHandler(GitHub.provider({ secret: Config.Redacted("GITHUB_WEBHOOK_SECRET") }), {
 *   Push: (push) => Effect.log("pushed", push.ref, push.after),
 *   PullRequest: (pr) => Effect.log("pull request", pr.action, pr.number),
 *   // … every other member, or one function for all events
 * })
 * ```
 *
 * @since 0.1.0
 */
import {
  AckPolicy,
  type DeliveryError,
  type LosslessJson,
  Provider,
  RawDelivery,
  Secret,
  SignatureInvalid,
  Signing
} from "@hookline/core/provider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { decode, type Event } from "./Events.ts"

/**
 * The provider's name: the idempotency-key namespace (`github:<X-GitHub-Delivery>`) and the label
 * in logs, spans and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "github"

/**
 * The header names GitHub sends (lower case, as `RawDelivery` stores them).
 *
 * @since 0.1.0
 * @category constants
 */
export const headers = {
  /** `sha256=<hex>`: HMAC-SHA256 of the raw body. The only signed thing is the body. */
  signature: "x-hub-signature-256",
  /** The event name (`push`, `pull_request`, …). Not signed. */
  event: "x-github-event",
  /** The delivery GUID, kept by a redelivery: the idempotency key. Not signed. */
  delivery: "x-github-delivery"
} as const

/**
 * The media type accepted: the webhook's content type must be `application/json` (GitHub's
 * `application/x-www-form-urlencoded` option, `payload=<json>`, is refused with 415).
 *
 * @since 0.1.0
 * @category constants
 */
export const mediaType = "application/json"

/**
 * The handler settings GitHub calls for; users override them in `defineHandler`. GitHub waits
 * 10 seconds for a response and does not retry by itself (failed deliveries are redelivered by hand
 * or through the API, with the same `X-GitHub-Delivery`), so the time budget stays under 10 s;
 * GitHub caps payloads at 25 MB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  /** Under GitHub's 10-second timeout, so the answer (503: redeliver) reaches GitHub. */
  timeBudget: Duration.seconds(9),
  lease: Duration.minutes(1),
  /** GitHub's cap is 25 MB; the default keeps 5 MiB (pushes with many commits stay far below it). */
  bodyLimit: 5 * 1024 * 1024,
  /** Redeliveries are possible for 3 days (GitHub keeps deliveries that long); kept for 7. */
  retention: Duration.days(7)
} satisfies Provider.SettingsInput

/**
 * Options of {@link provider}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The webhook secret (`Config.Redacted("GITHUB_WEBHOOK_SECRET")`), or several during a rotation:
   * a signature made with any of them is accepted.
   */
  readonly secret: Secret.SecretInput
}

/**
 * A verified delivery: what the key, fingerprint and decoder read.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  /** `X-GitHub-Event` (not signed). */
  readonly event: string
  /** `X-GitHub-Delivery` (not signed): the idempotency key. */
  readonly delivery: string
  /** The signed body as lossless JSON, every number as its exact source text. */
  readonly body: { readonly [key: string]: LosslessJson.Json }
}

/**
 * The `X-Hub-Signature-256` value for a body: `sha256=` and the lower-case hex HMAC-SHA256 keyed
 * with the secret's UTF-8 bytes. For test deliveries; verification compares bytes in constant time.
 *
 * @since 0.1.0
 * @category verifying
 */
export const signature = (body: Signing.Data, secret: Redacted.Redacted<string>): string =>
  `sha256=${Signing.encode(Signing.hmacWithSecret("sha256", secret, body), "hex")}`

const prefix = "sha256="

const check = (
  raw: RawDelivery.RawDelivery,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): Result.Result<Payload, DeliveryError.Rejection> => {
  const type = RawDelivery.requireMediaType(raw, mediaType, "set the webhook's content type to JSON")
  if (Result.isFailure(type)) return Result.fail(type.failure)
  const event = RawDelivery.requireSingleHeader(raw, headers.event, "Missing or repeated header X-GitHub-Event")
  if (Result.isFailure(event)) return Result.fail(event.failure)
  const delivery = RawDelivery.requireSingleHeader(
    raw,
    headers.delivery,
    "Missing or repeated header X-GitHub-Delivery"
  )
  if (Result.isFailure(delivery)) return Result.fail(delivery.failure)
  const received = RawDelivery.header(raw, headers.signature)?.trim() ?? ""
  if (!received.startsWith(prefix)) {
    return Result.fail(new SignatureInvalid({ message: "Missing X-Hub-Signature-256 (sha256=…)" }))
  }
  const signed = received.slice(prefix.length)
  const valid = Signing.matchesAny(
    secrets,
    (secret) => Signing.hmacWithSecret("sha256", secret, raw.body),
    signed,
    "hex"
  )
  if (!valid) return Result.fail(new SignatureInvalid({ message: "X-Hub-Signature-256 does not match" }))
  return Result.map(
    RawDelivery.bodyJsonObject(raw, { numbers: "source" }),
    (body) => ({ event: event.success, delivery: delivery.success, body })
  )
}

/**
 * Verifies a delivery, in this order:
 *
 * 1. `Content-Type` is `application/json` (parameters ignored), else `UnsupportedMediaType` (415);
 * 2. `X-GitHub-Event` and `X-GitHub-Delivery` are present once, else `MalformedDelivery` (400);
 * 3. `X-Hub-Signature-256` is `sha256=<hex>` matching the HMAC-SHA256 of the exact received bytes
 *    under one of the secrets (constant time), else `SignatureInvalid` (401) — the SHA-1
 *    `X-Hub-Signature` is never accepted;
 * 4. the body is strict UTF-8 JSON whose top level is an object, else `MalformedDelivery` (400).
 *
 * No timestamp: GitHub signs none (see the module notes on replays).
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (options: Options) =>
(
  raw: RawDelivery.RawDelivery
): Effect.Effect<Payload, DeliveryError.Rejection | DeliveryError.Misconfigured> =>
  Effect.flatMapEager(
    Secret.resolve(options.secret, "GitHub webhook secret"),
    (secrets) => Effect.fromResult(check(raw, secrets))
  )

/**
 * The idempotency key: `X-GitHub-Delivery` (kept by GitHub's redeliveries).
 *
 * @since 0.1.0
 * @category verifying
 */
export const key = (payload: Payload): string => payload.delivery

/**
 * The fingerprint: the event name and the raw body. A redelivery (same bytes, same event) is a
 * `Duplicate`; the same delivery id with another event name or body is a `PayloadMismatch` (409).
 *
 * @since 0.1.0
 * @category verifying
 */
export const fingerprint = (payload: Payload, raw: RawDelivery.RawDelivery): ReadonlyArray<Signing.Data> => [
  payload.event,
  raw.body
]

/**
 * `AckPolicy.status()`: 200 for `Processed`/`Duplicate` (an `Unknown` event is processed by its
 * handler like any other); 401 signature; 400 malformed; 409 payload mismatch; 413/415; 500
 * handler or decode failure; 503 in flight, store unavailable, time budget spent. GitHub shows the
 * status in the hook's "Recent deliveries", where a failed delivery can be redelivered.
 *
 * @since 0.1.0
 * @category constants
 */
export const ack: AckPolicy.AckPolicy = AckPolicy.status()

/**
 * The GitHub webhook provider.
 *
 * - verify: see {@link verify};
 * - key: {@link key} (`X-GitHub-Delivery`);
 * - fingerprint: {@link fingerprint} (event name + body);
 * - decode: `decode` (see `Events.ts`): `_tag` members, `Unknown` for other event names;
 * - ack: {@link ack};
 * - settings: {@link defaults}.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { defineHandler } from "@hookline/core"
 * import { toNodeListener } from "@hookline/core/node"
 * import { GitHub } from "@hookline/provider-github"
 * import { MemoryStore } from "@hookline/store-memory"
 * import { Config, Effect } from "effect"
 * import * as http from "node:http"
 *
 * const hooks = defineHandler(
 *   GitHub.provider({ secret: Config.Redacted("GITHUB_WEBHOOK_SECRET") }),
 *   (event) => Effect.log(event._tag)
 * )
 * http.createServer(toNodeListener(hooks, MemoryStore.layer())).listen(3000)
 * ```
 */
export const provider = (options: Options): Provider.Provider<Event, Payload> =>
  Provider.make<Event, Payload>({
    name,
    verify: verify(options),
    validate: Secret.resolve(options.secret, "GitHub webhook secret"),
    key,
    fingerprint,
    decode,
    ack,
    defaults
  })
