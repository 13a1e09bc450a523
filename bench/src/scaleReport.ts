/**
 * docs/scaling.md from bench/results/scale.json: the measured table (store × processes), the CPU
 * each part spent per delivery, and the on-paper capacity of one Redis primary and one PostgreSQL
 * primary computed from the store server's measured CPU per delivery, with the arithmetic shown.
 */
import { isScriptCall, type ScaleRow, type StoreKind } from "./scaleRun.ts"

export interface ScaleResults {
  readonly date: string
  readonly quick: boolean
  readonly commit: string
  readonly machine: {
    readonly cpus: number
    readonly model: string
    readonly memoryGiB: number
    readonly os: string
    /** At the start of the whole run (1, 5, 15 minutes). */
    readonly loadAverage: ReadonlyArray<number>
  }
  readonly versions: { readonly node: string; readonly redis: string; readonly postgres: string }
  readonly settings: {
    readonly warmupSeconds: number
    readonly seconds: number
    readonly concurrency: number
    readonly duplicateRate: number
  }
  readonly rows: ReadonlyArray<ScaleRow>
}

/**
 * The store section of `npm run bench` (bench/results/latest.json), for a cross-check: a store's
 * claim + complete driven at its best rate with client and server on the same cores bounds the
 * server's CPU per delivery from above.
 */
export interface BenchReference {
  readonly date: string
  readonly cpu: string
  readonly cores: number
  readonly load: ReadonlyArray<number>
  readonly best: { readonly redis: number; readonly postgres: number }
}

/** Share of a core a primary is planned to use: headroom for spikes, vacuum, failover catch-up. */
export const plannedUtilisation = 0.7

const int = (value: number) => Math.round(value).toLocaleString("en-US")
const fixed = (value: number, digits = 1) => value.toFixed(digits)
const ms = (value: number) => fixed(value, 1)

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const storeName = (store: StoreKind) => store === "redis" ? "Redis" : "PostgreSQL"
const rowsOf = (rows: ReadonlyArray<ScaleRow>, store: StoreKind) => rows.filter((row) => row.store === store)
const totalUs = (row: ScaleRow) =>
  row.cost.storeServerUs + row.cost.ledgerServerUs + row.cost.receiverUs + row.cost.driverUs

/** The measured table, also printed by `npm run scale`. */
export const table = (rows: ReadonlyArray<ScaleRow>): string => {
  const lines = [
    "| store | processes | deliveries/s | vs 1 process | p50 ms | p99 ms | keys handled twice | never acknowledged | ledger rows per worker | requests (retried) | load avg at start |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
  ]
  for (const row of rows) {
    const one = rows.find((other) => other.store === row.store && other.processes === 1)
    lines.push(
      `| ${storeName(row.store)} | ${row.processes} | ${int(row.perSecond)} | ${
        one === undefined ? "—" : `${fixed(row.perSecond / one.perSecond, 2)}×`
      } | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${row.handledTwice} | ${row.neverAcknowledged} | ${
        row.perWorker.map(int).join(" / ")
      } | ${int(row.requests)} (${int(row.retried)}) | ${row.loadAverage.join(" ")} |`
    )
  }
  return lines.join("\n")
}

