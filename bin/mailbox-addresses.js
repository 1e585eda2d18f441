#!/usr/bin/env node
// The command-line tool. The TypeScript build (npm run build, or any scripts/ command) writes dist/.
"use strict";
require("../dist/cli/main.js").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
