// Callbacks signed by the independent MD5 over hand-written signed strings — captures, in effect —
// and their re-spellings that keep the same `sign` (GoldenPay leaves `null` and `""` fields out of
// the signed string, so anyone holding a capture can add or delete them).
import { md5Hex } from "../../../test-support/Md5.ts"

export const captures = (token: string) => {
  // A failed collect (status 50) as GoldenPay sends it: `payed_amount`, `channel`, `payed_at` null.
  const failedCollectParams = "created_at=2026-05-04 10:05:00&id=GP7&mch_id=1001&order_amount=100.00&status=50" +
    "&trans_id=ORDER-7"
  const failedCollect = `{"id":"GP7","trans_id":"ORDER-7","mch_id":1001,"order_amount":"100.00","payed_amount":null,` +
    `"channel":null,"status":50,"created_at":"2026-05-04 10:05:00","payed_at":null,"sign":"${
      md5Hex(`${token}&${failedCollectParams}`)
    }"}`
  // A payout canceled callback (status 50).
  const payoutCanceledParams = "canceled_at=2026-05-04 11:03:00&created_at=2026-05-04 11:00:00&id=GP8&mch_id=1001" +
    "&order_amount=250.00&status=50&trans_id=PAYOUT-8"
  const payoutCanceled = `{"id":"GP8","trans_id":"PAYOUT-8","mch_id":1001,"order_amount":"250.00","status":50,` +
    `"created_at":"2026-05-04 11:00:00","canceled_at":"2026-05-04 11:03:00","sign":"${
      md5Hex(`${token}&${payoutCanceledParams}`)
    }"}`
  return {
    failedCollectParams,
    failedCollect,
    /** The failed collect with its null fields deleted: same sign, still valid. */
    failedCollectStripped: failedCollect.replace(`"payed_amount":null,"channel":null,`, "").replace(
      `"payed_at":null,`,
      ""
    ),
    payoutCanceledParams,
    payoutCanceled,
    /** The payout with `"channel": null` added: same sign, still valid. */
    payoutWithNullChannel: payoutCanceled.replace(`"status":50,`, `"status":50,"channel":null,`)
  }
}
