import { afterAll, assert, describe, it } from "@effect/vitest"
import { DeadLetterStore, IdempotencyStore, type Misconfigured, type StoreUnavailable } from "@hookline/core"
import { deadLetterConformance, storeConformance } from "@hookline/core/testing/vitest"
import { RedisDeadLetterStore, RedisStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { inspect } from "node:util"
import { createClient } from "redis"
import * as Logs from "../../../test-support/Logs.ts"
import * as RedisCluster from "../../../test-support/RedisCluster.ts"
import { freePort } from "../../../test-support/RedisServer.ts"
import * as RedisServer from "./RedisServer.ts"

// A private 3-master Redis Cluster for this file. When it cannot start, every test below fails
// with the reason (the conformance suite's first test builds the layer), none is skipped.
const starting = RedisCluster.start()
starting.catch(() => {})
const password = "cluster-password-never-logged"
const startingWithPassword = RedisCluster.start({ password })
startingWithPassword.catch(() => {})
afterAll(async () => {
  await Promise.allSettled([starting.then((cluster) => cluster.stop()), startingWithPassword.then((c) => c.stop())])
})
const cluster = Effect.promise(() => starting)

const run = `hookline-test:${crypto.randomUUID()}:`
const fingerprint = "f".repeat(64)
const lease = Duration.seconds(30)

const clusterLayer = (options: Omit<RedisStore.ClusterOptions, "rootNodes"> = {}) =>
  Layer.unwrap(Effect.map(cluster, (c) => RedisStore.layerNodeCluster({ rootNodes: c.urls, ...options })))

storeConformance(
  "RedisStore on a Redis Cluster",
  Logs.capturing(clusterLayer({ prefix: `${run}conformance:` })),
  { time: "live" }
)

// The dead-letter store on the same cluster: every key under one hash tag, so one master.
deadLetterConformance(
  "RedisDeadLetterStore on a Redis Cluster",
  (retention) =>
    Logs.capturing(
      Layer.unwrap(Effect.map(cluster, (c) =>
        RedisDeadLetterStore.layerNodeCluster({
          rootNodes: c.urls,
          prefix: `${run}dl-${crypto.randomUUID()}:`,
          retention
        })))
    ),
  { time: "live" }
)

const storeFrom = <E>(storeLayer: Layer.Layer<IdempotencyStore.IdempotencyStore, E>) =>
  Effect.map(Layer.build(Logs.capturing(storeLayer)), Context.get(IdempotencyStore.IdempotencyStore))

// A plain (non-cluster) connection to every master: it answers only for the slots its node owns
// (`MOVED` for the others), so it tells where a key really lives.
const directClients = (urls: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.promise(() => Promise.all(urls.map((url) => createClient({ url }).connect()))),
    (clients) => Effect.promise(() => Promise.all(clients.map((client) => client.close())))
  )

// Which master (index) holds `key`, asking each one directly.
const ownerOf = (clients: ReadonlyArray<ReturnType<typeof createClient>>, key: string) =>
  Effect.promise(async () => {
    const owners: Array<number> = []
    for (const [index, client] of clients.entries()) {
      const state = await client.sendCommand(["GET", key]).catch((error: unknown) => {
        assert.match(String(error), /MOVED/)
        return "moved"
      })
      if (state !== "moved") owners.push(index)
    }
    assert.strictEqual(owners.length, 1, `${key} is answered for by masters ${owners.join(", ")}`)
    return owners[0]!
  })

// A cluster of the test's own, with a replica per master and a 1 s node timeout, for a failover.
const replicatedCluster = Effect.acquireRelease(
  Effect.promise(() => RedisCluster.start({ replicasPerMaster: 1, nodeTimeoutMs: 1000 })),
  (c) => Effect.promise(() => c.stop())
)

// The failed-over master is still down: what the store reached was the promoted replica.
const assertStillDown = (replicated: RedisCluster.RedisCluster, port: number) =>
  Effect.map(
    Effect.promise(() => replicated.layout()),
    (layout) => assert.isTrue(layout.some((node) => node.port === port && node.failing), "the old master is down")
  )

const claimed = (result: IdempotencyStore.ClaimResult) =>
  result._tag === "Claimed" ? result.token : assert.fail(`expected Claimed, got ${result._tag}`)

describe("RedisStore on a Redis Cluster", () => {
  it.live("sends each key to the master owning its slot: the keys of one run land on every master", () =>
    Effect.gen(function*() {
      const { urls } = yield* cluster
      const prefix = `${run}routing:`
      const store = yield* storeFrom(RedisStore.layerNodeCluster({ rootNodes: urls, prefix }))
      const clients = yield* directClients(urls)
      const owners = new Set<number>()
      for (let i = 0; i < 30; i++) {
        const token = claimed(yield* store.claim(`k${i}`, fingerprint, lease))
        const owner = yield* ownerOf(clients, `${prefix}k${i}`)
        owners.add(owner)
        // The whole operation stays on that master: the key is completed there.
        assert.isTrue(yield* store.complete(`k${i}`, token, lease))
        assert.strictEqual(
          yield* Effect.promise(() => clients[owner]!.sendCommand<unknown>(["GET", `${prefix}k${i}`])),
          `c:${fingerprint}`
        )
      }
      assert.strictEqual(owners.size, 3, `30 keys landed on masters ${[...owners].join(", ")} only`)
    }).pipe(Effect.scoped))

  it.live("loads the script on every master, and again on a master that lost it (NOSCRIPT)", () =>
    Effect.gen(function*() {
      const { cli, nodes, urls } = yield* cluster
      const monitors = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(nodes.map((node) => RedisServer.monitor(node.port)))),
        (monitors) => Effect.sync(() => monitors.forEach((monitor) => monitor.close()))
      )
      const takeAll = Effect.promise(() => Promise.all(monitors.map((monitor) => monitor.take())))
      const prefix = `${run}noscript:`
      const store = yield* storeFrom(RedisStore.layerNodeCluster({ rootNodes: urls, prefix }))
      // The store's commands only: `EVALSHA` and `SCRIPT LOAD`.
      const names = (commands: ReadonlyArray<ReadonlyArray<string>>) =>
        commands.map((args) =>
          args[0]!.toUpperCase() === "SCRIPT" ? `SCRIPT ${args[1]!.toUpperCase()}` : args[0]!.toUpperCase()
        )
          .filter((name) => name === "EVALSHA" || name === "SCRIPT LOAD")
      for (const seen of yield* takeAll) assert.include(names(seen), "SCRIPT LOAD")

      // Every master forgets its scripts, as a restarted or newly promoted one would have.
      yield* Effect.promise(() => Promise.all(nodes.map((node) => cli(node.port, "SCRIPT", "FLUSH"))))
      yield* takeAll
      const clients = yield* directClients(urls)
      const seenOn = new Set<number>()
      for (let i = 0; seenOn.size < 3 && i < 100; i++) {
        // A claim is a plain SET; completing it runs the script on the key's master.
        const token = claimed(yield* store.claim(`k${i}`, fingerprint, lease))
        const owner = yield* ownerOf(clients, `${prefix}k${i}`)
        assert.isTrue(yield* store.complete(`k${i}`, token, lease))
        const commands = (yield* takeAll).map(names)
        assert.deepStrictEqual(commands.filter((_, index) => index !== owner).flat(), [])
        // The first key on each master meets NOSCRIPT there, loads the script there, and runs;
        // later keys on that master run at once.
        assert.deepStrictEqual(
          commands[owner],
          seenOn.has(owner) ? ["EVALSHA"] : ["EVALSHA", "SCRIPT LOAD", "EVALSHA"]
        )
        seenOn.add(owner)
      }
      assert.strictEqual(seenOn.size, 3)
    }).pipe(Effect.scoped))

  it.live("uses the root URL's credentials on every node, and never shows them", () =>
    Effect.gen(function*() {
      const secured = yield* Effect.promise(() => startingWithPassword)
      const prefix = `${run}auth:`
      const store = yield* storeFrom(
        RedisStore.layerNodeCluster({ rootNodes: [Redacted.make(secured.urls[0]!)], prefix })
      )
      const clients = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(secured.urls.map((url) => createClient({ url }).connect()))),
        (clients) => Effect.promise(() => Promise.all(clients.map((client) => client.close())))
      )
      const owners = new Set<number>()
      for (let i = 0; i < 30; i++) {
        claimed(yield* store.claim(`k${i}`, fingerprint, lease))
        owners.add(yield* ownerOf(clients, `${prefix}k${i}`))
      }
      assert.strictEqual(owners.size, 3)

      const wrong = secured.urls[0]!.replace(password, "wrong-password")
      const error = yield* Effect.flip(storeFrom(RedisStore.layerNodeCluster({ rootNodes: [wrong] })))
      assert.strictEqual(error._tag, "StoreUnavailable")
      for (const text of [error.message, String(error), inspect(error, { depth: 10 })]) {
        assert.notInclude(text, "wrong-password")
      }
    }).pipe(Effect.scoped))

  // Last on the shared cluster: a master stops answering for less than the cluster's node timeout
  // (5 s), so the cluster itself stays healthy.
  it.live("a frozen master fails its keys' operations within the command timeout; the others still serve", () =>
    Effect.gen(function*() {
      const { nodes, urls } = yield* cluster
      const prefix = `${run}frozen:`
      const scope = yield* Scope.make()
      const store = yield* Scope.provide(
        storeFrom(RedisStore.layerNodeCluster({ rootNodes: urls, prefix, commandTimeout: Duration.millis(300) })),
        scope
      )
      const clients = yield* directClients(urls)
      const owners = new Map<number, string>()
      for (let i = 0; owners.size < 3 && i < 100; i++) {
        claimed(yield* store.claim(`k${i}`, fingerprint, lease))
        owners.set(yield* ownerOf(clients, `${prefix}k${i}`), `k${i}`)
      }
      const frozen = nodes[0]!
      frozen.freeze()
      yield* Effect.addFinalizer(() => Effect.sync(() => frozen.thaw()))
      const started = Date.now()
      const error = yield* Effect.flip(store.claim(`${owners.get(0)}`, fingerprint, lease))
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, "timed out after 300 ms")
      assert.isBelow(Date.now() - started, 1000)
      for (const owner of [1, 2]) {
        assert.strictEqual((yield* store.claim(owners.get(owner)!, fingerprint, lease))._tag, "InFlight")
      }
      // Closing the store does not wait for the frozen master's missing replies.
      const closing = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isBelow(Date.now() - closing, 1000)
      frozen.thaw()
    }).pipe(Effect.scoped))

  it.live(
    "after a master's failover, its keys are served by the promoted replica while it stays down",
    () =>
      Effect.gen(function*() {
        const replicated = yield* replicatedCluster
        const prefix = `${run}failover:`
        const store = yield* storeFrom(RedisStore.layerNodeCluster({ rootNodes: replicated.urls, prefix }))
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}`)
        for (const key of keys) claimed(yield* store.claim(key, fingerprint, lease))
        const failover = yield* Effect.promise(() => replicated.failover())
        // node-redis rediscovers only on MOVED, which a dead master never answers: the store asks for
        // the layout again after a failed command, so the platform's next retry reaches the new master.
        const until = Date.now() + 10_000
        let failing = keys.length
        while (failing > 0 && Date.now() < until) {
          const results = yield* Effect.forEach(keys, (key) => Effect.result(store.claim(key, fingerprint, lease)))
          failing = results.filter((result) => result._tag === "Failure").length
          if (failing > 0) yield* Effect.sleep(Duration.millis(100))
        }
        assert.strictEqual(failing, 0, `keys still failing 10 s after ${failover.killed.port} was failed over`)
        yield* assertStillDown(replicated, failover.killed.port)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "the dead-letter store, too, reaches the promoted replica after its master's failover",
    () =>
      Effect.gen(function*() {
        const replicated = yield* replicatedCluster
        const prefix = `${run}dlfailover:`
        const built = yield* Layer.build(
          Logs.capturing(RedisDeadLetterStore.layerNodeCluster({ rootNodes: replicated.urls, prefix }))
        )
        const store = Context.get(built, DeadLetterStore.DeadLetterStore)
        const attempt = (key: string) => {
          const at = Date.now()
          return store.record({
            key,
            provider: "acme",
            delivery: { method: "POST", url: "/", headers: {}, body: new Uint8Array([1, 2, 3]) },
            receivedAt: at,
            reason: { tag: "TimedOut", message: "slow" },
            at
          })
        }
        yield* attempt("acme:1")
        // Every key of the store is in the slot of its hash tag: fail over the master that owns it.
        const anyPort = replicated.nodes[0]!.port
        const slot = Number(
          (yield* Effect.promise(() => replicated.cli(anyPort, "CLUSTER", "KEYSLOT", `{${prefix}dl}`))).trim()
        )
        const owner = (yield* Effect.promise(() => replicated.layout())).find((node) =>
          node.role === "master" && node.ranges.split(" ").some((range) => {
            const [from, to] = range.split("-").map(Number)
            return from !== undefined && slot >= from && slot <= (to ?? from)
          })
        )
        assert.isDefined(owner, `no master owns slot ${slot}`)
        // A write the replica never received is lost with its master (asynchronous replication,
        // docs/stores.md): what this test checks is that the store follows the promotion.
        yield* Effect.promise(() => replicated.caughtUp(owner!.port))
        const failover = yield* Effect.promise(() => replicated.failover(owner!.port))
        const until = Date.now() + 10_000
        let recorded = false
        while (!recorded && Date.now() < until) {
          recorded = (yield* Effect.result(attempt("acme:2")))._tag === "Success"
          if (!recorded) yield* Effect.sleep(Duration.millis(100))
        }
        assert.isTrue(recorded, `recording still failing 10 s after ${failover.killed.port} was failed over`)
        const listed = yield* store.list({ provider: "acme" })
        assert.deepStrictEqual(listed.map((entry) => entry.key).sort(), ["acme:1", "acme:2"])
        yield* assertStillDown(replicated, failover.killed.port)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live("fails with StoreUnavailable when no root node answers, within the timeouts", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const started = Date.now()
      const error: StoreUnavailable | Misconfigured = yield* Effect.flip(
        storeFrom(RedisStore.layerNodeCluster({
          rootNodes: [`redis://user:${password}@127.0.0.1:${port}`],
          commandTimeout: Duration.millis(500)
        }))
      )
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.include(error.message, `redis://127.0.0.1:${port}`)
      assert.isBelow(Date.now() - started, 5000)
      for (const text of [error.message, String(error), inspect(error, { depth: 10 })]) {
        assert.notInclude(text, password)
      }
    }).pipe(Effect.scoped))

  it.live("fails with Misconfigured for no root node or a URL that cannot work", () =>
    Effect.gen(function*() {
      for (const rootNodes of [[], ["http://127.0.0.1:6379"], ["not a url"], ["redis://127.0.0.1:1", "redis://"]]) {
        const error = yield* Effect.flip(storeFrom(RedisStore.layerNodeCluster({ rootNodes })))
        assert.strictEqual(error._tag, "Misconfigured", `${JSON.stringify(rootNodes)}: ${error.message}`)
      }
    }).pipe(Effect.scoped))
})
