/**
 * A private Redis Cluster for tests and the reliability run: masters (three by default), optionally
 * with replicas, started from the local `redis-server` on free ports of 127.0.0.1, joined with
 * `redis-cli --cluster create`, and ready once every node reports `cluster_state:ok`. A missing
 * binary or a cluster that does not form is an error, never a skip. `stop` kills every node and
 * removes their cluster config files.
 *
 * With replicas, `failover` kills a master (SIGKILL, like a crash) and waits until one of its
 * replicas was promoted and the cluster serves every slot again; `rejoin` restarts the killed node,
 * which comes back as a replica of the master that replaced it.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { freePort, type RedisServer, start as startServer } from "./RedisServer.ts"

const run = promisify(execFile)

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  readonly id: string
  readonly port: number
  readonly role: "master" | "replica"
  /** The flags `fail` or `fail?` are set: the cluster (or the node asked) believes it down. */
  readonly failing: boolean
  /** Of a master: how many slots it serves. */
  readonly slots: number
  /** Of a master: its slot ranges, e.g. `0-5460` (empty for a replica). */
  readonly ranges: string
}

/** What one `failover` did. */
export interface Failover {
  /** The master killed. */
  readonly killed: RedisServer
  /** The port of the replica promoted in its place. */
  readonly promoted: number
  /** From the SIGKILL to `cluster_state:ok` on every live node. */
  readonly ms: number
}

export interface RedisCluster {
  /** Every node, in the order they were started: the first `masters` were created as masters. */
  readonly nodes: ReadonlyArray<RedisServer>
  /** `redis://127.0.0.1:<port>` of every node (with the password when one is set). */
  readonly urls: ReadonlyArray<string>
  /** Runs `redis-cli` against one node (by port), e.g. `cli(port, "CLUSTER", "KEYSLOT", "k")`. */
  readonly cli: (port: number, ...args: ReadonlyArray<string>) => Promise<string>
  /** The nodes as a live node sees them now. */
  readonly layout: () => Promise<ReadonlyArray<ClusterNode>>
  /**
   * Kills a master (a random one unless `port` says which; SIGKILL) and waits until a replica was
   * promoted and every live node reports `cluster_state:ok`. Needs replicas.
   */
  readonly failover: (port?: number) => Promise<Failover>
  /**
   * Waits until every replica of the master on `port` has received all it has written so far
   * (replication is asynchronous: a write acknowledged just before a master dies may be lost).
   */
  readonly caughtUp: (port: number) => Promise<void>
  /** Restarts a killed node and waits until it is a replica with its link up, the cluster ok. */
  readonly rejoin: (node: RedisServer) => Promise<void>
  /** Kills every node and removes the cluster's files. */
  readonly stop: () => Promise<void>
}

export interface RedisClusterOptions {
  /** Number of masters (default 3). */
  readonly masters?: number | undefined
  /** Replicas per master (default 0): `--cluster-replicas` of `redis-cli --cluster create`. */
  readonly replicasPerMaster?: number | undefined
  /**
   * `cluster-node-timeout` in ms (default 5000): how long a node may be unreachable before it is
   * failed over. Small values (1000–2000) make a failover take a couple of seconds.
   */
  readonly nodeTimeoutMs?: number | undefined
  /** An append-only file fsynced on every write on every node (`appendfsync always`). */
  readonly appendOnly?: boolean | undefined
  /** `requirepass` and `masterauth` of every node. */
  readonly password?: string | undefined
}