const retriedTable = (rows: ReadonlyArray<ScaleRow>): string => {
  const labels = [...new Set(rows.flatMap((row) => Object.keys(row.retriedBy)))].sort()
  const lines = [
    `| store | processes | ${labels.map((label) => `\`${label}\``).join(" | ")} |`,
    `|---|---:|${labels.map(() => "---:|").join("")}`
  ]
  for (const row of rows) {
    lines.push(
      `| ${storeName(row.store)} | ${row.processes} | ${
        labels.map((label) => int(row.retriedBy[label] ?? 0)).join(" | ")
      } |`
    )
  }
  return lines.join("\n")
}

const costTable = (rows: ReadonlyArray<ScaleRow>): string => {
  const lines = [
    "| store | processes | store server | of which EVALSHA execution | ledger backends | receivers (primary + workers) | driver | total on this machine |",
    "|---|---:|---:|---:|---:|---:|---:|---:|"
  ]
  for (const row of rows) {
    lines.push(
      `| ${storeName(row.store)} | ${row.processes} | ${fixed(row.cost.storeServerUs)} | ${
        row.cost.storeCommandUs === undefined ? "—" : fixed(row.cost.storeCommandUs)
      } | ${fixed(row.cost.ledgerServerUs)} | ${fixed(row.cost.receiverUs)} | ${fixed(row.cost.driverUs)} | ${
        fixed(totalUs(row))
      } |`
    )
  }
  return lines.join("\n")
}

// Whether the run measured the store before claims became a native `SET … NX GET`: its entries
// were hashes, and every operation (claims too) was an `EVALSHA`.
const scriptClaims = (rows: ReadonlyArray<ScaleRow>): boolean =>
  rows.some((row) => row.cost.redisCommands?.some((command) => command.command === "hset") ?? false)

const redisCommands = (rows: ReadonlyArray<ScaleRow>): string => {
  const lines = ["| processes | command | calls per delivery | µs per call |", "|---:|---|---:|---:|"]
  for (const row of rows) {
    const commands = [...(row.cost.redisCommands ?? [])].sort((a, b) =>
      Number(isScriptCall(b.command)) - Number(isScriptCall(a.command)) || a.command.localeCompare(b.command)
    )
    for (const command of commands) {
      lines.push(
        `| ${row.processes} | ${command.command.toUpperCase()}${
          isScriptCall(command.command)
            ? ""
            : command.command === "set" && !scriptClaims(rows)
            ? " (the claims, and inside the script)"
            : " (inside the script)"
        } | ${fixed(command.callsPerDelivery, 2)} | ${fixed(command.usecPerCall, 2)} |`
      )
    }
  }
  return lines.join("\n")
}

export const markdown = (results: ScaleResults, reference?: BenchReference): string => {
  const { machine, rows, settings, versions } = results
  const redis = rowsOf(rows, "redis")
  const pg = rowsOf(rows, "postgres")
  const ratio = (store: ReadonlyArray<ScaleRow>, processes: number) => {
    const one = store.find((row) => row.processes === 1)
    const other = store.find((row) => row.processes === processes)
    return one === undefined || other === undefined ? "?" : `${fixed(other.perSecond / one.perSecond, 2)}×`
  }
  const twice = rows.reduce((sum, row) => sum + row.handledTwice, 0)
  const never = rows.reduce((sum, row) => sum + row.neverAcknowledged, 0)
  const notInLedger = rows.reduce((sum, row) => sum + row.acknowledgedNotInLedger, 0)
  const delivered = rows.reduce((sum, row) => sum + row.acknowledged, 0)

  const redisServerUs = median(redis.map((row) => row.cost.storeServerUs))
  const redisCommandUs = median(redis.map((row) => row.cost.storeCommandUs ?? Number.NaN))
  const redisCapacity = 1e6 / redisServerUs
  const redisPlanned = plannedUtilisation * redisCapacity
  const redisCommandCeiling = 1e6 / redisCommandUs
  const pgServerUs = median(pg.map((row) => row.cost.storeServerUs))
  const pgPerCore = 1e6 / pgServerUs
  const pgCores = [2, 8, 16, 32]
  const receiverUs = median(rows.map((row) => row.cost.receiverUs))
  const ledgerUs = median(rows.map((row) => row.cost.ledgerServerUs))
  const machineCeiling = (row: ScaleRow) => machine.cpus * 1e6 / totalUs(row)

  return `# Scaling out

