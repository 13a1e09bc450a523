/**
 * An idempotency store on Effect SQL: exactly-once handling per key across every process sharing
 * one database. It runs on whatever `SqlClient` (`effect/sql/SqlClient`) the application already
 * provides; PostgreSQL (`@effect/sql-pg`) is the tested dialect.
 *
 * ```ts
 * import { SqlStore } from "@hookline/store-sql"
 * import * as Config from "effect/Config"
 *
 * // Builds its own PostgreSQL pool (and provides it to handlers as PgClient / SqlClient):
 * export const store = SqlStore.layerPg({ url: Config.Redacted("DATABASE_URL") })
 *
 * // Or on a SqlClient the application already has:
 * // SqlStore.layer().pipe(Layer.provide(PgClient.layer({ ... })))
 * ```
 *
 * Each operation is one SQL statement evaluated with the server's clock (`now()`), so process
 * clocks never matter:
 * - `claim`: insert-or-take-over-expired (`INSERT … ON CONFLICT (key) DO UPDATE … RETURNING`);
 * - `complete`: an `UPDATE` fenced by key, token, state and a live lease;
 * - `release`: a `DELETE` fenced the same way.
 *
 * The table (default `hookline_deliveries`) is created at layer start when missing (safe when
 * several processes start at once), or by your own migrations from {@link migration} /
 * {@link migrate}. Expired rows are deleted in bounded batches by a background fiber of the layer
 * (or by {@link deleteExpired} from your scheduler). Every database error is a `StoreUnavailable`:
 * the pipeline answers "retry" and never acknowledges.
 *
 * @since 0.1.0
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import { IdempotencyStore, Misconfigured, StoreUnavailable } from "@hookline/core"
import { Secret } from "@hookline/core/provider"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"
import * as Dialect from "./internal/dialect.ts"
import * as Statement from "./internal/statement.ts"
import * as Unavailable from "./internal/unavailable.ts"

/**
 * The default table name.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTable = "hookline_deliveries"

/**
 * Options naming the table.
 *
 * @since 0.1.0
 * @category models
 */
export interface TableOptions {
  /**
   * The table: a lower-case SQL identifier (`[a-z_][a-z0-9_]*`, at most 48 characters), optionally
   * schema-qualified (`hooks.deliveries`; the schema must exist). Default `hookline_deliveries`.
   */
  readonly table?: string | undefined
}

/**
 * Options of the background cleanup.
 *
 * @since 0.1.0
 * @category models
 */
export interface CleanupOptions {
  /** Time between sweeps. Default 5 minutes. */
  readonly interval?: Duration.Input | undefined
  /** Rows deleted per statement; a sweep repeats batches until one comes back short. Default 1,000. */
  readonly batchSize?: number | undefined
}

/**
 * Options of {@link make} / {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlStoreOptions extends TableOptions {
  /**
   * Create the table and its index at start when missing. Default `true`. With `false` the layer
   * only checks that the table exists with the expected columns (see {@link migration}).
   */
  readonly createTable?: boolean | undefined
  /** Background deletion of expired rows, or `false` to disable it. Default every 5 minutes, 1,000 rows a batch. */
  readonly cleanup?: CleanupOptions | false | undefined
  /**
   * Longest wait for one store statement (including waiting for a pooled connection or a row
   * lock). A statement still running is cancelled and the operation fails with
   * `StoreUnavailable`, so a stuck database turns into "retry" answers instead of hung requests.
   * Default 5 seconds.
   */
  readonly timeout?: Duration.Input | undefined
}

/**
 * Options of {@link layerPg}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgOptions extends SqlStoreOptions {
  /**
   * The connection URL (`postgres://user:password@host:5432/db`), as a `Redacted` value or a
   * `Config` yielding one (`Config.Redacted("DATABASE_URL")`). It never appears in errors or logs.
   */
  readonly url: Secret.SecretSource
  /**
   * Further `@effect/sql-pg` pool settings: `maxConnections` (default 10), `applicationName`,
   * `ssl`, `connectTimeout`, ….
   */
  readonly pool?: Omit<PgClient.PgPoolConfig, "url"> | undefined
}

