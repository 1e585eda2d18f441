#!/usr/bin/env node
// Runs a benchmark with the emulator's certificate trusted: the scale benchmark
// (bench/scale/run-benchmarks.ts), or with `--script NAME` first, bench/scale/NAME.ts (e.g.
// targeted-runs, sharded-runs). The other arguments go to the benchmark (see its header).
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { emulatorEnvironment } = require("./emulator-ca");

emulatorEnvironment()
  .then((env) => {
    const args = process.argv.slice(2);
    const named = args[0] === "--script" ? args[1] : undefined;
    if (named !== undefined && !/^[a-z-]+$/.test(named)) throw new Error(`--script ${named}: a file name under bench/scale, such as targeted-runs`);
    const bench = path.resolve(__dirname, `../dist/bench/scale/${named ?? "run-benchmarks"}.js`);
    const result = spawnSync(process.execPath, ["--enable-source-maps", bench, ...(named ? args.slice(2) : args)], { stdio: "inherit", env });
    process.exit(result.status ?? 1);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
