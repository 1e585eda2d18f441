#!/usr/bin/env node
// The command-line tool. The TypeScript build (npm run build, or any scripts/ command) writes dist/.
"use strict";
require("../dist/cli/main.js")
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      // main() reports every error itself; this is the last resort.
      console.error(process.argv.includes("--verbose") && err && err.stack ? err.stack : `error: ${err && err.message ? err.message : String(err)}`);
      process.exit(1);
    },
  );
