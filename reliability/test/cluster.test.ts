/**
 * The exactly-once run on a Redis Cluster (issue #21), reduced: separate server processes on a private
 * 3-master cluster with one replica per master, concurrent duplicates, retries until acknowledged,
 * and masters killed (SIGKILL) mid-run — each failed over to its replica, then restarted as a
 * replica. A missing `redis-server` fails the suite (the cluster cannot start), never skips it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as RedisCluster from "../../test-support/RedisCluster.ts"
import * as ExactlyOnce from "../src/ExactlyOnce.ts"

let cluster: RedisCluster.RedisCluster
beforeAll(async () => {
  cluster = await RedisCluster.start({ replicasPerMaster: 1, nodeTimeoutMs: 1000, appendOnly: true })
}, 60_000)
afterAll(async () => {
  await cluster?.stop()
})

const reduced = { servers: 2, concurrency: 32, drainMs: 30_000 } as const

const assertKept = (figures: ExactlyOnce.Figures) => {
  assert.strictEqual(figures.neverAcked, 0, "authentic deliveries never acknowledged")
  assert.strictEqual(figures.ackedNotInLedger, 0, "acknowledged without a handler run")
  assert.strictEqual(figures.shutdownFailures, 0, "servers that broke the shutdown bound")
}

describe("exactly once across processes on a Redis Cluster", () => {
  it("no fault: every key handled once, every completion on the cluster", async () => {
    const figures = await ExactlyOnce.runScenario({
      store: "redis-cluster",
      fault: "none",
      cluster,
      deliveries: 300,
      ...reduced
    })
    assertKept(figures)
    assert.strictEqual(figures.handledTwice - (figures.handledTwiceAfterCut ?? 0), 0, "keys handled twice")
    assert.strictEqual(figures.completionsLost, 0, "completions missing from the cluster")
  }, 90_000)

  it("masters failed over mid-run: nothing lost, nothing acknowledged early", async () => {
    const figures = await ExactlyOnce.runScenario({
      store: "redis-cluster",
      fault: "failover",
      cluster,
      deliveries: 600,
      // Slower handlers keep deliveries in flight long enough for a failover to land among them.
      workMs: 40,
      ...reduced
    })
    assert.isAbove(figures.injected, 0, "masters failed over")
    assertKept(figures)
    // Replication is asynchronous: a completion acknowledged just before its master died can be
    // missing on the promoted replica. Measured and reported (docs/reliability.md), not asserted.
    assert.isDefined(figures.completionsLost)
  }, 180_000)
})