<!-- Generated by \`npm run scale\` (bench/src/scale.ts, bench/src/scaleReport.ts) from bench/results/scale.json: do not edit by hand. -->

hookline's exactly-once guarantee across processes rests on the shared store: every process claims a
delivery's key in the same Redis or PostgreSQL before running the handler. \`npm run scale\` measures
that setup — 1, 2 and 4 receiver processes sharing one port, on each store — and this page turns the
store server's measured CPU per delivery into an estimate of what one Redis primary and one
PostgreSQL primary hold, and what to do beyond.

${
    results.quick
      ? "> **A `--quick` run**: 1 s warm-up, 3 s measured per row. A smoke test of the harness, not figures to quote.\n\n"
      : ""
  }## The run

* **Date**: ${results.date.slice(0, 16).replace("T", " ")} UTC (${
    results.quick ? "quick" : "full"
  } run, commit ${results.commit})
* **Machine**: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, ${machine.os}; load average at the start ${
    machine.loadAverage.join(" / ")
  } (1 / 5 / 15 min). Nothing keeps other work off the machine, its PostgreSQL or its cores during
  a run: the load averages (each row's own is in the table) say how busy it was.
* **Versions**: Node ${versions.node}, Redis ${versions.redis}, PostgreSQL ${versions.postgres}.
* **Receivers** (\`bench/src/scaleReceiver.ts\`): one Node \`cluster\` primary forking N workers that
  all listen on one port of 127.0.0.1 (Node's default round-robin scheduling: the primary accepts a
  connection and hands it to the next worker). Each worker runs core's HMAC provider through
  \`toNodeListener\` on \`RedisStore.layerNode\` (a private \`redis-server\` started for the row) or
  \`SqlStore.layerPg\` (a table of the row's own), pools of 4 connections. The handler inserts the
  delivery's key and the worker's pid into a ledger table in PostgreSQL — the same database for both
  stores — and does nothing else.
* **Driver** (\`bench/src/scaleRun.ts\`, in the parent process): ${settings.concurrency} delivery chains
  at once over keep-alive connections, each a distinct delivery signed with \`Hmac.testing.sign\`;
  ${fixed(settings.duplicateRate * 100, 0)}% of them sent twice at the same moment (two connections,
  usually two workers); every non-2xx answer or failed request retried with a short backoff until
  acknowledged (a chain gives up after 30 s: "never acknowledged"). ${settings.warmupSeconds} s of warm-up
  (sent and fully acknowledged, not measured), then ${settings.seconds} s measured: new deliveries
  stop at ${settings.seconds} s, and the row's time runs to the last acknowledgement.
* **Deliveries/s**: distinct deliveries acknowledged in the measured phase ÷ its time. **Latency**: a
  delivery's first send to its first acknowledgement, retries included (a duplicate answered
  "in flight" retries; the first copy's acknowledgement usually comes first).
* **Keys handled twice**: keys with more than one ledger row, counted after a graceful stop of the
  receivers (warm-up included). **Never acknowledged**: deliveries the driver gave up on.

## Results

${table(rows)}

The retried answers, by status and outcome: \`503 InFlight\` is a duplicate whose twin another worker
is handling (expected: a fifth of the deliveries are sent twice at once, and a twin retries until
the first copy completes); any other label is listed as it came — \`503 Failed/StoreUnavailable\`,
for one, would be a store operation that missed its timeout, answered "retry":

${retriedTable(rows)}

Over all rows: **${twice} keys handled twice, ${never} deliveries never acknowledged**, ${notInLedger}
acknowledged deliveries without a ledger row, out of ${int(delivered)} measured deliveries (plus the
warm-ups). Throughput relative to one process: Redis ${ratio(redis, 2)} with 2 and ${ratio(redis, 4)} with
4, PostgreSQL ${ratio(pg, 2)} with 2 and ${ratio(pg, 4)} with 4.

### What these numbers show, and what they do not

* **Correctness under sharing** is what they show directly: several processes taking
  connections from one port, concurrent duplicates landing on different workers, one store — and
  every key handled once, every delivery acknowledged. \`npm run reliability\` adds the faults (kills,
  restarts, terminated backends); this run is about load.
* **This machine has ${machine.cpus} cores** and everything runs on them: the driver, the cluster primary
  and its workers, Redis, PostgreSQL (the store and the ledger), and whatever else ran there. One
  receiver process already competes with the rest for the cores; ${
    machine.cpus < 4
      ? `**4 processes on ${machine.cpus} cores is contention, not scaling**: more processes than cores only add
  context switches and split the same CPU more ways`
      : "4 processes only scale as far as the cores left beside the stores and the driver allow"
  }. The column "vs 1 process" therefore says how the
  setup behaves when oversubscribed, not what adding hosts would give you.
* The table of CPU per delivery below gives the ceiling: adding up what every process of the run
  spent per delivery gives its whole budget, and ${machine.cpus} cores ÷ that budget is what the run
  would reach with the machine to itself. Measured against it (${
    rows.map((row) =>
      `${storeName(row.store)} ×${row.processes}: ${int(row.perSecond)} of ${int(machineCeiling(row))}, ${
        fixed(100 * row.perSecond / machineCeiling(row), 0)
      }%`
    ).join("; ")
  }), the run got that share of the ${machine.cpus} cores; the rest went to other work on the machine (a
  load average above ${machine.cpus} means more runnable tasks than cores). The driver alone took ${
    fixed(100 * median(rows.map((row) => row.cost.driverUs / totalUs(row))), 0)
  }% of it (median over the rows).
* The primary hands out **connections** in turn, not requests: with keep-alive connections a worker
  the OS schedules less serves fewer requests on the connections it got, hence the uneven ledger
  rows per worker under contention.
* What adding receiver hosts would give is not measured here; it follows from the per-delivery costs:
  the receivers scale out until the store's server is the bottleneck, which is what the estimate
  below is about.

## CPU per delivery

Microseconds of CPU (user + system) per acknowledged delivery of the measured phase, ${
    fixed(settings.duplicateRate * 100, 0)
  }% duplicates included (so a delivery averages ${fixed(1 + settings.duplicateRate, 1)} sends):

${costTable(rows)}

How each figure was **measured**:

* **Redis, store server**: the \`redis-server\` main thread's CPU, \`used_cpu_user_main_thread\` +
  \`used_cpu_sys_main_thread\` from \`INFO cpu\`, before and after the measured phase — everything the
  single command thread did: reading requests, running the scripts, writing replies. The private
  server serves only the store (the ledger is in PostgreSQL).
* **Redis, EVALSHA execution**: \`INFO commandstats\` after \`CONFIG RESETSTAT\`, the \`usec\` of the
  script calls (Redis counts the commands a script runs inside the script's time).
* **PostgreSQL, store server**: \`/proc/<pid>/stat\` (utime + stime) of the backends whose
  \`application_name\` is the row's store pool, found in \`pg_stat_activity\`, before and after. Not
  included: the WAL writer, checkpointer, background writer and autovacuum, which serve the whole
  server (shared with other users of it during this run, so not attributable), and the time spent
  waiting for WAL flushes (I/O, not CPU).
* **Ledger backends**: the same for the ledger pool's backends: the handler's own write, an
  \`INSERT\` of one row — a yardstick for a minimal business write.
* **Receivers**: the cluster primary and workers' \`/proc/<pid>/stat\`. **Driver**: \`process.cpuUsage()\`.

${
    redis.length > 0
      ? `Redis commands per delivery (${
        scriptClaims(redis)
          ? `the store measured here sent one \`EVALSHA\` per claim and per completion; it now claims with one
native \`SET … NX GET\`, which costs Redis less (see [the benchmarks](benchmarks.md)) — run \`npm run scale\`
again for today's figures`
          : "the store sends one `SET … NX GET` per claim and one `EVALSHA` per completion"
      }; a duplicate adds a claim, and its retry another):

