// The targeted engine runs (cli/engine-run.ts) read what `pulumi preview --json` printed and how it
// exited: a stand-in `pulumi` on PATH prints a digest and exits as the real one can, including a
// failure that still prints a digest (the engine's own error goes to stderr only).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { errorLines, previewTargeted } from "../../../cli/engine-run";
import type { StackSettings } from "../../../cli/stack-settings";

describe("targeted preview: the digest and the exit code", () => {
  let dir: string;
  let savedPath: string | undefined;
  const settings = { stack: "dev", root: os.tmpdir() } as unknown as StackSettings;
  const URN = "urn:pulumi:dev::mailbox-addresses::pulumi-nodejs:dynamic/mailbox:MailboxAddresses::a@contoso.com";

  /** The stand-in prints `stdout`, then `stderr` on stderr, and exits with `code`. */
  const pulumiThat = (stdout: string, stderr: string, code: number) => {
    writeFileSync(path.join(dir, "out.txt"), stdout);
    writeFileSync(path.join(dir, "err.txt"), stderr);
    writeFileSync(
      path.join(dir, "pulumi"),
      `#!/bin/sh\ncat "${dir}/out.txt"\ncat "${dir}/err.txt" >&2\nexit ${code}\n`,
    );
    chmodSync(path.join(dir, "pulumi"), 0o755);
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "mbx-fake-pulumi-"));
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
  });
  after(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it("exit 0 with a digest: its steps and diagnostics", async () => {
    pulumiThat(
      JSON.stringify({ steps: [{ op: "update", urn: URN }], diagnostics: [], changeSummary: { update: 1, same: 9 } }),
      "",
      0,
    );
    const result = await previewTargeted(settings, [URN], {});
    assert.equal(result.ok, true);
    assert.deepEqual(result.digest?.steps, [{ op: "update", urn: URN }]);
    assert.deepEqual(result.errors, []);
  });

  it("a failure that still prints a digest is a failure, with the engine's error from stderr", async () => {
    pulumiThat(JSON.stringify({ steps: [], diagnostics: [] }), "error: failed to rebase deployment\n", 255);
    const result = await previewTargeted(settings, [URN], {});
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors, ["failed to rebase deployment"]);
  });

  it("a failure whose digest carries the program's errors adds nothing generic", async () => {
    pulumiThat(
      JSON.stringify({
        steps: [],
        diagnostics: [{ urn: URN, severity: "error", message: "mailboxes.yaml:3:5: refused" }],
      }),
      "",
      255,
    );
    const result = await previewTargeted(settings, [URN], {});
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors, []);
    assert.equal(result.digest?.diagnostics[0]?.message, "mailboxes.yaml:3:5: refused");
  });

  it("no digest and no error line: one message with the exit code", async () => {
    pulumiThat("", "something went wrong\n", 3);
    const result = await previewTargeted(settings, [URN], {});
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors, ["pulumi preview failed (exit 3): something went wrong"]);
  });

  it("the engine gets the run's channel files and no channel variable of the caller's", async () => {
    // The stand-in prints the channel's variables as it received them, as a digest's diagnostics.
    writeFileSync(
      path.join(dir, "pulumi"),
      `#!/bin/sh\nprintf '{"steps":[],"diagnostics":[{"severity":"info","message":"%s|%s"}]}' "$MAILBOX_ADDRESSES_TARGETS" "$MAILBOX_ADDRESSES_REVIEWED_PLAN"\n`,
    );
    chmodSync(path.join(dir, "pulumi"), 0o755);
    process.env.MAILBOX_ADDRESSES_REVIEWED_PLAN = "/left/in/the/shell.json";
    try {
      const result = await previewTargeted(settings, [URN], { targets: "/run/targets.json" });
      assert.equal(result.digest?.diagnostics[0]?.message, "/run/targets.json|");
    } finally {
      delete process.env.MAILBOX_ADDRESSES_REVIEWED_PLAN;
    }
  });

  it("errorLines: each `error:` line once, without the prefix", () => {
    assert.deepEqual(errorLines("x\n  error: a\nerror: b\n error: a\n"), ["a", "b"]);
  });
});
