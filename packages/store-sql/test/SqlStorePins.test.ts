/**
 * Pins on `SqlStore.ts` that mutation testing showed no other test held, on the real PostgreSQL:
 * which tokens reach the database (a UUID in either case) and which are refused without a
 * statement, and the cap on durations (see docs/testing.md).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logs from "../../../test-support/Logs.ts"
import { adminLayer, dropTables, pgUrl, runAdmin, uniqueTable } from "./support.ts"

const table = uniqueTable("pins")
const strange = uniqueTable("pinsstate")
const dropped = uniqueTable("pinsdropped")
afterAll(() => runAdmin(dropTables(table, strange, dropped)), 30_000)

const long = Duration.minutes(10)

const withStore = <A, E, R>(
  f: (store: IdempotencyStore.IdempotencyStore["Service"]) => Effect.Effect<A, E, R>,
  options?: Partial<SqlStore.PgOptions>
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(Logs.capturing(SqlStore.layerPg({ url: pgUrl, table, cleanup: false, ...options }))),
      (context) => f(Context.get(context, IdempotencyStore.IdempotencyStore))
    )
  )

const tokenOf = (result: IdempotencyStore.ClaimResult): string =>
  result._tag === "Claimed" ? result.token : assert.fail(`expected Claimed, got ${result._tag}`)

describe("SqlStore tokens", () => {
  it.live("the holder's token in upper case completes and releases (a UUID either way)", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const done = tokenOf(yield* store.claim("upper-complete", "f", long))
        assert.isTrue(yield* store.complete("upper-complete", done.toUpperCase(), long))
        const held = tokenOf(yield* store.claim("upper-release", "f", long))
        assert.isTrue(yield* store.release("upper-release", held.toUpperCase()))
      })
    ))

  it.live("text around a UUID, or no UUID at all, is refused as not the holder's (never a database error)", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const token = tokenOf(yield* store.claim("shapes", "f", long))
        const other = crypto.randomUUID()
        for (const bad of [`x${token}`, `${token}x`, ` ${token}`, "", "not-a-token", other.replaceAll("-", "")]) {
          assert.isFalse(yield* store.complete("shapes", bad, long), JSON.stringify(bad))
          assert.isFalse(yield* store.release("shapes", bad), JSON.stringify(bad))
        }
        assert.isFalse(yield* store.complete("shapes", other, long), "a UUID that is not the holder's")
        assert.strictEqual((yield* store.claim("shapes", "f", long))._tag, "InFlight", "still held")
        assert.isTrue(yield* store.complete("shapes", token, long))
      })
    ))
})

describe("SqlStore durations", () => {
  it.live("an infinite retention is kept for a hundred years (the cap), an infinite lease too", () =>
    Effect.gen(function*() {
      yield* withStore((store) =>
        Effect.gen(function*() {
          const token = tokenOf(yield* store.claim("forever-done", "f", long))
          assert.isTrue(yield* store.complete("forever-done", token, Duration.infinity))
          tokenOf(yield* store.claim("forever-held", "f", Duration.infinity))
        })
      )
      const sql = yield* PgClient.PgClient
      const rows = yield* sql.unsafe<{ key: string; years: number }>(
        `SELECT key, extract(epoch FROM expires_at - now()) / (365 * 24 * 3600) AS years FROM ${table} ` +
          `WHERE key LIKE 'forever-%' ORDER BY key`
      )
      assert.deepStrictEqual(rows.map((row) => row.key), ["forever-done", "forever-held"])
      for (const row of rows) {
        assert.approximately(Number(row.years), 100, 0.1, row.key)
      }
    }).pipe(Effect.provide(adminLayer)))
})

describe("SqlStore failures name the operation", () => {
  it.live("a claim row in a state the store does not know", () =>
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* sql.unsafe(
        `CREATE TABLE ${strange} (key text COLLATE "C" PRIMARY KEY, token uuid NOT NULL, fingerprint text NOT NULL, ` +
          `state text NOT NULL, expires_at timestamptz NOT NULL)`
      )
      yield* sql.unsafe(
        `INSERT INTO ${strange} VALUES ('k', '${crypto.randomUUID()}', 'f', 'archived', now() + interval '1 hour')`
      )
      const error = yield* withStore((store) => Effect.flip(store.claim("k", "f", long)), {
        table: strange,
        createTable: false
      })
      assert.strictEqual(error.message, "SqlStore claim: unexpected answer from the database (claim row)")
    }).pipe(Effect.provide(adminLayer)))

  it.live("complete and release on a table that went away", () =>
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* withStore((store) =>
        Effect.gen(function*() {
          const token = tokenOf(yield* store.claim("k", "f", long))
          yield* sql.unsafe(`DROP TABLE ${dropped}`)
          const complete = yield* Effect.flip(store.complete("k", token, long))
          assert.match(complete.message, /^SqlStore complete failed: /)
          const release = yield* Effect.flip(store.release("k", token))
          assert.match(release.message, /^SqlStore release failed: /)
        }), { table: dropped })
    }).pipe(Effect.provide(adminLayer)))
})
