/**
 * Turns database errors into core's `StoreUnavailable`, so the pipeline answers "retry" and never
 * acknowledges a delivery whose dedupe state is unknown.
 *
 * The original error is not passed on as the `cause`: drivers attach raw inputs to their errors (an
 * invalid connection URL ends up in Node's `TypeError.input`, password included). The message and
 * the sanitised cause keep what diagnoses a problem — the operation, the error kind, PostgreSQL's
 * SQLSTATE and message — and credentials in anything that looks like a URL are masked.
 *
 * @internal
 */
import { StoreUnavailable } from "@hookline/core"
import * as Predicate from "effect/Predicate"
import type * as SqlError from "effect/sql/SqlError"

// `scheme://user:password@host` → `scheme://***@host`.
const credentials = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi

/** Masks credentials embedded in URLs. */
export const scrub = (text: string): string => text.replace(credentials, "$1***@")

const stringField = (u: unknown, field: string): string | undefined =>
  Predicate.hasProperty(u, field) && typeof u[field] === "string" ? u[field] : undefined

/** What a `SqlError` says, without the driver's raw cause. */
export const describe = (error: SqlError.SqlError): string => {
  const reason = error.reason
  const cause = reason.cause
  // PostgreSQL server errors carry the SQLSTATE in `code` and the server's own message.
  const code = stringField(cause, "code")
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  const detail = sqlState !== undefined ? stringField(cause, "message") : undefined
  const message = [reason.message, detail].filter((part) => part !== undefined && part !== "").join(": ")
  return scrub(
    `${reason._tag}${sqlState === undefined ? "" : ` (SQLSTATE ${sqlState})`}${message === "" ? "" : `: ${message}`}`
  )
}

/** A `StoreUnavailable` for a failed store operation. */
export const fromSqlError = (operation: string) => (error: SqlError.SqlError): StoreUnavailable => {
  const text = describe(error)
  return new StoreUnavailable({
    message: `SqlStore ${operation} failed: ${text}`,
    cause: { _tag: error.reason._tag, operation, message: text }
  })
}

/** A `StoreUnavailable` for a statement that did not answer in time. */
export const timedOut = (operation: string, millis: number): StoreUnavailable =>
  new StoreUnavailable({ message: `SqlStore ${operation} timed out after ${millis} ms` })

/** A `StoreUnavailable` for an answer the store cannot read (a table altered by hand). */
export const unexpected = (operation: string, what: string): StoreUnavailable =>
  new StoreUnavailable({ message: `SqlStore ${operation}: unexpected answer from the database (${what})` })
