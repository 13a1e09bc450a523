/**
 * The events of the Standard Webhooks provider: by default the spec's recommended body shape,
 * `{ type, timestamp, data }`, as one generic {@link Event}. Pass your own `schema` to
 * `StandardWebhooks.provider` for a typed union keyed by `type`.
 *
 * @since 0.1.0
 */
import { DecodeFailed, type LosslessJson } from "@hookline/core/provider"
import * as Effect from "effect/Effect"
import type { Payload } from "./Provider.ts"

/**
 * A Standard Webhooks event as the spec recommends it: `type` (a full-stop-delimited name such as
 * `invoice.paid`), `timestamp` (the ISO 8601 time of the event, when sent) and `data` (the event's
 * payload, lossless: integers beyond 2^53 are `bigint`s). Handler maps are keyed by `type`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly type: string
  readonly timestamp?: string
  readonly data: LosslessJson.Json
}

/**
 * Decodes a verified {@link Payload} into the generic {@link Event}: a body without a string `type`
 * or without `data`, or with a `timestamp` that is not a string, is `DecodeFailed` (500, retried: a
 * sender that does not follow the recommended shape needs your own `schema`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: Payload): Effect.Effect<Event, DecodeFailed> => {
  const { data, timestamp, type } = payload.body
  if (typeof type !== "string" || type === "") {
    return Effect.fail(new DecodeFailed({ message: "The body has no string `type` (pass your own schema)" }))
  }
  if (data === undefined) return Effect.fail(new DecodeFailed({ message: "The body has no `data`" }))
  if (timestamp !== undefined && typeof timestamp !== "string") {
    return Effect.fail(new DecodeFailed({ message: "The body's `timestamp` is not a string" }))
  }
  return Effect.succeed(timestamp === undefined ? { type, data } : { type, timestamp, data })
}
