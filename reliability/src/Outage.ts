/**
 * The outage run: the handler's database is down for longer than the platform's whole retry window
 * (it comes back, `POST /up`, only after the platform's last retry),
 * so the platform gives up on every delivery; hookline keeps each one as a dead letter, and once the
 * database is back, the receivers replay them — both processes at once, racing each other and the
 * platform's late retries. The ledger then says whether any delivery was lost or handled twice.
 *
 * The platform is modelled on GoldenPay's policy (one retry, 60 s later), scaled down: a first send
 * (to two processes at once for a share of deliveries), then `platformRetries` retries
 * `retryGapMs` apart, then nothing.
 */
import { Hmac } from "@hookline/core"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as http from "node:http"
import type * as RedisServer from "../../test-support/RedisServer.ts"
import * as Db from "./Db.ts"
import { type Answer, post, type Server, sleep, startServer, stopServer, type StoreKind } from "./ExactlyOnce.ts"

/** The outage runs on the plain stores (its handler is not transactional). */
export type OutageStore = Exclude<StoreKind, "postgres-transactional">

export interface OutageOptions {
  readonly store: OutageStore
  /** Distinct deliveries. */
  readonly deliveries: number
  /** The platform's retries after the first send. Default 1 (GoldenPay). */
  readonly platformRetries?: number
  /** Time between the platform's sends. Default 500 ms. */
  readonly retryGapMs?: number
  /** Share of deliveries first sent to both processes at once. Default 0.3. */
  readonly duplicateRate?: number
  /** Share of deliveries the platform sends once more while the replays run. Default 0.2. */
  readonly lateRate?: number
  /** Deliveries in flight at once. Default 32. */
  readonly concurrency?: number
  /** The private Redis (required for the redis store). */
  readonly redis?: RedisServer.RedisServer | undefined
  readonly log?: (line: string) => void
}

export interface OutageFigures {
  readonly store: OutageStore
  readonly deliveries: number
  /** Platform sends acknowledged during the outage (must be 0: the handler could not run). */
  readonly ackedDuringOutage: number
  /** Deliveries the platform gave up on (every send answered "retry"). */
  readonly givenUp: number
  /** Dead letters open before the replay. */
  readonly deadLetters: number
  /** The replays' outcomes, summed over both processes and the final sweep. */
  readonly replayed: Readonly<Record<string, number>>
  /** The platform's late sends during the replays, acknowledged. */
  readonly lateAcked: number
  /** Deliveries with no ledger row after the replay: lost. */
  readonly lost: number
  /** Deliveries with more than one ledger row: handled twice. */
  readonly handledTwice: number
  /** Dead letters still open at the end. */
  readonly openAtEnd: number
  readonly seconds: number
}

const getJson = (server: Server, method: string, path: string): Promise<Record<string, number>> =>
  new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method, agent: server.agent, timeout: 120_000 }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString()
        if (res.statusCode === 204) resolve({})
        else if (res.statusCode !== 200) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
        else resolve(JSON.parse(text) as Record<string, number>)
      })
    })
    request.on("error", reject)
    request.end()
  })

const acked = (answer: Answer) => answer.status >= 200 && answer.status < 300

