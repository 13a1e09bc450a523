/**
 * One receiver process of the exactly-once run (`ExactlyOnce.ts` starts several). Serves core's
 * HMAC provider at `POST /hmac` on a shared store; the handler appends the delivery's key to a
 * ledger table in PostgreSQL, so the driver can count how often each key was really handled.
 *
 *   PORT          listen port (0: a free one; printed as `{"event":"listening","port":…}`)
 *   HMAC_SECRET   the signing secret
 *   STORE         redis | redis-cluster | postgres
 *   TRANSACTIONAL 1: the handler is `transactional` (STORE=postgres): it writes the ledger through the
 *                 store's own SqlClient, in the transaction that records its completion, and does its
 *                 work and any injected failure *after* the write (so a kill, a failure or a lost
 *                 claim lands between the side effect and the completion)
 *   REDIS_URL     the (private) Redis of the run;  REDIS_PREFIX  its key prefix
 *   REDIS_CLUSTER_URLS   STORE=redis-cluster: the cluster's root node URLs, comma-separated
 *   PG_URL        PostgreSQL (store and ledger);   STORE_TABLE   the SqlStore table
 *   STORE_APP     application_name of the store's pool (the driver terminates only these backends)
 *   LEDGER        the ledger table (created by the driver)
 *   LEASE_MS      claim lease (default 2000)
 *   WORK_MS       the handler works up to this long before writing the ledger (default 5)
 *   FAIL_RATE     probability that a handler fails before writing the ledger (default 0)
 *   TIME_BUDGET_MS       the handler's time budget (default: the provider's)
 *   SHUTDOWN_TIMEOUT_MS  the listener's shutdownTimeout (default: core's, 30 s)
 *   SLOW_RATE, SLOW_MS   probability that a handler works SLOW_MS (interruptibly) before writing:
 *                        with SLOW_MS past the time budget these run in the background
 *   OVERRUN_RATE, OVERRUN_MIN_MS, OVERRUN_MAX_MS
 *                        probability that a handler makes a slow "external call" of a uniformly
 *                        drawn duration that ignores interruption, its ledger write included
 *   DOWN          1: the handler's database is "down" (every run fails) until `POST /up`
 *   DEAD_LETTERS  1: failed deliveries are kept in a dead-letter store of the STORE's kind (Redis:
 *                 REDIS_URL/REDIS_PREFIX; PostgreSQL: the table DEAD_LETTER_TABLE), and
 *                 `POST /replay` replays the open ones (`DeadLetters.replayAll`), answering the
 *                 outcomes' counts; `GET /dead-letters` answers how many are open
 *   WRITE         how the handler writes the ledger (default `plain`):
 *                 plain  an INSERT;
 *                 token  fenced by the claim token in the store's table, in one transaction
 *                        (docs/concepts.md, "Two holders, one key"); only with STORE=postgres;
 *                 token+key  fenced, and skipped when the key already has a row (idempotent: the
 *                        claim row's lock serialises the writers of a key)
 *
 * Logs go to stderr; stdout carries only the `listening` line and, at a graceful stop (SIGTERM or
 * SIGINT: `server.close()`, then `await listener.dispose()`), one `stopped` line with what the
 * handlers did around the stop. `GET /handlers` answers how many handlers are running and how many
 * of them are past the time budget (the driver waits for some before a SIGTERM).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { DeadLetters, DeadLetterStore, defineHandler, Hmac, type IdempotencyStore, route } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { RedisDeadLetterStore, RedisStore } from "@hookline/store-redis"
import { SqlDeadLetterStore, SqlStore } from "@hookline/store-sql"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as SqlClient from "effect/sql/SqlClient"
import * as http from "node:http"
import { need, numberOr } from "../../test-support/Env.ts"

const env = process.env

/** A failure the run injects into handlers ("the downstream API blipped"). */
class InjectedFailure extends Data.TaggedError("InjectedFailure")<{ readonly message: string }> {}

/** The fenced write found the claim gone (taken over, or its lease expired): nothing was written. */
class LostClaim extends Data.TaggedError("LostClaim")<{ readonly key: string }> {}

/** The ledger: one row per handler run that reached its side effect. */
class Ledger extends Context.Service<Ledger, {
  readonly record: (key: string) => Effect.Effect<void, unknown>
  /**
   * The write of docs/concepts.md: only while the store holds `key` under `token`. With `once`, a
   * key that already has a row is not written again; resolves with whether a row was written.
   */
  readonly recordFenced: (key: string, token: string, once: boolean) => Effect.Effect<boolean, unknown>
}>()("@hookline/reliability/Ledger") {}

