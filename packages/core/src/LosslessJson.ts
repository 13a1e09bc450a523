/**
 * JSON parsing that never loses a number. `JSON.parse` turns `1689644928115784123` into the nearest
 * double; platforms send order and user ids that large. In `"auto"` mode integers beyond 2^53 arrive
 * as exact `bigint`s, through the reviver's access to the source text (`context.source`, Node ≥ 21 /
 * V8 11.4), used only when the text holds such a long number. In `"source"` mode every number arrives
 * as its exact source text, for money amounts: one pass writes each number as a string of its own
 * text and a plain `JSON.parse` follows, several times faster than a reviver on every value.
 *
 * A runtime without that access (Node.js 20) cannot parse losslessly; rather than round ids
 * silently, {@link parse} throws `Misconfigured` there, and so does `Provider.make` (see
 * {@link checkRuntime}).
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { MalformedDelivery, Misconfigured } from "./DeliveryError.ts"

/**
 * How numbers are returned:
 * - `"auto"` (default): safe integers and decimals as `number`, integers beyond ±(2^53 − 1) as
 *   `bigint`;
 * - `"source"`: every number as its exact source text (`"100.10"`, `"9007199254740993"`), for
 *   schemas that decode amounts to `BigDecimal` or ids to strings. Invalid JSON stays invalid: the
 *   result and the failures are those of a reviver returning `context.source`.
 *
 * @since 0.1.0
 * @category models
 */
export type NumberMode = "auto" | "source"

/**
 * A JSON value as this parser returns it.
 *
 * @since 0.1.0
 * @category models
 */
export type Json =
  | null
  | boolean
  | number
  | bigint
  | string
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json }

interface ReviverContext {
  readonly source?: string
}

const integer = /^-?\d+$/

/**
 * Whether this runtime's `JSON.parse` gives revivers the source text of each number
 * (`context.source`: Node.js ≥ 21, Deno, Bun, current browsers). Probed once, when the module loads.
 *
 * @since 0.1.0
 * @category runtime
 */
export const sourceTextAvailable: boolean = ((): boolean => {
  let available = false
  JSON.parse("1", (_key, value: unknown, context?: ReviverContext) => {
    available = typeof context?.source === "string"
    return value
  })
  return available
})()

const runtimeName = (): string => {
  const version = globalThis.process?.versions?.node
  return version === undefined ? "this runtime" : `Node.js ${version}`
}

const unsupportedRuntime = (): Misconfigured =>
  new Misconfigured({
    message: `hookline requires Node.js >= 22.19 (or another runtime whose JSON.parse gives revivers the ` +
      `source text of numbers, which Node.js has since version 21); ${runtimeName()} does not, so integers ` +
      `beyond 2^53 would be rounded (9007199254740993 would arrive as 9007199254740992). Upgrade Node.js.`
  })

/**
 * The `Misconfigured` error for a runtime without lossless JSON parsing (`available` false, by
 * default {@link sourceTextAvailable}), naming the Node.js version required; `undefined` when parsing
 * is lossless. `Provider.make` and {@link parse} throw it: on such a runtime `9007199254740993`
 * would arrive as `9007199254740992`, and a receiver must refuse to start rather than round ids.
 *
 * @since 0.1.0
 * @category runtime
 */
export const checkRuntime = (available: boolean = sourceTextAvailable): Misconfigured | undefined =>
  available ? undefined : unsupportedRuntime()

// "auto" mode: an integer beyond 2^53 becomes a `bigint` of its source text.
const autoReviver = (_key: string, value: unknown, context?: ReviverContext): unknown => {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value
  // `parse` refused runtimes without source access: it is always there.
  const source = context!.source!
  return integer.test(source) ? BigInt(source) : value
}

const DIGIT_0 = 48
const DIGIT_9 = 57
const MINUS = 45
const PLUS = 43
const DOT = 46
const LOWER_E = 101
const UPPER_E = 69
const COLON = 58
const SPACE = 32
const TAB = 9
const LINE_FEED = 10
const CARRIAGE_RETURN = 13

