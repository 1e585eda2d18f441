#!/usr/bin/env node
// Runs a benchmark with the emulator's certificate trusted: the scale benchmark
// (bench/scale/run-benchmarks.ts), or with `--script NAME` first, bench/scale/NAME.ts (e.g.
// targeted-runs, sharded-runs). The other arguments go to the benchmark. Every command line is
// checked first (toolchain/command-lines.js): --help prints the benchmark's usage, a bad option
// exits 2, before anything is prepared.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { emulatorEnvironment } = require("./emulator-ca");
const { benchCommandLine, parseOrExit, UsageError } = require("../toolchain/command-lines");

const argv = process.argv.slice(2);
let bench;
try {
  bench = benchCommandLine(argv);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
parseOrExit(bench.name === "bench/scale/run-benchmarks" ? "scripts/bench" : bench.name, bench.args);

emulatorEnvironment()
  .then((env) => {
    const file = path.resolve(__dirname, `../dist/${bench.name}.js`);
    const result = spawnSync(process.execPath, ["--enable-source-maps", file, ...bench.args], {
      stdio: "inherit",
      env,
    });
    process.exit(result.status ?? 1);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
