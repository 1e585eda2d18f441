// Where Pulumi is installed the normal way, this is a normal Pulumi project: on a fresh clone,
// `npm ci` installs and builds it (the `prepare` script), then `pulumi stack select dev --create`,
// `pulumi up` and the CLI
// (`node bin/mailbox-addresses.js`, or `npx mailbox-addresses`) run with no bash script of ours in
// between, as on Windows or macOS. (Here the pulumi binary is the one the test setup found or
// built, with its language-host plugin beside it.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT, requirePulumi } from "../../harness/pulumi-stack";

describe("a normal Pulumi project: npm ci, then pulumi up, without the bash scripts", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-plain-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("npm ci builds it; pulumi up converges the local tenant; the CLI runs through node", () => {
    requirePulumi();
    const clone = path.join(dir, "clone");
    const cloned = spawnSync("git", ["clone", "--quiet", "--no-hardlinks", PROJECT_ROOT, clone], { encoding: "utf8" });
    assert.equal(cloned.status, 0, cloned.stderr);
    // What a user's shell has: Node and npm, pulumi on PATH, the passphrase of the dev stack (empty).
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PULUMI_CONFIG_PASSPHRASE: "" };
    delete env.PULUMI_BACKEND_URL; // the project's own backend (Pulumi.yaml)
    const run = (file: string, args: string[]) => {
      const result = spawnSync(file, args, {
        cwd: clone,
        env,
        encoding: "utf8",
        timeout: 15 * 60 * 1000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const npm = run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
    assert.equal(npm.code, 0, npm.output);
    assert.ok(existsSync(path.join(clone, "dist/infra/index.js")), "npm ci built the program (prepare)");
    const select = run("pulumi", ["stack", "select", "dev", "--create", "--non-interactive"]);
    assert.equal(select.code, 0, select.output);
    const up = run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /9 created/);
    const drift = run(process.execPath, ["bin/mailbox-addresses.js", "drift"]);
    assert.equal(drift.code, 0, drift.output);
    const preview = run("pulumi", ["preview", "--expect-no-changes", "--non-interactive"]);
    assert.equal(preview.code, 0, preview.output);
  });
});
