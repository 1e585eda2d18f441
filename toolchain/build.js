#!/usr/bin/env node
// The TypeScript build, once per source change (run by toolchain/setup.sh and `npm run build`).
//
// A fingerprint of the build's inputs (every file tsconfig.json includes, tsconfig.json itself
// and package-lock.json: their paths, sizes and modification times) is kept in dist/.build-stamp.
// When it matches, nothing runs (a few milliseconds instead of the ~2 s tsc takes even with
// nothing to do). Otherwise tsc compiles, then every output in dist/ whose source is gone (a .ts
// moved or deleted) is removed, so that a stale dist/test/**/x.test.js never runs again, and the
// stamp is written.
//   node toolchain/build.js            build if needed
//   MAILBOX_ADDRESSES_BUILD=always     run tsc whatever the stamp says (the behaviour before this)
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const ROOT = path.resolve(__dirname, "..");
const DIST = path.join(ROOT, "dist");
const STAMP = path.join(DIST, ".build-stamp");
const KEEP = new Set([".tsbuildinfo", ".build-stamp"]);

/** The files tsconfig.json's `include` names: folders (every .ts/.json below), files, `dir/*.json` globs. */
function inputs() {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
  const found = [path.join(ROOT, "tsconfig.json"), path.join(ROOT, "package-lock.json")];
  for (const entry of config.include ?? []) {
    const glob = /^(.*)\/\*(\.[a-z]+)$/.exec(entry);
    if (glob) {
      const dir = path.join(ROOT, glob[1]);
      if (fs.existsSync(dir))
        for (const name of fs.readdirSync(dir)) if (name.endsWith(glob[2])) found.push(path.join(dir, name));
      continue;
    }
    const full = path.join(ROOT, entry);
    let stat;
    try {
      stat = fs.statSync(full);
    } catch {
      continue;
    }
    if (stat.isFile()) found.push(full);
    else
      for (const name of fs.readdirSync(full, { recursive: true }))
        if (/\.(ts|json)$/.test(String(name))) found.push(path.join(full, String(name)));
  }
  return found.sort();
}

function fingerprint() {
  const hash = createHash("sha256");
  for (const file of inputs()) {
    try {
      const stat = fs.statSync(file);
      if (stat.isFile()) hash.update(`${path.relative(ROOT, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
    } catch {
      // removed meanwhile: not an input
    }
  }
  return hash.digest("hex");
}

/** The source a dist/ file was compiled from (x.js, x.d.ts, x.js.map, x.d.ts.map ← x.ts; a .json ← itself). */
function sourceOf(relative) {
  if (relative.endsWith(".json")) return [relative];
  const base = relative.replace(/(\.d)?\.(js|ts)(\.map)?$/, "");
  return [`${base}.ts`, `${base}.tsx`];
}

/** Removes outputs whose source is gone, then empty folders. Returns the removed paths. */
function removeStale() {
  const removed = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
        continue;
      }
      const relative = path.relative(DIST, full);
      if (KEEP.has(relative)) continue;
      if (!sourceOf(relative).some((source) => fs.existsSync(path.join(ROOT, source)))) {
        fs.rmSync(full);
        removed.push(relative);
      }
    }
  };
  if (fs.existsSync(DIST)) walk(DIST);
  return removed;
}

function main() {
  const before = fingerprint();
  const stamp = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, "utf8").trim() : "";
  if (stamp === before && process.env.MAILBOX_ADDRESSES_BUILD !== "always") return 0;
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc", { paths: [ROOT] }), "-p", path.join(ROOT, "tsconfig.json")],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (tsc.status !== 0) {
    fs.rmSync(STAMP, { force: true });
    return tsc.status ?? 1;
  }
  const removed = removeStale();
  if (removed.length > 0)
    process.stderr.write(
      `[build] removed ${removed.length} stale output(s) whose source is gone: ${removed.slice(0, 5).join(", ")}${removed.length > 5 ? ", ..." : ""}\n`,
    );
  // An input edited while tsc ran leaves the old stamp: the next call compiles again.
  if (fingerprint() === before) fs.writeFileSync(STAMP, `${before}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main();
module.exports = { fingerprint, inputs, removeStale, sourceOf };
