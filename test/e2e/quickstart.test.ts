// The README's first command, on a fresh clone of this repository: `scripts/up` sets up what it
// needs and converges the seeded local tenant; `pulumi preview --expect-no-changes` passes after.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT, requirePulumi } from "../../harness/pulumi-stack";

describe("Quick start on a fresh clone", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-quickstart-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("scripts/up converges the seeded tenant; preview --expect-no-changes passes right after", () => {
    requirePulumi();
    const clone = path.join(dir, "clone");
    const cloned = spawnSync("git", ["clone", "--quiet", "--no-hardlinks", PROJECT_ROOT, clone], { encoding: "utf8" });
    assert.equal(cloned.status, 0, cloned.stderr);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_CONFIG_PASSPHRASE;
    const run = (command: string, ...args: string[]) => {
      const result = spawnSync(path.join(clone, command), args, {
        cwd: dir,
        env,
        encoding: "utf8",
        timeout: 15 * 60 * 1000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const up = run("scripts/up");
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /mark\.wilson@contoso\.com created/);
    assert.match(up.output, /primary mark\.wilson@contoso\.com → mark\.wilson@fabrikam\.com/);
    assert.match(up.output, /9 created/);
    const preview = run("scripts/pulumi", "preview", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
  });
});