${redisCommands(redis)}
`
      : ""
  }
## What one primary holds (estimated)

From here on the figures are **estimated on paper** from the measured CPU per delivery above (the
median over the three rows of each store), not measured under that load. They assume the store's
server is on a host of its own, that its CPU is the limit, and plan a primary at ${
    fixed(plannedUtilisation * 100, 0)
  }% of its CPU.
The per-delivery costs were measured on a ${machine.cpus}-core machine shared by the receivers, the driver and the stores, where caches and context
switches make every figure higher than on a dedicated server: the estimates lean low.${
    reference === undefined ? "" : `

A cross-check from [\`npm run bench\`](benchmarks.md#stores) (run ${reference.date}, ${reference.cores} × ${reference.cpu},
load average ${reference.load.join(" / ")}): the stores' claim + complete alone, no HTTP, no duplicates,
client and server on the same ${reference.cores} cores, reached ${int(reference.best.redis)} deliveries/s on Redis
and ${int(reference.best.postgres)} on PostgreSQL (best concurrency). The server cannot have spent more than
all the cores, so its CPU per delivery there was at most ${reference.cores} × 1,000,000 ÷ ${
      int(reference.best.redis)
    } = ${fixed(reference.cores * 1e6 / reference.best.redis)} µs (Redis) and ${reference.cores} × 1,000,000 ÷ ${
      int(reference.best.postgres)
    } = ${fixed(reference.cores * 1e6 / reference.best.postgres)} µs (PostgreSQL), against ${
      fixed(redisServerUs)
    } and ${fixed(pgServerUs)} µs measured in this run (${machine.model}, ${
      fixed(settings.duplicateRate * 100, 0)
    }% duplicates, HTTP and the ledger beside the store, load average ${machine.loadAverage.join(" / ")}).`
  }

