#!/usr/bin/env node
// The EM sign doctor command. Plain JavaScript so that it runs from an installed package (Node does
// not strip types under node_modules); the doctor lives in `src/doctor.ts`, the command in core.
//
//   EM_APP_SECRET='…' npx em-doctor [--json] [capture-file]
import { readFileSync } from "node:fs"
import { SignDoctor } from "@hookline/core/provider"
import { doctor } from "@hookline/provider-em/doctor"
SignDoctor.main(doctor, readFileSync)
