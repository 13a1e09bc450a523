/**
 * The Vitest config of `npm run mutation:stores`: the stores' tests, and core's (they run the
 * pipeline on the memory store). See `vitest.mutation.config.ts` for the aliases and what is left out.
 */
import { mutationConfig } from "./vitest.mutation.config.ts"

// The outage tests stop and restart servers: up to ~15 s.
export default mutationConfig(["core", "store-memory", "store-redis", "store-sql"], 30_000)
