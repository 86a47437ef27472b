#!/usr/bin/env node
// The slotshift command, run from its TypeScript sources without a build step.
const path = require("path");
process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(__dirname, "..", "tsconfig.json");
require("ts-node/register/transpile-only");
const { main } = require("../cli/main.ts");
main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (e) => {
        process.stderr.write(`slotshift: internal error: ${(e && e.stack) || String(e)}\n`);
        process.exitCode = 2;
    },
);
