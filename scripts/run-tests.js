#!/usr/bin/env node
// Runs the compiled test files with Node's test runner and its spec reporter, whose closing
// lines ("ℹ pass N", "ℹ fail N") are the suite's summary. Arguments narrow the run to folders or
// files under dist/test.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { emulatorEnvironment } = require("./emulator-ca");

const root = path.resolve(__dirname, "..");
function testFiles(target) {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { recursive: true })
    .map((name) => path.join(target, String(name)))
    .filter((file) => file.endsWith(".test.js"))
    .sort();
}

// Fast tests first, so a run reports from its first seconds: unit, then integration (the
// emulator in-process), then end-to-end (the real pulumi binary, minutes each).
const KINDS = ["unit", "integration", "e2e"];
function kindOf(file) {
  const parts = path.relative(path.join(root, "dist/test"), file).split(path.sep);
  const rank = KINDS.indexOf(parts[0]);
  return rank === -1 ? KINDS.length : rank;
}

async function main() {
const targets = process.argv.slice(2);
const files = [...new Set((targets.length ? targets : [path.join(root, "dist/test")]).flatMap((t) => testFiles(path.resolve(t))))]
  .sort((a, b) => kindOf(a) - kindOf(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error("no test files found: build first (scripts/test does)");
  process.exit(1);
}
const counts = KINDS.map((kind, rank) => [kind, files.filter((f) => kindOf(f) === rank).length]).filter(([, n]) => n > 0);
console.log(`[test] ${files.length} test files (${counts.map(([kind, n]) => `${n} ${kind}`).join(", ")}), fast ones first; a status line while tests run quietly`);
// The emulator tests need its certificate trusted from process start.
const env = await emulatorEnvironment();
const result = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${path.join(__dirname, "test-heartbeat.js")}`,
    "--test-reporter-destination=stdout",
    "--test-concurrency=2",
    "--enable-source-maps",
    ...files,
  ],
  { stdio: "inherit", cwd: root, env },
);
process.exit(result.status ?? 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
