/**
 * `@hookline/provider-github`: GitHub webhooks — `X-Hub-Signature-256` (HMAC-SHA256 of the raw
 * body), idempotent on `X-GitHub-Delivery`, the common events typed by `X-GitHub-Event` (checked
 * against the signed body), every other event acknowledged as `Unknown`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as GitHub from "./GitHub.ts"