const pgUrl = Redacted.make(need("PG_URL"))
const ledgerTable = need("LEDGER")
const storeKind = need("STORE")
const storeTable = env.STORE_TABLE ?? ""
const transactional = env.TRANSACTIONAL === "1"
if (transactional && storeKind !== "postgres") {
  process.stderr.write("TRANSACTIONAL=1 needs STORE=postgres\n")
  process.exit(2)
}

// The transactional handler's write: through the application's SqlClient — the store's, whose
// transaction the pipeline opened — so it commits with the completion or not at all.
const recordInTransaction = (key: string) =>
  Effect.flatMap(
    Effect.serviceOption(SqlClient.SqlClient),
    Option.match({
      onNone: () => Effect.die(new Error("no SqlClient: the transactional handler needs SqlStore.layerPg's")),
      onSome: (sql) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.asVoid(
            sql.unsafe(`INSERT INTO ${ledgerTable} (key, pid, at_ms) VALUES ($1, $2, $3)`, [key, process.pid, now])
          ))
    })
  )
const ledgerLayer = Layer.effect(
  Ledger,
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const insert = (key: string) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => sql.unsafe(`INSERT INTO ${ledgerTable} (key, pid, at_ms) VALUES ($1, $2, $3)`, [key, process.pid, now])
      )
    const insertOnce = (key: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql.unsafe(
          `INSERT INTO ${ledgerTable} (key, pid, at_ms) SELECT $1, $2, $3 ` +
            `WHERE NOT EXISTS (SELECT 1 FROM ${ledgerTable} WHERE key = $1) RETURNING 1`,
          [key, process.pid, now]
        ))
    return Ledger.of({
      record: (key) => Effect.asVoid(insert(key)),
      recordFenced: (key, token, once) =>
        sql.withTransaction(Effect.gen(function*() {
          const held = yield* sql.unsafe(
            `SELECT 1 FROM ${storeTable} WHERE key = $1 AND token = $2::uuid AND state = 'in_flight' ` +
              "AND expires_at > now() FOR UPDATE",
            [key, token]
          )
          if (held.length === 0) return yield* new LostClaim({ key })
          if (!once) return yield* Effect.as(insert(key), true)
          return (yield* insertOnce(key)).length === 1
        }))
    })
  })
).pipe(Layer.provide(PgClient.layer({ url: pgUrl, maxConnections: 8, applicationName: `${ledgerTable}_ledger` })))

const storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, unknown> = storeKind === "redis"
  ? RedisStore.layerNode({ url: Redacted.make(need("REDIS_URL")), prefix: need("REDIS_PREFIX") })
  : storeKind === "redis-cluster"
  ? RedisStore.layerNodeCluster({
    rootNodes: need("REDIS_CLUSTER_URLS").split(",").map((url) => Redacted.make(url)),
    prefix: need("REDIS_PREFIX")
  })
  : SqlStore.layerPg({
    url: pgUrl,
    table: need("STORE_TABLE"),
    // The same pool for a transactional handler, which holds a connection for its whole run: the
    // others wait for one. A larger pool measured worse under the pg-terminate fault (more backends
    // killed and re-established per kill: 8 → 85 deliveries/s, 14 → 36 in a reduced run).
    pool: { applicationName: need("STORE_APP"), maxConnections: 8 }
  })

const deadLetters = env.DEAD_LETTERS === "1"
// Off: no DeadLetterStore in context at all (the pipeline keeps dead letters only when there is one;
// the replayer below is then never built).
const deadLetterLayer: Layer.Layer<DeadLetterStore.DeadLetterStore, unknown> = !deadLetters
  ? Layer.empty as unknown as Layer.Layer<DeadLetterStore.DeadLetterStore>
  : storeKind === "redis"
  ? RedisDeadLetterStore.layerNode({ url: Redacted.make(need("REDIS_URL")), prefix: need("REDIS_PREFIX") })
  : storeKind === "redis-cluster"
  ? RedisDeadLetterStore.layerNodeCluster({
    rootNodes: need("REDIS_CLUSTER_URLS").split(",").map((url) => Redacted.make(url)),
    prefix: need("REDIS_PREFIX")
  })
  : SqlDeadLetterStore.layer({ table: need("DEAD_LETTER_TABLE") }).pipe(
    Layer.provide(PgClient.layer({ url: pgUrl, maxConnections: 4, applicationName: `${need("STORE_APP")}_dl` }))
  )
let down = env.DOWN === "1"

