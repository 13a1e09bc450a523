/**
 * Transactional handlers (`transactional: true`) on the real PostgreSQL store, through HTTP: the
 * handler's writes through the application's `SqlClient` and the completion of its claim commit in
 * one transaction, or not at all — a failure, a defect, a terminated backend, the claim's deadline,
 * a lost claim all leave nothing behind, and the platform's retry then applies the side effect once.
 * Also the outbox example of docs/concepts.md, run as written.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, type IdempotencyStore, type WebhookHandler } from "@hookline/core"
import { listen, type TestServer } from "@hookline/core/testing"
import { SqlStore } from "@hookline/store-sql"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as SqlClient from "effect/sql/SqlClient"
import * as Logs from "../../../test-support/Logs.ts"
import { eventually, within } from "../../../test-support/Wait.ts"
import { dropTables, pgUrl, rowsOf, runAdmin, terminateBackends, uniqueApp, uniqueTable } from "./support.ts"

const store = uniqueTable("tx_store")
const orders = uniqueTable("tx_orders")
const outbox = uniqueTable("tx_outbox")
beforeAll(() =>
  runAdmin(Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    // No unique key on purpose: a side effect applied twice shows as two rows.
    yield* sql.unsafe(`CREATE TABLE ${orders} (key text NOT NULL, token uuid NOT NULL, amount numeric NOT NULL)`)
    yield* sql.unsafe(
      `CREATE TABLE ${outbox} (id bigserial PRIMARY KEY, topic text NOT NULL, payload jsonb NOT NULL, ` +
        "sent_at timestamptz)"
    )
  }))
)
const tables = [store, orders, outbox]
afterAll(() => runAdmin(dropTables(...tables)))

const secret = Redacted.make("transactional-secret")
const options = { secret, name: "tx" } as const
const sign = (id: string) => Hmac.testing.sign(options, { body: { order: id, amount: "12.30" }, id })

class Injected extends Data.TaggedError("Injected")<{ readonly message: string }> {}

/** The side effect: one order row, through the application's `SqlClient`. */
const writeOrder = (context: WebhookHandler.DeliveryContext) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO ${sql(orders)} (key, token, amount) VALUES (${context.key}, ${context.token}::uuid, 12.30)`
  })

/**
 * A handler that writes its order and then, on its first run only, does `first` (fails, dies,
 * hangs): the retries write and succeed.
 */
const writingThen = <E>(first: Effect.Effect<void, E>) => {
  let runs = 0
  return {
    runs: () => runs,
    handle: (_event: unknown, context: WebhookHandler.DeliveryContext) =>
      Effect.andThen(writeOrder(context), Effect.suspend(() => ++runs === 1 ? first : Effect.void))
  }
}

const ordersOf = (key: string) =>
  runAdmin(Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    return yield* sql<{ token: string }>`SELECT token::text AS token FROM ${sql(orders)} WHERE key = ${key}`
  }))

const storeRow = async (key: string) => (await runAdmin(rowsOf(store))).find((row) => row.key === key)

/** The store on its own pool, provided to handlers as `SqlClient` (one client: the transaction's). */
const storeLayer = (app?: string) =>
  Logs.capturing(SqlStore.layerPg({
    url: pgUrl,
    table: store,
    pool: app === undefined ? { maxConnections: 4 } : { maxConnections: 4, applicationName: app }
  }))

const withServer = async <R, E>(
  handler: WebhookHandler.WebhookHandler<R>,
  layer: Layer.Layer<R | IdempotencyStore.IdempotencyStore, E>,
  f: (server: TestServer) => Promise<void>
) => {
  const server = await listen(handler, layer)
  try {
    await f(server)
  } finally {
    await server.close()
  }
}

const retryUntilOk = async (server: TestServer, delivery: ReturnType<typeof sign>) => {
  let answer = await server.send(delivery)
  for (let attempt = 0; answer.status !== 200 && attempt < 200; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    answer = await server.send(delivery)
  }
  return answer
}

describe("transactional handlers on PostgreSQL", () => {
  it("the handler's write commits with the completion; the retry is a duplicate and writes nothing", async () => {
    const handler = defineHandler(Hmac.provider(options), (_event, context) => writeOrder(context), {
      transactional: true
    })
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("commit-1")
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 200, first.body)
      const again = await server.send(delivery)
      assert.strictEqual(again.status, 200)
      assert.include(again.body, "Duplicate")
      const rows = await ordersOf("tx:commit-1")
      assert.strictEqual(rows.length, 1)
      const claim = await storeRow("tx:commit-1")
      assert.strictEqual(claim?.state, "completed")
      assert.strictEqual(claim?.token, rows[0]!.token, "written under the claim that completed")
    })
  })

  it("a handler that fails after writing leaves no write and no claim; the retry writes once", async () => {
    const run = writingThen(Effect.fail(new Injected({ message: "after the write" })))
    const handler = defineHandler(Hmac.provider(options), run.handle, { transactional: true })
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("fail-1")
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 500, first.body)
      assert.include(first.body, "HandlerFailed")
      assert.deepStrictEqual(await ordersOf("tx:fail-1"), [], "the write was rolled back")
      assert.isUndefined(await storeRow("tx:fail-1"), "the claim was released")
      const retry = await server.send(delivery)
      assert.strictEqual(retry.status, 200, retry.body)
      assert.strictEqual((await ordersOf("tx:fail-1")).length, 1)
      assert.strictEqual(run.runs(), 2)
    })
  })

  it("a handler that dies after writing (a thrown exception) leaves nothing behind either", async () => {
    const run = writingThen(Effect.sync(() => {
      throw new Error("bug after the write")
    }))
    const handler = defineHandler(Hmac.provider(options), run.handle, { transactional: true })
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("die-1")
      assert.strictEqual((await server.send(delivery)).status, 500, "HandlerFailed")
      assert.deepStrictEqual(await ordersOf("tx:die-1"), [])
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual((await ordersOf("tx:die-1")).length, 1)
    })
  })

  it("the same handler without `transactional` keeps the failed run's write (what the mode prevents)", async () => {
    const handler = defineHandler(
      Hmac.provider(options),
      writingThen(Effect.fail(new Injected({ message: "after the write" }))).handle
    )
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("plain-1")
      assert.strictEqual((await server.send(delivery)).status, 500, "HandlerFailed")
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual((await ordersOf("tx:plain-1")).length, 2, "applied twice without a transaction")
    })
  })

  it("the handler's backend terminated mid-transaction: the write is gone, the retry writes once", async () => {
    const app = uniqueApp("tx-terminate")
    const written = Deferred.makeUnsafe<void>()
    const proceed = Deferred.makeUnsafe<void>()
    let runs = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) =>
        Effect.gen(function*() {
          yield* writeOrder(context)
          if (++runs === 1) {
            yield* Deferred.succeed(written, undefined)
            yield* Deferred.await(proceed)
          }
        }),
      { transactional: true }
    )
    await withServer(handler, storeLayer(app), async (server) => {
      const delivery = sign("terminate-1")
      const first = server.send(delivery)
      await within(Effect.runPromise(Deferred.await(written)), 5000, "the first run did not write")
      const terminated = await runAdmin(terminateBackends(app))
      assert.isAbove(terminated, 0)
      await Effect.runPromise(Deferred.succeed(proceed, undefined))
      const answer = await first
      assert.strictEqual(answer.status, 503, answer.body)
      assert.deepStrictEqual(await ordersOf("tx:terminate-1"), [], "the server rolled the write back")
      const retry = await retryUntilOk(server, delivery)
      assert.strictEqual(retry.status, 200, retry.body)
      assert.strictEqual((await ordersOf("tx:terminate-1")).length, 1)
    })
  })

  it("a handler interrupted at its claim's deadline is rolled back; the retry writes once", async () => {
    const handler = defineHandler(Hmac.provider(options), writingThen(Effect.never).handle, {
      transactional: true,
      lease: "600 millis",
      timeBudget: "5 seconds"
    })
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("deadline-1")
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 503, first.body)
      assert.include(first.body, "TimedOut")
      assert.deepStrictEqual(await ordersOf("tx:deadline-1"), [])
      const retry = await retryUntilOk(server, delivery)
      assert.strictEqual(retry.status, 200, retry.body)
      assert.strictEqual((await ordersOf("tx:deadline-1")).length, 1)
    })
  })

  it("a run that lost its claim (an uninterruptible call past the lease) cannot commit; the new holder's write stands", async () => {
    const firstWrote = Deferred.makeUnsafe<WebhookHandler.DeliveryContext>()
    const release = Deferred.makeUnsafe<void>()
    const firstDone = Deferred.makeUnsafe<void>()
    let runs = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) => {
        if (++runs > 1) return writeOrder(context)
        // The first run writes, then an external call that ignores interruption outlives its lease.
        return Effect.uninterruptible(Effect.gen(function*() {
          yield* writeOrder(context)
          yield* Deferred.succeed(firstWrote, context)
          yield* Deferred.await(release)
        })).pipe(Effect.ensuring(Deferred.succeed(firstDone, undefined)))
      },
      { transactional: true, lease: "1 second", timeBudget: "200 millis" }
    )
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("lost-1")
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 503, "answered 'retry' at the time budget")
      const firstContext = await within(Effect.runPromise(Deferred.await(firstWrote)), 5000, "no first write")
      // The platform retries until the 1 s lease ran out in PostgreSQL's time and the key is taken over.
      const retry = await retryUntilOk(server, delivery)
      assert.strictEqual(retry.status, 200, retry.body)
      // The first run's call returns; its completion is refused (the token changed), so it rolls back.
      await Effect.runPromise(Deferred.succeed(release, undefined))
      await within(Effect.runPromise(Deferred.await(firstDone)), 5000, "the first run did not end")
      await eventually(async () => (await ordersOf("tx:lost-1")).length === 1, 5000, "one order row")
      const rows = await ordersOf("tx:lost-1")
      assert.strictEqual(rows.length, 1)
      assert.notStrictEqual(rows[0]!.token, firstContext.token, "the row is the new holder's")
      assert.strictEqual((await storeRow("tx:lost-1"))?.token, rows[0]!.token)
    })
  })

  it("past the time budget the transaction goes on in the background and commits; the retry is a duplicate", async () => {
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) => Effect.andThen(writeOrder(context), Effect.sleep(Duration.millis(400))),
      { transactional: true, timeBudget: "100 millis" }
    )
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("background-1")
      const first = await server.send(delivery)
      assert.strictEqual(first.status, 503)
      assert.include(first.body, "TimedOut")
      const retry = await retryUntilOk(server, delivery)
      assert.include(retry.body, "Duplicate")
      assert.strictEqual((await ordersOf("tx:background-1")).length, 1)
    })
  })

  it("the handler's own withTransaction is a savepoint of the delivery's transaction", async () => {
    let runs = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* sql.withTransaction(writeOrder(context))
          if (++runs === 1) return yield* new Injected({ message: "after the inner transaction" })
        }),
      { transactional: true }
    )
    await withServer(handler, storeLayer(), async (server) => {
      const delivery = sign("nested-1")
      assert.strictEqual((await server.send(delivery)).status, 500, "HandlerFailed")
      assert.deepStrictEqual(await ordersOf("tx:nested-1"), [], "the inner commit was only a savepoint")
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual((await ordersOf("tx:nested-1")).length, 1)
    })
  })

  it("a COMMIT that fails (a deferred constraint) records nothing: no completion, no write, 'retry'", async () => {
    const unique = uniqueTable("tx_deferred")
    tables.push(unique)
    await runAdmin(Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* sql.unsafe(`CREATE TABLE ${unique} (ref text UNIQUE DEFERRABLE INITIALLY DEFERRED)`)
      yield* sql.unsafe(`INSERT INTO ${unique} (ref) VALUES ('taken')`)
    }))
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) =>
        Effect.gen(function*() {
          yield* writeOrder(context)
          const sql = yield* SqlClient.SqlClient
          // Accepted now, refused at COMMIT: the completion was recorded in the transaction by then.
          yield* sql`INSERT INTO ${sql(unique)} (ref) VALUES ('taken')`
        }),
      { transactional: true }
    )
    const logs = Logs.make()
    await withServer(handler, logs.capturing(SqlStore.layerPg({ url: pgUrl, table: store })), async (server) => {
      const answer = await server.send(sign("commit-fails-1"))
      assert.strictEqual(answer.status, 503, answer.body)
      assert.include(answer.body, "StoreUnavailable")
      assert.deepStrictEqual(await ordersOf("tx:commit-fails-1"), [])
      assert.isUndefined(await storeRow("tx:commit-fails-1"), "no completion; the claim was released")
      const failure = logs.matching(/^webhook failed: SqlStore transaction COMMIT failed, its outcome is unknown/)
      assert.strictEqual(failure.length, 1, logs.entries.map((entry) => entry.message).join("\n"))
    })
  })

  it("a handler whose SqlClient is another pool than the store's is refused before it runs", async () => {
    let runs = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (_event, context) => Effect.andThen(Effect.sync(() => runs++), writeOrder(context)),
      { transactional: true }
    )
    const logs = Logs.make()
    // The store on one pool, the application's SqlClient another: the handler's statements would
    // commit on their own.
    const layer = Layer.mergeAll(
      SqlStore.layer({ table: store }).pipe(Layer.provide(PgClient.layer({ url: pgUrl, maxConnections: 2 }))),
      PgClient.layer({ url: pgUrl, maxConnections: 2 }),
      logs.layer
    )
    await withServer(handler, layer, async (server) => {
      const answer = await server.send(sign("foreign-1"))
      assert.strictEqual(answer.status, 503)
      assert.strictEqual(runs, 0, "the handler never ran")
      assert.deepStrictEqual(await ordersOf("tx:foreign-1"), [])
      assert.isUndefined(await storeRow("tx:foreign-1"), "the claim was released")
      const failure = logs.matching(/^webhook failed: SqlStore: a transactional handler runs with another SqlClient/)
      assert.strictEqual(failure.length, 1, logs.entries.map((entry) => entry.message).join("\n"))
    })
  })
})

// --- the outbox, as in docs/concepts.md ("Side effects outside the database: an outbox") ---------

/** The handler: records the order and, in the same transaction, the message to send. */
const recordOrder = (event: { readonly payload: unknown }, context: WebhookHandler.DeliveryContext) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO ${sql(orders)} (key, token, amount) VALUES (${context.key}, ${context.token}::uuid, 12.30)`
    yield* sql`INSERT INTO ${sql(outbox)} (topic, payload) VALUES ('order.paid', ${
      JSON.stringify({ key: context.key, order: event.payload })
    }::jsonb)`
  })

