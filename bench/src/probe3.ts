import { RawDelivery } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { handWritten, hmacHandler, signedRequest } from "./contenders.ts"
const mk = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const r = signedRequest("github", from + i)
    return RawDelivery.make({ method: "POST", url: r.path, headers: r.headers, body: r.body })
  })
const context = await Effect.runPromise(Layer.build(MemoryStore.layer({ maxEntries: 4_000_000 })).pipe(Effect.scoped))
const run = Effect.runPromiseWith(context)
const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const res: Record<string, number[]> = { runIn: [], runPromise: [], hand: [] }
for (let round = 0; round < 6; round++) {
  for (const how of ["runIn", "runPromise", "hand"] as const) {
    const list = mk(round * 1_000_000 + (how === "runIn" ? 0 : how === "hand" ? 300_000 : 600_000), 20_000)
    const h = hmacHandler()
    const hw = handWritten()
    ;(globalThis as any).gc?.()
    const t = cpu()
    for (const raw of list) {
      if (how === "runIn") h.runIn(context as never, raw)
      else if (how === "hand") hw(raw.headers["x-github-delivery"], raw.headers["x-hub-signature-256"], raw.body)
      else await run(h.run(raw))
    }
    res[how]!.push((cpu() - t) / list.length)
  }
}
for (const [k, v] of Object.entries(res)) {
  v.sort((a, b) => a - b)
  console.log(k, v.map((x) => x.toFixed(1)).join(" "), "median", v[3]!.toFixed(1))
}
