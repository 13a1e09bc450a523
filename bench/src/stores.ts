/**
 * Stores: deliveries/s through a store's `claim` + `complete` (the store's whole share of a new
 * delivery) at concurrency 1, 16 and 64, against the same client doing the bare minimum round trips
 * for the same outcome — Redis: `SET key fp NX PX lease` + `SET key … PX retain`; PostgreSQL:
 * `INSERT … ON CONFLICT DO NOTHING RETURNING` + `UPDATE … WHERE key AND token`. Round trips per
 * delivery are counted on the server side (Redis: MONITOR on a private redis-server, in an untimed
 * pass) and on the wire (PostgreSQL: Execute/Query messages the pool writes). Redis also runs the
 * bare client *with* the store's fence (claim `SET NX GET`, complete through a minimal token-checking
 * script): the floor for a fenced store on a Redis without `SET … IFEQ`.
 *
 * Redis: a private `redis-server` (from the PATH) on a free port, so nothing else is counted.
 * PostgreSQL: `HOOKLINE_PG_URL` (default postgres://postgres@127.0.0.1:5432/test), a table of
 * our own, dropped at the end.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { IdempotencyStore } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { createHash, randomUUID } from "node:crypto"
import { Session } from "node:inspector/promises"
import * as net from "node:net"
import { createClient } from "redis"
import * as RedisServer from "../../test-support/RedisServer.ts"
import { type CpuProfile, type ProfileSummary, summarizeProfile } from "./http.ts"
import { median } from "./stats.ts"

export interface StoreRow {
  readonly store: "redis" | "postgres"
  readonly concurrency: number
  readonly hooklinePerSecond: number
  readonly barePerSecond: number
  readonly ratio: number
  readonly hooklineRoundTrips: number
  readonly bareRoundTrips: number
  /**
   * Redis only: the same client claiming with the store's native `SET NX GET` and completing through
   * a minimal token-checking script (`EVALSHA`): the fewest round trips *with* the fence that keeps
   * a holder whose lease ran out from recording a completion, which no native command does before
   * Redis 8.4. Absent from runs before it was measured.
   */
  readonly fencedPerSecond?: number | undefined
}

export interface StoreOptions {
  readonly seconds: number
  readonly rounds: number
  readonly concurrency: ReadonlyArray<number>
  readonly pgUrl: string
  /** Pool size of both PostgreSQL clients. */
  readonly pgPool: number
}

const lease = Duration.seconds(30)
const retain = Duration.days(7)
const fingerprintOf = (key: string) => createHash("sha256").update(key).digest("hex")

// One delivery's share of a store, in one fiber as in the pipeline: claim, then complete.
const storeOne =
  (store: IdempotencyStore.IdempotencyStore["Service"], what: string, keyOf: (i: number) => string) =>
  async (i: number) => {
    const key = keyOf(i)
    const completed = await Effect.runPromise(Effect.flatMap(
      store.claim(key, fingerprintOf(key), lease),
      (claim) => claim._tag === "Claimed" ? store.complete(key, claim.token, retain) : Effect.succeed(false)
    ))
    if (!completed) throw new Error(`${what}: a new key was not claimed and completed`)
  }

// A row from the rounds' figures, logged as it is made.
const rowOf = (
  store: StoreRow["store"],
  concurrency: number,
  figures: {
    readonly h: ReadonlyArray<number>
    readonly b: ReadonlyArray<number>
    readonly f?: ReadonlyArray<number> | undefined
    readonly hTrips: number
    readonly bTrips: number
  },
  log: (line: string) => void
): StoreRow => {
  const row: StoreRow = {
    store,
    concurrency,
    hooklinePerSecond: median(figures.h),
    barePerSecond: median(figures.b),
    ratio: median(figures.h) / median(figures.b),
    hooklineRoundTrips: figures.hTrips,
    bareRoundTrips: figures.bTrips,
    ...(figures.f === undefined ? {} : { fencedPerSecond: median(figures.f) })
  }
  log(
    `  ${store.padEnd(8)} c=${String(concurrency).padStart(2)}: store ${Math.round(row.hooklinePerSecond)}/s ` +
      `(${row.hooklineRoundTrips.toFixed(2)} rt), bare ${Math.round(row.barePerSecond)}/s ` +
      `(${row.bareRoundTrips.toFixed(2)} rt), ratio ${row.ratio.toFixed(2)}` +
      (row.fencedPerSecond === undefined
        ? ""
        : `; bare with the fence ${Math.round(row.fencedPerSecond)}/s (${
          (row.fencedPerSecond / row.barePerSecond).toFixed(2)
        } of bare)`)
  )
  return row
}

