/**
 * Everything that depends on the SQL dialect, in one place: table DDL, the one statement of each
 * store operation, batched cleanup, and the concurrency-safe bootstrap.
 *
 * PostgreSQL is the only dialect today. MySQL/MariaDB and SQLite are follow-ups: their Effect 4
 * drivers (`@effect/sql-mysql2`, `@effect/sql-sqlite-node`) are not yet released in a version that
 * loads on effect 4.1. Adding one means adding a `Dialect` value here and a branch in `detect`.
 *
 * Statement texts interpolate the table name, which `parseTable` restricts to lower-case SQL
 * identifiers (optionally schema-qualified), so no quoting is needed and nothing user-supplied
 * other than that validated name ever reaches the SQL text; every value is a bound parameter.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

/** A validated table name. */
export interface Table {
  /** As written in SQL: `name` or `schema.name`. */
  readonly qualified: string
  /** The unqualified name, used to derive index names. */
  readonly name: string
}

// Unquoted PostgreSQL identifiers fold to lower case; accepting only lower case keeps the name the
// user writes identical to the name in the catalog. 48 characters leave room for the index suffix
// within PostgreSQL's 63-byte identifier limit (longer names would be truncated silently).
const identifier = /^[a-z_][a-z0-9_]{0,47}$/

/** Parses `name` or `schema.name`; `undefined` when it is not a safe identifier. */
export const parseTable = (input: string): Table | undefined => {
  const parts = input.split(".")
  if (parts.length > 2 || !parts.every((part) => identifier.test(part))) return undefined
  return { qualified: input, name: parts[parts.length - 1]! }
}

/** The columns every statement reads back from a claim. */
export interface ClaimRow {
  readonly token: string
  readonly state: string
  readonly fingerprint: string
}

/** The SQL of one dialect. Parameters are positional and listed per statement. */
export interface Dialect {
  /** A human name for messages. */
  readonly name: string
  /** The table and its index: the name to look each up by, and the idempotent DDL creating it. */
  readonly objects: (table: Table) => ReadonlyArray<{ readonly name: string; readonly ddl: string }>
  /** Runs `ddl` so that concurrent starts (several processes at once) cannot collide. */
  readonly bootstrap: (sql: SqlClient.SqlClient, table: Table) => Effect.Effect<void, SqlError.SqlError>
  /** A statement that fails unless the table exists with the expected columns; returns no rows. */
  readonly probe: (table: Table) => string
  /**
   * Insert-or-take-over-expired. Params: key, token, fingerprint, lease millis (as text). Always
   * returns the row it inserted or locked: `token`, `state`, `fingerprint`.
   */
  readonly claim: (table: Table) => string
  /** Params: key, token, retain millis (as text). Returns one row when the holder completed. */
  readonly complete: (table: Table) => string
  /**
   * `complete` for a statement inside a longer transaction (a transactional handler's): the same
   * fence and parameters, measured with the statement's own clock instead of the transaction's start.
   */
  readonly completeInTransaction: (table: Table) => string
  /** Params: key, token. Returns one row when the holder released. */
  readonly release: (table: Table) => string
  /** Params: batch size (as text). Deletes at most that many expired rows; returns `{ deleted }`. */
  readonly cleanup: (table: Table) => string
}

// Every row either is live (`expires_at > now()`) or is as good as absent. `now()` is the start of
// the statement's transaction; each operation is one autocommit statement, so all comparisons in
// one statement agree with each other and with every other process (server time, no client clocks).
const expired = (alias: string) => `${alias}.expires_at <= now()`
const live = (alias: string) => `${alias}.expires_at > now()`

// Durations arrive as text so the parameter's type is decided by the cast, whatever the driver
// would infer for a JS number (int4 / int8 / float8), keeping one prepared statement per text.
const after = (param: string) => `now() + ${param}::bigint * interval '1 millisecond'`

/**
 * PostgreSQL (any driver whose compiler has the `pg` dialect: `@effect/sql-pg`, PGlite).
 */
