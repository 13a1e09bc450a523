/**
 * A dead-letter store on PostgreSQL (Effect SQL): failed authentic deliveries kept with their exact
 * request, shared by every process on one database, for replay (`DeadLetters` in `@hookline/core`).
 *
 * ```ts
 * import { SqlDeadLetterStore, SqlStore } from "@hookline/store-sql"
 * import * as Config from "effect/Config"
 * import * as Layer from "effect/Layer"
 *
 * // Both stores on one pool: SqlStore.layerPg also provides the SqlClient.
 * const stores = SqlDeadLetterStore.layer({ retention: "7 days" }).pipe(
 *   Layer.provideMerge(SqlStore.layerPg({ url: Config.Redacted("DATABASE_URL") }))
 * )
 * ```
 *
 * One row per dead letter in `hookline_dead_letters` (created at layer start when missing, or from
 * {@link migration}); the body is `bytea`, kept byte for byte. Recording is one upsert, so the
 * attempt count is exact under concurrency. Times are the application's clock in epoch
 * milliseconds (the pipeline's readings); a row is as good as absent once its retention has passed,
 * and each recording deletes up to 100 such rows, so the table stays bounded without a sweeper.
 *
 * @since 0.1.0
 */
import { DeadLetterStore, Misconfigured, type StoreUnavailable } from "@hookline/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import * as Dialect from "./internal/dialect.ts"
import * as Statement from "./internal/statement.ts"
import * as Unavailable from "./internal/unavailable.ts"

/**
 * The default table name.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTable = "hookline_dead_letters"

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlDeadLetterStoreOptions {
  /** The table: a lower-case SQL identifier, optionally schema-qualified. Default `hookline_dead_letters`. */
  readonly table?: string | undefined
  /** How long an entry is kept after its last failure. Default 14 days. */
  readonly retention?: Duration.Input | undefined
  /** Create the table and its index at start when missing. Default `true`. */
  readonly createTable?: boolean | undefined
  /** Longest wait for one statement before it fails with `StoreUnavailable`. Default 5 seconds. */
  readonly timeout?: Duration.Input | undefined
}

const resolveTable = (input: string | undefined): Result.Result<Dialect.Table, Misconfigured> => {
  const table = Dialect.parseTable(input ?? defaultTable)
  return table === undefined
    ? Result.fail(
      new Misconfigured({
        message: `SqlDeadLetterStore: invalid table name ${JSON.stringify(input)}: use a lower-case SQL ` +
          `identifier ([a-z_][a-z0-9_]*, at most 48 characters), optionally schema-qualified (schema.table)`
      })
    )
    : Result.succeed(table)
}

