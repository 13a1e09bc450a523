#!/usr/bin/env node
// The GoldenPay sign doctor command. Plain JavaScript so that it runs from an installed package
// (Node does not strip types under node_modules); the doctor is `src/doctor.ts`, the command core's
// `SignDoctor.main`.
//
//   GOLDENPAY_SECRET='…' npx goldenpay-doctor [--json] [capture-file]
import { readFileSync } from "node:fs"
import { SignDoctor } from "@hookline/core/provider"
import { doctor } from "@hookline/provider-goldenpay/doctor"

SignDoctor.main(doctor, readFileSync)
