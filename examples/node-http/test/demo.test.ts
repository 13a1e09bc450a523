import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Logs from "../../../test-support/Logs.ts"
import { within } from "../../../test-support/Wait.ts"

const dir = fileURLToPath(new URL("..", import.meta.url))
const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))

describe("npm run demo", () => {
  it("answers every scripted delivery as expected and exits 0", async () => {
    const { code, stdout, stderr } = await within(
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(
          node,
          ["--conditions=@hookline/source", "src/demo.ts"],
          { cwd: dir },
          (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
        )
      ),
      25_000,
      "the demo did not exit"
    )
    // Its logs (stderr) are shown only when the test fails.
    Logs.watch("stderr of the demo", () => stderr)
    assert.strictEqual(code, 0, stdout)
    assert.notInclude(stdout, "UNEXPECTED")
    assert.match(stdout, /all \d+ scripted deliveries answered as expected/)
    assert.include(stdout, "Rejected(SignatureInvalid)")
    assert.include(stdout, "Failed(TimedOut)")
  })
})
