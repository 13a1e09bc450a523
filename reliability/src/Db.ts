/**
 * The driver's own PostgreSQL connection (application_name `hookline-reliability-driver`): creates
 * and reads the ledger, terminates the servers' store backends by their application_name (never
 * anything else), and drops what the run created.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

export const pgUrlText = process.env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

export interface Db {
  readonly query: <A extends object>(statement: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<A>>
  readonly close: () => Promise<void>
}

export const open = (): Db => {
  const runtime = ManagedRuntime.make(
    PgClient.layer({
      url: Redacted.make(pgUrlText),
      maxConnections: 2,
      applicationName: "hookline-reliability-driver"
    })
  )
  return {
    query: <A extends object>(statement: string, params: ReadonlyArray<unknown> = []) =>
      runtime.runPromise(
        Effect.gen(function*() {
          const sql = yield* PgClient.PgClient
          return yield* sql.unsafe<A>(statement, [...params])
        })
      ),
    close: () => runtime.dispose()
  }
}

/** Terminates the backends of one application_name (in the select list: only those rows). */
export const terminateBackends = async (db: Db, app: string): Promise<number> => {
  const rows = await db.query<{ terminated: boolean }>(
    "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1",
    [app]
  )
  return rows.filter((row) => row.terminated).length
}
