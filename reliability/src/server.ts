/**
 * One receiver process of the exactly-once run (`fleet.ts` starts several). Serves core's HMAC
 * provider at `POST /hmac` on a shared store; the handler appends the delivery's key to a ledger
 * table in PostgreSQL, so the driver can count how often each key was really handled.
 *
 *   PORT          listen port (0: a free one; printed as `{"event":"listening","port":…}`)
 *   HMAC_SECRET   the signing secret
 *   STORE         redis | postgres
 *   REDIS_URL     the (private) Redis of the run;  REDIS_PREFIX  its key prefix
 *   PG_URL        PostgreSQL (store and ledger);   STORE_TABLE   the SqlStore table
 *   STORE_APP     application_name of the store's pool (the driver terminates only these backends)
 *   LEDGER        the ledger table (created by the driver)
 *   LEASE_MS      claim lease (default 2000)
 *   WORK_MS       the handler works up to this long before writing the ledger (default 5)
 *   FAIL_RATE     probability that a handler fails before writing the ledger (default 0)
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { defineHandler, Hmac, type IdempotencyStore, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as http from "node:http"

const env = process.env
const need = (name: string): string => {
  const value = env[name]
  if (value === undefined || value === "") {
    process.stderr.write(`${name} is required\n`)
    process.exit(2)
  }
  return value
}

/** A failure the run injects into handlers ("the downstream API blipped"). */
class InjectedFailure extends Data.TaggedError("InjectedFailure")<{ readonly message: string }> {}

/** The ledger: one row per handler run that reached its side effect. */
class Ledger extends Context.Service<Ledger, {
  readonly record: (key: string) => Effect.Effect<void, unknown>
}>()("@hookline/reliability/Ledger") {}

const pgUrl = Redacted.make(need("PG_URL"))
const ledgerTable = need("LEDGER")
const ledgerLayer = Layer.effect(
  Ledger,
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    return Ledger.of({
      record: (key) =>
        Effect.flatMap(
          Clock.currentTimeMillis,
          (now) =>
            sql.unsafe(`INSERT INTO ${ledgerTable} (key, pid, at_ms) VALUES ($1, $2, $3)`, [key, process.pid, now])
        )
    })
  })
).pipe(Layer.provide(PgClient.layer({ url: pgUrl, maxConnections: 8, applicationName: `${ledgerTable}_ledger` })))

const storeKind = need("STORE")
const storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, unknown> = storeKind === "redis"
  ? RedisStore.layerNode({ url: Redacted.make(need("REDIS_URL")), prefix: need("REDIS_PREFIX") })
  : SqlStore.layerPg({
    url: pgUrl,
    table: need("STORE_TABLE"),
    pool: { applicationName: need("STORE_APP"), maxConnections: 8 }
  })

const work = Number(env.WORK_MS ?? 5)
const failRate = Number(env.FAIL_RATE ?? 0)

const hmac = defineHandler(
  Hmac.provider({ secret: Redacted.make(need("HMAC_SECRET")) }),
  (_event, context) =>
    Effect.gen(function*() {
      yield* Effect.sleep(Duration.millis(Math.floor(Math.random() * work)))
      if (Math.random() < failRate) return yield* new InjectedFailure({ message: "injected handler failure" })
      const ledger = yield* Ledger
      yield* ledger.record(context.key)
    }),
  { lease: Duration.millis(Number(env.LEASE_MS ?? 2000)) }
)

// Warnings and errors only: the run sends tens of thousands of deliveries, and the pretty Info lines
// (`webhook in flight elsewhere` for every concurrent duplicate) would cost more CPU than the pipeline.
const quiet = Layer.succeed(References.MinimumLogLevel, "Warn")
const listener = toNodeListener(route({ "/hmac": hmac }), Layer.mergeAll(storeLayer, ledgerLayer, quiet))
const server = http.createServer(listener)
server.keepAliveTimeout = 30_000
server.listen(Number(env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`${JSON.stringify({ event: "listening", pid: process.pid, port })}\n`)
})

const shutdown = () => {
  server.close()
  void listener.dispose().then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
