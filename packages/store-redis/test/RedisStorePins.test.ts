/**
 * Pins on `RedisStore.ts` that mutation testing showed no other test held: replies the store must
 * refuse rather than read as a claim or a flag, and how a client error is reported. The store runs
 * on the real shared Redis; one command's reply or error is replaced where a test says so (a
 * server that answers oddly cannot be made on demand).
 */
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it } from "@effect/vitest"
import { IdempotencyStore } from "@hookline/core"
import { RedisStore } from "@hookline/store-redis"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Logs from "../../../test-support/Logs.ts"
import * as RedisServer from "./RedisServer.ts"

const prefix = `hookline-test:${crypto.randomUUID()}:pins:`
const fingerprint = "e".repeat(64)
const lease = Duration.seconds(30)

// The real client, with the reply (or error) to `EVALSHA … <op>` — or, for "native claim", to the
// claim's `SET … NX GET` — replaced while `odd` says so.
interface Odd {
  op: string | undefined
  answer: Effect.Effect<unknown, Redis.RedisError> | undefined
  /** Every command sent, by name. */
  readonly sent?: Array<string>
  /** Refuse `SET … NX GET` as Redis before 7.0 does, so claims go through the script. */
  readonly oldServer?: boolean
}
const isNativeClaim = (command: string, args: ReadonlyArray<string>) =>
  command === "SET" && args.includes("NX") && args.includes("GET")
const withOdd = (odd: Odd) =>
  Layer.effect(
    Redis.Redis,
    Effect.map(Redis.Redis, (real) =>
      Redis.Redis.of({
        ...real,
        send: <A>(command: string, ...args: ReadonlyArray<string>) => {
          odd.sent?.push(command)
          if (odd.oldServer === true && isNativeClaim(command, args)) {
            return Effect.fail(new Redis.RedisError({ cause: new Error("ERR syntax error") }))
          }
          const replaced = odd.op === "native claim"
            ? isNativeClaim(command, args)
            : command === "EVALSHA" && args[3] === odd.op
          return (replaced && odd.answer !== undefined ? odd.answer : real.send(command, ...args)) as Effect.Effect<
            A,
            Redis.RedisError
          >
        }
      }))
  ).pipe(Layer.provide(NodeRedis.layer({ url: RedisServer.sharedUrl })))

const storeWith = (odd: Odd) =>
  Effect.map(
    Layer.build(Logs.capturing(RedisStore.layer({ prefix }).pipe(Layer.provide(withOdd(odd))))),
    Context.get(IdempotencyStore.IdempotencyStore)
  )

// Each reply (as the client would hand it over) fails the claim with a message showing it as written.
const refusesClaimReplies = (
  odd: Odd,
  store: IdempotencyStore.IdempotencyStore["Service"],
  cases: ReadonlyArray<readonly [reply: unknown, shown: string]>
) =>
  Effect.forEach(cases, ([reply, shown]) => {
    odd.answer = Effect.succeed(reply)
    return Effect.map(
      Effect.flip(store.claim(`odd-${crypto.randomUUID()}`, fingerprint, lease)),
      (error) => assert.strictEqual(error.message, `Redis claim returned an unexpected reply: ${shown}`)
    )
  }, { discard: true })