const isDigit = (c: number): boolean => c >= DIGIT_0 && c <= DIGIT_9
// The characters a JSON number is made of: a maximal run of them is one token.
const isNumberChar = (c: number): boolean =>
  isDigit(c) || c === MINUS || c === PLUS || c === DOT || c === LOWER_E || c === UPPER_E
const isWhitespace = (c: number): boolean => c === SPACE || c === LINE_FEED || c === CARRIAGE_RETURN || c === TAB

/**
 * Whether `text[start, end)` is exactly one number of JSON's grammar:
 * `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
 */
const isNumber = (text: string, start: number, end: number): boolean => {
  let i = start
  if (text.charCodeAt(i) === MINUS) i++
  if (i >= end || !isDigit(text.charCodeAt(i))) return false
  if (text.charCodeAt(i) === DIGIT_0) i++
  else while (i < end && isDigit(text.charCodeAt(i))) i++
  if (i < end && text.charCodeAt(i) === DOT) {
    i++
    if (i >= end || !isDigit(text.charCodeAt(i))) return false
    while (i < end && isDigit(text.charCodeAt(i))) i++
  }
  const e = text.charCodeAt(i)
  if (i < end && (e === LOWER_E || e === UPPER_E)) {
    i++
    const sign = text.charCodeAt(i)
    if (i < end && (sign === PLUS || sign === MINUS)) i++
    if (i >= end || !isDigit(text.charCodeAt(i))) return false
    while (i < end && isDigit(text.charCodeAt(i))) i++
  }
  return i === end
}

