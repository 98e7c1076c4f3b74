#!/usr/bin/env node
"use strict";
// The compiled CLI (packages/cli/src/main.ts, built by `tsc -b`).
require("../dist/main.js").main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exitCode = 1;
  },
);