// `workers` loops of `one(i)` for `seconds`; returns completed deliveries per second.
const drive = async (
  concurrency: number,
  seconds: number,
  one: (i: number) => Promise<void>
): Promise<{ readonly perSecond: number; readonly count: number }> => {
  let next = 0
  let done = 0
  const deadline = performance.now() + seconds * 1000
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await one(next++)
      done++
    }
  }))
  return { perSecond: done / ((performance.now() - start) / 1000), count: done }
}

// --- Redis -----------------------------------------------------------------------------------

// The fence by hand: set ARGV[2] (PX ARGV[3]) only while the key still holds ARGV[1], the claim's
// own value; 1 when it did.
const fenceScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
  return 1
end
return 0`

interface Section {
  readonly rows: Array<StoreRow>
  readonly version: string
  readonly profile: ProfileSummary
}

// A CPU profile of this process (the store's client side) during an untimed pass.
const profiled = async (pass: () => Promise<unknown>): Promise<ProfileSummary> => {
  const session = new Session()
  session.connect()
  try {
    await session.post("Profiler.enable")
    await session.post("Profiler.setSamplingInterval", { interval: 200 })
    await session.post("Profiler.start")
    await pass()
    const { profile } = await session.post("Profiler.stop")
    return summarizeProfile(profile as unknown as CpuProfile)
  } finally {
    session.disconnect()
  }
}

// Commands clients send, per delivery, watched with MONITOR (test support's monitor leaves out the
// commands a Lua script runs inside Redis: they are not round trips).
const countCommands = async (
  port: number,
  pass: () => Promise<{ readonly count: number }>
): Promise<number> => {
  const watch = await RedisServer.monitor(port)
  try {
    await watch.take()
    const { count } = await pass()
    return (await watch.take()).length / count
  } finally {
    watch.close()
  }
}

const runRedis = async (options: StoreOptions, log: (line: string) => void): Promise<Section> => {
  const server = await RedisServer.start()
  const scope = Scope.makeUnsafe()
  const admin = createClient({ url: server.url })
  const bare = createClient({ url: server.url })
  try {
    await admin.connect()
    await bare.connect()
    const version = /redis_version:(\S+)/.exec(await admin.info("server"))?.[1] ?? "?"
    const context = await Effect.runPromise(
      Layer.buildWithScope(RedisStore.layerNode({ url: server.url, prefix: `bench:${process.pid}:` }), scope)
    )
    const store = Context.get(context, IdempotencyStore.IdempotencyStore)
    let run = 0
    const hooklineOne = (tag: string) => storeOne(store, "redis store", (i) => `hmac:${tag}:${i}`)
    const leaseMs = Duration.toMillis(lease)
    const retainMs = Duration.toMillis(retain)
    const bareOne = (tag: string) => async (i: number) => {
      const key = `bare:${process.pid}:hmac:${tag}:${i}`
      const fingerprint = fingerprintOf(key)
      const token = randomUUID()
      if ((await bare.set(key, `i:${token}:${fingerprint}`, { NX: true, PX: leaseMs })) !== "OK") {
        throw new Error("bare redis: key existed")
      }
      await bare.set(key, `c:${fingerprint}`, { PX: retainMs })
    }
    // The fence by hand: the store's claim, and a completion that writes only while the entry is
    // still this claim's (the smallest script that checks it).
    const fenceSha = await bare.scriptLoad(fenceScript)
    const fencedOne = (tag: string) => async (i: number) => {
      const key = `fenced:${process.pid}:hmac:${tag}:${i}`
      const fingerprint = fingerprintOf(key)
      const claim = `i:${randomUUID()}:${fingerprint}`
      if ((await bare.set(key, claim, { NX: true, GET: true, PX: leaseMs })) !== null) {
        throw new Error("bare redis with the fence: key existed")
      }
      const done = await bare.evalSha(fenceSha, { keys: [key], arguments: [claim, `c:${fingerprint}`, `${retainMs}`] })
      if (done !== 1) throw new Error("bare redis with the fence: the completion was refused")
    }
    const rows: Array<StoreRow> = []
    // Warm-up (JIT, connections) of every path before anything is timed.
    await drive(16, Math.max(1, options.seconds), hooklineOne("warm"))
    await drive(16, Math.max(1, options.seconds), bareOne("warm"))
    await drive(16, Math.max(1, options.seconds), fencedOne("warm"))
    for (const concurrency of options.concurrency) {
      const h: Array<number> = []
      const b: Array<number> = []
      const f: Array<number> = []
      let hTrips = 0
      let bTrips = 0
      for (let round = 0; round < options.rounds; round++) {
        const tag = `r${run++}`
        h.push((await drive(concurrency, options.seconds, hooklineOne(tag))).perSecond)
        b.push((await drive(concurrency, options.seconds, bareOne(tag))).perSecond)
        f.push((await drive(concurrency, options.seconds, fencedOne(tag))).perSecond)
      }
      // Round trips: a separate, untimed pass watched with MONITOR (it slows Redis down).
      hTrips = await countCommands(server.port, () => drive(concurrency, 0.2, hooklineOne(`rt${run}`)))
      bTrips = await countCommands(server.port, () => drive(concurrency, 0.2, bareOne(`rt${run++}`)))
      rows.push(rowOf("redis", concurrency, { h, b, f, hTrips, bTrips }, log))
    }
    const profile = await profiled(() => drive(64, Math.max(1, options.seconds), hooklineOne(`profile${run}`)))
    return { rows, version, profile }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await admin.close().catch(() => undefined)
    await bare.close().catch(() => undefined)
    await server.stop()
  }
}

// --- PostgreSQL ------------------------------------------------------------------------------

// Counts the statements a pool sends: one Execute ('E', extended protocol) or Query ('Q', simple
// protocol) per statement, read from what the driver writes to its sockets.
const wireCounter = (url: string) => {
  let statements = 0
  const target = new URL(url)
  const stream = () => {
    let startup = true
    let pending = Buffer.alloc(0)
    const socket = net.connect({ host: target.hostname, port: Number(target.port || 5432), noDelay: true })
    const write = socket.write.bind(socket)
    socket.write = ((chunk: Buffer | string | Uint8Array, ...rest: Array<never>) => {
      pending = Buffer.concat([pending, typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk)])
      for (;;) {
        if (startup) {
          if (pending.length < 8) break
          const length = pending.readInt32BE(0)
          if (pending.length < length) break
          const code = pending.readInt32BE(4)
          pending = pending.subarray(length)
          if (code !== 80877103) startup = false
          continue
        }
        if (pending.length < 5) break
        const length = pending.readInt32BE(1)
        if (pending.length < 1 + length) break
        if (pending[0] === 0x45 || pending[0] === 0x51) statements++
        pending = pending.subarray(1 + length)
      }
      return write(chunk, ...rest)
    }) as typeof socket.write
    return socket
  }
  return { stream, count: () => statements }
}

const runPostgres = async (options: StoreOptions, log: (line: string) => void): Promise<Section> => {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const storeTable = `bench_store_${suffix}`
  const bareTable = `bench_bare_${suffix}`
  const url = Redacted.make(options.pgUrl)
  const storeWire = wireCounter(options.pgUrl)
  const bareWire = wireCounter(options.pgUrl)
  const scope = Scope.makeUnsafe()
  const pool = (stream: () => net.Socket, app: string) =>
    PgClient.layer({ url, stream, maxConnections: options.pgPool, applicationName: app })
  try {
    const storeContext = await Effect.runPromise(
      Layer.buildWithScope(
        SqlStore.layer({ table: storeTable, cleanup: false }).pipe(
          Layer.provide(pool(storeWire.stream, "hookline-bench-store"))
        ),
        scope
      )
    )
    const store = Context.get(storeContext, IdempotencyStore.IdempotencyStore)
    const bareContext = await Effect.runPromise(
      Layer.buildWithScope(pool(bareWire.stream, "hookline-bench-bare"), scope)
    )
    const sql = Context.get(bareContext, PgClient.PgClient)
    const versionRows = await Effect.runPromise(sql.unsafe<{ server_version: string }>("SHOW server_version"))
    const version = versionRows[0]?.server_version ?? "?"
    // The bare table has the store's exact shape (its own DDL), so both write the same rows.
    const ddl = await Effect.runPromise(Effect.fromResult(SqlStore.migration({ table: bareTable })))
    for (const statement of ddl.split(";\n").map((s) => s.trim()).filter((s) => s !== "")) {
      await Effect.runPromise(sql.unsafe(statement))
    }
    const insert = `INSERT INTO ${bareTable} (key, token, fingerprint, state, expires_at) ` +
      `VALUES ($1, $2, $3, 'in_flight', now() + $4 * interval '1 millisecond') ` +
      `ON CONFLICT (key) DO NOTHING RETURNING token`
    const update = `UPDATE ${bareTable} SET state = 'completed', expires_at = now() + $3 * interval '1 millisecond' ` +
      `WHERE key = $1 AND token = $2 RETURNING key`
    const leaseMs = String(Duration.toMillis(lease))
    const retainMs = String(Duration.toMillis(retain))
    let run = 0
    const hooklineOne = (tag: string) => storeOne(store, "sql store", (i) => `hmac:${tag}:${i}`)
    const bareOne = (tag: string) => async (i: number) => {
      const key = `hmac:${tag}:${i}`
      const token = randomUUID()
      const claimed = await Effect.runPromise(sql.unsafe(insert, [key, token, fingerprintOf(key), leaseMs]))
      if (claimed.length !== 1) throw new Error("bare pg: key existed")
      const done = await Effect.runPromise(sql.unsafe(update, [key, token, retainMs]))
      if (done.length !== 1) throw new Error("bare pg: update refused")
    }
    const rows: Array<StoreRow> = []
    // Warm-up (JIT, connections) of both paths before anything is timed.
    await drive(16, Math.max(1, options.seconds), hooklineOne("warm"))
    await drive(16, Math.max(1, options.seconds), bareOne("warm"))
    for (const concurrency of options.concurrency) {
      const h: Array<number> = []
      const b: Array<number> = []
      let hTrips = 0
      let bTrips = 0
      for (let round = 0; round < options.rounds; round++) {
        const tag = `r${run++}`
        let before = storeWire.count()
        const hook = await drive(concurrency, options.seconds, hooklineOne(tag))
        hTrips = (storeWire.count() - before) / hook.count
        h.push(hook.perSecond)
        before = bareWire.count()
        const raw = await drive(concurrency, options.seconds, bareOne(tag))
        bTrips = (bareWire.count() - before) / raw.count
        b.push(raw.perSecond)
      }
      rows.push(rowOf("postgres", concurrency, { h, b, hTrips, bTrips }, log))
    }
    const profile = await profiled(() => drive(64, Math.max(1, options.seconds), hooklineOne(`profile${run}`)))
    await Effect.runPromise(sql.unsafe(`DROP TABLE IF EXISTS ${storeTable}, ${bareTable}`))
    return { rows, version, profile }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export interface StoresResult {
  readonly rows: ReadonlyArray<StoreRow>
  readonly redisVersion: string
  readonly postgresVersion: string
  /** CPU profiles of the client process running the store at concurrency 64 (untimed passes). */
  readonly redisProfile: ProfileSummary
  readonly postgresProfile: ProfileSummary
}

export const runStores = async (options: StoreOptions, log: (line: string) => void): Promise<StoresResult> => {
  const redis = await runRedis(options, log)
  const postgres = await runPostgres(options, log)
  return {
    rows: [...redis.rows, ...postgres.rows],
    redisVersion: redis.version,
    postgresVersion: postgres.version,
    redisProfile: redis.profile,
    postgresProfile: postgres.profile
  }
}
