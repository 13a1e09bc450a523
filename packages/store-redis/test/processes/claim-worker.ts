/**
 * One of the racing processes of `Processes.test.ts`, run as its own OS process:
 *
 *   node --conditions=@hookline/source claim-worker.ts
 *
 * Environment: `HOOKLINE_REDIS_URL`, `RACE_PREFIX`, `RACE_KEYS` (how many keys), `RACE_NAME`.
 * Connects, prints `{"ready":true}`, reads a start time (epoch ms) from stdin, waits for it, claims
 * every key, 10 at a time in its own random order, completes the keys it won with the fingerprint
 * `RACE_NAME` × 64, and prints
 * `{"claimed":[…],"inFlight":n,"completedElsewhere":[…],"completed":n}`.
 */
import { IdempotencyStore } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { once } from "node:events"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const name = env("RACE_NAME")
const count = Number(env("RACE_KEYS"))
const fingerprint = name.repeat(64)
const print = (value: unknown) => Effect.sync(() => process.stdout.write(`${JSON.stringify(value)}\n`))

const program = Effect.gen(function*() {
  const store = yield* IdempotencyStore.IdempotencyStore
  const keys = Array.from({ length: count }, (_, i) => `race:${i}`)
  // Each process in its own random order, so neither is ahead on every key.
  const order = keys.map((key) => ({ key, rank: Math.random() })).toSorted((x, y) => x.rank - y.rank).map(({ key }) =>
    key
  )
  yield* print({ ready: true })
  const [line] = yield* Effect.promise(() => once(process.stdin, "data"))
  // Both processes start at the same instant (to the millisecond), not when each read its line.
  const startAt = Number(String(line).trim())
  yield* Effect.sleep(Math.max(0, startAt - Date.now() - 2))
  while (Date.now() < startAt) {
    // spin the last milliseconds
  }
  const results = yield* Effect.forEach(
    order,
    (key) => Effect.map(store.claim(key, fingerprint, Duration.minutes(5)), (result) => ({ key, result })),
    // Waves of 10 concurrent claims: a process's claims then span many round trips, interleaved
    // with the other process's, instead of reaching Redis as one batch that wins everything.
    { concurrency: 10 }
  )
  const won = results.flatMap(({ key, result }) => result._tag === "Claimed" ? [{ key, token: result.token }] : [])
  const completed = yield* Effect.forEach(
    won,
    ({ key, token }) => store.complete(key, token, Duration.minutes(10)),
    { concurrency: "unbounded" }
  )
  yield* print({
    claimed: won.map(({ key }) => key),
    inFlight: results.filter(({ result }) => result._tag === "InFlight").length,
    // Keys the other process had already won and completed by the time this one claimed them.
    completedElsewhere: results.flatMap(({ key, result }) =>
      result._tag === "Completed" ? [{ key, fingerprint: result.fingerprint }] : []
    ),
    completed: completed.filter(Boolean).length
  })
}).pipe(
  Effect.provide(RedisStore.layerNode({ url: env("HOOKLINE_REDIS_URL"), prefix: env("RACE_PREFIX") }))
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
