#!/usr/bin/env node
// Runs the scale benchmark (bench/scale/run-benchmarks.ts) with the emulator's certificate
// trusted. Arguments go to the benchmark (see its header for the options).
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { emulatorEnvironment } = require("./emulator-ca");

emulatorEnvironment()
  .then((env) => {
    const bench = path.resolve(__dirname, "../dist/bench/scale/run-benchmarks.js");
    const result = spawnSync(process.execPath, ["--enable-source-maps", bench, ...process.argv.slice(2)], { stdio: "inherit", env });
    process.exit(result.status ?? 1);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
