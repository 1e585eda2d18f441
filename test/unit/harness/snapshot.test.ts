// The snapshot helper never passes on a snapshot it has just written: a missing snapshot fails
// with the command that creates it; UPDATE_SNAPSHOTS=1 writes it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { assertMatchesSnapshot, PROJECT_ROOT } from "../../../harness/snapshot";

describe("snapshots (harness/snapshot.ts)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-snapshot-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const testFile = path.join(PROJECT_ROOT, "dist/test/unit/core/report.test.js");

  it("a missing snapshot fails, names the command that creates it, and writes nothing", () => {
    const file = path.join(dir, "missing.txt");
    assert.throws(
      () => assertMatchesSnapshot(file, "text\n", testFile, {}),
      (error: Error) => {
        assert.match(
          error.message,
          /snapshot .*missing\.txt is missing: create it with `UPDATE_SNAPSHOTS=1 scripts\/test dist\/test\/unit\/core\/report\.test\.js`, review it, and commit it/,
        );
        return true;
      },
    );
    assert.equal(existsSync(file), false);
  });

  it("UPDATE_SNAPSHOTS=1 writes it, and it then matches without the variable", () => {
    const file = path.join(dir, "sub", "written.txt");
    assertMatchesSnapshot(file, "text\n", testFile, { UPDATE_SNAPSHOTS: "1" });
    assert.equal(readFileSync(file, "utf8"), "text\n");
    assertMatchesSnapshot(file, "text\n", testFile, {});
  });

  it("a different text fails with the update command, and leaves the snapshot as it was", () => {
    const file = path.join(dir, "differs.txt");
    writeFileSync(file, "old\n");
    assert.throws(
      () => assertMatchesSnapshot(file, "new\n", testFile, {}),
      /differs; if the change is intended: `UPDATE_SNAPSHOTS=1 scripts\/test dist\/test\/unit\/core\/report\.test\.js`/,
    );
    assert.equal(readFileSync(file, "utf8"), "old\n");
  });

  it("any other value of UPDATE_SNAPSHOTS writes nothing", () => {
    const file = path.join(dir, "other.txt");
    assert.throws(() => assertMatchesSnapshot(file, "x", testFile, { UPDATE_SNAPSHOTS: "true" }), /is missing/);
    assert.equal(existsSync(file), false);
  });
});
