#!/usr/bin/env node
// The slotshift command, run from its TypeScript sources without a build step.
const path = require("path");
process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(__dirname, "..", "tsconfig.json");
require("ts-node/register/transpile-only");
require("../cli/main.ts").runFromCommandLine();
