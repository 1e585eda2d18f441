#!/usr/bin/env node
// The command-line tool. The TypeScript build (npm run build, or any scripts/ command) writes dist/.
"use strict";
require("../dist/cli/main.js").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // An expected error (a bad file, setting, credential, store, or a refusal) is told in its own
    // words; only a bug shows a stack trace.
    const { isExpectedError, describeExpected } = require("../dist/providers/expected-errors.js");
    const known = isExpectedError(err) || (err && ["ENOENT", "EACCES", "EISDIR", "ENOTDIR"].includes(err.code));
    console.error(known ? `error: ${isExpectedError(err) ? describeExpected(err) : err.message}` : err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
