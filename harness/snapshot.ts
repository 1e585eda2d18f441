// Snapshot comparison for tests: a text is compared with a committed file under test/fixtures.
// A snapshot is written only when asked (UPDATE_SNAPSHOTS=1), then reviewed and committed; a
// missing one fails with the command that creates it, so a test can never pass on a snapshot it
// has just written.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The scripts/test command that runs one compiled test file with UPDATE_SNAPSHOTS=1. */
export function updateCommand(testFile: string): string {
  const compiled = path.relative(PROJECT_ROOT, testFile.replace(/\.ts$/, ".js"));
  return `UPDATE_SNAPSHOTS=1 scripts/test ${compiled}`;
}

/**
 * Asserts that `text` equals the snapshot `file`. With UPDATE_SNAPSHOTS=1 the file is (re)written
 * first; otherwise a missing file fails, naming the command (`testFile`: the calling test's
 * __filename) that writes it.
 */
export function assertMatchesSnapshot(
  file: string,
  text: string,
  testFile: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const shown = path.relative(PROJECT_ROOT, file);
  if (env.UPDATE_SNAPSHOTS === "1") {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  if (!existsSync(file)) {
    assert.fail(
      `snapshot ${shown} is missing: create it with \`${updateCommand(testFile)}\`, review it, and commit it`,
    );
  }
  assert.equal(
    text,
    readFileSync(file, "utf8"),
    `snapshot ${shown} differs; if the change is intended: \`${updateCommand(testFile)}\`, then review the diff`,
  );
}
