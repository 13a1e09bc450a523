/**
 * Senders of unsigned junk for the pre-verification cost run: `SENDERS` loops, each sending
 * `JUNK` (a body of `PreVerification.junk`) to `http://127.0.0.1:PORT` + `TARGET` one request after the
 * other, as fast as the receiver answers, until SIGTERM; then prints
 * `{"event":"sent","requests":…,"statuses":{…}}` on stdout and exits.
 */
import * as Hostile from "./Hostile.ts"
import { junk, type JunkName } from "./PreVerification.ts"

const port = Number(process.env.PORT)
const path = process.env.TARGET ?? "/"
const name = process.env.JUNK as JunkName
const senders = Number(process.env.SENDERS ?? 3)
const request = junk(name, path)

let stopping = false
let requests = 0
const statuses: Record<string, number> = {}
const loop = async () => {
  while (!stopping) {
    const answer = await Hostile.sendRaw(port, request, 30_000)
    requests++
    statuses[String(answer.status)] = (statuses[String(answer.status)] ?? 0) + 1
  }
}
const loops = Array.from({ length: senders }, loop)
process.once("SIGTERM", () => {
  stopping = true
  void Promise.all(loops).then(() =>
    process.stdout.write(`${JSON.stringify({ event: "sent", requests, statuses })}\n`, () => process.exit(0))
  )
})
process.stdout.write(`${JSON.stringify({ event: "sending" })}\n`)