// A URL that cannot work is a configuration error, reported when the store starts, not an outage
// to retry on every delivery. The message never quotes the URL (it may hold a password).
const checkPgUrl = (url: Redacted.Redacted<string>): Effect.Effect<void, Misconfigured> => {
  const parsed = URL.parse(Redacted.value(url))
  if (parsed === null) {
    return Effect.fail(
      new Misconfigured({ message: "SqlStore: the PostgreSQL url is not a URL (expected postgres://user@host/db)" })
    )
  }
  return parsed.protocol === "postgres:" || parsed.protocol === "postgresql:"
    ? Effect.void
    : Effect.fail(
      new Misconfigured({
        message: `SqlStore: the PostgreSQL url's scheme is ${
          parsed.protocol.slice(0, 16)
        } (expected postgres: or postgresql:)`
      })
    )
}

const resolveTable = (input: string | undefined): Result.Result<Dialect.Table, Misconfigured> => {
  const table = Dialect.parseTable(input ?? defaultTable)
  return table === undefined
    ? Result.fail(
      new Misconfigured({
        message: `SqlStore: invalid table name ${JSON.stringify(input)}: use a lower-case SQL identifier ` +
          `([a-z_][a-z0-9_]*, at most 48 characters), optionally schema-qualified (schema.table)`
      })
    )
    : Result.succeed(table)
}

const dialectOf = (sql: SqlClient.SqlClient): Effect.Effect<Dialect.Dialect, Misconfigured> => {
  const found = Dialect.detect(sql)
  return "unsupported" in found
    ? Effect.fail(
      new Misconfigured({
        message: `SqlStore supports PostgreSQL only (the SqlClient's dialect is ${found.unsupported}, driver ` +
          `${sql.driver}); MySQL/MariaDB and SQLite are planned once their Effect 4 drivers run on effect 4.1`
      })
    )
    : Effect.succeed(found)
}

// A table of another shape, or no privilege to create it: a configuration problem, not an outage.
const isSchemaProblem = (error: SqlError.SqlError): boolean =>
  error.reason._tag === "SqlSyntaxError" || error.reason._tag === "AuthorizationError"

const bootstrap = (dialect: Dialect.Dialect, sql: SqlClient.SqlClient, table: Dialect.Table) =>
  Effect.mapError(dialect.bootstrap(sql, table), (error) =>
    isSchemaProblem(error)
      ? new Misconfigured({
        message: `SqlStore: cannot create table ${table.qualified} or its index (${Unavailable.describe(error)}); ` +
          `create them with SqlStore.migration, or drop a table of another shape`
      })
      : Unavailable.fromSqlError("table creation")(error))

/**
 * The DDL creating the store's table and index (PostgreSQL), for applications that manage their
 * schema themselves (then pass `createTable: false`). Fails only for an invalid table name.
 *
 * @since 0.1.0
 * @category migrations
 * @example
 * ```ts
 * import { SqlStore } from "@hookline/store-sql"
 * import * as Result from "effect/Result"
 *
 * export const ddl: string = Result.getOrThrow(SqlStore.migration({ table: "hookline_deliveries" }))
 * ```
 */
export const migration = (options?: TableOptions): Result.Result<string, Misconfigured> =>
  Result.map(
    resolveTable(options?.table),
    (table) => Dialect.postgres.objects(table).map((object) => `${object.ddl};\n`).join("\n")
  )

