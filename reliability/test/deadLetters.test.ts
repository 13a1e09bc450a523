/**
 * Dead letters and replay, reduced: the handler's database down for longer than the platform's whole
 * retry window (real server processes, real Redis and PostgreSQL stores), then both processes replay
 * at once while the platform sends some deliveries late: nothing lost, nothing handled twice.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as RedisServer from "../../test-support/RedisServer.ts"
import * as Outage from "../src/Outage.ts"

let redis: RedisServer.RedisServer
beforeAll(async () => {
  redis = await RedisServer.start({ appendOnly: true })
})
afterAll(async () => {
  await redis?.stop()
})

const assertRecovered = (figures: Outage.OutageFigures) => {
  assert.strictEqual(figures.ackedDuringOutage, 0, "acknowledged while the handler could not run")
  assert.strictEqual(figures.givenUp, figures.deliveries, "the platform gave up on every delivery")
  assert.strictEqual(figures.deadLetters, figures.deliveries, "every failed delivery kept")
  assert.strictEqual(figures.lost, 0, "deliveries lost")
  assert.strictEqual(figures.handledTwice, 0, "deliveries handled twice")
  assert.strictEqual(figures.openAtEnd, 0, "dead letters still open")
  assert.isAbove(figures.replayed["Processed"] ?? 0, 0)
}

describe("dead letters: an outage longer than the platform's retries, then replay", () => {
  it("redis: 0 lost, 0 handled twice", async () => {
    assertRecovered(await Outage.runOutage({ store: "redis", redis, deliveries: 300 }))
  }, 90_000)

  it("postgres: 0 lost, 0 handled twice", async () => {
    assertRecovered(await Outage.runOutage({ store: "postgres", deliveries: 300 }))
  }, 90_000)
})
