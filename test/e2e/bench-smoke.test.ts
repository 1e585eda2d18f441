// The scale benchmark (`npm run bench`) at a tiny N, so the harness cannot rot between its long
// runs: every command runs on both targets and the no-op provider, and the tables come out whole.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";

describe("the scale benchmark", () => {
  it("measures 20 mailboxes on both targets against the no-op provider and writes the tables", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-bench-smoke-"));
    try {
      const out = path.join(dir, "benchmarks.md");
      const run = spawnSync(
        process.execPath,
        [
          path.join(PROJECT_ROOT, "dist/bench/scale/run-benchmarks.js"),
          "--sizes",
          "20",
          "--checkpoint-sizes",
          "20",
          "--out",
          out,
        ],
        {
          encoding: "utf8",
          timeout: 10 * 60 * 1000,
        },
      );
      assert.equal(run.status, 0, run.stderr.slice(-3000));
      const text = readFileSync(out, "utf8");
      assert.match(text, /--sizes 20 --checkpoint-sizes 20/);
      // Six commands, each with a time for the floor and both targets, and two ratios.
      const rows = text.split("\n").filter((l) => /^\| 20 \| `(up|preview|refresh)/.test(l));
      assert.equal(rows.length, 6, text);
      for (const row of rows)
        assert.match(row, /\| \d+\.\d \| \d+\.\d \| \d+\.\d\d× \| \d+\.\d \| \d+\.\d\d× \|$/, row);
      // Every changed mailbox was written exactly once under the write budget.
      assert.match(text, /^\| 20 \| [\d.]+ \| 1\.0 \| [\d.]+× \| [\d.]+ \| 1\.00 \|/m);
      for (const provider of ["no-op", "local", "emulator"])
        assert.match(text, new RegExp(`^\\| 20 \\| ${provider} \\| [\\d,]+ \\|`, "m"));
      assert.match(text, /## Checkpoints/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
