#!/usr/bin/env node
// The command-line tool. The TypeScript build (npm run build, or any scripts/ command) writes dist/.
"use strict";
// A reader that stops early (`mailbox-addresses plan --help | head -n 1`) closes the pipe: that
// ends the run quietly, as other command-line tools do, with nothing more to say to anyone.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(0);
    throw err;
  });
}
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
