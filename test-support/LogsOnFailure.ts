/**
 * The setup file of every test project (vitest.workspace.ts): marks where each test begins in the
 * log capture (`Logs.ts`) and, when the test fails, prints what was captured while it ran — the
 * entries logged through a capture layer and what the watched child processes wrote on stderr.
 * Passing tests print nothing.
 */
import { beforeEach } from "vitest"
import * as Logs from "./Logs.ts"

// Vitest's console, taken before a test can replace `console.error` (`Logs.captureConsole`): what
// it prints is attributed to the running test.
const print = console.error.bind(console)

beforeEach((context) => {
  const mark = Logs.begin(context.task.fullTestName ?? context.task.name)
  context.onTestFailed(() => {
    const report = Logs.report(mark)
    if (report !== "") print(report)
  })
  context.onTestFinished(() => Logs.end())
})
