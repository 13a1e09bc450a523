/**
 * The idempotency store every instance uses, chosen by `HOOKLINE_STORE`. Adding a store is one
 * entry in {@link stores}.
 *
 *   HOOKLINE_STORE       redis (default) | postgres | memory
 *   HOOKLINE_REDIS_URL   default redis://127.0.0.1:6379
 *   HOOKLINE_PG_URL      default postgres://postgres@127.0.0.1:5432/test
 */
import type { IdempotencyStore, Misconfigured, StoreUnavailable } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import { RedisStore } from "@hookline/store-redis"
import { SqlStore } from "@hookline/store-sql"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

type StoreLayer = Layer.Layer<IdempotencyStore.IdempotencyStore, StoreUnavailable | Misconfigured>

export const stores = {
  // Shared by every process connected to the same Redis: exactly once across all of them.
  redis: (env: NodeJS.ProcessEnv): StoreLayer =>
    RedisStore.layerNode({ url: Redacted.make(env.HOOKLINE_REDIS_URL ?? "redis://127.0.0.1:6379") }),
  // Shared by every process connected to the same database (table hookline_deliveries).
  postgres: (env: NodeJS.ProcessEnv): StoreLayer =>
    SqlStore.layerPg({ url: Redacted.make(env.HOOKLINE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test") }),
  // One per process: each instance dedupes only what it saw itself (here to show the difference).
  memory: (): StoreLayer => MemoryStore.layer()
} satisfies Record<string, (env: NodeJS.ProcessEnv) => StoreLayer>

export type StoreKind = keyof typeof stores

export const isStoreKind = (kind: string): kind is StoreKind => Object.hasOwn(stores, kind)

export const storeLayer = (kind: StoreKind, env: NodeJS.ProcessEnv): StoreLayer => stores[kind](env)
