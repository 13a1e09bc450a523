/**
 * The HTTP response sent back to the platform. Adapters write it verbatim; the provider's
 * `AckPolicy` decides what it says.
 *
 * @since 0.1.0
 */

/**
 * A response: status, headers (lower-case names) and a text body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Ack {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * A `text/plain` response, e.g. the `success` that payment gateways expect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (status: number, body: string, headers?: Readonly<Record<string, string>>): Ack => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  body
})

/**
 * A JSON response. `bigint` values are written as strings.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (status: number, value: unknown, headers?: Readonly<Record<string, string>>): Ack => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value, (_key, v: unknown) => typeof v === "bigint" ? v.toString() : v)
})

/**
 * A response without a body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty = (status: number, headers?: Readonly<Record<string, string>>): Ack => ({
  status,
  headers: { ...headers },
  body: ""
})