/**
 * Creates the table and index when missing, on the `SqlClient` in context. Safe to run from
 * several processes at once; usable as a migration in Effect's `Migrator`.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate = (
  options?: TableOptions
): Effect.Effect<void, StoreUnavailable | Misconfigured, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const table = yield* Effect.fromResult(resolveTable(options?.table))
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const dialect = yield* dialectOf(sql)
    yield* bootstrap(dialect, sql, table)
  })

const DeletedRow = Schema.Struct({ deleted: Schema.Number })
interface ClaimRow {
  readonly token: string
  readonly state: "in_flight" | "completed"
  readonly fingerprint: string
}

// The claim statement's row, checked by hand: a Schema decode per claim was a measurable share of
// the client's CPU for three string fields.
const isClaimRow = (row: unknown): row is ClaimRow => {
  if (typeof row !== "object" || row === null) return false
  const { fingerprint, state, token } = row as Record<string, unknown>
  return typeof token === "string" && typeof fingerprint === "string" &&
    (state === "in_flight" || state === "completed")
}

// The most a lease or retention can ask for: far enough for any retention, near enough to stay a
// valid timestamp. Longer (or infinite) durations are capped to it.
const maxMillis = 100 * 365 * 24 * 60 * 60 * 1000
const millis = (duration: Duration.Duration): string =>
  String(Math.min(maxMillis, Math.max(0, Math.ceil(Duration.toMillis(duration)))))

const foreignClient = new StoreUnavailable({
  message: "SqlStore: a transactional handler runs with another SqlClient than the store's, whose " +
    "statements would not join the transaction; build the store on the application's SqlClient " +
    "(SqlStore.layer() with Layer.provideMerge, or SqlStore.layerPg, which provides its own)"
})

// BEGIN (or the wait for a connection) or COMMIT failed. A failed COMMIT leaves the outcome unknown.
const transactionFailed = (phase: "begin" | "commit", cause: Cause.Cause<unknown>): StoreUnavailable => {
  const error = Cause.squash(cause)
  const text = SqlError.isSqlError(error) ? Unavailable.describe(error) : "unexpected failure"
  return new StoreUnavailable({
    message: phase === "begin"
      ? `SqlStore transaction could not begin: ${text}`
      : `SqlStore transaction COMMIT failed, its outcome is unknown: ${text}`,
    cause: { _tag: "TransactionFailed", operation: phase, message: text }
  })
}

// Tokens are UUIDs (the column's type); anything else was never issued and cannot match.
const tokenShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const sweep = (
  run: Statement.Statements["run"],
  text: string,
  batchSize: number
): Effect.Effect<number, StoreUnavailable> => {
  const batch = Effect.flatMap(
    run<{ readonly deleted: unknown }>("cleanup", text, [String(batchSize)]),
    (rows) =>
      Effect.mapError(
        Schema.decodeUnknownEffect(DeletedRow)(rows[0]),
        () => Unavailable.unexpected("cleanup", "deleted count")
      )
  )
  const loop = (total: number): Effect.Effect<number, StoreUnavailable> =>
    Effect.flatMap(
      batch,
      ({ deleted }) => deleted < batchSize ? Effect.succeed(total + deleted) : loop(total + deleted)
    )
  return loop(0)
}

const positiveInteger = (
  value: number | undefined,
  fallback: number,
  what: string
): Result.Result<number, Misconfigured> => {
  const n = value ?? fallback
  return Number.isSafeInteger(n) && n > 0
    ? Result.succeed(n)
    : Result.fail(new Misconfigured({ message: `SqlStore: ${what} must be a positive integer, got ${n}` }))
}

/**
 * Options of {@link deleteExpired}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeleteExpiredOptions extends TableOptions {
  /** Rows deleted per statement. Default 1,000. */
  readonly batchSize?: number | undefined
}

/**
 * Deletes every expired row (lapsed leases and completions past their retention) in batches of
 * `batchSize`, one statement each; returns how many were deleted. For applications that disable
 * the background cleanup and schedule it themselves. Safe to run from several processes at once.
 *
 * @since 0.1.0
 * @category maintenance
 */
export const deleteExpired = (
  options?: DeleteExpiredOptions
): Effect.Effect<number, StoreUnavailable | Misconfigured, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const table = yield* Effect.fromResult(resolveTable(options?.table))
    const batchSize = yield* Effect.fromResult(positiveInteger(options?.batchSize, 1000, "batchSize"))
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const dialect = yield* dialectOf(sql)
    return yield* sweep(Statement.statements(sql, undefined).run, dialect.cleanup(table), batchSize)
  })

