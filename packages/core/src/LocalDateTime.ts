/**
 * Local date-times as platforms send them without a zone (`"2025-12-17T13:44:16"`,
 * `"2026-05-04 10:05:00"`): validated as real calendar dates and kept as the exact string. Where a
 * platform does not say which zone it means, none is invented — no `Date`, no UTC assumption.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The textual form: the date/time separator, and whether fractional seconds (`.123`, up to 9
 * digits) may follow.
 *
 * @since 0.1.0
 * @category models
 */
export interface Format {
  readonly separator: "T" | " "
  readonly fractionalSeconds?: boolean | undefined
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31

// The value of the `length` ASCII digits at `at`, or -1 when one of them is not a digit. (A scan of
// the characters: an anchored RegExp with six groups cost more than the rest of a field's decode.)
const digits = (text: string, at: number, length: number): number => {
  let value = 0
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

// `YYYY-MM-DD?HH:mm:ss` is 19 characters; a fraction is `.` and 1 to 9 digits after them.
const fractionValid = (text: string, fractionalSeconds: boolean): boolean => {
  if (text.length === 19) return true
  if (!fractionalSeconds || text.length < 21 || text.length > 29 || text[19] !== ".") return false
  return digits(text, 20, text.length - 20) !== -1
}

/**
 * Whether `text` is a local date-time in the format, on a real calendar date (no 30 February).
 *
 * @since 0.1.0
 * @category validation
 */
export const isValid = (text: string, format: Format): boolean => {
  if (text.length < 19 || text[4] !== "-" || text[7] !== "-" || text[10] !== format.separator) return false
  if (text[13] !== ":" || text[16] !== ":" || !fractionValid(text, format.fractionalSeconds === true)) return false
  const year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2)
  const hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2)
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
}

/**
 * A schema of strings that are local date-times in the format, kept as the exact string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema = (format: Format) =>
  Schema.String.check(Schema.makeFilter((text: string) => isValid(text, format), {
    expected: `a local date-time YYYY-MM-DD${format.separator}HH:mm:ss${
      format.fractionalSeconds === true ? "[.fraction]" : ""
    } without a zone`
  }))
