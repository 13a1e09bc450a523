/**
 * A private Redis Cluster for tests: three masters (no replicas) started from the local
 * `redis-server` on free ports of 127.0.0.1, joined with `redis-cli --cluster create`, and ready
 * once every node reports `cluster_state:ok`. A missing binary or a cluster that does not form is
 * an error, never a skip. `stop` kills every node and removes their cluster config files.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { freePort, type RedisServer, start as startServer } from "./RedisServer.ts"

const run = promisify(execFile)

export interface RedisCluster {
  /** The masters, in the order they were started. */
  readonly nodes: ReadonlyArray<RedisServer>
  /** `redis://127.0.0.1:<port>` of every master (with the password when one is set). */
  readonly urls: ReadonlyArray<string>
  /** Runs `redis-cli` against one node (by port), e.g. `cli(port, "CLUSTER", "KEYSLOT", "k")`. */
  readonly cli: (port: number, ...args: ReadonlyArray<string>) => Promise<string>
  /** Kills every node and removes the cluster's files. */
  readonly stop: () => Promise<void>
}

export interface RedisClusterOptions {
  /** Number of masters (default 3). */
  readonly masters?: number | undefined
  /** `requirepass` and `masterauth` of every node. */
  readonly password?: string | undefined
}

const cliArgs = (password: string | undefined): Array<string> =>
  password === undefined ? [] : ["-a", password, "--no-auth-warning"]

/** Starts a cluster and waits until it serves every slot. */
export const start = async (options: RedisClusterOptions = {}): Promise<RedisCluster> => {
  const count = options.masters ?? 3
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookline-redis-cluster-"))
  const nodes: Array<RedisServer> = []
  const cli = async (port: number, ...args: ReadonlyArray<string>) =>
    (await run("redis-cli", ["-p", String(port), ...cliArgs(options.password), ...args], { timeout: 10_000 }))
      .stdout
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort()
      nodes.push(
        await startServer({
          port,
          password: options.password,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            path.join(dir, `nodes-${port}.conf`),
            "--cluster-node-timeout",
            "5000",
            ...(options.password === undefined ? [] : ["--masterauth", options.password])
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
        "0",
        "--cluster-yes"
      ],
      { timeout: 30_000 }
    ).catch((error: unknown) => {
      throw new Error(`redis-cli --cluster create failed (is redis-cli installed?): ${String(error)}`)
    })
    // `--cluster create` returns once the nodes agree on the slots; each node still has to see
    // the others and declare the cluster healthy.
    const deadline = Date.now() + 30_000
    for (const node of nodes) {
      for (;;) {
        const info = await cli(node.port, "CLUSTER", "INFO")
        if (info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${count}`)) break
        if (Date.now() > deadline) throw new Error(`the cluster did not become ready on ${node.port}:\n${info}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, urls: nodes.map((node) => node.url), cli, stop }
}
