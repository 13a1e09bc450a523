/**
 * Shared pieces of the PostgreSQL tests: the server URL, unique table names per test file run, and
 * an admin client (a plain `@effect/sql-pg` pool, separate from the stores under test) to look at
 * and manipulate the tables directly.
 *
 * The tests need the real server (`HOOKLINE_PG_URL`, default postgres://postgres@127.0.0.1:5432/test)
 * and fail when it is missing: nothing here skips.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { SqlError } from "effect/sql/SqlError"

export const pgUrlText = process.env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
export const pgUrl = Redacted.make(pgUrlText)

/** A table name no other run uses: `hl_<label>_<pid>_<random>`. */
export const uniqueTable = (label: string): string =>
  `hl_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A unique `application_name`, to find a store's own backends in `pg_stat_activity`. */
export const uniqueApp = (label: string): string =>
  `hookline-test-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

/** The admin pool's layer (a separate pool, never the one under test). */
export const adminLayer: Layer.Layer<PgClient.PgClient, SqlError> = Layer.fresh(
  PgClient.layer({ url: pgUrl, maxConnections: 4, applicationName: "hookline-test-admin" })
)

/** Runs an effect on a fresh admin pool (for `afterAll` and other promise-land code). */
export const runAdmin = <A, E>(effect: Effect.Effect<A, E, PgClient.PgClient>): Promise<A> =>
  Effect.runPromise(Effect.provide(effect, adminLayer))

/** Drops tables (and anything depending on them). */
export const dropTables = (...tables: ReadonlyArray<string>): Effect.Effect<void, SqlError, PgClient.PgClient> =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    for (const table of tables) yield* sql.unsafe(`DROP TABLE IF EXISTS ${table} CASCADE`)
  })

/** The rows of a store table, by key. */
export const rowsOf = (table: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    return yield* sql.unsafe<{ key: string; token: string; state: string; fingerprint: string; expired: boolean }>(
      `SELECT key, token::text AS token, state, fingerprint, expires_at <= now() AS expired FROM ${table} ORDER BY key`
    )
  })

/** Backends of an application name, optionally only those waiting for a lock. */
export const backendsOf = (app: string, waitingForLock = false) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const rows = yield* sql.unsafe<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1${
        waitingForLock ? " AND wait_event_type = 'Lock'" : ""
      }`,
      [app]
    )
    return rows.map((row) => row.pid)
  })

/** Waits (polling) until `app` has a backend waiting for a lock; fails after ~10 s. */
export const awaitLockWaiter = (app: string) =>
  backendsOf(app, true).pipe(
    Effect.flatMap((pids) => pids.length > 0 ? Effect.succeed(pids) : Effect.fail("no lock waiter yet" as const)),
    Effect.retry({ schedule: Schedule.spaced(Duration.millis(25)), times: 400 })
  )

/** Terminates every backend of `app` (never anything else); returns how many. */
export const terminateBackends = (app: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    // In the select list, not the WHERE clause: PostgreSQL may evaluate WHERE conditions in any
    // order, and pg_terminate_backend must only ever see this application's backends.
    const rows = yield* sql.unsafe<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1`,
      [app]
    )
    return rows.filter((row) => row.terminated).length
  })

/** An open admin transaction holding a lock until the scope closes (rolled back then). */
export const holdInTransaction = (statement: string, params: ReadonlyArray<unknown> = []) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const scope: Scope.Scope = yield* Effect.scope
    const locked = yield* Latch.make()
    const done = yield* Latch.make()
    yield* Effect.forkIn(
      sql.withTransaction(
        Effect.andThen(
          sql.unsafe(statement, params),
          Effect.andThen(locked.open, Effect.andThen(done.await, Effect.fail("rollback" as const)))
        )
      ).pipe(Effect.ignore),
      scope
    )
    yield* Effect.addFinalizer(() => done.open)
    yield* locked.await
  })
