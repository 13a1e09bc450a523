/**
 * Strict `application/x-www-form-urlencoded` parsing. Unlike `URLSearchParams`, a malformed
 * percent-escape or invalid UTF-8 fails instead of turning into U+FFFD — a silent replacement would
 * change the value that was signed.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { MalformedDelivery } from "./DeliveryError.ts"

/**
 * Decoded `name=value` pairs, in the order received (names may repeat).
 *
 * @since 0.1.0
 * @category models
 */
export type Pairs = ReadonlyArray<readonly [name: string, value: string]>

const decodeComponent = (text: string): string | undefined => {
  // Most names and many values have nothing to decode.
  if (text.indexOf("%") === -1 && text.indexOf("+") === -1) return text
  try {
    return decodeURIComponent(text.replaceAll("+", " "))
  } catch {
    return undefined
  }
}

/**
 * Options of {@link parse} and {@link parseRecord}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParseOptions {
  /**
   * Most `name=value` pairs accepted, checked before anything is decoded: a parse that precedes
   * signature verification must not let an unsigned body buy thousands of decoded strings.
   * Default: no bound.
   */
  readonly maxFields?: number | undefined
}

const tooManyFields = (text: string, max: number): boolean => {
  let fields = 1
  for (let at = text.indexOf("&"); at !== -1; at = text.indexOf("&", at + 1)) {
    if (++fields > max) return true
  }
  return false
}

/**
 * Parses a form-encoded body into decoded pairs. The error message never quotes the body (it may be
 * logged before the delivery is verified).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, options?: ParseOptions): Result.Result<Pairs, MalformedDelivery> => {
  const pairs: Array<readonly [string, string]> = []
  if (text.length === 0) return Result.succeed(pairs)
  const max = options?.maxFields
  if (max !== undefined && tooManyFields(text, max)) {
    return Result.fail(new MalformedDelivery({ message: `Body has more than ${max} form fields` }))
  }
  for (const part of text.split("&")) {
    if (part.length === 0) continue
    const eq = part.indexOf("=")
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq))
    const value = decodeComponent(eq === -1 ? "" : part.slice(eq + 1))
    if (name === undefined || value === undefined) {
      return Result.fail(new MalformedDelivery({ message: "Body is not valid form-urlencoded data" }))
    }
    pairs.push([name, value])
  }
  return Result.succeed(pairs)
}

/**
 * Parses a form-encoded body into a record, failing with `MalformedDelivery` when a name repeats
 * (signature schemes over "the parameters" are ambiguous when one appears twice).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRecord = (
  text: string,
  options?: ParseOptions
): Result.Result<Readonly<Record<string, string>>, MalformedDelivery> =>
  Result.flatMap(parse(text, options), (pairs) => {
    const record: Record<string, string> = Object.create(null)
    for (const [name, value] of pairs) {
      if (Object.hasOwn(record, name)) {
        return Result.fail(new MalformedDelivery({ message: "A form field appears more than once" }))
      }
      record[name] = value
    }
    return Result.succeed(record)
  })
