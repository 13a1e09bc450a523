/**
 * The hostile-input run: a corpus of named cases plus fast-check properties over random mutations,
 * and the targeted cases of issue #15 (`promises`), against one transport. Used by `run.ts` (many
 * runs) and the tests (fewer).
 */
import { Hmac } from "@hookline/core"
import * as fc from "fast-check"
import * as Hostile from "./Hostile.ts"

export const mutationArbitrary: fc.Arbitrary<Hostile.Mutation> = fc.oneof(
  fc.record({ _tag: fc.constant("FlipBodyBit" as const), bit: fc.nat() }),
  fc.record({ _tag: fc.constant("FlipHeaderBit" as const), header: fc.nat(), bit: fc.nat() }),
  fc.record({ _tag: fc.constant("FlipHeaderNameBit" as const), header: fc.nat(), bit: fc.nat() }),
  fc.record({ _tag: fc.constant("DropHeader" as const), header: fc.nat() }),
  fc.record({
    _tag: fc.constant("DuplicateHeader" as const),
    header: fc.nat(),
    value: fc.oneof(
      fc.constant(""),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 })
    )
  }),
  fc.record({ _tag: fc.constant("Truncate" as const), keep: fc.nat() }),
  fc.record({ _tag: fc.constant("Oversize" as const), extra: fc.nat({ max: 4096 }) }),
  fc.record({
    _tag: fc.constant("InsertBytes" as const),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 })
  }),
  fc.record({ _tag: fc.constant("StaleTimestamp" as const), minutes: fc.integer({ min: 6, max: 60 * 24 * 400 }) })
)

// iGV does not sign the body (only timestamp + request id): a changed body with intact headers is,
// by the platform's design, authentic on a fresh key. Body mutations are checked on the other three.
const bodyMutation = (mutation: Hostile.Mutation) =>
  mutation._tag === "FlipBodyBit" || mutation._tag === "Truncate" || mutation._tag === "InsertBytes"

export const providerArbitrary = fc.constantFrom(...Hostile.providers)

/** Every named corpus case: each mutation family on each provider, and the awkward signed content. */
export const corpus = async (harness: Hostile.Harness): Promise<void> => {
  for (const provider of Hostile.providers) {
    const sample = Hostile.authentic(provider)
    const headerCount = Object.keys(sample.headers).length
    const cases: Array<Hostile.Mutation> = [
      { _tag: "Truncate", keep: 0 },
      { _tag: "Truncate", keep: Math.floor(sample.body.length / 2) },
      { _tag: "Oversize", extra: 0 },
      { _tag: "Oversize", extra: 1 << 16 },
      { _tag: "InsertBytes", at: 3, bytes: [0xff, 0xfe] },
      { _tag: "InsertBytes", at: 5, bytes: [0xc3] },
      { _tag: "InsertBytes", at: 1, bytes: [0xef, 0xbb, 0xbf] },
      { _tag: "StaleTimestamp", minutes: 6 },
      { _tag: "StaleTimestamp", minutes: 7 }
    ]
    for (let h = 0; h < headerCount; h++) {
      cases.push({ _tag: "DropHeader", header: h })
      cases.push({ _tag: "DuplicateHeader", header: h, value: "" })
      cases.push({ _tag: "DuplicateHeader", header: h, value: "sha256=00" })
      for (const bit of [0, 1, 5, 6, 13, 40, 255]) cases.push({ _tag: "FlipHeaderBit", header: h, bit })
      cases.push({ _tag: "FlipHeaderNameBit", header: h, bit: 2 })
    }
    for (let bit = 0; bit < sample.body.length * 8; bit += Math.max(1, Math.floor(sample.body.length / 6))) {
      cases.push({ _tag: "FlipBodyBit", bit })
    }
    for (const mutation of cases) {
      if (provider === "igv" && bodyMutation(mutation)) continue
      if (provider.startsWith("goldenpay") && mutation._tag === "StaleTimestamp") continue
      const raw = Hostile.authentic(provider)
      await harness.check(`${provider} ${JSON.stringify(mutation)}`, raw, Hostile.mutate(raw, mutation))
    }
  }
  for (const kind of Hostile.awkwardKinds) {
    for (const { from, provider, request, unsigned } of Hostile.awkward(kind)) {
      if (from !== undefined) await harness.check(`${provider} ${kind}`, from, request)
      else if (unsigned) await harness.check(`${provider} unsigned ${kind}`, undefined, request)
      else await harness.checkSigned(`${provider} signed ${kind}`, request)
    }
  }
}

