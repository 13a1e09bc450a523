import { SqlStore } from "@hookline/store-sql"
import { afterAll } from "vitest"
import { shutdownSuite } from "../../../test-support/Shutdown.ts"
import { dropTables, pgUrl, runAdmin, uniqueTable } from "./support.ts"

// One table for the file; each test's keys are unique, and each call opens its own pool.
const table = uniqueTable("shutdown")
afterAll(() => runAdmin(dropTables(table)))

shutdownSuite("SqlStore.layerPg", () => SqlStore.layerPg({ url: pgUrl, table }))