/**
 * Builds the store on the `SqlClient` in context: checks the dialect, creates the table when
 * missing (unless `createTable: false`), checks its columns, and starts the background cleanup in
 * the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: SqlStoreOptions
): Effect.Effect<
  IdempotencyStore.IdempotencyStore["Service"],
  StoreUnavailable | Misconfigured,
  SqlClient.SqlClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const table = yield* Effect.fromResult(resolveTable(options?.table))
    const cleanup = options?.cleanup === false ? undefined : {
      interval: Duration.fromInputUnsafe(options?.cleanup?.interval ?? Duration.minutes(5)),
      batchSize: yield* Effect.fromResult(positiveInteger(options?.cleanup?.batchSize, 1000, "cleanup.batchSize"))
    }
    const timeout = Duration.fromInputUnsafe(options?.timeout ?? Duration.seconds(5))
    // Result names must stay as written whatever name transforms the application configured.
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const dialect = yield* dialectOf(sql)

    if (options?.createTable !== false) {
      yield* bootstrap(dialect, sql, table)
    }
    yield* sql.unsafe(dialect.probe(table)).raw.pipe(
      Effect.mapError((error) =>
        isSchemaProblem(error)
          ? new Misconfigured({
            message: `SqlStore: table ${table.qualified} is missing or lacks the expected columns ` +
              `(${Unavailable.describe(error)}); create it with SqlStore.migration or createTable: true`
          })
          : Unavailable.fromSqlError("start")(error)
      )
    )

    const { run } = Statement.statements(sql, Duration.isFinite(timeout) ? timeout : undefined)
    const claimSql = dialect.claim(table)
    const completeSql = dialect.complete(table)
    const releaseSql = dialect.release(table)

    if (cleanup !== undefined) {
      const cleanupSql = dialect.cleanup(table)
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.andThen(
            Effect.sleep(cleanup.interval),
            Effect.catch(
              sweep(run, cleanupSql, cleanup.batchSize),
              (error) => Effect.logWarning("SqlStore cleanup failed; retrying at the next interval", error.message)
            )
          )
        )
      )
    }

    // Plain functions, not `Effect.fn`: the pipeline already wraps each store call in its own span
    // when a tracer is installed, and `Effect.fn` captures a stack trace on every call.
    const claim = (key: string, fingerprint: string, lease: Duration.Duration) =>
      Effect.suspend(() => {
        const token = crypto.randomUUID()
        return Effect.flatMap(
          run<ClaimRow>("claim", claimSql, [key, token, fingerprint, millis(lease)]),
          (rows): Effect.Effect<IdempotencyStore.ClaimResult, StoreUnavailable> => {
            const row = rows[0]
            if (!isClaimRow(row)) return Effect.fail(Unavailable.unexpected("claim", "claim row"))
            // The statement returns the row it inserted or locked: ours if the token is the one proposed.
            if (row.token === token) return Effect.succeed(IdempotencyStore.Claimed({ token }))
            return Effect.succeed(
              row.state === "completed"
                ? IdempotencyStore.Completed({ fingerprint: row.fingerprint })
                : IdempotencyStore.InFlight()
            )
          }
        )
      })
    const complete = (key: string, token: string, retain: Duration.Duration) =>
      tokenShape.test(token)
        ? Effect.map(run("complete", completeSql, [key, token, millis(retain)]), (rows) => rows.length === 1)
        : Effect.succeed(false)
    const release = (key: string, token: string) =>
      tokenShape.test(token)
        ? Effect.map(run("release", releaseSql, [key, token]), (rows) => rows.length === 1)
        : Effect.succeed(false)

    // The handler's statements and the completion on one connection, in one transaction: the one
    // the SqlClient's own `withTransaction` opens, so the handler reaches it through the ordinary
    // `SqlClient` (its nested `withTransaction` becomes a savepoint, its `afterCommit` runs after
    // the commit). The claim was committed before, on its own: other processes see it in flight.
    const completeInTransactionSql = dialect.completeInTransaction(table)
    const transaction: IdempotencyStore.Transaction = (key, token, body) =>
      Effect.withFiber((fiber) => {
        // Statements of another client (another pool) would run outside the transaction, silently
        // committed on their own: refuse before anything runs.
        const client = Context.getOrUndefined(fiber.context, SqlClient.SqlClient)
        if (client !== undefined && client.transactionService !== sql.transactionService) {
          return Effect.fail(foreignClient)
        }
        const completeIn = (retain: Duration.Duration) =>
          tokenShape.test(token)
            ? Effect.map(
              run("complete", completeInTransactionSql, [key, token, millis(retain)]),
              (rows) => rows.length === 1
            )
            : Effect.succeed(false)
        let bodyExit: Exit.Exit<unknown, unknown> | undefined
        const inside = Effect.onExit(body(completeIn), (exit) => {
          bodyExit = exit
          return Effect.void
        })
        return Effect.catchCause(sql.withTransaction(inside), (cause) => {
          // The body's own failure (the handler's, or the completion's) is the outcome, even when the
          // rollback failed too: the server rolls back a transaction whose connection is gone.
          if (bodyExit !== undefined && Exit.isFailure(bodyExit)) {
            return Effect.failCause(bodyExit.cause as Cause.Cause<never>)
          }
          if (Cause.hasInterruptsOnly(cause)) {
            return Effect.failCause(cause as Cause.Cause<never>)
          }
          return Effect.fail(transactionFailed(bodyExit === undefined ? "begin" : "commit", cause))
        })
      })

    const store = { claim, complete, release, transaction }
    return IdempotencyStore.IdempotencyStore.of(store)
  })

/**
 * A layer providing the store on the application's `SqlClient`.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { SqlStore } from "@hookline/store-sql"
 * import * as PgClient from "@effect/sql-pg/PgClient"
 * import * as Layer from "effect/Layer"
 * import * as Redacted from "effect/Redacted"
 *
 * export const store = SqlStore.layer({ table: "hookline_deliveries" }).pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make("postgres://postgres@127.0.0.1:5432/app") }))
 * )
 * ```
 */
