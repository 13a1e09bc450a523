/**
 * A request's body as the promise-based adapters (`/node`, `/web`) find it, and reading it under the
 * body limit. An adapter keeps only its runtime's part: how chunks arrive and how reading stops.
 */
import type { BodyUnavailable } from "../DeliveryError.ts"

/** What reading a body gave: its exact bytes, or why there are none (the client went away). */
export type Read = Uint8Array | "TooLarge" | "Unreadable"

/**
 * Where an adapter finds a body: the exact bytes a framework already buffered, the `BodyUnavailable`
 * to answer when a body parser consumed them (its message names the fix for that adapter's
 * frameworks), or a reader of the stream that stops at `limit` bytes and calls `done` once with what
 * it read (a callback rather than a promise: `/node` answers in the stream's `end` event, without a
 * promise and a microtask per request).
 */
export type Body = Uint8Array | BodyUnavailable | ((limit: number, done: (read: Read) => void) => void)

/** A body being read: chunks are kept until one takes it past the limit. */
export interface Chunks {
  /** Keeps the chunk; `false`, dropping what was kept, when the body now passes the limit. */
  readonly add: (chunk: Uint8Array) => boolean
  /** The chunks joined. */
  readonly bytes: () => Uint8Array
}

export const chunks = (limit: number): Chunks => {
  const kept: Array<Uint8Array> = []
  let size = 0
  return {
    add: (chunk) => {
      size += chunk.length
      if (size > limit) {
        kept.length = 0
        return false
      }
      kept.push(chunk)
      return true
    },
    bytes: () => {
      if (kept.length === 1) return kept[0]!
      const body = new Uint8Array(size)
      let offset = 0
      for (const chunk of kept) {
        body.set(chunk, offset)
        offset += chunk.length
      }
      return body
    }
  }
}
