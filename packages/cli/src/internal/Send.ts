/**
 * `hookline send <provider> --url <url>`: signs a sample delivery (or the given body) with the
 * provider's secret from the environment — the variables the reference receiver reads — posts it,
 * and prints the answer: status, body and what it means. Like `stripe trigger`, for every bundled
 * provider.
 */
import type { RawDelivery } from "@hookline/core"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { CommandFailed, ExitCode, readConfig, usage } from "./Failure.ts"
import { type ProviderName, providerNames, samples } from "./Samples.ts"

// The provider's secrets, each present and non-empty; a missing one fails naming every missing variable.
const secretsOf = (provider: ProviderName) =>
  Effect.gen(function*() {
    const variables = samples[provider].variables
    const values = yield* Effect.forEach(variables, (name) =>
      readConfig(Config.option(Config.Redacted(name))).pipe(
        Effect.map((value) => [name, Option.filter(value, (secret) => Redacted.value(secret) !== "")] as const),
        Effect.orElseSucceed(() => [name, Option.none<Redacted.Redacted<string>>()] as const)
      ))
    const missing = values.filter(([, value]) => Option.isNone(value)).map(([name]) => name)
    if (missing.length > 0) {
      return yield* usage(
        `hookline send ${provider}: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set. ` +
          `Set ${missing.length === 1 ? "it" : "them"} to the secret the receiver uses ` +
          `(hookline listen and examples/node-http read the same variables).`
      )
    }
    return Object.fromEntries(values.flatMap(([name, value]) => Option.isSome(value) ? [[name, value.value]] : []))
  })

const readBody = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    return yield* fs.readFile(file)
  }).pipe(Effect.mapError((error) => usage(`hookline send: cannot read --body ${file}: ${error.message}`)))

// `http://host:3000/hmac?x=1` → `/hmac?x=1`, the delivery's own URL (some schemes sign it).
const pathOf = (url: URL): string => `${url.pathname}${url.search}`

/** What a response body says, for the outcome line. */
const outcomeOf = (status: number, body: string): string => {
  const meaning = status >= 200 && status < 300
    ? "acknowledged"
    : status >= 400 && status < 500
    ? "rejected, the platform would not retry as is"
    : "not acknowledged, the platform would retry"
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null && "outcome" in parsed && typeof parsed.outcome === "string") {
      const reason = "reason" in parsed && typeof parsed.reason === "string" ? `(${parsed.reason})` : ""
      return `${parsed.outcome}${reason} — ${meaning}`
    }
  } catch {
    // A text answer (GoldenPay's `success`, EM's `SUCCESS`): the status says it all.
  }
  return meaning
}

// fetch's "fetch failed" wraps what happened ("connect ECONNREFUSED 127.0.0.1:3000"): the innermost message.
const rootCause = (error: unknown): string => {
  let message = error instanceof Error ? error.message : String(error)
  let current: unknown = error
  for (let depth = 0; depth < 8 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause
    if (current instanceof Error && current.message !== "") message = current.message
  }
  return message
}

const post = (url: URL, raw: RawDelivery.RawDelivery) =>
  HttpClient.execute(
    HttpClientRequest.post(url).pipe(
      HttpClientRequest.setHeaders(raw.headers),
      HttpClientRequest.bodyUint8Array(raw.body, raw.headers["content-type"])
    )
  ).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, text }))),
    Effect.mapError((error) =>
      new CommandFailed({
        message: `hookline send: no answer from ${url.origin}: ${rootCause(error)}`,
        exitCode: ExitCode.unreachable
      })
    ),
    Effect.provide(FetchHttpClient.layer)
  )

/** `hookline send`. */
export const send = Command.make("send", {
  provider: Argument.Literals("provider", providerNames).pipe(
    Argument.withDescription(`The provider whose delivery to sign: ${providerNames.join(", ")}`)
  ),
  url: Flag.String("url").pipe(
    Flag.withDescription("Where to post it, e.g. http://localhost:3000/hmac (the reference receiver's route)")
  ),
  event: Flag.String("event").pipe(
    Flag.optional,
    Flag.withDescription(
      "The event to sample: github's X-GitHub-Event (push, …), shopify's topic (orders/create, …), stripe's and " +
        "standard-webhooks' type (stripe: of a payment_intent sample), hmac's body type, goldenpay's kind (collect, payout), em's notify_type " +
        "(OUT_TRADE_AUDIT, IN_STOCK_AUDIT); igv has none"
    )
  ),
  id: Flag.String("id").pipe(
    Flag.optional,
    Flag.withDescription(
      "The delivery id (default: a new random one). Send twice with the same --id to see a duplicate. " +
        "hmac, igv, github, shopify, standard-webhooks: the id header; goldenpay, em, stripe: the sample body's id"
    )
  ),
  body: Flag.String("body").pipe(
    Flag.optional,
    Flag.withMetavar("file"),
    Flag.withDescription("Sign and send this file's exact bytes instead of the sample (em: the request_data JSON)")
  )
}, (input) =>
  Effect.gen(function*() {
    const sample = samples[input.provider]
    const url = yield* Effect.try({
      try: () => new URL(input.url),
      catch: () => usage(`hookline send: --url ${JSON.stringify(input.url)} is not a URL`)
    })
    if (Option.isSome(input.event) && sample.events.length === 0) {
      return yield* usage(`hookline send ${input.provider}: ${input.provider} deliveries carry no event name`)
    }
    if (Option.isSome(input.id) && Option.isSome(input.body) && sample.id === "body") {
      return yield* usage(
        `hookline send ${input.provider}: the delivery id is in the body; with --body it is your body's, so drop --id`
      )
    }
    const secrets = yield* secretsOf(input.provider)
    const body = Option.isSome(input.body) ? yield* readBody(input.body.value) : undefined
    const raw = yield* Result.match(
      sample.sign(secrets, {
        event: Option.getOrUndefined(input.event),
        id: Option.getOrUndefined(input.id),
        body,
        path: pathOf(url)
      }),
      {
        onFailure: (problem) => Effect.fail(usage(`hookline send ${input.provider}: ${problem}`)),
        onSuccess: Effect.succeed
      }
    )
    yield* Console.log(`POST ${url.href} (${input.provider})`)
    const reply = yield* post(url, raw)
    yield* Console.log(`status:  ${reply.status}`)
    yield* Console.log(`body:    ${reply.text}`)
    yield* Console.log(`outcome: ${outcomeOf(reply.status, reply.text)}`)
    if (reply.status < 200 || reply.status >= 300) {
      return yield* new CommandFailed({
        message: `hookline send: the receiver answered ${reply.status}`,
        exitCode: ExitCode.notAcknowledged
      })
    }
  })).pipe(
    Command.withDescription(
      "Sign a sample delivery (or --body) with the provider's secret from the environment, post it to --url, and " +
        "print the answer. Secrets: HMAC_SECRET, IGV_SECRET, GOLDENPAY_SECRET, EM_APP_ID + EM_APP_SECRET, " +
        "GITHUB_WEBHOOK_SECRET, SHOPIFY_WEBHOOK_SECRET, STANDARD_WEBHOOKS_SECRET, STRIPE_WEBHOOK_SECRET."
    ),
    Command.withExamples([
      { command: "hookline send hmac --url http://localhost:3000/hmac", description: "A signed sample" },
      {
        command: "hookline send hmac --url http://localhost:3000/hmac --id evt_1",
        description: "Run it twice: the second answer is a duplicate"
      },
      {
        command: "hookline send github --url http://localhost:3000/github --event pull_request",
        description: "Another event's sample"
      }
    ])
  )
