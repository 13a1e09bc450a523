/**
 * `npm run demo`: starts the reference receiver in-process on an ephemeral port with the memory
 * store, sends a scripted series of real HTTP deliveries, and prints what happened to each:
 * HTTP status and body, the pipeline's outcome (read from hookline's own structured logs), and how
 * many times the handler ran. Exits 1 if any delivery was not answered as expected.
 */
import { type RawDelivery } from "@hookline/core"
import { toNodeListener } from "@hookline/core/node"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { DemoFailure, formatLine, type HandledLine, makeRoutes } from "./app.ts"
import { scenarios } from "./scenarios.ts"

const secrets = {
  hmac: Redacted.make("demo-hmac-secret"),
  igv: Redacted.make("aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"),
  goldenpay: Redacted.make("demo-goldenpay-api-token"),
  em: { appId: "demo-em-app", secret: Redacted.make("demo-em-app-secret") },
  github: Redacted.make("demo-github-secret"),
  shopify: Redacted.make("demo-shopify-secret"),
  standardWebhooks: Redacted.make("whsec_ZGVtby1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ="),
  stripe: Redacted.make("whsec_demo_stripe_secret")
}

// Handler runs per idempotency key (failed attempts included), and the scripted behaviours.
const runs = new Map<string, number>()
const handled: Array<HandledLine> = []
const behavior = (_provider: string, key: string, event: unknown) =>
  Effect.gen(function*() {
    const attempt = (runs.get(key) ?? 0) + 1
    runs.set(key, attempt)
    const script = demoScript(event)
    if (script === "fail-once" && attempt === 1) return yield* new DemoFailure({ message: "database blip" })
    if (script === "slow") yield* Effect.sleep("1500 millis")
    if (script === "hold") yield* Effect.sleep("300 millis")
  })

// The demo marks scripted payloads with a `demo` field.
const demoScript = (event: unknown): string | undefined => {
  const payload = typeof event === "object" && event !== null && "payload" in event ? event.payload : event
  return typeof payload === "object" && payload !== null && "demo" in payload && typeof payload.demo === "string"
    ? payload.demo
    : undefined
}

// The pipeline logs every outcome with `hookline.*` annotations; the demo reads them back.
interface Logged {
  readonly outcome: string
  readonly reason: string
  readonly key: string | undefined
}
const logged: Array<Logged> = []
const collector = Logger.make((options) => {
  const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
  const outcome = annotations["hookline.outcome"]
  if (typeof outcome !== "string") return
  const reason = String(annotations["hookline.reason"] ?? "none")
  const key = annotations["hookline.key"]
  logged.push({ outcome, reason, key: typeof key === "string" ? key : undefined })
})

const layer = Layer.mergeAll(
  MemoryStore.layer(),
  Logger.layer([collector]),
  Layer.succeed(References.MinimumLogLevel, "Debug")
)
const routes = makeRoutes({
  hmacSecret: secrets.hmac,
  igvSecret: secrets.igv,
  goldenpaySecret: secrets.goldenpay,
  em: secrets.em,
  githubSecret: secrets.github,
  shopifySecret: secrets.shopify,
  standardWebhooksSecret: secrets.standardWebhooks,
  stripeSecret: secrets.stripe,
  onEvent: (line) => handled.push(line),
  behavior,
  timeBudget: "1 second"
})
const listener = toNodeListener(routes, layer)
const server = http.createServer(listener)
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const send = async (raw: RawDelivery.RawDelivery) => {
  const response = await fetch(`${base}${raw.url}`, {
    method: raw.method,
    headers: raw.headers,
    body: Buffer.from(raw.body)
  })
  return { status: response.status, body: (await response.text()).replace(/\s+/g, " ") }
}

// "503 {…} ×3" instead of three identical cells.
const group = (cells: ReadonlyArray<string>): string => {
  const counts = new Map<string, number>()
  for (const cell of cells) counts.set(cell, (counts.get(cell) ?? 0) + 1)
  return [...counts].map(([cell, n]) => n === 1 ? cell : `${cell} ×${n}`).join(" | ")
}

interface Row {
  readonly delivery: string
  readonly response: string
  readonly outcome: string
  readonly runs: string
  readonly ok: boolean
}
const rows: Array<Row> = []
for (const scenario of scenarios(secrets)) {
  if (scenario.waitBefore !== undefined) await new Promise((resolve) => setTimeout(resolve, scenario.waitBefore))
  const before = logged.length
  const responses = scenario.concurrent
    ? await Promise.all(scenario.deliveries.map(send))
    : await scenario.deliveries.reduce(
      async (acc, raw) => [...await acc, await send(raw)],
      Promise.resolve([] as Array<{ status: number; body: string }>)
    )
  const outcomes = logged.slice(before).map((entry) =>
    entry.reason === "none" ? entry.outcome : `${entry.outcome}(${entry.reason})`
  )
  const statuses = responses.map((r) => r.status)
  const key = scenario.key
  rows.push({
    delivery: scenario.label,
    response: group(responses.map((r) => `${r.status} ${r.body.length > 48 ? `${r.body.slice(0, 45)}...` : r.body}`)),
    outcome: group(outcomes.sort()),
    runs: key === undefined ? "0" : String(runs.get(key) ?? 0),
    ok: JSON.stringify([...statuses].sort()) === JSON.stringify([...scenario.expectStatuses].sort()) &&
      (scenario.expectRuns === undefined || (runs.get(key ?? "") ?? 0) === scenario.expectRuns)
  })
}

server.close()
await listener.dispose()

const columns = ["delivery", "HTTP status / body", "outcome", "handler runs (total)", ""] as const
const table = rows.map((row) => [row.delivery, row.response, row.outcome, row.runs, row.ok ? "ok" : "UNEXPECTED"])
const widths = columns.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i]!.length)))
const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()
console.log(line(columns))
console.log(line(widths.map((w) => "-".repeat(w))))
for (const cells of table) console.log(line(cells))
console.log(`\nhandled events (one JSON line each, as the server prints them):`)
for (const event of handled) console.log(`  ${formatLine(event)}`)

const failures = rows.filter((row) => !row.ok)
if (failures.length > 0) {
  console.error(`\n${failures.length} deliveries were not answered as expected`)
  process.exit(1)
}
console.log(`\nall ${rows.length} scripted deliveries answered as expected`)
