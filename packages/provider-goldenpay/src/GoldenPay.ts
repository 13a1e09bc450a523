/**
 * GoldenPay (Thailand) collect and payout order callbacks: the scheme ({@link provider}), the events
 * and the sign doctor ({@link diagnose}).
 *
 * ```ts
 * import { defineHandler, route } from "@hookline/core"
 * import { GoldenPay } from "@hookline/provider-goldenpay"
 * import { Config, Effect } from "effect"
 *
 * const secret = Config.Redacted("GOLDENPAY_SECRET")
 * const routes = route({
 *   "/goldenpay/collect": defineHandler(GoldenPay.provider({ secret, kind: "collect" }), {
 *     CollectSucceeded: (paid) =>
 *       paid.paidInFull ? Effect.log("paid", paid.transId) : Effect.logWarning("paid short", paid.transId),
 *     CollectProcessing: () => Effect.void,
 *     CollectFailed: (failed) => Effect.log("failed", failed.transId, failed.status)
 *   }),
 *   "/goldenpay/payout": defineHandler(GoldenPay.provider({ secret, kind: "payout" }), {
 *     PayoutSucceeded: (payout) => Effect.log("payout done", payout.transId),
 *     PayoutCanceled: (payout) => Effect.log("payout canceled", payout.transId),
 *     PayoutUnknownStatus: (payout) => Effect.logWarning("payout status", payout.status)
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 */
export * from "./doctor.ts"
export * from "./Events.ts"
export * from "./Provider.ts"
