import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const dir = fileURLToPath(new URL("..", import.meta.url))
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))

describe("npm run demo", () => {
  it("answers every scripted delivery as expected and exits 0", async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile(
        node,
        ["--conditions=@hookline/source", "src/demo.ts"],
        { cwd: dir },
        (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout })
      )
    )
    assert.strictEqual(code, 0, stdout)
    assert.notInclude(stdout, "UNEXPECTED")
    assert.match(stdout, /all \d+ scripted deliveries answered as expected/)
    assert.include(stdout, "Rejected(SignatureInvalid)")
    assert.include(stdout, "Failed(TimedOut)")
  })
})
