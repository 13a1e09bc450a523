/**
 * The measurement behind core's choice of `node:crypto` for signing: HMAC-SHA256 verify of a 1 KiB
 * body with synchronous `createHmac` + `timingSafeEqual`, against Effect's `Mac` service (on
 * WebCrypto, and on `NodeCrypto.layerMac`).
 */
import { NodeCrypto } from "@effect/platform-node"
import * as Mac from "effect/crypto/Mac"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHmac, timingSafeEqual } from "node:crypto"
import { opsPerSecond } from "./stats.ts"

export interface SignatureRow {
  readonly name: string
  readonly opsPerSecond: number
}

export const runSignature = async (ms: number): Promise<ReadonlyArray<SignatureRow>> => {
  const body = new Uint8Array(1024).fill(97)
  const key = "bench-secret-bench-secret-123456"
  const tag = createHmac("sha256", key).update(body).digest()
  const rows: Array<SignatureRow> = [{
    name: "node:crypto createHmac + timingSafeEqual (sync; what core uses)",
    opsPerSecond: await opsPerSecond(() => timingSafeEqual(createHmac("sha256", key).update(body).digest(), tag), ms)
  }]
  for (
    const [label, layer] of [
      ["Effect Mac service on WebCrypto", Mac.layerWebCrypto.pipe(Layer.provide(SecureRandom.layerWebCrypto))],
      ["Effect Mac service, NodeCrypto.layerMac", NodeCrypto.layerMac]
    ] as const
  ) {
    const verify = await Effect.runPromise(
      Effect.gen(function*() {
        const mac = yield* Mac.Mac
        const k = yield* Mac.key(Mac.hmacSha256, new TextEncoder().encode(key))
        // 100 verifications per run, so the per-run cost of runPromise is not what we measure.
        const batch = Effect.forEach(Array.from({ length: 100 }), () => mac.verify(k, tag, body), { discard: true })
        return () => Effect.runPromise(batch)
      }).pipe(Effect.provide(layer))
    )
    rows.push({ name: label, opsPerSecond: 100 * await opsPerSecond(verify, ms, 2) })
  }
  return rows
}
