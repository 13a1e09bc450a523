/**
 * One parameterised statement, its errors as `StoreUnavailable` and bounded by a timeout.
 *
 * @internal
 */
import type { StoreUnavailable } from "@hookline/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import * as Unavailable from "./unavailable.ts"

export interface Statements {
  readonly run: <A extends object>(
    operation: string,
    text: string,
    params: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<A>, StoreUnavailable>
}

export const statements = (sql: SqlClient.SqlClient, timeout: Duration.Duration | undefined): Statements => ({
  run: <A extends object>(operation: string, text: string, params: ReadonlyArray<unknown>) => {
    const statement = Effect.mapError(sql.unsafe<A>(text, params), Unavailable.fromSqlError(operation))
    return timeout === undefined ? statement : Effect.timeoutOrElse(statement, {
      duration: timeout,
      orElse: () => Effect.fail(Unavailable.timedOut(operation, Duration.toMillis(timeout)))
    })
  }
})