const cliArgs = (password: string | undefined): Array<string> =>
  password === undefined ? [] : ["-a", password, "--no-auth-warning"]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot>…`
const parseNodes = (text: string): Array<ClusterNode> =>
  text.trim().split("\n").filter((line) => line.length > 0).map((line) => {
    const [id = "", address = "", flags = "", , , , , , ...ranges] = line.trim().split(" ")
    const flagList = flags.split(",")
    const served = ranges.filter((range) => !range.startsWith("["))
    const slots = served.reduce((total, range) => {
      const [from, to] = range.split("-").map(Number)
      return total + (to === undefined ? 1 : to - from! + 1)
    }, 0)
    return {
      id,
      port: Number(address.split("@")[0]!.split(":").pop()),
      role: flagList.includes("master") ? "master" : "replica",
      failing: flagList.includes("fail") || flagList.includes("fail?"),
      slots,
      ranges: served.join(" ")
    }
  })

/** Starts a cluster and waits until it serves every slot. */
export const start = async (options: RedisClusterOptions = {}): Promise<RedisCluster> => {
  const masters = options.masters ?? 3
  const replicas = options.replicasPerMaster ?? 0
  const count = masters * (1 + replicas)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookline-redis-cluster-"))
  const nodes: Array<RedisServer> = []
  // Nodes killed by `failover` and not restarted yet.
  const down = new Set<RedisServer>()
  const cli = async (port: number, ...args: ReadonlyArray<string>) =>
    (await run("redis-cli", ["-p", String(port), ...cliArgs(options.password), ...args], { timeout: 10_000 }))
      .stdout
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const live = () => nodes.filter((node) => !down.has(node))
  const layout = async () => parseNodes(await cli(live()[0]!.port, "CLUSTER", "NODES"))

  // Every live node says the cluster is ok and agrees with `check` on the layout it sees.
  const settled = async (what: string, check: (nodes: ReadonlyArray<ClusterNode>) => boolean, limitMs = 30_000) => {
    const deadline = Date.now() + limitMs
    for (;;) {
      const views = await Promise.all(
        live().map(async (node) => {
          const [info, layout] = await Promise.all([
            cli(node.port, "CLUSTER", "INFO"),
            cli(node.port, "CLUSTER", "NODES")
          ])
          return { info, layout: parseNodes(layout) }
        })
      ).catch(() => undefined)
      if (views?.every((view) => view.info.includes("cluster_state:ok") && check(view.layout))) return
      if (Date.now() > deadline) {
        throw new Error(`the cluster did not settle (${what}):\n${views?.map((view) => view.info).join("\n") ?? ""}`)
      }
      await sleep(50)
    }
  }

  // A replica is linked to its master (synchronised); a master passes at once.
  const linked = async (node: RedisServer) => {
    const deadline = Date.now() + 30_000
    for (;;) {
      const info = await cli(node.port, "INFO", "replication")
      if (info.includes("role:master") || info.includes("master_link_status:up")) return
      if (Date.now() > deadline) throw new Error(`${node.port} did not synchronise with its master:\n${info}`)
      await sleep(50)
    }
  }

  const nodeDir = (port: number) => {
    const own = path.join(dir, String(port))
    fs.mkdirSync(own, { recursive: true })
    return own
  }

  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort()
      nodes.push(
        await startServer({
          port,
          password: options.password,
          appendOnly: options.appendOnly,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            path.join(dir, `nodes-${port}.conf`),
            "--cluster-node-timeout",
            String(options.nodeTimeoutMs ?? 5000),
            // A replica's first (full) synchronisation starts at once, not after the default 5 s
            // wait for more replicas to share it.
            "--repl-diskless-sync-delay",
            "0",
            ...(options.password === undefined ? [] : ["--masterauth", options.password]),
            // Without an append-only directory of its own, a node still writes the RDB files of
            // replication (a replica's full synchronisation): into the cluster's directory, not the
            // current one.
            ...(options.appendOnly === true ? [] : ["--dir", nodeDir(port)])
          ]
        })
      )
    }
    await run(
      "redis-cli",
      [
        ...cliArgs(options.password),
        "--cluster",
        "create",
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes"
      ],
      { timeout: 30_000 }
    ).catch((error: unknown) => {
      throw new Error(`redis-cli --cluster create failed (is redis-cli installed?): ${String(error)}`)
    })
    // `--cluster create` returns once the nodes agree on the slots; each node still has to see
    // the others and declare the cluster healthy.
    await settled("create", (seen) =>
      seen.length === count &&
      seen.filter((node) => node.role === "master" && node.slots > 0).length === masters &&
      seen.every((node) => !node.failing))
    // A replica that never synchronised is no candidate for a failover.
    for (const node of nodes) await linked(node)
  } catch (error) {
    await stop()
    throw error
  }

  const failover = async (port?: number): Promise<Failover> => {
    if (replicas === 0) throw new Error("a failover needs replicas (replicasPerMaster)")
    const before = await layout()
    const candidates = before.filter((node) => node.role === "master" && node.slots > 0 && !node.failing)
    const target = port === undefined ? candidates[Math.floor(Math.random() * candidates.length)] : candidates.find(
      (node) => node.port === port
    )
    const killed = nodes.find((node) => node.port === target?.port)
    if (target === undefined || killed === undefined) throw new Error(`no live master on port ${port}`)
    const begun = performance.now()
    down.add(killed)
    await killed.kill()
    // Promoted: the killed node is marked failed and a former replica serves its slots.
    let promoted = 0
    await settled(`promotion after killing ${target.port}`, (seen) => {
      const replacement = seen.find((node) =>
        node.role === "master" && node.ranges === target.ranges && node.port !== target.port && !node.failing
      )
      promoted = replacement?.port ?? 0
      return replacement !== undefined && seen.some((node) => node.id === target.id && node.failing)
    })
    return { killed, promoted, ms: Math.round(performance.now() - begun) }
  }

  const caughtUp = async (port: number) => {
    const deadline = Date.now() + 30_000
    for (;;) {
      const info = await cli(port, "INFO", "replication")
      const written = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? Number.NaN)
      const received = [...info.matchAll(/^slave\d+:.*\boffset=(\d+)/gm)].map((match) => Number(match[1]))
      if (received.length > 0 && received.every((offset) => offset >= written)) return
      if (Date.now() > deadline) throw new Error(`the replicas of ${port} did not catch up:\n${info}`)
      await sleep(20)
    }
  }

  const rejoin = async (node: RedisServer) => {
    // With its append-only file and cluster config (its identity, its old epoch): it learns that its
    // slots moved to a newer epoch and becomes a replica of the node that took them over.
    await node.restart()
    down.delete(node)
    const id = parseNodes(await cli(node.port, "CLUSTER", "NODES")).find((seen) => seen.port === node.port)?.id
    await settled(
      `rejoin of ${node.port}`,
      (seen) =>
        seen.some((other) => other.id === id && other.role === "replica" && !other.failing) &&
        seen.every((other) => !other.failing)
    )
    await linked(node)
  }

  return { nodes, urls: nodes.map((node) => node.url), cli, layout, failover, caughtUp, rejoin, stop }
}
