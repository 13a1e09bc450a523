/**
 * The receiver of `npm run scale`: a Node `cluster` primary that forks `WORKERS` workers, all
 * listening on the one `PORT` of 127.0.0.1 (the primary accepts connections and hands them to the
 * workers in turn: Node's default round-robin scheduling on Linux). Each worker serves core's HMAC
 * provider at `POST /hmac` through `toNodeListener`, on `RedisStore.layerNode` or
 * `SqlStore.layerPg`; its handler appends the delivery's key and the worker's pid to a ledger table in
 * PostgreSQL, so the driver can count how often each key was handled, and by which worker.
 *
 *   PORT          the shared port
 *   WORKERS       how many workers to fork
 *   HMAC_SECRET   the signing secret
 *   STORE         redis | postgres
 *   REDIS_URL, REDIS_PREFIX        the Redis of the run and its key prefix
 *   PG_URL        PostgreSQL (store and ledger)
 *   STORE_TABLE, STORE_APP         the SqlStore table and its pool's application_name
 *   LEDGER, LEDGER_APP             the ledger table (created by the driver) and its pool's application_name
 *   POOL          connections per pool and worker (default 4)
 *
 * stdout carries one line, `{"event":"listening","port":…,"primary":pid,"workers":[pid,…]}`, once
 * every worker listens; logs (warnings and errors only) go to stderr. SIGTERM stops the workers
 * gracefully and then the primary; a worker that dies on its own makes the primary exit with 1
 * (nothing is restarted: the run must see it).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { defineHandler, Hmac, type IdempotencyStore, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import cluster from "node:cluster"
import * as http from "node:http"
import { need } from "../../test-support/Env.ts"

const env = process.env

interface Ready {
  readonly ready: number
}
const isReady = (message: unknown): message is Ready =>
  typeof message === "object" && message !== null && "ready" in message && typeof message.ready === "number"

const primary = async () => {
  const count = Number(need("WORKERS"))
  const port = Number(need("PORT"))
  const workers = Array.from({ length: count }, () => cluster.fork())
  let stopping = false
  const exited = workers.map((worker) =>
    new Promise<void>((resolve) =>
      worker.once("exit", (code, signal) => {
        if (!stopping) {
          process.stderr.write(`worker ${worker.process.pid} exited (${code ?? signal}) during the run\n`)
          process.exit(1)
        }
        resolve()
      })
    )
  )
  await Promise.all(workers.map((worker) =>
    new Promise<void>((resolve) => {
      const onMessage = (message: unknown) => {
        if (!isReady(message)) return
        worker.off("message", onMessage)
        resolve()
      }
      worker.on("message", onMessage)
    })
  ))
  process.stdout.write(
    `${
      JSON.stringify({
        event: "listening",
        port,
        primary: process.pid,
        workers: workers.map((worker) => worker.process.pid)
      })
    }\n`
  )
  process.once("SIGTERM", () => {
    stopping = true
    for (const worker of workers) worker.process.kill("SIGTERM")
    void Promise.all(exited).then(() => process.exit(0))
  })
}

/** The ledger: one row per handler run, with the worker that ran it. */
class Ledger extends Context.Service<Ledger, {
  readonly record: (key: string) => Effect.Effect<void, unknown>
}>()("@hookline/bench/scale/Ledger") {}

const worker = async () => {
  const pgUrl = Redacted.make(need("PG_URL"))
  const pool = Number(env.POOL ?? "4")
  const ledgerTable = need("LEDGER")
  const ledgerLayer = Layer.effect(
    Ledger,
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      const statement = `INSERT INTO ${ledgerTable} (key, pid) VALUES ($1, $2)`
      return Ledger.of({ record: (key) => Effect.asVoid(sql.unsafe(statement, [key, process.pid])) })
    })
  ).pipe(Layer.provide(PgClient.layer({ url: pgUrl, maxConnections: pool, applicationName: need("LEDGER_APP") })))

  const storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, unknown> = need("STORE") === "redis"
    ? RedisStore.layerNode({ url: Redacted.make(need("REDIS_URL")), prefix: need("REDIS_PREFIX") })
    : SqlStore.layerPg({
      url: pgUrl,
      table: need("STORE_TABLE"),
      pool: { applicationName: need("STORE_APP"), maxConnections: pool }
    })

  const hmac = defineHandler(
    Hmac.provider({ secret: Redacted.make(need("HMAC_SECRET")) }),
    (_event, context) => Ledger.use((ledger) => ledger.record(context.key))
  )
  // Warnings and errors only: the Info line of every concurrent duplicate ("in flight elsewhere")
  // would cost more CPU than the pipeline.
  const logging = Layer.mergeAll(
    Layer.succeed(References.MinimumLogLevel, "Warn"),
    Layer.succeed(Logger.LogToStderr, true)
  )
  const listener = toNodeListener(route({ "/hmac": hmac }), Layer.mergeAll(storeLayer, ledgerLayer, logging))
  await listener.start()
  const server = http.createServer({ keepAliveTimeout: 60_000 }, listener)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(Number(need("PORT")), "127.0.0.1", () => resolve())
  })
  process.once("SIGTERM", () => {
    server.close()
    server.closeAllConnections()
    void listener.dispose().then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`dispose failed: ${String(error)}\n`)
      process.exit(1)
    })
  })
  process.send?.({ ready: process.pid } satisfies Ready)
}

if (cluster.isPrimary) await primary()
else await worker()