/** Runs the outage scenario and returns its figures. */
export const runOutage = async (options: OutageOptions): Promise<OutageFigures> => {
  const log = options.log ?? (() => {})
  const retries = options.platformRetries ?? 1
  const gap = options.retryGapMs ?? 500
  const duplicateRate = options.duplicateRate ?? 0.3
  const lateRate = options.lateRate ?? 0.2
  const concurrency = options.concurrency ?? 32
  if (options.store === "redis" && options.redis === undefined) throw new Error("the redis store needs a private Redis")

  const run = `out_${process.pid}_${crypto.randomBytes(4).toString("hex")}`
  const ledger = `${run}_ledger`
  const secret = Redacted.make(crypto.randomBytes(24).toString("base64url"))
  const db = Db.open()
  await db.query(`CREATE TABLE ${ledger} (key text NOT NULL, pid integer NOT NULL, at_ms bigint NOT NULL)`)
  const started = performance.now()
  const env = {
    HMAC_SECRET: Redacted.value(secret),
    STORE: options.store,
    REDIS_URL: options.redis?.url ?? "",
    REDIS_PREFIX: `${run}:`,
    PG_URL: Db.pgUrlText,
    STORE_TABLE: `${run}_store`,
    STORE_APP: `${run}_store`,
    DEAD_LETTER_TABLE: `${run}_dead`,
    LEDGER: ledger,
    DEAD_LETTERS: "1",
    DOWN: "1",
    WORK_MS: "2"
  }
  const servers: Array<Server> = []
  try {
    for (let i = 0; i < 2; i++) servers.push(await startServer(env))
    const [a, b] = servers as [Server, Server]
    const deliveries = Array.from(
      { length: options.deliveries },
      (_, i) => Hmac.testing.sign({ secret }, { body: `{"n":${i}}`, id: `${run}-${i}`, url: "/hmac" })
    )

    // The platform during the outage: a first send (to both processes for some), its retries, then
    // it gives up.
    let ackedDuringOutage = 0
    let givenUp = 0
    let next = 0
    const chain = async () => {
      while (next < deliveries.length) {
        const i = next++
        const delivery = deliveries[i]!
        let done = false
        for (let attempt = 0; attempt <= retries && !done; attempt++) {
          if (attempt > 0) await sleep(gap)
          const to = (i + attempt) % 2 === 0 ? a : b
          const sends = attempt === 0 && Math.random() < duplicateRate
            ? [post(a, delivery), post(b, delivery)]
            : [post(to, delivery)]
          const answers = await Promise.allSettled(sends)
          if (answers.some((answer) => answer.status === "fulfilled" && acked(answer.value))) done = true
        }
        if (done) ackedDuringOutage++
        else givenUp++
      }
    }
    await Promise.all(Array.from({ length: concurrency }, chain))
    log(`${options.store}: platform gave up on ${givenUp}, acked ${ackedDuringOutage} during the outage`)

    // The database is back only now, after the platform's whole retry window.
    await Promise.all([getJson(a, "POST", "/up"), getJson(b, "POST", "/up")])
    const deadLetters = (await getJson(a, "GET", "/dead-letters")).open ?? 0

    // Both processes replay at once, while the platform sends a share of deliveries once more.
    const late = deliveries.filter(() => Math.random() < lateRate)
    const [fromA, fromB, lateAnswers] = await Promise.all([
      getJson(a, "POST", "/replay"),
      getJson(b, "POST", "/replay"),
      Promise.allSettled(late.map((delivery, i) => post(i % 2 === 0 ? a : b, delivery)))
    ])
    const lateAcked = lateAnswers.filter((answer) => answer.status === "fulfilled" && acked(answer.value)).length
    // A replay that met the other's run of the same key (InFlight) left that one to resolve it; a
    // sweep replays whatever is still open (none, unless a run failed).
    const sweep = await getJson(a, "POST", "/replay")
    const replayed: Record<string, number> = {}
    for (const counts of [fromA, fromB, sweep]) {
      for (const [tag, n] of Object.entries(counts)) replayed[tag] = (replayed[tag] ?? 0) + n
    }
    const openAtEnd = (await getJson(a, "GET", "/dead-letters")).open ?? 0

    const rows = await db.query<{ key: string; runs: string }>(
      `SELECT key, count(*)::text AS runs FROM ${ledger} GROUP BY key`
    )
    const runs = new Map(rows.map((row) => [row.key, Number(row.runs)]))
    let lost = 0
    let handledTwice = 0
    for (let i = 0; i < deliveries.length; i++) {
      const n = runs.get(`hmac:${run}-${i}`) ?? 0
      if (n === 0) lost++
      if (n > 1) handledTwice++
    }
    return {
      store: options.store,
      deliveries: deliveries.length,
      ackedDuringOutage,
      givenUp,
      deadLetters,
      replayed,
      lateAcked,
      lost,
      handledTwice,
      openAtEnd,
      seconds: Math.round((performance.now() - started) / 100) / 10
    }
  } finally {
    for (const server of servers) await stopServer(server)
    await db.query(`DROP TABLE IF EXISTS ${ledger}, ${run}_store, ${run}_dead`).catch(() => undefined)
    await db.close()
  }
}
