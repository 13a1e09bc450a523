/**
 * JSON parsing that never loses a number. `JSON.parse` turns `1689644928115784123` into the nearest
 * double; platforms send order and user ids that large. This parser uses the reviver's access to
 * the source text (`context.source`, Node ≥ 21 / V8 11.4) so that integers beyond 2^53 arrive as
 * exact `bigint`s — or every number as its exact source text, for money amounts.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { MalformedDelivery } from "./DeliveryError.ts"

/**
 * How numbers are returned:
 * - `"auto"` (default): safe integers and decimals as `number`, integers beyond ±(2^53 − 1) as
 *   `bigint`;
 * - `"source"`: every number as its exact source text (`"100.10"`, `"9007199254740993"`), for
 *   schemas that decode amounts to `BigDecimal` or ids to strings.
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

const reviver = (mode: NumberMode) => (_key: string, value: unknown, context?: ReviverContext): unknown => {
  if (typeof value !== "number") return value
  const source = context?.source
  // Without source access (very old runtimes) we cannot do better than the double.
  if (source === undefined) return value
  if (mode === "source") return source
  return !Number.isSafeInteger(value) && integer.test(source) ? BigInt(source) : value
}

const autoReviver = reviver("auto")
const longDigitRun = /\d{16}/
const longNumber = /(?:^|[:[,])\s*-?\d{16}/
const sourceReviver = reviver("source")

/**
 * Parses JSON text losslessly (see {@link NumberMode}). Fails with `MalformedDelivery` on invalid
 * JSON.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, options?: { readonly numbers?: NumberMode }): Result.Result<
  Json,
  MalformedDelivery
> => {
  try {
    const mode = options?.numbers ?? "auto"
    // A reviver makes JSON.parse several times slower. In "auto" mode it only ever changes an
    // integer beyond 2^53, which needs at least 16 digits in a row where a number can start (at
    // the start, or after `:`, `[` or `,` and optional whitespace): without one, the plain parse
    // gives the same result. The first test is a cheap filter; the second skips the common case
    // of long digit runs inside strings (order numbers like "SO1689644928115784").
    if (mode === "auto" && !(longDigitRun.test(text) && longNumber.test(text))) {
      return Result.succeed(JSON.parse(text) as Json)
    }
    return Result.succeed(JSON.parse(text, mode === "source" ? sourceReviver : autoReviver) as Json)
  } catch (error) {
    return Result.fail(
      new MalformedDelivery({ message: `Body is not valid JSON: ${error instanceof Error ? error.message : "?"}` })
    )
  }
}

/**
 * Parses JSON text that must be an object (the usual webhook envelope).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseObject = (text: string, options?: { readonly numbers?: NumberMode }): Result.Result<
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
  if (value === null || typeof value === "boolean" || typeof value === "number") return JSON.stringify(value)
  if (typeof value === "bigint") return value.toString()
  if (typeof value === "string") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  // `Array.isArray` does not narrow a `ReadonlyArray` out of the union; what is left is an object.
  const object = value as { readonly [key: string]: Json }
  const keys = Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(object[key]!)}`).join(",")}}`
}