/**
 * The relay: sends committed messages, oldest first, and marks them sent. `SKIP LOCKED` lets several
 * relays run; a message is sent at least once (a crash between sending and marking sends it again),
 * so the receiving side dedupes by the outbox id.
 */
const relayOnce = (send: (message: { readonly id: string; readonly payload: unknown }) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(Effect.gen(function*() {
      const due = yield* sql<{ id: string; payload: unknown }>`
        SELECT id::text AS id, payload FROM ${sql(outbox)}
        WHERE sent_at IS NULL ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED`
      for (const message of due) {
        yield* send(message)
        yield* sql`UPDATE ${sql(outbox)} SET sent_at = now() WHERE id = ${message.id}::bigint`
      }
      return due.length
    }))
  })

// ------------------------------------------------------------------------------------------------

describe("the outbox pattern", () => {
  it("a message reaches the outbox only with a committed delivery, and the relay sends it once", async () => {
    let runs = 0
    const handler = defineHandler(
      Hmac.provider(options),
      (event, context) =>
        Effect.andThen(
          recordOrder(event, context),
          Effect.suspend(() =>
            ++runs === 1 ? Effect.fail(new Injected({ message: "after the outbox write" })) : Effect.void
          )
        ),
      { transactional: true }
    )
    const sent: Array<string> = []
    const send = (message: { readonly id: string; readonly payload: unknown }) =>
      Effect.sync(() => {
        sent.push(JSON.stringify(message.payload))
      })
    const layer = storeLayer()
    await withServer(handler, layer, async (server) => {
      const delivery = sign("outbox-1")
      assert.strictEqual((await server.send(delivery)).status, 500, "HandlerFailed")
      const relay = (effect: Effect.Effect<number, unknown, SqlClient.SqlClient>) =>
        Effect.runPromise(Effect.provide(effect, PgClient.layer({ url: pgUrl, maxConnections: 1 })))
      assert.strictEqual(await relay(relayOnce(send)), 0, "the failed run's message was rolled back")
      assert.strictEqual((await server.send(delivery)).status, 200)
      assert.strictEqual((await server.send(delivery)).status, 200, "the duplicate writes no second message")
      assert.strictEqual(await relay(relayOnce(send)), 1)
      assert.strictEqual(await relay(relayOnce(send)), 0, "a sent message is not sent again")
      assert.strictEqual(sent.length, 1)
      assert.include(sent[0]!, "tx:outbox-1")
    })
  })
})
