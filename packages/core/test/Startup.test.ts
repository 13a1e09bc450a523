/**
 * Failing fast: configuration problems are reported when a receiver starts, in one clear error,
 * instead of as `Misconfigured` on every delivery; and `route()` refuses two handlers sharing one
 * key namespace.
 */
import { assert, describe, it } from "@effect/vitest"
import { defineHandler, Hmac, Misconfigured, route } from "@hookline/core"
import { HooklineHttp } from "@hookline/core/http"
import { toNodeListener } from "@hookline/core/node"
import { toWebHandler } from "@hookline/core/web"
import { MemoryStore } from "@hookline/store-memory"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpRouter from "effect/http/HttpRouter"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logs from "../../../test-support/Logs.ts"

const present = Redacted.make("startup-secret")
const fromEnv = (name: string) => Hmac.provider({ name, secret: Config.Redacted(name) })

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  const error = await promise.then(() => undefined, (error: unknown) => error)
  if (error === undefined) throw new Error("expected start() to reject")
  return error
}

describe("start() reports configuration problems at start-up", () => {
  const routes = () =>
    route({
      "/ok": defineHandler(Hmac.provider({ name: "ok", secret: present }), () => Effect.void),
      "/a": defineHandler(fromEnv("HOOKLINE_TEST_UNSET_A"), () => Effect.void),
      "/b": defineHandler(fromEnv("HOOKLINE_TEST_UNSET_B"), () => Effect.void)
    })

  it("node listener: one Misconfigured naming every missing setting, by path", async () => {
    const listener = toNodeListener(routes(), Logs.capturing(MemoryStore.layer()))
    try {
      const error = await rejection(listener.start())
      assert.instanceOf(error, Misconfigured)
      const message = (error as Misconfigured).message
      assert.include(message, "/a: Cannot read HOOKLINE_TEST_UNSET_A secret")
      assert.include(message, "/b: Cannot read HOOKLINE_TEST_UNSET_B secret")
      assert.notInclude(message, "/ok")
    } finally {
      await listener.dispose()
    }
  })

  it("web handler: the same; and a secret the layer's ConfigProvider supplies starts cleanly", async () => {
    const missing = toWebHandler(routes(), Logs.capturing(MemoryStore.layer()))
    try {
      assert.instanceOf(await rejection(missing.start()), Misconfigured)
    } finally {
      await missing.dispose()
    }
    const supplied = Layer.merge(
      Logs.capturing(MemoryStore.layer()),
      ConfigProvider.layer(
        ConfigProvider.fromUnknown({ HOOKLINE_TEST_UNSET_A: "from-layer", HOOKLINE_TEST_UNSET_B: "from-layer" })
      )
    )
    const configured = toWebHandler(routes(), supplied)
    try {
      await configured.start()
      const raw = Hmac.testing.sign({ secret: Redacted.make("from-layer") }, { body: "{}", url: "/a" })
      const response = await configured(
        new Request(`http://receiver.test/a`, { method: "POST", headers: raw.headers, body: Buffer.from(raw.body) })
      )
      assert.strictEqual(response.status, 200)
    } finally {
      await configured.dispose()
    }
  })

  it("Effect HttpRouter: building the layer fails with Misconfigured", async () => {
    const app = HooklineHttp.layer(routes()).pipe(
      HttpRouter.provideRequest(Logs.capturing(MemoryStore.layer())),
      Layer.provide(HttpRouter.layer)
    )
    const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(app)))
    assert.isTrue(Exit.isFailure(exit))
    if (Exit.isFailure(exit)) assert.include(String(exit.cause), "HOOKLINE_TEST_UNSET_A")
  })
})

describe("route()", () => {
  it("refuses two paths serving the same provider name (one key namespace)", () => {
    const one = defineHandler(Hmac.provider({ secret: present }), () => Effect.void)
    const two = defineHandler(Hmac.provider({ secret: present }), () => Effect.void)
    assert.throws(
      () => route({ "/one": one, "/two": two }),
      Misconfigured,
      /\/one and \/two both serve provider "hmac"/
    )
    const renamed = defineHandler(Hmac.provider({ secret: present, name: "hmac-two" }), () => Effect.void)
    assert.strictEqual(route({ "/one": one, "/two": renamed }).handlers.size, 2)
  })
})