const work = numberOr("WORK_MS", 5)
const failRate = numberOr("FAIL_RATE", 0)
const slowRate = numberOr("SLOW_RATE", 0)
const slowMs = numberOr("SLOW_MS", 0)
const overrunRate = numberOr("OVERRUN_RATE", 0)
const overrunMin = numberOr("OVERRUN_MIN_MS", 0)
const overrunMax = numberOr("OVERRUN_MAX_MS", 0)
const writeMode = env.WRITE ?? "plain"
if (writeMode !== "plain" && writeMode !== "token" && writeMode !== "token+key") {
  process.stderr.write("WRITE must be plain, token or token+key\n")
  process.exit(2)
}
const fence = writeMode !== "plain"
const timeBudget = env.TIME_BUDGET_MS === undefined ? undefined : Duration.millis(Number(env.TIME_BUDGET_MS))
if (fence && storeKind !== "postgres") {
  process.stderr.write("a fenced WRITE needs STORE=postgres (the fence reads the store's table)\n")
  process.exit(2)
}

// What the handlers did, reported in the `stopped` line.
const running = new Set<{ readonly startedAt: number }>()
let stoppingAt: number | undefined
const counts = {
  /** Handler runs that wrote the ledger after the stop began (their completion follows). */
  finishedDuringStop: 0,
  /** Handler runs interrupted (the claim's deadline, or the end of the shutdown). */
  interrupted: 0,
  /** Of those, interrupted while the server was stopping. */
  interruptedDuringStop: 0,
  /** Runs that made the slow external call. */
  overruns: 0,
  /** Fenced writes refused because the claim was no longer held. */
  fencedRefused: 0,
  /** `token+key` writes skipped because the key already had a row. */
  skipped: 0,
  /** Writes committed after the handler's deadline (`context.deadline`). */
  writesPastDeadline: 0,
  /** Runs whose write committed and which were then interrupted (their completion not recorded). */
  writtenThenInterrupted: 0
}

const write = (key: string, token: string, deadline: number) =>
  Effect.tap(
    transactional
      ? recordInTransaction(key)
      : fence
      ? Ledger.use((ledger) => ledger.recordFenced(key, token, writeMode === "token+key")).pipe(
        Effect.tap((written) =>
          Effect.sync(() => {
            if (!written) counts.skipped++
          })
        ),
        Effect.tapError((error) =>
          Effect.sync(() => {
            if (error instanceof LostClaim) counts.fencedRefused++
          })
        )
      )
      : Ledger.use((ledger) => ledger.record(key)),
    () =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (now > deadline) counts.writesPastDeadline++
      })
  )

const hmac = defineHandler(
  Hmac.provider({ secret: Redacted.make(need("HMAC_SECRET")) }),
  (_event, context) =>
    Effect.suspend(() => {
      const run = { startedAt: performance.now() }
      running.add(run)
      let wrote = false
      const written = (key: string, token: string, deadline: number) =>
        Effect.tap(write(key, token, deadline), () => Effect.sync(() => (wrote = true)))
      const body = Effect.gen(function*() {
        if (Math.random() < overrunRate) {
          counts.overruns++
          // An external call that neither interruption nor the signal reaches (a driver or client
          // not given `context.signal`), and the write that records what it did.
          const ms = overrunMin + Math.random() * (overrunMax - overrunMin)
          return yield* Effect.uninterruptible(
            Effect.andThen(Effect.sleep(Duration.millis(ms)), written(context.key, context.token, context.deadline))
          )
        }
        const ms = Math.random() < slowRate ? slowMs : Math.floor(Math.random() * work)
        if (transactional) {
          // The side effect first: whatever follows must take it back.
          yield* written(context.key, context.token, context.deadline)
          yield* Effect.sleep(Duration.millis(ms))
          if (Math.random() < failRate) {
            return yield* new InjectedFailure({ message: "injected failure after the write" })
          }
          return
        }
        yield* Effect.sleep(Duration.millis(ms))
        if (down) return yield* new InjectedFailure({ message: "the handler's database is down" })
        if (Math.random() < failRate) return yield* new InjectedFailure({ message: "injected handler failure" })
        yield* written(context.key, context.token, context.deadline)
      })
      return body.pipe(Effect.onExit((exit) => {
        running.delete(run)
        if (Exit.isSuccess(exit) && stoppingAt !== undefined) counts.finishedDuringStop++
        if (Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)) {
          counts.interrupted++
          if (stoppingAt !== undefined) counts.interruptedDuringStop++
          if (wrote) counts.writtenThenInterrupted++
        }
        return Effect.void
      }))
    }),
  {
    lease: Duration.millis(numberOr("LEASE_MS", 2000)),
    transactional,
    ...(timeBudget === undefined ? {} : { timeBudget })
  }
)

