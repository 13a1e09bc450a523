import { RedisStore } from "@hookline/store-redis"
import { shutdownSuite } from "../../../test-support/Shutdown.ts"
import * as RedisServer from "./RedisServer.ts"

// Each test's two "processes" share one prefix on the shared Redis; every call opens its own client.
shutdownSuite(
  "RedisStore.layerNode",
  (scope) => RedisStore.layerNode({ url: RedisServer.sharedUrl, prefix: `hookline-test:shutdown:${scope}:` })
)
