/**
 * The request pools of the HTTP section: the new-deliveries pool never repeats an id, the
 * duplicate-heavy one repeats exactly two requests in three, each a delivery sent well before it (or
 * one the warm-up sent), so every contender gets the same mix whatever its speed.
 */
import { assert, describe, it } from "@effect/vitest"
import { deliveryNumbers, duplicatesAmong, repeatBack } from "../src/http.ts"

const options = { poolSize: 3_000, warmPoolSize: 1_000 }

describe("bench pools", () => {
  it("new deliveries: every id once, none from the warm-up", () => {
    const numbers = deliveryNumbers("new", options)
    const warm = new Set(deliveryNumbers("warm", options))
    assert.strictEqual(numbers.length, options.poolSize)
    assert.strictEqual(new Set(numbers).size, numbers.length)
    assert.isTrue(numbers.every((n) => !warm.has(n)))
    assert.strictEqual(duplicatesAmong("new", options, numbers.length), 0)
  })

  it("duplicate-heavy: two in three repeat an id sent at least 150 requests earlier or in the warm-up", () => {
    const numbers = deliveryNumbers("duplicates", options)
    const warm = new Set(deliveryNumbers("warm", options))
    const seenAt = new Map<number, number>()
    let repeats = 0
    numbers.forEach((n, i) => {
      const first = seenAt.get(n)
      if (first !== undefined) {
        repeats++
        assert.isAtLeast(i - first, 3 * repeatBack[0], `request ${i} repeats request ${first}`)
      } else if (warm.has(n)) {
        repeats++
        assert.isBelow(n, 2 * repeatBack[1], "a warm-up delivery the warm-up may not have sent")
      } else {
        seenAt.set(n, i)
      }
    })
    assert.strictEqual(repeats, 2_000)
    assert.strictEqual(duplicatesAmong("duplicates", options, numbers.length), repeats)
    // Past the pool's end every request repeats one.
    assert.strictEqual(duplicatesAmong("duplicates", options, numbers.length + 10), repeats + 10)
    assert.strictEqual(duplicatesAmong("new", options, numbers.length + 10), 10)
  })
})
