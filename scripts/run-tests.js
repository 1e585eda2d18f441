#!/usr/bin/env node
// Runs the compiled test files with Node's test runner (its run() API, which keeps the order
// given) and its spec reporter, whose closing lines ("ℹ pass N", "ℹ fail N") are the suite's
// summary. Fast tests first, so a run reports from its first seconds: unit, integration,
// fidelity, then end-to-end (the real pulumi binary, minutes each); while no test has ended for a while, a
// status line says what is still running. Arguments narrow the run to folders or files under
// dist/test (--help: toolchain/command-lines.js); one that does not exist is a one-line error, exit 2.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { run } = require("node:test");
const { spec } = require("node:test/reporters");
const { emulatorEnvironment } = require("./emulator-ca");
const { parseOrExit } = require("../toolchain/command-lines");

const root = path.resolve(__dirname, "..");
const KINDS = ["unit", "integration", "fidelity", "e2e"];
/** Seconds without a finished test before a status line (MAILBOX_ADDRESSES_TEST_STATUS_EVERY). */
const QUIET_SECONDS = Number(process.env.MAILBOX_ADDRESSES_TEST_STATUS_EVERY) || 15;

function testFiles(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    const source = /^test\/.*\.ts$/.test(path.relative(root, target))
      ? ` (the compiled file is dist/${path.relative(root, target).replace(/\.ts$/, ".js")})`
      : "";
    console.error(
      `scripts/test: no test file or folder ${path.relative(process.cwd(), target) || "."}${source}; give compiled paths under dist/test, e.g. dist/test/unit (scripts/test --help)`,
    );
    process.exit(2);
  }
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { recursive: true })
    .map((name) => path.join(target, String(name)))
    .filter((file) => file.endsWith(".test.js"))
    .sort();
}

function kindOf(file) {
  const rank = KINDS.indexOf(path.relative(path.join(root, "dist/test"), file).split(path.sep)[0]);
  return rank === -1 ? KINDS.length : rank;
}

/**
 * Prints what the run is waiting on whenever no test has ended for QUIET_SECONDS: the test files
 * started and not yet reported (a file's results usually come together, when it ends).
 */
function watchQuietSpells(stream, files) {
  const startedAt = Date.now();
  const started = new Set();
  const reported = new Set();
  let lastNews = Date.now();
  // Events name a file by its compiled path or, through source maps, by its TypeScript source.
  const name = (file) =>
    path.relative(path.join(root, file.endsWith(".ts") ? "test" : "dist/test"), file).replace(/\.(js|ts)$/, "");
  stream.on("data", ({ type, data }) => {
    if (type === "test:dequeue" && data?.file) started.add(name(data.file));
    if (type === "test:pass" || type === "test:fail") {
      if (data?.file) reported.add(name(data.file));
      lastNews = Date.now();
    }
  });
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - lastNews < QUIET_SECONDS * 1000) return;
    lastNews = now;
    const waiting = [...started].filter((f) => !reported.has(f));
    const left = files.filter((f) => !reported.has(name(f))).length;
    process.stdout.write(
      `[test] ${Math.round((now - startedAt) / 1000)} s, waiting on ${waiting.join(", ") || "the next file"} (${left} of ${files.length} files to report)\n`,
    );
  }, 1000);
  timer.unref();
  stream.once("end", () => clearInterval(timer));
}

async function main() {
  const targets = parseOrExit("scripts/test", process.argv.slice(2)).positionals;
  const files = [
    ...new Set((targets.length ? targets : [path.join(root, "dist/test")]).flatMap((t) => testFiles(path.resolve(t)))),
  ].sort((a, b) => kindOf(a) - kindOf(b) || a.localeCompare(b));
  if (files.length === 0) {
    console.error("no test files found: build first (scripts/test does)");
    process.exit(1);
  }
  const counts = KINDS.map((kind, rank) => [kind, files.filter((f) => kindOf(f) === rank).length]).filter(
    ([, n]) => n > 0,
  );
  console.log(
    `[test] ${files.length} test files (${counts.map(([kind, n]) => `${n} ${kind}`).join(", ")}), fast ones first`,
  );
  // The emulator tests need its certificate trusted from process start: each test file is a
  // child process that inherits this environment.
  Object.assign(process.env, await emulatorEnvironment());
  const concurrency = 2;
  const stream = run({ files, concurrency, isolation: "process", execArgv: ["--enable-source-maps"], cwd: root });
  stream.on("data", ({ type }) => {
    if (type === "test:fail") process.exitCode = 1;
  });
  watchQuietSpells(stream, files);
  stream.compose(spec).pipe(process.stdout);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
