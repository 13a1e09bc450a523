/**
 * One HTTP request exactly as received: method, URL, lower-cased headers and the exact body bytes.
 * Signatures are verified over these bytes (or header fields), never over a re-serialised body.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { MalformedDelivery, UnsupportedMediaType } from "./DeliveryError.ts"
import * as LosslessJson from "./LosslessJson.ts"

/**
 * A received request.
 *
 * @since 0.1.0
 * @category models
 */
export interface RawDelivery {
  /** Upper-case HTTP method. */
  readonly method: string
  /** The request URL or path, as received. */
  readonly url: string
  /** Header names are lower-case; repeated headers are joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>
  /** The exact body bytes. */
  readonly body: Uint8Array
}

/**
 * Input of {@link make}: header names in any case, values as strings or arrays, body as bytes or a
 * string (UTF-8 encoded).
 *
 * @since 0.1.0
 * @category models
 */
export interface RawDeliveryInput {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers?:
    | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
    | Iterable<readonly [string, string]>
    | undefined
  readonly body?: Uint8Array | string | undefined
}

const encoder = new TextEncoder()

/**
 * Normalises header names to lower case and joins repeated values, as HTTP allows.
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalizeHeaders = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>> | Iterable<readonly [string, string]>
): Record<string, string> => {
  const out: Record<string, string> = {}
  const add = (name: string, value: string) => {
    const key = name.toLowerCase()
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`
  }
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) add(name, value)
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue
      if (typeof value === "string") add(name, value)
      else for (const v of value) add(name, v)
    }
  }
  return out
}

/**
 * Builds a `RawDelivery` (method defaults to `POST`, URL to `/`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: RawDeliveryInput): RawDelivery => ({
  method: (input.method ?? "POST").toUpperCase(),
  url: input.url ?? "/",
  headers: normalizeHeaders(input.headers ?? {}),
  body: typeof input.body === "string" ? encoder.encode(input.body) : input.body ?? new Uint8Array(0)
})

/**
 * A test body as test signers take it: bytes or text (UTF-8) sent as is, or a value serialised with
 * `LosslessJson.stringify` (a `bigint` written as a bare JSON number).
 *
 * @since 0.1.0
 * @category models
 */
export type BodyInput = Uint8Array | string | LosslessJson.Json

/**
 * The exact bytes of a {@link BodyInput}: bytes unchanged, text as UTF-8, any other value as its
 * `LosslessJson.stringify` text — what a test signer signs and sends.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { RawDelivery } from "@hookline/core/provider"
 *
 * RawDelivery.bodyBytes({ id: 9007199254740993n }) // the bytes of {"id":9007199254740993}
 * ```
 */
export const bodyBytes = (body: BodyInput): Uint8Array =>
  body instanceof Uint8Array ? body : encoder.encode(typeof body === "string" ? body : LosslessJson.stringify(body))

/**
 * Reads a header by name (case-insensitive). Returns `undefined` when absent.
 *
 * @since 0.1.0
 * @category getters
 */
export const header = (raw: RawDelivery, name: string): string | undefined => raw.headers[name.toLowerCase()]

/**
 * Reads a header that must be present and non-empty, or fails with `MalformedDelivery`.
 *
 * @since 0.1.0
 * @category getters
 */
export const requireHeader = (raw: RawDelivery, name: string): Result.Result<string, MalformedDelivery> => {
  const value = header(raw, name)
  return value === undefined || value.trim() === ""
    ? Result.fail(new MalformedDelivery({ message: `Missing header ${name}` }))
    : Result.succeed(value.trim())
}

/**
 * Reads a header that must be present, non-empty and sent once, or fails with `MalformedDelivery`.
 * HTTP joins a repeated header's values with `", "` (Node and the Fetch API alike), so a value with a
 * comma cannot be told from two values and is refused too: for an idempotency key, two ids joined
 * into one would be a key nobody sent. `message`, when given, replaces the failure's message in
 * both cases (`"Missing or repeated header X-GitHub-Event"`).
 *
 * @since 0.1.0
 * @category getters
 */