// From `lastIndex`, everything up to the next character outside strings that may start a number:
// other characters, and whole strings (escapes included). An unterminated string stops it at its
// quote. Written without nested variable-length repetition inside the string (the "unrolled loop"),
// so a hostile body cannot make it backtrack exponentially.
const upToNumber = /(?:[^"\-\d]+|"[^"\\]*(?:\\[^][^"\\]*)*")*/y

// Where a sticky expression that skips what does not matter (`upToNumber`, `upToStructure`) stops,
// from `at`.
const skip = (expression: RegExp, text: string, at: number): number => {
  expression.lastIndex = at
  expression.test(text)
  return expression.lastIndex
}

/**
 * The text with every number outside strings written as a string of its source text
 * (`{"amount":100.10}` → `{"amount":"100.10"}`), so a plain `JSON.parse` returns what a reviver
 * returning `context.source` would, at a fraction of the cost: a reviver is called for every value
 * and makes `JSON.parse` about five times slower.
 *
 * The quoting never makes invalid JSON valid. Only a run that is exactly one number of JSON's
 * grammar is quoted (`01`, `1.` and `-` stay as they are), and only when the next character after
 * whitespace is not `:` — in valid JSON a string followed by `:` is a key and any other string is a
 * value, so each inserted string is a value, where the number it replaced was valid too. A number
 * as a key (`{1:2}`) or after another value (`"a" 1` → `"a" "1"`) stays invalid, and `JSON.parse`
 * refuses it as before.
 */
const quoteNumbers = (text: string): string => {
  let out = ""
  let copied = 0
  const length = text.length
  let i = 0
  for (;;) {
    i = skip(upToNumber, text, i)
    // The end, or an unterminated string (which `JSON.parse` refuses).
    if (i >= length || text.charCodeAt(i) === QUOTE) break
    let end = i + 1
    while (end < length && isNumberChar(text.charCodeAt(end))) end++
    let next = end
    while (next < length && isWhitespace(text.charCodeAt(next))) next++
    if (text.charCodeAt(next) !== COLON && isNumber(text, i, end)) {
      out += text.slice(copied, i) + "\"" + text.slice(i, end) + "\""
      copied = end
    }
    i = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

// "source" mode through a reviver: the reference, and the fallback when the regular expression
// above runs out of stack on a pathological body (millions of escapes in one string).
const sourceReviver = (_key: string, value: unknown, context?: ReviverContext): unknown =>
  typeof value === "number" ? context!.source! : value

const parseSource = (text: string): Json => {
  let quoted: string
  try {
    quoted = quoteNumbers(text)
  } catch {
    return JSON.parse(text, sourceReviver) as Json
  }
  return JSON.parse(quoted) as Json
}
// A run of 16 digits where a number can start: after `:`, `[` or `,` (and optional whitespace), or
// at the start. The alternative with a leading character class comes first, which lets V8 scan for
// it quickly (about three times faster than `(?:^|[:[,])…` on an 800-byte body).
const longNumber = /[:[,]\s*-?\d{16}|^\s*-?\d{16}/

/**
 * Bounds on a body's shape, checked by a single scan of the text *before* it is parsed: a parse that
 * precedes signature verification (a signature carried inside the body) must not let an unsigned
 * body buy megabytes of objects or thousands of levels of recursion.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). */
  readonly depth: number
  /** Most values in all objects and arrays together (object members plus array elements). */
  readonly members: number
}

/**
 * Options of {@link parse} and {@link parseObject}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParseOptions {
  /** How numbers are returned. Default `"auto"`. */
  readonly numbers?: NumberMode | undefined
  /** Shape bounds checked before parsing (see {@link Limits}). Default: none. */
  readonly limits?: Limits | undefined
}

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const OPEN_OBJECT = 123
const OPEN_ARRAY = 91
const CLOSE_OBJECT = 125
const CLOSE_ARRAY = 93

/**
 * Checks {@link Limits} in one pass over the text, skipping strings. The error names the bound, never
 * the body's content (the body is not verified yet).
 *
 * @since 0.1.0
 * @category parsing
 */
export const checkLimits = (text: string, limits: Limits): Result.Result<void, MalformedDelivery> => {
  try {
    return scanStructure(text, limits)
  } catch {
    // The regular expression ran out of backtracking stack (millions of strings in a row with no
    // structure between them).
    return walkStructure(text, limits)
  }
}

// From `lastIndex`, everything up to the next `{`, `[`, `}`, `]` or `,` outside strings: other
// characters, and whole strings (escapes included); an unterminated string stops it at its quote.
// The same unrolled string loop as `upToNumber` (no exponential backtracking). V8 runs it about
// three times faster than a loop over the characters.
const upToStructure = /(?:[^"{}[\],]+|"[^"\\]*(?:\\[^][^"\\]*)*")*/y

const tooDeep = (limits: Limits) =>
  Result.fail(new MalformedDelivery({ message: `Body nests deeper than ${limits.depth} levels` }))
const tooMany = (limits: Limits) =>
  Result.fail(new MalformedDelivery({ message: `Body has more than ${limits.members} values` }))

const scanStructure = (text: string, limits: Limits): Result.Result<void, MalformedDelivery> => {
  let depth = 0
  let members = 0
  const length = text.length
  let i = 0
  for (;;) {
    i = skip(upToStructure, text, i)
    // The end, or an unterminated string (which `JSON.parse` refuses).
    if (i >= length || text.charCodeAt(i) === QUOTE) return Result.void
    const c = text.charCodeAt(i)
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.depth) return tooDeep(limits)
      // A container's first value is counted here (an empty one over-counts by one, harmlessly);
      // every further value follows a comma.
      members++
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
    else members++
    if (members > limits.members) return tooMany(limits)
    i++
  }
}

// The same scan, a character at a time.
const walkStructure = (text: string, limits: Limits): Result.Result<void, MalformedDelivery> => {
  let depth = 0
  let members = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.depth) return tooDeep(limits)
      members++
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
    else if (c === COMMA) members++
    if (members > limits.members) return tooMany(limits)
  }
  return Result.void
}

