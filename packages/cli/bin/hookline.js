#!/usr/bin/env node
// The `hookline` command. Plain JavaScript so that it runs from an installed package (Node does not
// strip types under node_modules); the command is `src/Cli.ts`.
//
//   hookline send <provider> --url <url> [--event <name>] [--id <id>] [--body <file>]
//   hookline listen [--port <port>] [--json]
//   hookline doctor goldenpay|em --body <file> [--json]
import { Cli } from "@hookline/cli"

Cli.main()
