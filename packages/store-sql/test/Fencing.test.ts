/**
 * The fenced write of docs/concepts.md ("Two holders, one key"), run as written against the real
 * PostgreSQL store: a handler that outlives its claim (an external call that ignored the deadline)
 * cannot write after another delivery took the key over, because its write is conditional, in one
 * transaction, on the store still holding the key under its token.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, type WebhookHandler } from "@hookline/core"
import { listen } from "@hookline/core/testing"
import { SqlStore } from "@hookline/store-sql"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as SqlClient from "effect/sql/SqlClient"
import * as Logs from "../../../test-support/Logs.ts"
import { within } from "../../../test-support/Wait.ts"
import { dropTables, pgUrl, runAdmin, uniqueTable } from "./support.ts"

const store = uniqueTable("fence_store")
const charges = uniqueTable("fence_charges")
afterAll(() => runAdmin(dropTables(store, charges)))

// --- the example, as in docs/concepts.md -------------------------------------------------------

class LostClaim extends Data.TaggedError("LostClaim")<{ readonly key: string }> {}

/**
 * Writes the charge only while this delivery still holds its claim. `FOR UPDATE` locks the claim's
 * row until the transaction ends: a takeover (another delivery claiming the key after the lease)
 * waits for the commit, and a holder whose claim was already taken over finds no row and writes
 * nothing.
 */
const fencedCharge = (context: WebhookHandler.DeliveryContext, amount: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Effect.gen(function*() {
      const held = yield* sql`
        SELECT 1 FROM ${sql(store)}
        WHERE key = ${context.key} AND token = ${context.token}::uuid
          AND state = 'in_flight' AND expires_at > now()
        FOR UPDATE`
      if (held.length === 0) return yield* new LostClaim({ key: context.key })
      yield* sql`INSERT INTO ${
        sql(charges)
      } (delivery_key, token, amount) VALUES (${context.key}, ${context.token}::uuid, ${amount})`
    }))
  })

// ------------------------------------------------------------------------------------------------

const secret = Redacted.make("fencing-secret")
const options = { secret, name: "fence" } as const

describe("fencing a SQL write with the claim token", () => {
  it("a handler that outlived its claim cannot write after a takeover; the new holder's write stands", async () => {
    const layer = Logs.capturing(SqlStore.layerPg({ url: pgUrl, table: store }))
    const slowCall = Deferred.makeUnsafe<void>()
    const firstStarted = Deferred.makeUnsafe<WebhookHandler.DeliveryContext>()
    const attempted = Deferred.makeUnsafe<string>()
    let run = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) => {
        run++
        if (run > 1) return fencedCharge(context, "100.00")
        // The first run is an external call that ignores interruption and its signal, then writes.
        return Effect.uninterruptible(
          Effect.gen(function*() {
            yield* Deferred.succeed(firstStarted, context)
            yield* Deferred.await(slowCall)
            const exit = yield* Effect.result(fencedCharge(context, "100.00"))
            yield* Deferred.succeed(attempted, exit._tag === "Success" ? "written" : exit.failure._tag)
          })
        )
      },
      { lease: "1 second", timeBudget: "200 millis" }
    )
    await runAdmin(Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* sql`CREATE TABLE ${
        sql(charges)
      } (delivery_key text PRIMARY KEY, token uuid NOT NULL, amount numeric NOT NULL)`
    }))
    const server = await listen(handler, layer)
    try {
      const delivery = Hmac.testing.sign(options, { body: { order: 1 }, id: "order-1" })
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 503, "the slow first run is answered 'retry' at the time budget")
      const firstContext = await within(
        Effect.runPromise(Deferred.await(firstStarted)),
        5000,
        "the first run did not start"
      )
      // The platform retries (every 50 ms) until the first claim's 1 s lease has run out in
      // PostgreSQL's time and the key is taken over: the lease passing in live time is the scenario.
      let retry = await server.send(delivery)
      for (let attempt = 0; retry.body.includes("InFlight") && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        retry = await server.send(delivery)
      }
      assert.strictEqual(retry.status, 200, `the retry after the lease must be processed, got ${retry.body}`)
      // Now the first run's external call returns and it tries to write.
      await Effect.runPromise(Deferred.succeed(slowCall, undefined))
      const firstWrite = await Effect.runPromise(
        Deferred.await(attempted).pipe(
          Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.succeed("no attempt") })
        )
      )
      assert.strictEqual(firstWrite, "LostClaim", "the first run's write was refused by the fence")
      const rows = await runAdmin(Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        return yield* sql<{ token: string }>`SELECT token::text AS token FROM ${sql(charges)}`
      }))
      assert.strictEqual(rows.length, 1, "exactly one charge")
      assert.notStrictEqual(rows[0]!.token, firstContext.token, "and it is the new holder's")
      assert.strictEqual(run, 2)
    } finally {
      await server.close()
    }
  })
})