/**
 * Keys of the runs the pipeline cut at their claim's deadline (interrupted, claim released), read
 * from its own log line: whatever the run had done by then — its write, its `complete` in flight —
 * the key is handled again. Reported in the `stopped` line (a SIGKILLed server's are lost).
 */
const cutKeys = new Set<string>()
const deadlineCut = Logger.make((options) => {
  const message = Array.isArray(options.message) ? options.message[0] : options.message
  if (typeof message !== "string" || !message.includes("ran past its claim's deadline")) return
  const key = options.fiber.getRef(References.CurrentLogAnnotations)["hookline.key"]
  if (typeof key === "string") cutKeys.add(key)
})

// Warnings and errors only, on stderr: the run sends tens of thousands of deliveries, and the pretty
// Info lines (`webhook in flight elsewhere` for every concurrent duplicate) would cost more CPU than
// the pipeline.
const logging = Layer.mergeAll(
  Layer.succeed(References.MinimumLogLevel, "Warn"),
  Layer.succeed(Logger.LogToStderr, true),
  Logger.layer([Logger.defaultLogger, deadlineCut])
)
const shutdownTimeout = env.SHUTDOWN_TIMEOUT_MS === undefined
  ? undefined
  : Duration.millis(Number(env.SHUTDOWN_TIMEOUT_MS))
const routes = route({ "/hmac": hmac })
const services = Layer.mergeAll(storeLayer, ledgerLayer, logging, deadLetterLayer)
const listener = toNodeListener(
  routes,
  services,
  shutdownTimeout === undefined ? undefined : { shutdownTimeout }
)
await listener.start()
const budgetMs = timeBudget === undefined ? Infinity : Duration.toMillis(timeBudget)
const pastBudget = (now: number) => Array.from(running).filter((run) => now - run.startedAt > budgetMs).length
const server = http.createServer((req, res) => {
  // The driver's probe: handlers running now, and how many are past the time budget (background).
  if (req.method === "GET" && req.url === "/handlers") {
    res.writeHead(200, { "content-type": "application/json" })
    // Counted only with 150 ms of work left, so they are still running when the SIGTERM lands.
    const now = performance.now()
    const lasting = Array.from(running).filter((run) =>
      now - run.startedAt > budgetMs && now - run.startedAt < slowMs - 150
    ).length
    res.end(JSON.stringify({ running: running.size, pastBudget: lasting }))
    return
  }
  if (req.method === "POST" && req.url === "/up") {
    down = false
    res.writeHead(204)
    res.end()
    return
  }
  if (deadLetters && req.method === "POST" && req.url === "/replay") {
    replay().then((counts) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(counts))
    }, (error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
    return
  }
  if (deadLetters && req.method === "GET" && req.url === "/dead-letters") {
    replayRuntime.runPromise(
      DeadLetterStore.DeadLetterStore.use((store) => store.list({ status: "open", limit: 1_000_000 }))
    ).then(
      (open) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ open: open.length }))
      },
      (error: unknown) => {
        res.writeHead(500)
        res.end(String(error))
      }
    )
    return
  }
  listener(req, res)
})

// The replayer: the same routes (handler and ledger) on the same stores, in its own runtime.
const replayRuntime = ManagedRuntime.make(
  Layer.provideMerge(DeadLetters.layer(routes), services) as Layer.Layer<
    DeadLetters.DeadLetters | DeadLetterStore.DeadLetterStore,
    unknown
  >
)
const replay = () =>
  replayRuntime.runPromise(
    Effect.map(DeadLetters.replayAll({ provider: "hmac", limit: 100_000 }), (results) => {
      const counts: Record<string, number> = {}
      for (const result of results) {
        const tag = result._tag === "Replayed" ? result.outcome._tag : result._tag
        counts[tag] = (counts[tag] ?? 0) + 1
      }
      return counts
    })
  )
server.keepAliveTimeout = 30_000
server.listen(numberOr("PORT", 0), "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`${JSON.stringify({ event: "listening", pid: process.pid, port })}\n`)
})

const shutdown = () => {
  const now = performance.now()
  stoppingAt = now
  const runningAtStop = running.size
  const pastBudgetAtStop = pastBudget(now)
  server.close()
  Promise.all([listener.dispose(), replayRuntime.dispose()]).then(
    () => {
      const stopped = {
        event: "stopped",
        pid: process.pid,
        ms: Math.round(performance.now() - now),
        runningAtStop,
        pastBudgetAtStop,
        ...counts,
        cutKeys: Array.from(cutKeys)
      }
      process.stdout.write(`${JSON.stringify(stopped)}\n`, () => process.exit(0))
    },
    (error: unknown) => {
      process.stderr.write(`dispose failed: ${String(error)}\n`)
      process.exit(1)
    }
  )
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