export const requireSingleHeader = (
  raw: RawDelivery,
  name: string,
  message?: string
): Result.Result<string, MalformedDelivery> => {
  const value = Result.flatMap(requireHeader(raw, name), (value) =>
    value.includes(",")
      ? Result.fail(new MalformedDelivery({ message: `Header ${name} appears more than once` }))
      : Result.succeed(value))
  return message === undefined ? value : Result.mapError(value, () => new MalformedDelivery({ message }))
}

/**
 * The media type of the body, lower-case without parameters (`application/json`), or `undefined`.
 *
 * @since 0.1.0
 * @category getters
 */
export const mediaType = (raw: RawDelivery): string | undefined => {
  const value = header(raw, "content-type")
  if (value === undefined) return undefined
  const semi = value.indexOf(";")
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() || undefined
}

/**
 * Requires the body's media type ({@link mediaType}) to be `expected`, or fails with
 * `UnsupportedMediaType` (415): `Content-Type is not supported (expected <expected>: <hint>)`, the
 * hint telling the sender how to fix it.
 *
 * @since 0.1.0
 * @category getters
 */
export const requireMediaType = (
  raw: RawDelivery,
  expected: string,
  hint: string
): Result.Result<string, UnsupportedMediaType> => {
  const type = mediaType(raw)
  return type === expected ? Result.succeed(type) : Result.fail(
    new UnsupportedMediaType({
      message: `Content-Type is not supported (expected ${expected}: ${hint})`,
      contentType: type ?? ""
    })
  )
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Decodes bytes as strict UTF-8 (invalid sequences fail with `MalformedDelivery` instead of being
 * silently replaced, which would change what was signed).
 *
 * @since 0.1.0
 * @category getters
 */
export const decodeUtf8 = (bytes: Uint8Array): Result.Result<string, MalformedDelivery> => {
  try {
    return Result.succeed(utf8.decode(bytes))
  } catch {
    return Result.fail(new MalformedDelivery({ message: "Body is not valid UTF-8" }))
  }
}

/**
 * The body as strict UTF-8 text.
 *
 * @since 0.1.0
 * @category getters
 */
export const bodyText = (raw: RawDelivery): Result.Result<string, MalformedDelivery> => decodeUtf8(raw.body)

/**
 * The body as strict UTF-8 JSON whose top level is an object (`LosslessJson.parseObject` with
 * `options`), or `MalformedDelivery`.
 *
 * @since 0.1.0
 * @category getters
 */
export const bodyJsonObject = (
  raw: RawDelivery,
  options?: LosslessJson.ParseOptions
): Result.Result<{ readonly [key: string]: LosslessJson.Json }, MalformedDelivery> =>
  Result.flatMap(bodyText(raw), (text) => LosslessJson.parseObject(text, options))

/**
 * The delivery as a fetch `Request` to `baseUrl` (its URL resolved against `baseUrl`; method, headers
 * and the exact body bytes as they are), so a signed test delivery can be sent with `fetch` as it
 * is: `await fetch(RawDelivery.toRequest(raw, server.url))`.
 *
 * @since 0.1.0
 * @category conversions
 * @example
 * ```ts
 * import { Hmac, RawDelivery } from "@hookline/core"
 * import { Redacted } from "effect"
 *
 * const raw = Hmac.testing.sign({ secret: Redacted.make("s3cret") }, { body: `{"id":"evt_1"}`, url: "/hmac" })
 * const response = await fetch(RawDelivery.toRequest(raw, "http://127.0.0.1:3000"))
 * console.log(response.status)
 * ```
 */
export const toRequest = (raw: RawDelivery, baseUrl: string | URL): Request =>
  new Request(new URL(raw.url, baseUrl), {
    method: raw.method,
    headers: raw.headers,
    // A copy: `Request` takes bytes backed by an `ArrayBuffer` (not a `SharedArrayBuffer`).
    ...(raw.method === "GET" || raw.method === "HEAD" ? {} : { body: new Uint8Array(raw.body) })
  })
