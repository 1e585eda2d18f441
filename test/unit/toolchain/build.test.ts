// The build runs tsc once per source change and removes outputs whose source is gone
// (toolchain/build.js, called by toolchain/setup.sh on every script call).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../../harness/pulumi-stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require(path.join(PROJECT_ROOT, "toolchain/build.js")) as {
  fingerprint(): string;
  inputs(): string[];
  removeStale(): string[];
  sourceOf(relative: string): string[];
};

describe("the build (toolchain/build.js)", () => {
  it("its inputs: every source tsconfig.json includes, tsconfig.json and the lock; nothing from dist/ or node_modules/", () => {
    const inputs = build.inputs().map((f) => path.relative(PROJECT_ROOT, f));
    for (const file of [
      "tsconfig.json",
      "package-lock.json",
      "index.ts",
      "core/address.ts",
      "exchange/exchange-rules.ts",
      "test/unit/toolchain/build.test.ts",
      "schemas/mailboxes.schema.json",
    ]) {
      assert.ok(inputs.includes(file), file);
    }
    assert.ok(!inputs.some((f) => f.startsWith("dist/") || f.includes("node_modules")));
  });

  it("the fingerprint is stable while nothing changes, and matches the stamp the last build wrote", () => {
    const fingerprint = build.fingerprint();
    assert.equal(build.fingerprint(), fingerprint);
    const stamp = path.join(PROJECT_ROOT, "dist/.build-stamp");
    assert.ok(existsSync(stamp), "setup wrote the stamp");
    assert.equal(readFileSync(stamp, "utf8").trim(), fingerprint);
  });

  it("a second call with nothing changed does not run tsc", () => {
    const first = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "toolchain/build.js")], { encoding: "utf8" });
    assert.equal(first.status, 0, first.stderr);
    const info = path.join(PROJECT_ROOT, "dist/.tsbuildinfo");
    const before = statSync(info).mtimeMs;
    const started = Date.now();
    const second = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "toolchain/build.js")], { encoding: "utf8" });
    assert.equal(second.status, 0, second.stderr);
    assert.equal(statSync(info).mtimeMs, before, "tsc did not run");
    assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
  });

  it("maps outputs to their sources", () => {
    assert.deepEqual(build.sourceOf("core/address.js"), ["core/address.ts", "core/address.tsx"]);
    assert.deepEqual(build.sourceOf("core/address.d.ts.map"), ["core/address.ts", "core/address.tsx"]);
    assert.deepEqual(build.sourceOf("test/e2e/x.test.js.map"), ["test/e2e/x.test.ts", "test/e2e/x.test.tsx"]);
    assert.deepEqual(build.sourceOf("schemas/report.schema.json"), ["schemas/report.schema.json"]);
  });

  it("removes outputs whose source is gone (a moved test would otherwise still run), and keeps the rest", () => {
    const folder = path.join(PROJECT_ROOT, "dist/test/unit/moved-away");
    mkdirSync(folder, { recursive: true });
    for (const name of ["old.test.js", "old.test.js.map", "old.test.d.ts"]) writeFileSync(path.join(folder, name), "");
    const removed = build.removeStale();
    assert.deepEqual(removed.sort(), [
      "test/unit/moved-away/old.test.d.ts",
      "test/unit/moved-away/old.test.js",
      "test/unit/moved-away/old.test.js.map",
    ]);
    assert.equal(existsSync(folder), false, "the emptied folder is gone");
    assert.ok(existsSync(path.join(PROJECT_ROOT, "dist/core/address.js")));
    assert.ok(existsSync(path.join(PROJECT_ROOT, "dist/schemas/mailboxes.schema.json")));
    assert.ok(existsSync(path.join(PROJECT_ROOT, "dist/.tsbuildinfo")));
  });
});