/**
 * Parses JSON text losslessly (see {@link NumberMode}). Fails with `MalformedDelivery` on invalid
 * JSON or when the text exceeds `limits`. The error message never quotes the body (V8's own error
 * text does, so it is not used): it may be logged before the delivery is verified. Throws
 * `Misconfigured` on a runtime that cannot parse losslessly (see {@link checkRuntime}), whatever the
 * text: a receiver fails its first test there, not its first large id in production.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, options?: ParseOptions): Result.Result<Json, MalformedDelivery> => {
  if (!sourceTextAvailable) throw unsupportedRuntime()
  if (options?.limits !== undefined) {
    const checked = checkLimits(text, options.limits)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
  }
  try {
    const mode = options?.numbers ?? "auto"
    // A reviver makes JSON.parse several times slower. In "auto" mode it only ever changes an
    // integer beyond 2^53, which needs at least 16 digits in a row where a number can start (at
    // the start, or after `:`, `[` or `,` and optional whitespace): without one, the plain parse
    // gives the same result. Long digit runs inside strings (order numbers like
    // "SO1689644928115784") do not count.
    if (mode === "auto" && !longNumber.test(text)) {
      return Result.succeed(JSON.parse(text) as Json)
    }
    if (mode === "source") return Result.succeed(parseSource(text))
    return Result.succeed(JSON.parse(text, autoReviver) as Json)
  } catch {
    return Result.fail(new MalformedDelivery({ message: "Body is not valid JSON" }))
  }
}

/**
 * Parses JSON text that must be an object (the usual webhook envelope).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseObject = (text: string, options?: ParseOptions): Result.Result<
  { readonly [key: string]: Json },
  MalformedDelivery
> =>
  Result.flatMap(parse(text, options), (json) =>
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? Result.succeed(json as { readonly [key: string]: Json })
      : Result.fail(new MalformedDelivery({ message: "Body is not a JSON object" })))

/**
 * Serialises a value to JSON, writing `bigint`s as bare integers (the inverse of {@link parse}), so
 * `stringify(parse(text))` keeps large ids exact.
 *
 * @since 0.1.0
 * @category serialising
 */
export const stringify = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => typeof v === "bigint" ? rawJSON(v.toString()) : v)

// `JSON.rawJSON` (ES2025, Node >= 21) is not in TypeScript's lib yet.
const rawJSON: (text: string) => unknown = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON

// What `JSON.stringify` escapes in a string: `"`, `\`, control characters and lone surrogates
// (any surrogate sends the string to `JSON.stringify`, which keeps a well-formed pair as it is).
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const needsEscape = /[\u0000-\u001f"\\\ud800-\udfff]/

// `JSON.stringify(text)`, without its cost for the common string that needs no escape.
const quote = (text: string): string => needsEscape.test(text) ? JSON.stringify(text) : `"${text}"`

/**
 * A canonical text of a parsed value: object keys sorted (code-unit order), no whitespace, strings
 * JSON-escaped, `bigint`s and source-mode numbers as their digits. Two bodies that differ only in
 * key order or whitespace have the same canonical text; any difference in a value changes it. Used
 * for fingerprints that must survive a platform re-serialising a retry.
 *
 * @since 0.1.0
 * @category serialising
 */
export const canonical = (value: Json): string => {
  if (typeof value === "string") return quote(value)
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : JSON.stringify(value)
  }
  if (Array.isArray(value)) {
    let out = "["
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonical(value[i])
    return out + "]"
  }
  // `Array.isArray` does not narrow a `ReadonlyArray` out of the union; what is left is an object.
  const object = value as { readonly [key: string]: Json }
  // The default sort compares strings by code units.
  const keys = Object.keys(object).sort()
  let out = "{"
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    out += (i === 0 ? "" : ",") + quote(key) + ":" + canonical(object[key]!)
  }
  return out + "}"
}
