#!/usr/bin/env node
// The GoldenPay sign doctor command. Plain JavaScript so that it runs from an installed package
// (Node does not strip types under node_modules); the logic lives in `src/doctor.ts`.
//
//   GOLDENPAY_SECRET='…' npx goldenpay-doctor [--json] [capture-file]
import { readFileSync } from "node:fs"
import { parseArguments, report, usage } from "@hookline/provider-goldenpay/doctor"

const args = process.argv.slice(2)
const parsed = parseArguments(args)
if (parsed === undefined) {
  const help = args.includes("--help") || args.includes("-h")
  ;(help ? process.stdout : process.stderr).write(usage)
  process.exitCode = help ? 0 : 2
} else {
  let body
  try {
    body = readFileSync(parsed.file ?? 0)
  } catch (error) {
    process.stderr.write(`Cannot read ${parsed.file ?? "stdin"}: ${error instanceof Error ? error.message : error}\n`)
    process.exitCode = 2
  }
  if (body !== undefined) {
    const result = report({ body, token: process.env.GOLDENPAY_SECRET, json: parsed.json })
    ;(result.exitCode === 2 ? process.stderr : process.stdout).write(result.output)
    process.exitCode = result.exitCode
  }
}
