/**
 * The cryptographic building blocks every provider composes: HMAC (SHA-1/256/512), MD5 and SHA-256
 * digests, hex/base64 encoding, and constant-time comparison of a received signature against the
 * expected bytes.
 *
 * All of it sits on `node:crypto` (also available in Bun and Deno): it is synchronous, fast on the
 * hot path, and offers MD5, which WebCrypto does not. Comparison decodes the received text to bytes
 * and compares bytes with `crypto.timingSafeEqual`, so case-insensitive hex needs no lower-casing and
 * nothing is compared with `===`.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"

/**
 * HMAC / digest hash functions supported by {@link hmac}.
 *
 * @since 0.1.0
 * @category models
 */
export type HmacAlgorithm = "sha1" | "sha256" | "sha512"

/**
 * Text encodings of a signature.
 *
 * @since 0.1.0
 * @category models
 */
export type Encoding = "hex" | "base64"

/**
 * Bytes, or text encoded as UTF-8.
 *
 * @since 0.1.0
 * @category models
 */
export type Data = string | Uint8Array

/**
 * What an HMAC covers: one piece of {@link Data}, or several taken as their concatenation, in order
 * (`["1700000000.", body]` is the MAC of `1700000000.` followed by the body's bytes), without
 * copying them into one buffer first.
 *
 * @since 0.1.0
 * @category models
 */
export type Signed = Data | ReadonlyArray<Data>

const mac = (algorithm: HmacAlgorithm, key: Data | crypto.KeyObject, data: Signed): Uint8Array => {
  const state = crypto.createHmac(algorithm, key)
  if (typeof data === "string" || data instanceof Uint8Array) return state.update(data).digest()
  for (const part of data) state.update(part)
  return state.digest()
}

/**
 * HMAC of `data` (see {@link Signed}) keyed with `key`: text, bytes, or a key prepared with
 * {@link prepareKey} (the fastest for a key used on every request).
 *
 * @since 0.1.0
 * @category signing
 */
export const hmac = (algorithm: HmacAlgorithm, key: Data | crypto.KeyObject, data: Signed): Uint8Array =>
  mac(algorithm, key, data)

/**
 * Key bytes prepared for {@link hmac}. Node.js imports a byte key again on every HMAC (about 27 µs
 * against 5 µs with a prepared key, for a 24-byte key and an 850-byte body): prepare a decoded
 * secret once and reuse it.
 *
 * @since 0.1.0
 * @category signing
 */
export const prepareKey = (key: Uint8Array): crypto.KeyObject => crypto.createSecretKey(key)

// One `KeyObject` per secret: `createHmac` with a prepared key skips re-importing the key bytes on
// every request (about a third of an HMAC over a small body). Weak, so a dropped secret is freed.
const keyObjects = new WeakMap<Redacted.Redacted<string>, crypto.KeyObject>()

/**
 * HMAC of `data` (see {@link Signed}) keyed with a secret. Same result as {@link hmac} with the
 * secret's value, faster on the hot path: the key is prepared once per `Redacted` secret.
 *
 * @since 0.1.0
 * @category signing
 */
export const hmacWithSecret = (
  algorithm: HmacAlgorithm,
  secret: Redacted.Redacted<string>,
  data: Signed
): Uint8Array => {
  let key = keyObjects.get(secret)
  if (key === undefined) {
    key = crypto.createSecretKey(Buffer.from(Redacted.value(secret), "utf8"))
    keyObjects.set(secret, key)
  }
  return mac(algorithm, key, data)
}

/**
 * MD5 digest (16 bytes). Only for platforms whose signature scheme is MD5.
 *
 * @since 0.1.0
 * @category signing
 */
export const md5 = (data: Data): Uint8Array => digestOf("md5", data)

/**
 * SHA-256 digest (32 bytes).
 *
 * @since 0.1.0
 * @category signing
 */