describe("RedisStore refuses replies it does not know", () => {
  it.live("claim: SET NX GET's reply is nothing (claimed), c:<fingerprint> or i:…; anything else is StoreUnavailable", () =>
    Effect.gen(function*() {
      const odd: Odd = { op: "native claim", answer: undefined }
      const store = yield* storeWith(odd)
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        ["weird", `"weird"`],
        ["", `""`],
        ["x:fp", `"x:fp"`],
        ["c", `"c"`],
        ["C:fp", `"C:fp"`],
        [["completed", "fp"], `["completed","fp"]`],
        [["inflight"], `["inflight"]`],
        [7, "7"],
        [undefined, "undefined"]
      ]
      yield* refusesClaimReplies(odd, store, cases)
      odd.answer = Effect.succeed("i:")
      assert.strictEqual((yield* store.claim("any", fingerprint, lease))._tag, "InFlight")
      odd.answer = Effect.succeed("c:fp:with:colons")
      assert.deepStrictEqual(
        yield* store.claim("any", fingerprint, lease),
        IdempotencyStore.Completed({ fingerprint: "fp:with:colons" })
      )
      odd.answer = Effect.succeed(null)
      assert.strictEqual((yield* store.claim("any", fingerprint, lease))._tag, "Claimed")
    }).pipe(Effect.scoped))

  it.live("claim through the script (Redis < 7.0): anything but claimed / inflight / completed with a fingerprint is StoreUnavailable", () =>
    Effect.gen(function*() {
      const odd: Odd = { op: "claim", answer: undefined, oldServer: true }
      const store = yield* storeWith(odd)
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [["weird"], `["weird"]`],
        ["claimed", `"claimed"`],
        ["c:fp", `"c:fp"`],
        [["completed"], `["completed"]`],
        [["completed", 7], `["completed",7]`],
        [[], "[]"],
        [["weird", "fp"], `["weird","fp"]`],
        [7, "7"],
        [null, "null"]
      ]
      yield* refusesClaimReplies(odd, store, cases)
      odd.answer = Effect.succeed(["inflight"])
      assert.strictEqual((yield* store.claim("any", fingerprint, lease))._tag, "InFlight")
      odd.answer = Effect.succeed(["completed", "fp"])
      assert.deepStrictEqual(
        yield* store.claim("any", fingerprint, lease),
        IdempotencyStore.Completed({ fingerprint: "fp" })
      )
      odd.answer = Effect.succeed(["claimed"])
      assert.strictEqual((yield* store.claim("any", fingerprint, lease))._tag, "Claimed")
    }).pipe(Effect.scoped))

  it.live("a native claim's other errors are StoreUnavailable, and claims stay native", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const odd: Odd = {
        sent,
        op: "native claim",
        answer: undefined
      }
      const store = yield* storeWith(odd)
      odd.answer = Effect.fail(new Redis.RedisError({ cause: new Error("OOM command not allowed") }))
      sent.length = 0
      const error = yield* Effect.flip(store.claim(`oom-${crypto.randomUUID()}`, fingerprint, lease))
      assert.strictEqual(error.message, "Redis claim failed: OOM command not allowed")
      assert.deepStrictEqual(sent, ["SET"], "no fallback to the script for another error")
      odd.answer = undefined
      sent.length = 0
      assert.strictEqual((yield* store.claim(`fine-${crypto.randomUUID()}`, fingerprint, lease))._tag, "Claimed")
      assert.deepStrictEqual(sent, ["SET"])
    }).pipe(Effect.scoped))

  it.live("complete and release: only the integers 1 and 0 are answers", () =>
    Effect.gen(function*() {
      for (const op of ["complete", "release"] as const) {
        const odd: Odd = { op, answer: undefined }
        const store = yield* storeWith(odd)
        // Built per call: the store reads the client's answer when the operation is made.
        const run = () => op === "complete" ? store.complete("k", "t", lease) : store.release("k", "t")
        for (const [reply, shown] of [[2, "2"], ["1", `"1"`], [true, "true"], [["1"], `["1"]`]] as const) {
          odd.answer = Effect.succeed(reply)
          const error = yield* Effect.flip(run())
          assert.strictEqual(error.message, `Redis ${op} returned an unexpected reply: ${shown}`)
        }
        odd.answer = Effect.succeed(1)
        assert.isTrue(yield* run())
        odd.answer = Effect.succeed(0)
        assert.isFalse(yield* run())
      }
    }).pipe(Effect.scoped))
})

describe("RedisStore errors", () => {
  it.live("a client error is StoreUnavailable naming the operation and the cause; the script is not reloaded for it", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const odd: Odd = {
        sent,
        op: "release",
        answer: Effect.fail(
          new Redis.RedisError({ cause: new Error("READONLY You can't write against a read only replica") })
        )
      }
      const store = yield* storeWith(odd)
      sent.length = 0
      const error = yield* Effect.flip(store.release("k", "t"))
      assert.strictEqual(error._tag, "StoreUnavailable")
      assert.strictEqual(error.message, "Redis release failed: READONLY You can't write against a read only replica")
      assert.deepStrictEqual(sent, ["EVALSHA"], "one attempt, no SCRIPT LOAD")
      // The real store still answers its other operations.
      const claimed = yield* store.claim(`fine-${crypto.randomUUID()}`, fingerprint, lease)
      assert.strictEqual(claimed._tag, "Claimed")
    }).pipe(Effect.scoped))
})