const ddl = (table: Dialect.Table): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS ${table.qualified} (
  key text COLLATE "C" PRIMARY KEY,
  provider text NOT NULL,
  method text NOT NULL,
  url text NOT NULL,
  headers text NOT NULL,
  body bytea NOT NULL,
  received_at bigint NOT NULL,
  reason_tag text NOT NULL,
  reason_message text NOT NULL,
  attempts integer NOT NULL,
  first_failed_at bigint NOT NULL,
  last_failed_at bigint NOT NULL,
  resolved_at bigint,
  expires_at bigint NOT NULL
)`,
  `CREATE INDEX IF NOT EXISTS ${table.name}_last_failed_at_idx ON ${table.qualified} (last_failed_at)`
]

/**
 * The DDL creating the table and its index, for applications that manage their schema themselves
 * (then pass `createTable: false`). Fails only for an invalid table name.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migration = (options?: Pick<SqlDeadLetterStoreOptions, "table">): Result.Result<string, Misconfigured> =>
  Result.map(resolveTable(options?.table), (table) => ddl(table).map((statement) => `${statement};\n`).join("\n"))

const columns = `key, provider, method, url, headers, body, received_at::text AS received_at, reason_tag,
  reason_message, attempts, first_failed_at::text AS first_failed_at, last_failed_at::text AS last_failed_at,
  resolved_at::text AS resolved_at`

interface Row {
  readonly key: unknown
  readonly provider: unknown
  readonly method: unknown
  readonly url: unknown
  readonly headers: unknown
  readonly body: unknown
  readonly received_at: unknown
  readonly reason_tag: unknown
  readonly reason_message: unknown
  readonly attempts: unknown
  readonly first_failed_at: unknown
  readonly last_failed_at: unknown
  readonly resolved_at: unknown
}

const time = (text: unknown): number | undefined =>
  typeof text === "string" && /^-?\d{1,16}$/.test(text) ? Number(text) : undefined

const fromRow = (row: Row): DeadLetterStore.DeadLetter | undefined => {
  if (!(row.body instanceof Uint8Array) || typeof row.headers !== "string") return undefined
  let headers: unknown
  try {
    headers = JSON.parse(row.headers)
  } catch {
    return undefined
  }
  const decoded = DeadLetterStore.decode({
    key: row.key,
    provider: row.provider,
    method: row.method,
    url: row.url,
    headers,
    body: "",
    receivedAt: time(row.received_at),
    reasonTag: row.reason_tag,
    reasonMessage: row.reason_message,
    attempts: row.attempts,
    firstFailedAt: time(row.first_failed_at),
    lastFailedAt: time(row.last_failed_at),
    resolvedAt: row.resolved_at === null ? null : time(row.resolved_at)
  })
  if (decoded instanceof DeadLetterStore.InvalidEntry) return undefined
  // The bytes as read (a copy: the driver's Buffer may be a view of a larger pooled buffer).
  return { ...decoded, delivery: { ...decoded.delivery, body: Uint8Array.from(row.body) } }
}

// The filter as parameters $2…$5 (after `now` as $1); `null` is "any".
const where = `expires_at > $1::bigint
  AND ($2::text IS NULL OR provider = $2::text)
  AND ($3::bigint IS NULL OR last_failed_at >= $3::bigint)
  AND ($4::bigint IS NULL OR last_failed_at < $4::bigint)
  AND ($5::text = 'all' OR ($5::text = 'open') = (resolved_at IS NULL))`

const filterParams = (now: number, filter: DeadLetterStore.Filter | undefined) => [
  String(now),
  filter?.provider ?? null,
  filter?.since === undefined ? null : String(filter.since),
  filter?.before === undefined ? null : String(filter.before),
  filter?.status ?? "all"
]

/**
 * Builds the store on the `SqlClient` in context (PostgreSQL): creates the table when missing
 * (unless `createTable: false`) and checks it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: SqlDeadLetterStoreOptions
): Effect.Effect<
  DeadLetterStore.DeadLetterStore["Service"],
  StoreUnavailable | Misconfigured,
  SqlClient.SqlClient
> =>
  Effect.gen(function*() {
    const table = yield* Effect.fromResult(resolveTable(options?.table))
    const retention = Duration.toMillis(
      Duration.fromInputUnsafe(options?.retention ?? DeadLetterStore.defaultRetention)
    )
    const timeout = Duration.fromInputUnsafe(options?.timeout ?? Duration.seconds(5))
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const found = Dialect.detect(sql)
    if ("unsupported" in found) {
      return yield* Effect.fail(
        new Misconfigured({
          message: `SqlDeadLetterStore supports PostgreSQL only (the dialect is ${found.unsupported})`
        })
      )
    }
    const schemaProblem = (what: string) => (error: SqlError.SqlError) =>
      error.reason._tag === "SqlSyntaxError" || error.reason._tag === "AuthorizationError"
        ? new Misconfigured({
          message: `SqlDeadLetterStore: ${what} ${table.qualified} (${Unavailable.describe(error)}); ` +
            `create it with SqlDeadLetterStore.migration or createTable: true`
        })
        : Unavailable.fromSqlError("dead letter start")(error)
    if (options?.createTable !== false) {
      // Serialised like SqlStore's bootstrap: concurrent `CREATE TABLE IF NOT EXISTS` can collide.
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('@hookline/store-sql'), hashtext($1))`, [
          table.qualified
        ]).raw
        for (const statement of ddl(table)) yield* sql.unsafe(statement).raw
      })).pipe(Effect.mapError(schemaProblem("cannot create table")))
    }
    yield* sql.unsafe(`SELECT ${columns}, expires_at FROM ${table.qualified} WHERE false`).raw.pipe(
      Effect.mapError(schemaProblem("table missing, or lacking the expected columns:"))
    )

    const { run } = Statement.statements(sql, Duration.isFinite(timeout) ? timeout : undefined)
    const rows = (operation: string, text: string, params: ReadonlyArray<unknown>) =>
      Effect.flatMap(run<Row>(operation, text, params), (found) => {
        const entries = found.map(fromRow)
        return entries.every((entry) => entry !== undefined)
          ? Effect.succeed(entries as ReadonlyArray<DeadLetterStore.DeadLetter>)
          : Effect.fail(Unavailable.unexpected(operation, "dead letter row"))
      })

    const recordSql = `INSERT INTO ${table.qualified} AS d (key, provider, method, url, headers, body, received_at,
  reason_tag, reason_message, attempts, first_failed_at, last_failed_at, resolved_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8, $9, 1, $10::bigint, $10::bigint, NULL, $11::bigint)
ON CONFLICT (key) DO UPDATE SET
  provider = excluded.provider, method = excluded.method, url = excluded.url, headers = excluded.headers,
  body = excluded.body, received_at = excluded.received_at, reason_tag = excluded.reason_tag,
  reason_message = excluded.reason_message,
  attempts = CASE WHEN d.expires_at > $12::bigint THEN d.attempts + 1 ELSE 1 END,
  first_failed_at = CASE WHEN d.expires_at > $12::bigint THEN d.first_failed_at ELSE excluded.first_failed_at END,
  last_failed_at = excluded.last_failed_at, resolved_at = NULL, expires_at = excluded.expires_at`
    const sweepSql = `DELETE FROM ${table.qualified} WHERE key IN (
  SELECT key FROM ${table.qualified} WHERE expires_at <= $1::bigint LIMIT 100 FOR UPDATE SKIP LOCKED)`

    return DeadLetterStore.DeadLetterStore.of({
      record: (attempt) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const delivery = DeadLetterStore.withoutCredentials(attempt.delivery)
          return Effect.asVoid(Effect.andThen(
            run("dead letter record", recordSql, [
              attempt.key,
              attempt.provider,
              delivery.method,
              delivery.url,
              JSON.stringify(delivery.headers),
              Buffer.from(delivery.body.buffer, delivery.body.byteOffset, delivery.body.byteLength),
              String(attempt.receivedAt),
              attempt.reason.tag,
              attempt.reason.message,
              String(attempt.at),
              String(attempt.at + retention),
              String(now)
            ]),
            run("dead letter cleanup", sweepSql, [String(now)])
          ))
        }),
      resolve: (key, at) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(
            run(
              "dead letter resolve",
              `UPDATE ${table.qualified} SET resolved_at = $2::bigint
WHERE key = $1 AND resolved_at IS NULL AND expires_at > $3::bigint RETURNING key`,
              [key, String(at), String(now)]
            ),
            (updated) => updated.length === 1
          )),
      get: (key) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(
            rows(
              "dead letter read",
              `SELECT ${columns} FROM ${table.qualified} WHERE key = $1 AND expires_at > $2::bigint`,
              [key, String(now)]
            ),
            (found) => found[0]
          )),
      list: (filter) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          rows(
            "dead letter list",
            `SELECT ${columns} FROM ${table.qualified} WHERE ${where}
ORDER BY last_failed_at DESC, key LIMIT $6::bigint`,
            [...filterParams(now, filter), String(filter?.limit ?? DeadLetterStore.defaultListLimit)]
          )),
      purge: (target) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(
            typeof target === "string"
              ? run(
                "dead letter purge",
                `DELETE FROM ${table.qualified} WHERE key = $1 AND expires_at > $2::bigint RETURNING key`,
                [target, String(now)]
              )
              : run(
                "dead letter purge",
                `DELETE FROM ${table.qualified} WHERE ${where} RETURNING key`,
                filterParams(now, target)
              ),
            (deleted) => deleted.length
          ))
    })
  })

/**
 * A layer providing the store on the application's `SqlClient` (PostgreSQL).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: SqlDeadLetterStoreOptions
): Layer.Layer<DeadLetterStore.DeadLetterStore, StoreUnavailable | Misconfigured, SqlClient.SqlClient> =>
  Layer.effect(DeadLetterStore.DeadLetterStore, make(options))