### One Redis primary

Redis runs commands on one thread, so one primary is one core's worth of command processing.

* Measured: ${fixed(redisServerUs)} µs of main-thread CPU per delivery (median).
* At 100% of that thread: 1,000,000 µs/s ÷ ${fixed(redisServerUs)} µs = **${int(redisCapacity)} deliveries/s** (with ${
    fixed(settings.duplicateRate * 100, 0)
  }% of them sent twice, as here).
* Planned at ${fixed(plannedUtilisation * 100, 0)}%: ${fixed(plannedUtilisation, 1)} × ${int(redisCapacity)} = **${
    int(redisPlanned)
  } deliveries/s** (${int(redisPlanned * 86_400 / 1e6)} million a day).
* The scripts themselves took ${fixed(redisCommandUs)} µs per delivery; the rest is the event loop
  around them: reading requests, writing replies. With \`io-threads\` moving socket I/O off the main thread, the command thread's
  ceiling would approach 1,000,000 ÷ ${fixed(redisCommandUs)} = ${
    int(redisCommandCeiling)
  } deliveries/s — an upper bound, not measured.
* Memory may come before CPU: every key is kept for the retention, which must outlast the
  platform's whole retry window (often days), at about 200–270 bytes per key
  ([stores](stores.md#memory-per-key)). At ${int(redisPlanned)} deliveries/s, one day of keys at 270
  bytes is ${int(redisPlanned * 86_400)} × 270 B ≈ ${
    fixed(redisPlanned * 86_400 * 270 / 2 ** 30, 0)
  } GiB: size the primary's memory for rate × retention, and keep the retention no longer than the
  retry window needs.

**Beyond one primary**: a Redis Cluster. \`RedisStore.layerNodeCluster\` sends each delivery's key to
the master that owns its slot; a delivery is one key, touched by one script, so keys spread over all
masters with no hash tags and no cross-slot operations ([stores: Cluster, Sentinel, managed
Redis](stores.md#cluster-sentinel-managed-redis)). Capacity grows with the masters: about ${
    int(redisPlanned)
  } deliveries/s each by the figure above (3 masters ≈ ${int(3 * redisPlanned)}). Replication stays
asynchronous, so a failover can still lose an acknowledged claim (stores.md says what that means).

### One PostgreSQL primary

PostgreSQL runs each connection in its own backend process, so the store's statements use every
core of the primary, given enough connections (a pool per receiver process: here 4).

* Measured: ${fixed(pgServerUs)} µs of backend CPU per delivery (median): one \`INSERT … ON CONFLICT\` claim
  and one \`UPDATE\` completion per delivery, each its own transaction, plus the duplicates' claims.
* One core: 1,000,000 ÷ ${fixed(pgServerUs)} = ${int(pgPerCore)} deliveries/s.

| primary cores | at 100% | planned at ${fixed(plannedUtilisation * 100, 0)}% | arithmetic |
|---:|---:|---:|---|
${
    pgCores.map((cores) =>
      `| ${cores} | ${int(cores * pgPerCore)} | ${int(plannedUtilisation * cores * pgPerCore)} | ${
        fixed(plannedUtilisation, 1)
      } × ${cores} × 1,000,000 ÷ ${fixed(pgServerUs)} |`
    ).join("\n")
  }

What the table leaves out, each of which lowers it:

* **Commits**: every claim and completion is a committed transaction, two WAL flushes' worth per
  delivery (group commit shares a flush between concurrent commits, so the disk's flush latency
  limits each connection, not the total, as long as there are enough connections).
* **The WAL writer, checkpoints, autovacuum** of a table that takes an insert and an update per
  delivery and a delete per expired row (the store's cleanup sweeps in batches), and index upkeep —
  not in the backend CPU measured above.
* **Your own writes**: if the handlers write to the same primary, add theirs. The ledger's one-row
  \`INSERT\` took ${fixed(ledgerUs)} µs per delivery here (median), for scale.
* Scaling over cores is near linear for short independent statements on distinct keys, not perfectly:
  WAL insertion and buffer mapping locks are shared.

**Beyond one primary**:

* **A bigger primary** first: the table above scales with cores, and it is the cheapest step.
* **Separate databases per provider** (or per group of them): each provider's store is independent —
  keys never collide across providers (\`<provider>:<key>\`) — so giving Stripe's and GitHub's receivers
  different \`SqlStore.layerPg\` URLs splits the load with no coordination, and each database can be
  sized on its own.
* **Partitioning the table**: with the table as \`SqlStore\` creates it (primary key \`key\`, claims by
  \`INSERT … ON CONFLICT (key)\`), PostgreSQL requires every partitioned table's unique key to include
  the partition key. Partitioning **by hash of \`key\`** keeps that: same statements, smaller indexes
  and per-partition vacuum, but cleanup still deletes rows. Partitioning **by expiry** so that old
  partitions are dropped instead of swept by \`DELETE\` is not possible with this schema: a row's
  \`expires_at\` changes when a claim completes (lease → retention), and a claim must find the key in
  whichever partition holds it, which a unique index per partition cannot enforce. It would take a
  different store layout (for example a partition per retention period keyed by the delivery's
  first-seen day, with claims checking the current and previous partitions) — not something
  \`@hookline/store-sql\` offers today. Until then, the cleanup's batched \`DELETE\` (or
  \`SqlStore.deleteExpired\` on your own schedule) is the expiry path; keep retention as short as the
  platform's retry window allows.
* **Beyond that**: a Redis Cluster (above) in front of the busiest providers, keeping PostgreSQL for
  the rest.

### The receivers

The receiver processes together spent about ${fixed(receiverUs)} µs of CPU per delivery here (median
over all rows: the whole pipeline — HTTP, signature check, the store's round trips, the handler's
ledger write — and the cluster primary's connection handling), so one core of receiver handles
about ${int(1e6 / receiverUs)} deliveries/s of this trivial handler${
    (machine.loadAverage[0] ?? 0) > machine.cpus
      ? " — on this run's oversubscribed machine (load average above its cores at the start), which inflates CPU per delivery"
      : ""
  }; [benchmarks: the Redis-backed pair](benchmarks.md#the-redis-backed-pair) has one receiver pinned to a
core, without the ledger. Receivers hold no state between
deliveries: add processes or hosts behind the load balancer until the store is the limit above.

## Run it

\`\`\`sh
npm run scale              # the full run: writes bench/results/scale.json and this page
npm run scale -- --quick   # 3 s rows, prints the table only
npx vitest run --config vitest.workspace.ts --project bench scale   # the reduced check: 2 workers, a few hundred deliveries per store
\`\`\`

Needs \`redis-server\` on the PATH and PostgreSQL at \`HOOKLINE_PG_URL\` (default
\`postgres://postgres@127.0.0.1:5432/test\`); every table and Redis server is the run's own and is
removed at the end.
`
}
