#!/usr/bin/env node
// Runs a benchmark with the emulator's certificate trusted: the scale benchmark
// (bench/scale/run-benchmarks.ts), or with `--script NAME` first, bench/scale/NAME.ts (e.g.
// targeted-runs, sharded-runs). The other arguments go to the benchmark (see its header).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { emulatorEnvironment } = require("./emulator-ca");

emulatorEnvironment()
  .then((env) => {
    const args = process.argv.slice(2);
    const named = args[0] === "--script" ? args[1] : undefined;
    const bench = path.resolve(__dirname, `../dist/bench/scale/${named ?? "run-benchmarks"}.js`);
    if (named !== undefined && (!/^[a-z-]+$/.test(named) || !fs.existsSync(bench))) {
      const known = fs
        .readdirSync(path.dirname(bench))
        .filter(
          (f) =>
            /^[a-z-]+\.js$/.test(f) &&
            ![
              "generate-tenant.js",
              "measure-process.js",
              "noop-program.js",
              "render-benchmarks.js",
              "doc-section.js",
            ].includes(f),
        );
      console.error(
        `scripts/bench: no benchmark "${named}"; --script takes one of: ${known.map((f) => f.replace(/\.js$/, "")).join(", ")}`,
      );
      process.exit(2);
    }
    const result = spawnSync(process.execPath, ["--enable-source-maps", bench, ...(named ? args.slice(2) : args)], {
      stdio: "inherit",
      env,
    });
    process.exit(result.status ?? 1);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
