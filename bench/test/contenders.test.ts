/**
 * The fairness guard of the HTTP benchmark: every contender, over real HTTP, answers a signed
 * delivery 200, the same delivery again (a duplicate) 200 — so a cycled request pool is answered
 * 200 throughout — and a delivery with a broken signature with a 4xx, so none skips verification.
 * The Redis contenders run against a private redis-server (a missing `redis-server` fails the test).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { RawDelivery } from "@hookline/core"
import { Stripe } from "@hookline/provider-stripe"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { createClient } from "redis"
import * as Logs from "../../test-support/Logs.ts"
import * as RedisServer from "../../test-support/RedisServer.ts"
import {
  contenderNames,
  githubProvider,
  githubSign,
  handWrittenGuarded,
  hmacHandle,
  hmacProvider,
  losslessParse,
  makeContender,
  providerFloor,
  schemeOf,
  type SignedRequest,
  signedRequest,
  stripeProvider,
  tampered,
  toleranceSecondsOf,
  usesRedis
} from "../src/contenders.ts"

const send = (port: number, request: SignedRequest) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: request.path,
        headers: { ...request.headers, "content-length": String(request.body.length) }
      },
      (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (body += chunk))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on("error", reject)
    req.end(request.body)
  })

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

let redis: Promise<RedisServer.RedisServer> | undefined
const redisUrl = async () => {
  if (redis === undefined) {
    redis = RedisServer.start()
    const server = await redis
    cleanups.push(() => server.stop())
  }
  return (await redis).url
}

const rawOf = (request: SignedRequest) =>
  RawDelivery.make({ method: "POST", url: request.path, headers: request.headers, body: request.body })

describe("bench pools' requests", () => {
  it("GitHub scheme: the same bytes for every contender, a push provider-github decodes as Push", async () => {
    const github = contenderNames.filter((name) => schemeOf(name) === "github")
    assert.includeMembers(github, ["bare", "hookline-hmac", "hookline-github", "octokit", "express", "fastify"])
    const request = signedRequest("github", 41)
    assert.deepStrictEqual(signedRequest("github", 41), request)
    assert.strictEqual(request.headers["x-github-event"], "push")
    const provider = githubProvider()
    const raw = rawOf(request)
    const event = await Effect.runPromise(
      Effect.flatMap(provider.verify(raw), (payload) => provider.decode(payload, raw))
    )
    assert.strictEqual(event._tag, "Push")
    if (event._tag === "Push") assert.strictEqual(event.commits.length, 1)
  })

  it("Stripe scheme: payment_intent.succeeded signed now, re-signed well inside Stripe's window", async () => {
    const provider = stripeProvider()
    const raw = rawOf(signedRequest("stripe", 41))
    const payload = await Effect.runPromise(provider.verify(raw))
    const event = await Effect.runPromise(provider.decode(payload, raw))
    assert.strictEqual(event.type, "payment_intent.succeeded")
    assert.isBelow(Math.abs(payload.timestamp - Date.now()), 2_000)
    // The bench re-signs a pool at half this age: the provider's own tolerance, 300 s.
    assert.strictEqual(toleranceSecondsOf("stripe")! * 1000, Duration.toMillis(Stripe.defaultTolerance))
  })
})

describe("bench contenders", () => {
  for (const name of contenderNames) {
    it(`${name}: signed 200, duplicate 200, bad signature 4xx`, async () => {
      // A contender builds its runtime with its own store layer, so its logs reach the console.
      const output = Logs.captureConsole()
      const contender = makeContender(name, { redisUrl: usesRedis(name) ? await redisUrl() : undefined })
      await contender.ready
      const server = http.createServer(contender.listener)
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      cleanups.push(async () => {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        await contender.dispose()
      })
      const port = (server.address() as AddressInfo).port
      const scheme = schemeOf(name)

      const first = await send(port, signedRequest(scheme, 7))
      assert.strictEqual(first.status, 200, `first delivery: ${first.body}`)
      if (usesRedis(name)) {
        // The delivery was recorded in Redis, not in the process: one completed key per contender.
        const client = createClient({ url: await redisUrl() })
        await client.connect()
        const keys = await client.keys(name === "bare-redis" ? "bare:*" : "hookline:*")
        await client.close()
        assert.strictEqual(keys.length, 1, `${name} keys in Redis: ${keys.join(", ")}`)
      }
      const again = await send(port, signedRequest(scheme, 7))
      assert.strictEqual(again.status, 200, `duplicate: ${again.body}`)
      const forged = await send(port, tampered(scheme, 8))
      assert.isTrue(forged.status >= 400 && forged.status < 500, `bad signature answered ${forged.status}`)
      if (name.startsWith("hookline")) {
        assert.isTrue(
          output.lines.some((line) => line.includes("webhook rejected: SignatureInvalid")),
          "the forged delivery was not logged as rejected"
        )
      }
      // The forged delivery was not recorded: its authentic twin is still handled as new (200).
      const authentic = await send(port, signedRequest(scheme, 8))
      assert.strictEqual(authentic.status, 200)
      if (scheme === "standard") {
        // A sender rotating its key signs with both: a stale signature beside the valid one passes.
        const valid = signedRequest(scheme, 9)
        const stale = tampered(scheme, 9).headers["webhook-signature"]!
        const rotated = await send(port, {
          ...valid,
          headers: { ...valid.headers, "webhook-signature": `${stale} ${valid.headers["webhook-signature"]!}` }
        })
        assert.strictEqual(rotated.status, 200, `two signatures, the second valid: ${rotated.body}`)
      }
    })
  }
})

describe("floor-<provider>: a provider's own functions with guarded's claim and no pipeline", () => {
  const encode = (text: string) => new TextEncoder().encode(text)
  const rawWith = (id: string, body: Uint8Array, signature = githubSign(body)) =>
    RawDelivery.make({
      method: "POST",
      url: "/",
      headers: { "x-github-delivery": id, "x-github-event": "push", "x-hub-signature-256": signature },
      body
    })

  it("a retry is a duplicate, another payload under a used id is refused, a failed decode releases the claim", () => {
    const work = providerFloor(hmacProvider(), hmacHandle)
    const first = signedRequest("github", 7)
    const other = signedRequest("github", 8)
    const id = first.headers["x-github-delivery"]!
    assert.strictEqual(work(rawWith(id, first.body)), 200)
    assert.strictEqual(work(rawWith(id, first.body)), 200)
    assert.strictEqual(work(rawWith(id, other.body)), 409)
    assert.strictEqual(work(rawWith(id, first.body, "sha256=" + "0".repeat(64))), 401)
    const fresh = "00000000-0000-4000-8000-fffffffffff0"
    assert.strictEqual(work(rawWith(fresh, encode(`{"ref":"refs/heads/main"}`))), 400)
    assert.strictEqual(work(rawWith(fresh, other.body)), 200)
  })

  it("each bundled provider has its floor contender, on that provider's own requests", () => {
    assert.deepStrictEqual(
      contenderNames.filter((name) => name.startsWith("floor-")).map((name) => [name, schemeOf(name)]),
      [
        ["floor-hmac", "github"],
        ["floor-igv", "igv"],
        ["floor-goldenpay", "goldenpay"],
        ["floor-em", "em"],
        ["floor-github", "github"],
        ["floor-stripe", "stripe"]
      ]
    )
  })
})

describe("guarded: the guarantees by hand", () => {
  const encode = (text: string) => new TextEncoder().encode(text)
  const send = (
    work: ReturnType<typeof handWrittenGuarded>,
    id: string,
    body: Uint8Array,
    signature = githubSign(body)
  ) => work(id, signature, body)

  it("parses losslessly: integers past 2^53 exact, digit runs in strings untouched, invalid UTF-8 refused", () => {
    const parsed = losslessParse(
      encode(`{"id":12345678901234567890,"n":9007199254740993,"small":42,"order":"SO1689644928115784"}`)
    )
    assert.deepStrictEqual(parsed, {
      id: 12345678901234567890n,
      n: 9007199254740993n,
      small: 42,
      order: "SO1689644928115784"
    })
    assert.deepStrictEqual(losslessParse(encode(`[1.5e300, 1234567890123456.5]`)), [1.5e300, 1234567890123456.5])
    assert.isUndefined(losslessParse(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])))
    assert.isUndefined(losslessParse(encode(`{"a":`)))
  })

  it("a retry is a duplicate, another payload under a used id is refused, a failed decode releases the claim", () => {
    const work = handWrittenGuarded()
    const first = signedRequest("github", 7)
    const other = signedRequest("github", 8)
    const id = first.headers["x-github-delivery"]!
    assert.strictEqual(send(work, id, first.body), 200)
    assert.strictEqual(send(work, id, first.body), 200)
    // Authentic bytes, but not the ones completed under this id: 409, never an ack.
    assert.strictEqual(send(work, id, other.body), 409)
    assert.strictEqual(send(work, id, first.body, "sha256=" + "0".repeat(64)), 401)
    // Signed JSON that the schema refuses: 400, and the key is free again for a valid delivery.
    const fresh = "00000000-0000-4000-8000-fffffffffff0"
    assert.strictEqual(send(work, fresh, encode(`{"ref":"refs/heads/main"}`)), 400)
    assert.strictEqual(send(work, fresh, other.body), 200)
    assert.strictEqual(send(work, fresh, other.body), 200)
  })
})
