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
// The tool needs Node.js 22.13 or newer (node:sqlite, @pulumi/pulumi, @azure/identity): say so
// instead of failing on the first module an older Node lacks.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `error: mailbox-addresses needs Node.js 22.13 or newer; this is Node.js ${process.versions.node}. Install a current Node.js (22 LTS or 24) and run it again.`,
  );
  process.exit(1);
}
require("../dist/cli/main.js")
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      // main() reports every error itself; this is the last resort.
      console.error(
        process.argv.includes("--verbose") && err && err.stack
          ? err.stack
          : `error: ${err && err.message ? err.message : String(err)}`,
      );
      process.exit(1);
    },
  );