export const postgres: Dialect = {
  name: "PostgreSQL",
  // `key` compares byte-wise (COLLATE "C"): keys are opaque identifiers, so locale-aware ordering
  // would only make every index comparison slower. `token` is a uuid (16 bytes, not 36 as text).
  objects: (table) => [
    {
      name: table.qualified,
      ddl: `CREATE TABLE IF NOT EXISTS ${table.qualified} (
  key text COLLATE "C" PRIMARY KEY,
  token uuid NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
  expires_at timestamptz NOT NULL
)`
    },
    {
      // An index lives in its table's schema.
      name: table.qualified.slice(0, table.qualified.length - table.name.length) + `${table.name}_expires_at_idx`,
      ddl: `CREATE INDEX IF NOT EXISTS ${table.name}_expires_at_idx ON ${table.qualified} (expires_at)`
    }
  ],
  // `CREATE TABLE IF NOT EXISTS` is not safe under concurrency in PostgreSQL: two sessions can both
  // see the table missing and one fails with a unique violation on pg_type. A transaction-scoped
  // advisory lock (keyed by the table name) serialises the starters; the existence check under the
  // lock also spares sessions without CREATE privilege when everything is already there.
  bootstrap: (sql, table) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('@hookline/store-sql'), hashtext($1))`, [
        table.qualified
      ]).raw
      for (const object of postgres.objects(table)) {
        const [found] = yield* sql.unsafe<{ readonly exists: boolean }>(
          `SELECT to_regclass($1) IS NOT NULL AS exists`,
          [object.name]
        )
        if (found?.exists !== true) yield* sql.unsafe(object.ddl).raw
      }
    })),
  probe: (table) => `SELECT key, token, fingerprint, state, expires_at FROM ${table.qualified} WHERE false`,
  // A plain `ON CONFLICT DO UPDATE ... WHERE <expired>` returns no row when the WHERE is false, and
  // a second SELECT in the same statement would read the statement's snapshot, in which a row
  // committed concurrently by another session is invisible. So the update always happens (keeping
  // the old values unless the row expired) and RETURNING always yields the row now locked: the
  // caller compares its token with the one it proposed. The no-op update of a live row leaves its
  // indexed columns unchanged, so when its page has room PostgreSQL makes it a HOT update (no new
  // index entries); either way it leaves a dead row version for vacuum.
  claim: (table) =>
    `INSERT INTO ${table.qualified} AS d (key, token, fingerprint, state, expires_at)
VALUES ($1, $2, $3, 'in_flight', ${after("$4")})
ON CONFLICT (key) DO UPDATE SET
  token = CASE WHEN ${expired("d")} THEN EXCLUDED.token ELSE d.token END,
  fingerprint = CASE WHEN ${expired("d")} THEN EXCLUDED.fingerprint ELSE d.fingerprint END,
  state = CASE WHEN ${expired("d")} THEN EXCLUDED.state ELSE d.state END,
  expires_at = CASE WHEN ${expired("d")} THEN EXCLUDED.expires_at ELSE d.expires_at END
RETURNING d.token::text AS token, d.state, d.fingerprint`,
  complete: (table) =>
    `UPDATE ${table.qualified} AS d SET state = 'completed', expires_at = ${after("$3")}
WHERE d.key = $1 AND d.token = $2 AND d.state = 'in_flight' AND ${live("d")}
RETURNING 1 AS done`,
  // `now()` is the transaction's start: in a transaction that ran a handler for seconds, the lease
  // is checked, and the retention measured, at the moment of this statement instead.
  completeInTransaction: (table) =>
    `UPDATE ${table.qualified} AS d SET state = 'completed',
  expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
WHERE d.key = $1 AND d.token = $2 AND d.state = 'in_flight' AND d.expires_at > clock_timestamp()
RETURNING 1 AS done`,
  release: (table) =>
    `DELETE FROM ${table.qualified} AS d
WHERE d.key = $1 AND d.token = $2 AND d.state = 'in_flight' AND ${live("d")}
RETURNING 1 AS done`,
  // SKIP LOCKED lets several processes clean concurrently without queueing behind each other or
  // behind a claim holding a row; the outer re-check keeps a row that was taken over meanwhile.
  cleanup: (table) =>
    `WITH doomed AS (
  SELECT key FROM ${table.qualified} AS d WHERE ${expired("d")} LIMIT $1::integer FOR UPDATE SKIP LOCKED
), gone AS (
  DELETE FROM ${table.qualified} AS d USING doomed WHERE d.key = doomed.key AND ${expired("d")} RETURNING 1
)
SELECT count(*)::integer AS deleted FROM gone`
}

/** The dialect of a client, or the name of its unsupported dialect. */
export const detect = (sql: SqlClient.SqlClient): Dialect | { readonly unsupported: string } =>
  sql.onDialectOrElse<{ readonly unsupported: string }, never, Dialect>({
    pg: () => postgres,
    orElse: () => ({
      unsupported: sql.onDialectOrElse({
        mysql: () => "mysql",
        sqlite: () => "sqlite",
        mssql: () => "mssql",
        clickhouse: () => "clickhouse",
        orElse: () => "unknown"
      })
    })
  })
