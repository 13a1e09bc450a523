/**
 * The demo: `npm start -w @hookline/example-multi-instance` (needs Redis on 127.0.0.1:6379, or
 * `HOOKLINE_REDIS_URL`).
 *
 * Starts two receiver processes sharing one Redis, fires the same signed deliveries at both at the
 * same moment, retries every non-ack like the platform would, and prints who handled what: each key
 * runs exactly once, on one of the two instances; the other instance answers `503 InFlight` while it
 * runs and `200 Duplicate` afterwards.
 *
 *   --store postgres   the same on one PostgreSQL (HOOKLINE_PG_URL)
 *   --store memory     the same with one memory store per process: every key runs twice
 *   --deliveries N     how many deliveries (default 10)
 *
 * Exits with 0 when every key ran exactly once, 1 otherwise.
 */
import * as Redacted from "effect/Redacted"
import { parseArgs } from "node:util"
import { fire, type Instance, startInstance, table, tally } from "./fleet.ts"
import { isStoreKind } from "./stores.ts"

const { values } = parseArgs({
  options: { store: { type: "string", default: "redis" }, deliveries: { type: "string", default: "10" } }
})
const store = values.store
if (!isStoreKind(store)) {
  process.stderr.write(`--store must be redis, postgres or memory (got ${store})\n`)
  process.exit(2)
}
const count = Number(values.deliveries)

const secret = Redacted.make(`demo-${crypto.randomUUID()}`)
const instances: Array<Instance> = []
try {
  instances.push(...await Promise.all(["A", "B"].map((name) => startInstance({ name, store, secret }))))
  for (const instance of instances) {
    process.stdout.write(`instance ${instance.name}: pid ${instance.pid}, ${instance.url}/hmac, store ${store}\n`)
  }
  const ids = Array.from({ length: count }, (_, i) => `order-${i + 1}-${crypto.randomUUID().slice(0, 8)}`)
  process.stdout.write(`firing ${count} deliveries at both instances at once…\n\n`)
  const results = await fire(instances, secret, ids)
  // Stopping first lets every instance flush its output.
  await Promise.all(instances.map((instance) => instance.stop()))
  const rows = tally(instances, results)
  process.stdout.write(`${table(rows, instances)}\n\n`)
  const exactlyOnce = rows.every((row) => row.runs === 1)
  process.stdout.write(
    exactlyOnce
      ? `exactly once: ${rows.length} keys, ${rows.length} handler runs across ${instances.length} processes\n`
      : `NOT exactly once: ${rows.length} keys, ${rows.reduce((sum, row) => sum + row.runs, 0)} handler runs\n`
  )
  process.exitCode = exactlyOnce ? 0 : 1
} finally {
  await Promise.all(instances.map((instance) => instance.stop()))
}
