import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, Outcome } from "@hookline/core"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import { inspect } from "node:util"
import * as Capture from "../../../test-support/Capture.ts"

const SECRET = "sup3r-s3cret-value-never-to-be-seen"
const OTHER = "r0tated-old-secret-also-private"

describe("secrets never appear in logs, errors, spans or responses", () => {
  const { logged, logger, spans, tracer } = Capture.make()

  it.live("across valid, tampered, failing, misconfigured and timed-out deliveries", () =>
    Effect.gen(function*() {
      const secrets = [Redacted.make(SECRET), Config.Redacted("HOOKLINE_TEST_SECRET")]
      const provider = Hmac.provider({ secret: secrets })
      const fromConfigOnly = Hmac.provider({ name: "cfg", secret: Config.Redacted("MISSING_SECRET_VAR") })
      const handler = defineHandler(provider, (event) =>
        event.id === "fail"
          ? Effect.fail(new Error("handler error"))
          : event.id === "slow"
          // The scenario: a handler slower than the 20 ms budget (TimedOut), finishing on its own.
          ? Effect.sleep("300 millis")
          : Effect.void, { timeBudget: "20 millis" })
      const misconfigured = defineHandler(fromConfigOnly, () => Effect.void)
      const sign = (id: string, secret = SECRET) =>
        Hmac.testing.sign({ secret: Redacted.make(secret) }, { body: `{"id":"${id}"}`, id })

      const outcomes: Array<Outcome.Outcome> = []
      const acks: Array<string> = []
      for (const raw of [sign("ok"), sign("ok"), sign("rotated", OTHER), sign("fail"), sign("slow")]) {
        outcomes.push(yield* handler.process(raw))
        acks.push(JSON.stringify(yield* handler.run(raw)))
      }
      const tampered = { ...sign("ok2"), body: new TextEncoder().encode(`{"id":"evil"}`) }
      outcomes.push(yield* handler.process(tampered))
      outcomes.push(
        yield* misconfigured.process(Hmac.testing.sign({ name: "cfg", secret: Redacted.make(SECRET) }, {
          body: "{}"
        }))
      )

      // Sanity: the scenarios happened as intended.
      assert.deepStrictEqual(outcomes.map(Outcome.label), [
        "Processed",
        "Duplicate",
        "Processed",
        "Failed(HandlerFailed)",
        "Failed(TimedOut)",
        "Rejected(SignatureInvalid)",
        "Failed(Misconfigured)"
      ])
      assert.isAbove(logged.length, 3)
      assert.isAbove(spans.length, 10)

      const everything = [
        ...logged,
        ...acks,
        ...outcomes.map((o) => inspect(o, { depth: 10 })),
        ...outcomes.map((o) => JSON.stringify(o)),
        ...spans.map((span) =>
          inspect({ name: span.name, attributes: span.attributes, status: span.status }, { depth: 10 })
        ),
        inspect(provider, { depth: 10 }),
        String(secrets[0]),
        JSON.stringify(secrets[0])
      ].join("\n")
      assert.notInclude(everything, SECRET)
      assert.notInclude(everything, OTHER)
      // Positive control: the capture does contain what we expect to see.
      assert.include(everything, "hookline.verify")
      assert.include(everything, "MISSING_SECRET_VAR")
    }).pipe(
      Effect.provide(MemoryStore.layer()),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ HOOKLINE_TEST_SECRET: OTHER }))),
      Effect.provide(Logger.layer([logger])),
      Effect.withTracer(tracer)
    ))
})