export const layer = (
  options?: SqlStoreOptions
): Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured, SqlClient.SqlClient> =>
  Layer.effect(IdempotencyStore.IdempotencyStore, make(options))

/**
 * The store on its own PostgreSQL pool (`@effect/sql-pg`, loaded on first use so applications on
 * other drivers need not install it). The pool is also provided as `PgClient` / `SqlClient`, so
 * handlers can use the same database.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * ```ts
 * import { SqlStore } from "@hookline/store-sql"
 * import * as Config from "effect/Config"
 *
 * export const store = SqlStore.layerPg({ url: Config.Redacted("DATABASE_URL"), pool: { maxConnections: 20 } })
 * ```
 */
export const layerPg = (
  options: PgOptions
): Layer.Layer<
  IdempotencyStore.IdempotencyStore | PgClient.PgClient | SqlClient.SqlClient,
  StoreUnavailable | Misconfigured
> =>
  Layer.unwrap(Effect.gen(function*() {
    const pg = yield* Effect.tryPromise({
      try: () => import("@effect/sql-pg/PgClient"),
      catch: () =>
        new Misconfigured({ message: "SqlStore.layerPg needs the @effect/sql-pg package: npm install @effect/sql-pg" })
    })
    const client = pg.layerFrom(Effect.gen(function*() {
      const [url] = yield* Secret.resolve(options.url, "SqlStore PostgreSQL url")
      yield* checkPgUrl(url)
      // No connection is opened here (the pool is lazy): errors surface at the first statement.
      return yield* Effect.mapError(pg.make({ ...options.pool, url }), Unavailable.fromSqlError("connect"))
    }))
    return Layer.provideMerge(layer(options), client)
  }))