/** Random mutations of random providers' deliveries (`runs` of them). */
export const property = (harness: Hostile.Harness, runs: number, seed?: number): Promise<void> =>
  fc.assert(
    fc.asyncProperty(providerArbitrary, mutationArbitrary, async (provider, mutation) => {
      if (provider === "igv" && bodyMutation(mutation)) return
      const raw = Hostile.authentic(provider)
      const violations = harness.figures.violations.length
      await harness.check(`${provider} ${JSON.stringify(mutation)}`, raw, Hostile.mutate(raw, mutation))
      // Report the first violation through fast-check (shrunk), but keep counting in the figures.
      if (harness.figures.violations.length > violations) throw new Error(harness.figures.violations.at(-1))
    }),
    // No shrinking: a shrink step is a real request pair, and the figures already name the case.
    { numRuns: runs, endOnFailure: true, ...(seed === undefined ? {} : { seed }) }
  )

/**
 * Issue #15's promises, case by case (tallied in `harness.figures.promises`; every breach is also a
 * violation):
 *
 * - GoldenPay: empty fields stripped or added under the captured `sign` never change the event
 *   (the harness compares every run with the authentic event); the automatic route refuses (400)
 *   every capture whose signed content does not say collect; a field folded into its neighbour
 *   (`{"a":"1&b=2"}`, same `sign`) and signed `&`/`=` content are refused (400);
 * - HMAC: a repeated id header is refused (400); `signedContent: "body"` with a `timestampHeader`
 *   is refused at construction;
 * - logs: requests carrying a forged log line (headers, bodies, query) never put it in a log
 *   message (counted by the harness's logger).
 */
export const promises = async (harness: Hostile.Harness): Promise<void> => {
  const p = harness.figures.promises
  const violation = (label: string, answer: Hostile.Answer | undefined, expected: string) =>
    harness.figures.violations.push(
      `${harness.transport} ${label}: answered ${answer?.status ?? "nothing"}, expected ${expected}`
    )
  const refused = (label: string, answer: Hostile.Answer | undefined): boolean => {
    if (answer === undefined) return false
    if (answer.status === 400) return true
    violation(label, answer, "400")
    return false
  }

  for (const capture of Hostile.goldenpayCaptures()) {
    const variants = Hostile.emptyFieldVariants(capture.raw)
    for (const variant of variants) {
      await harness.check(`goldenpay ${capture.label}: ${variant.label}`, capture.raw, variant.request)
      p.emptyFieldVariants++
    }
    for (const variant of [{ label: "as captured", request: Hostile.asRequest(capture.raw) }, ...variants]) {
      const label = `goldenpay ${capture.label} to the automatic route: ${variant.label}`
      const answer = await harness.check(label, capture.raw, { ...variant.request, url: "/goldenpay/auto" })
      if (capture.signsKind) {
        // The positive control: a collect that signs its channel is taken by the automatic route.
        if (answer !== undefined && answer.status !== 200) violation(label, answer, "200")
      } else {
        p.ambiguousSent++
        if (refused(label, answer)) p.ambiguousRefused++
      }
    }
    for (const variant of Hostile.reshaped(capture.raw)) {
      const label = `goldenpay ${capture.label}: ${variant.label}`
      p.separatorSent++
      if (refused(label, await harness.check(label, capture.raw, variant.request))) p.separatorRefused++
    }
    // Replayed to the other kind's route: authentic, and nothing signed tells it apart (measured,
    // not a violation: docs/providers/goldenpay.md, Security).
    const other = capture.raw.url === "/goldenpay" ? "/goldenpay/payout" : "/goldenpay"
    const replay = await harness.send({ ...Hostile.asRequest(capture.raw), url: other })
    p.crossRouteSent++
    if (replay.status === 200) p.crossRouteHandled++
  }
  for (const { label, request } of Hostile.separatorsSigned()) {
    p.separatorSent++
    if (refused(`goldenpay ${label}`, await harness.check(`goldenpay ${label}`, undefined, request))) {
      p.separatorRefused++
    }
  }

  for (const raw of [Hostile.authenticBodySigned(), Hostile.authentic("hmac")]) {
    for (const variant of Hostile.repeatedId(raw)) {
      const label = `${raw.url} id header repeated: ${variant.label}`
      p.repeatedIdSent++
      if (refused(label, await harness.check(label, raw, variant.request))) p.repeatedIdRefused++
    }
  }
  try {
    // @ts-expect-error the options type refuses an unsigned timestamp too; this is the runtime check
    Hmac.provider({ ...Hostile.hmacBodyOptions, timestampHeader: "x-webhook-timestamp" })
    harness.figures.violations.push("Hmac.provider accepted signedContent \"body\" with a timestampHeader")
  } catch (error) {
    if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "Misconfigured") {
      p.unsignedTimestampRefused = true
    } else {
      harness.figures.violations.push(`Hmac.provider threw ${String(error)}, not Misconfigured`)
    }
  }

  const logsBefore = harness.figures.logLines
  for (const route of Hostile.forgedRoutes) {
    const { from, requests } = Hostile.forged(route)
    for (const { label, request } of requests) {
      const answer = await harness.check(`${route} forged log line: ${label}`, from, request)
      if (answer !== undefined) p.forgedRequests++
    }
  }
  harness.figures.rejectionLogs += harness.figures.logLines - logsBefore
}