export const sha256 = (data: Data): Uint8Array => digestOf("sha256", data)

// One-shot `crypto.hash` (Node >= 21.7) skips the Hash object, about a microsecond per digest of a
// short text; fall back where it is missing or cannot return bytes (probed once).
const digestOf = (algorithm: "md5" | "sha256", data: Data): Uint8Array =>
  oneShotBytes ? oneShot!(algorithm, data, "buffer") : crypto.createHash(algorithm).update(data).digest()

/**
 * SHA-256 digest of several parts, each length-prefixed so that part boundaries cannot be shifted
 * (`["ab", "c"]` and `["a", "bc"]` differ). Used for fingerprints.
 *
 * @since 0.1.0
 * @category signing
 */
export const sha256Parts = (parts: ReadonlyArray<Data>): string => {
  const framed: Array<Uint8Array> = []
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part
    framed.push(Buffer.from(`${bytes.length}:`, "latin1"), bytes)
  }
  const data = Buffer.concat(framed)
  return oneShot === undefined ? crypto.createHash("sha256").update(data).digest("hex") : oneShot("sha256", data, "hex")
}

interface OneShot {
  (algorithm: string, data: Data, encoding: "hex"): string
  (algorithm: string, data: Data, encoding: "buffer"): Buffer
}

const oneShot: OneShot | undefined = (crypto as { hash?: OneShot }).hash

const oneShotBytes: boolean = ((): boolean => {
  try {
    return oneShot !== undefined && Buffer.isBuffer(oneShot("md5", "", "buffer"))
  } catch {
    return false
  }
})()

/**
 * Encodes bytes as lower-case hex or standard base64.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (bytes: Uint8Array, encoding: Encoding): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding)

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const base64UrlPattern = /^[A-Za-z0-9_-]*$/

/**
 * Strictly decodes received signature text: hex of either case, or base64 (standard with padding,
 * or URL-safe without). Returns `undefined` for anything else, so garbage never "matches".
 *
 * @since 0.1.0
 * @category encoding
 */
export const decode = (text: string, encoding: Encoding): Uint8Array | undefined => {
  if (encoding === "hex") {
    // Buffer.from stops at the first pair that is not hex: all of it was hex exactly when every
    // character made it into the output.
    const bytes = Buffer.from(text, "hex")
    return bytes.length * 2 === text.length ? bytes : undefined
  }
  if (base64Pattern.test(text)) return Buffer.from(text, "base64")
  if (base64UrlPattern.test(text)) return Buffer.from(text, "base64url")
  return undefined
}

/**
 * Compares two byte arrays in constant time (for equal lengths; different lengths return `false`
 * at once, which reveals only the length — a signature's length is public).
 *
 * @since 0.1.0
 * @category comparison
 */
export const timingSafeEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && crypto.timingSafeEqual(a, b)

/**
 * Whether the received signature text encodes exactly the expected bytes. Hex is accepted in either
 * case. The comparison is constant-time.
 *
 * @since 0.1.0
 * @category comparison
 */
export const matches = (expected: Uint8Array, received: string, encoding: Encoding): boolean => {
  const bytes = decode(received.trim(), encoding)
  return bytes !== undefined && timingSafeEqual(expected, bytes)
}

/**
 * Whether the received signature matches the one computed with any of the candidate secrets
 * (rotation). Every candidate is computed and compared, so the time taken does not tell which one
 * matched.
 *
 * @since 0.1.0
 * @category comparison
 */
export const matchesAny = <S>(
  candidates: ReadonlyArray<S>,
  compute: (candidate: S) => Uint8Array,
  received: string,
  encoding: Encoding
): boolean => {
  const bytes = decode(received.trim(), encoding)
  let found = false
  for (const candidate of candidates) {
    const expected = compute(candidate)
    // No short-circuit: compare against every candidate.
    if (bytes !== undefined && timingSafeEqual(expected, bytes)) found = true
  }
  return found
}
