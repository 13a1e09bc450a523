import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Misconfigured } from "@hookline/core"
import { deadLetterConformance } from "@hookline/core/testing/vitest"
import { SqlDeadLetterStore, SqlStore } from "@hookline/store-sql"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Logs from "../../../test-support/Logs.ts"
import { dropTables, pgUrl, runAdmin, uniqueTable } from "./support.ts"

// The store's own pool for the tests below (PgClient and SqlClient).
const pool = Layer.fresh(PgClient.layer({ url: pgUrl, maxConnections: 2, applicationName: "hookline-test-dl" }))

const tables: Array<string> = []
const table = (label: string) => {
  const name = uniqueTable(label)
  tables.push(name)
  return name
}
afterAll(() => runAdmin(dropTables(...tables)), 30_000)

// On the pool SqlStore.layerPg builds, as the docs show. Times are the application's clock, so the
// suite drives them with TestClock.
deadLetterConformance("SqlDeadLetterStore (PostgreSQL)", (retention) =>
  Logs.capturing(
    SqlDeadLetterStore.layer({ table: table("dl"), retention }).pipe(
      Layer.provideMerge(SqlStore.layerPg({ url: pgUrl, table: table("dl_claims") }))
    )
  ))

describe("SqlDeadLetterStore schema", () => {
  it.effect("the body column is bytea and headers are kept as written (not reordered jsonb)", () =>
    Effect.gen(function*() {
      const name = table("dl_schema")
      const store = yield* SqlDeadLetterStore.make({ table: name })
      const at = Date.now()
      yield* store.record({
        key: "acme:1",
        provider: "acme",
        delivery: { method: "POST", url: "/", headers: { "x-b": "2", "x-a": "1" }, body: new Uint8Array([0, 255]) },
        receivedAt: at,
        reason: { tag: "TimedOut", message: "slow" },
        at
      })
      const sql = yield* PgClient.PgClient
      const [row] = yield* sql.unsafe<{ type: string; headers: string; hex: string }>(
        `SELECT pg_typeof(body)::text AS type, headers, encode(body, 'hex') AS hex FROM ${name}`
      )
      assert.deepStrictEqual(row, { type: "bytea", headers: `{"x-b":"2","x-a":"1"}`, hex: "00ff" })
    }).pipe(Effect.provide(pool)))

  it.effect("createTable: false on a missing table is Misconfigured naming the migration", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(SqlDeadLetterStore.make({ table: table("dl_missing"), createTable: false }))
      assert.strictEqual(exit._tag, "Failure")
      if (exit._tag === "Failure") {
        const text = String(exit.cause)
        assert.include(text, "Misconfigured")
        assert.include(text, "SqlDeadLetterStore.migration")
      }
    }).pipe(Effect.provide(pool)))

  it("migration gives the DDL; an invalid table name is Misconfigured", () => {
    const ddl = Result.getOrThrow(SqlDeadLetterStore.migration({ table: "hooks.dead_letters" }))
    assert.include(ddl, "CREATE TABLE IF NOT EXISTS hooks.dead_letters")
    assert.include(ddl, "body bytea NOT NULL")
    const refused = SqlDeadLetterStore.migration({ table: "Drop Table" })
    assert.isTrue(Result.isFailure(refused) && refused.failure instanceof Misconfigured)
  })
})
