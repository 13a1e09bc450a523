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
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

const patternText = (separator: Format["separator"], fractionalSeconds: boolean): string =>
  `^(\\d{4})-(\\d{2})-(\\d{2})${separator}(\\d{2}):(\\d{2}):(\\d{2})${fractionalSeconds ? "(?:\\.\\d{1,9})?" : ""}$`

// The four patterns, built once (a `RegExp` per call was the largest cost of decoding such a field).
const patterns = {
  T: [new RegExp(patternText("T", false)), new RegExp(patternText("T", true))],
  " ": [new RegExp(patternText(" ", false)), new RegExp(patternText(" ", true))]
} as const

const patternOf = (format: Format): RegExp => patterns[format.separator][format.fractionalSeconds === true ? 1 : 0]

/**
 * Whether `text` is a local date-time in the format, on a real calendar date (no 30 February).
 *
 * @since 0.1.0
 * @category validation
 */
export const isValid = (text: string, format: Format): boolean => {
  const match = patternOf(format).exec(text)
  if (match === null) return false
  const year = Number(match[1]), month = Number(match[2]), day = Number(match[3])
  const hour = Number(match[4]), minute = Number(match[5]), second = Number(match[6])
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 &&
    minute <= 59 && second <= 59
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
