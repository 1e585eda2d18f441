// The targeted engine runs (cli/engine-run.ts) read what `pulumi preview --json`, `stack export` and
// `stack history --json` printed and how it exited: a stand-in `pulumi` on PATH prints and exits as
// the real one can, including a failure that still prints a digest (the engine's own error goes to
// stderr only), and output not of its shape, which is refused naming the command and where.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineOutputError, errorLines, exportState, previewTargeted, upTargeted } from "../../../cli/engine-run";
import { isExpectedError } from "../../../core/errors";
import { RUN_CHANNEL } from "../../../runtime/run-channel";
import type { StackSettings } from "../../../cli/stack-settings";
import { RESOURCE_TYPE, STACK_TYPE } from "../../../cli/resource-urn";

describe("targeted engine runs: what pulumi printed, and its exit code", () => {
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
      `#!/bin/sh\nprintf '{"steps":[],"diagnostics":[{"severity":"info","message":"%s|%s"}]}' "$${RUN_CHANNEL.targets.variable}" "$${RUN_CHANNEL.reviewedPlan.variable}"\n`,
    );
    chmodSync(path.join(dir, "pulumi"), 0o755);
    process.env[RUN_CHANNEL.reviewedPlan.variable] = "/left/in/the/shell.json";
    try {
      const result = await previewTargeted(settings, [URN], { targets: `/run/${RUN_CHANNEL.targets.file}` });
      assert.equal(result.digest?.diagnostics[0]?.message, `/run/${RUN_CHANNEL.targets.file}|`);
    } finally {
      delete process.env[RUN_CHANNEL.reviewedPlan.variable];
    }
  });

  /** The error a call gives, checked to be one expected EngineOutputError naming the command and the stack. */
  const refused = async (call: () => Promise<unknown>, command: string): Promise<string> => {
    try {
      await call();
    } catch (err) {
      assert.ok(err instanceof EngineOutputError, `not an EngineOutputError: ${String(err)}`);
      assert.ok(isExpectedError(err));
      assert.ok(err.message.startsWith(`pulumi ${command} printed what mailbox-addresses cannot read: its output `));
      assert.match(err.message, new RegExp(`run pulumi ${command} --stack dev to see what it printed; `));
      assert.equal(err.remedy, err.message.slice(err.message.indexOf("run pulumi")));
      return err.message;
    }
    assert.fail(`pulumi ${command}: the output was accepted`);
  };

  it("a digest not of its shape is refused, naming the command and where it is wrong", async () => {
    pulumiThat(JSON.stringify({ steps: [{ op: "update" }], diagnostics: [] }), "", 0);
    assert.match(
      await refused(() => previewTargeted(settings, [URN], {}), "preview --json"),
      /its output at steps\[0\]\.urn, a string expected, found nothing; /,
    );
    pulumiThat(JSON.stringify({ diagnostics: [{ severity: 2 }] }), "", 255);
    assert.match(
      await refused(() => previewTargeted(settings, [URN], {}), "preview --json"),
      /at diagnostics\[0\]\.severity, a string expected, found number 2/,
    );
    // Exit 0 and no JSON: the engine said it succeeded, yet printed nothing to read.
    pulumiThat("Previewing update (dev):\n", "", 0);
    assert.match(
      await refused(() => previewTargeted(settings, [URN], {}), "preview --json"),
      /its output is not JSON; /,
    );
    // A digest's omitted parts (Go's omitempty): empty.
    pulumiThat(JSON.stringify({ diagnostics: [{ severity: "warning" }] }), "", 0);
    const result = await previewTargeted(settings, [URN], {});
    assert.deepEqual(result.digest, { steps: [], diagnostics: [{ message: "", severity: "warning" }] });
  });

  it("a state export not of its shape is refused, naming where it is wrong", async () => {
    pulumiThat(JSON.stringify({ version: 3, deployment: { resources: [{ urn: "u", type: "t" }] } }), "", 0);
    assert.deepEqual(await exportState(settings), { resources: [{ urn: "u", type: "t" }] });
    pulumiThat(
      JSON.stringify({ version: 3, deployment: { resources: [{ urn: "u", type: "t", dependencies: "x" }] } }),
      "",
      0,
    );
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /its output at deployment\.resources\[0\]\.dependencies, a list expected, found "x"; /,
    );
    pulumiThat(JSON.stringify({ deployment: { resources: [{ type: "t", outputs: [] }] } }), "", 0);
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /at deployment\.resources\[0\]\.urn, a string/,
    );
    pulumiThat("{", "", 0);
    assert.match(await refused(() => exportState(settings), "stack export"), /its output is not JSON; /);
  });

  it("a mailbox's or the declaration's fields not of their shape are refused; other entries' are left alone", async () => {
    const exported = (...resources: object[]) => pulumiThat(JSON.stringify({ deployment: { resources } }), "", 0);
    const mailbox = `urn:pulumi:dev::p::${RESOURCE_TYPE}::ada@contoso.com`;
    const good = {
      urn: mailbox,
      type: RESOURCE_TYPE,
      id: "0b1c",
      inputs: { identity: "ada@contoso.com", addresses: { "ada@contoso.com": "SMTP:ada@contoso.com" }, mode: "strict" },
      outputs: { addresses: {}, kept: { x500: "X500:/o=x" }, applied: ["SMTP:ada@contoso.com"] },
    };
    exported(good, { urn: "other", type: "acme:x:Y", outputs: { addresses: ["anything"] } });
    assert.equal((await exportState(settings)).resources?.length, 2);
    exported({ ...good, outputs: { ...good.outputs, addresses: ["SMTP:ada@contoso.com"] } });
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /at deployment\.resources\[0\]\.outputs\.addresses, an object expected, found a list; /,
    );
    exported({ ...good, inputs: { ...good.inputs, mode: "lenient" } });
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /at deployment\.resources\[0\]\.inputs\.mode, "strict" or "additive" expected, found "lenient"/,
    );
    exported({ ...good, id: 7 });
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /at deployment\.resources\[0\]\.id, a string expected, found number 7/,
    );
    exported({ urn: "s", type: STACK_TYPE, outputs: { spec: "infra/mailboxes.yaml", target: 7 } });
    assert.match(
      await refused(() => exportState(settings), "stack export"),
      /at deployment\.resources\[0\]\.outputs\.target, a string expected, found number 7/,
    );
  });

  it("an up that succeeded, with a history not of its shape: done, and what could not be read", async () => {
    const history = (printed: string) =>
      writeFileSync(
        path.join(dir, "pulumi"),
        `#!/bin/sh\nif [ "$1" = stack ]; then printf '%s' '${printed}'; fi\nexit 0\n`,
      );
    history(JSON.stringify([{ kind: "update", resourceChanges: { update: 1, same: 4 } }]));
    assert.deepEqual(await upTargeted(settings, [URN], {}), { ok: true, resourceChanges: { update: 1, same: 4 } });
    history(JSON.stringify([{ kind: "update", resourceChanges: { update: "one" } }]));
    assert.deepEqual(await upTargeted(settings, [URN], {}), {
      ok: true,
      unread: 'at [0].resourceChanges["update"], a count expected, found "one"',
    });
    history("not json");
    assert.deepEqual(await upTargeted(settings, [URN], {}), { ok: true, unread: "is not JSON" });
  });

  it("errorLines: each `error:` line once, without the prefix", () => {
    assert.deepEqual(errorLines("x\n  error: a\nerror: b\n error: a\n"), ["a", "b"]);
  });
});
