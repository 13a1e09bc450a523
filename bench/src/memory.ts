/**
 * Memory store footprint: heap bytes per completed key at `count` keys. Keys are built as the
 * pipeline builds them (`<provider>:<delivery id>`, here a UUID like GitHub's delivery ids), each
 * with its own SHA-256 hex fingerprint, claimed and then completed. Heap delta after a full GC,
 * divided by the key count; the keys and fingerprints are retained only by the store.
 */
import { MemoryStore } from "@hookline/store-memory"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createHash, randomUUID } from "node:crypto"

export interface MemoryResult {
  readonly keys: number
  readonly bytesPerKey: number
}

export const storeBytesPerKey = (count: number): MemoryResult => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with --expose-gc (npm run bench does)")
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  const store = MemoryStore.make({ maxEntries: count })
  const lease = Duration.minutes(1)
  const retain = Duration.days(1)
  for (let i = 0; i < count; i++) {
    const id = randomUUID()
    const key = `hmac:${id}`
    const fingerprint = createHash("sha256").update(id).digest("hex")
    const claim = Effect.runSync(store.claim(key, fingerprint, lease))
    if (claim._tag !== "Claimed") throw new Error(`memory store: ${claim._tag} for a new key`)
    if (!Effect.runSync(store.complete(key, claim.token, retain))) throw new Error("memory store: complete refused")
  }
  gc()
  gc()
  const after = process.memoryUsage().heapUsed
  // Keep the store reachable until after the measurement.
  if (Effect.runSync(store.claim("hmac:probe", "0", lease))._tag === "InFlight") throw new Error("unreachable")
  return { keys: count, bytesPerKey: (after - before) / count }
}
