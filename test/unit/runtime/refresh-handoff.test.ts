// The refresh's sweep hands what it read to the program of the same engine run, once, for exactly
// the same mailboxes and tenant; leftovers of runs whose engine exited are removed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { TargetSettings } from "../../../targets/registry";
import { checkLiveMailbox, type LiveMailbox } from "../../../targets/tenant-backend";
import { takeFromRefresh } from "../../../runtime/refresh-handoff";
import { PROJECT_ROOT } from "../../../harness/pulumi-stack";

// The handoff is keyed by the `pulumi` engine this process runs under: run the code in a child of
// a process named `pulumi` (a shell, through a symbolic link of that name), as the provider and
// the program run under the engine. (Node renames its own process, so it cannot stand in.)
function underEngine(script: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-engine-"));
  const engine = path.join(dir, "pulumi");
  symlinkSync("/bin/sh", engine);
  return new Promise((resolve) => {
    // `; true` keeps the shell alive as the parent instead of exec'ing node in its place.
    const child = spawn(engine, ["-c", `"$0" -e "$1"; true`, process.execPath, script], { cwd: PROJECT_ROOT });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", () => {
      rmSync(dir, { recursive: true, force: true });
      resolve(out.trim());
    });
  });
}

describe("refresh handoff", () => {
  it("is taken once by the same run, for the same mailboxes and tenant only", async () => {
    const target: TargetSettings = { target: "local", database: "a.sqlite", seed: "s.yaml" };
    const mailbox: LiveMailbox = {
      id: "1",
      upn: "a@contoso.com",
      displayName: "A",
      kind: "UserMailbox",
      synced: false,
      cloudManaged: false,
      addresses: ["SMTP:a@contoso.com"],
    };
    const out = await underEngine(`
      const h = require("./dist/runtime/refresh-handoff.js");
      const { checkLiveMailbox } = require("./dist/targets/tenant-backend.js");
      const target = ${JSON.stringify(target)};
      h.leaveForProgram(target, "spec.yaml", ["a@contoso.com"], new Map([["a@contoso.com", ${JSON.stringify(mailbox)}]]));
      const other = h.takeFromRefresh({ ...target, database: "b.sqlite" }, "spec.yaml", ["a@contoso.com"], checkLiveMailbox);
      h.leaveForProgram(target, "spec.yaml", ["a@contoso.com"], new Map([["a@contoso.com", ${JSON.stringify(mailbox)}]]));
      const fewer = h.takeFromRefresh(target, "spec.yaml", [], checkLiveMailbox);
      h.leaveForProgram(target, "spec.yaml", ["a@contoso.com"], new Map([["a@contoso.com", ${JSON.stringify(mailbox)}]]));
      const taken = h.takeFromRefresh(target, "spec.yaml", ["a@contoso.com"], checkLiveMailbox);
      const again = h.takeFromRefresh(target, "spec.yaml", ["a@contoso.com"], checkLiveMailbox);
      console.log(JSON.stringify({ other: other === undefined, fewer: fewer === undefined, taken: taken && [...taken], again: again === undefined }));
    `);
    const result = JSON.parse(out.split("\n").pop()!);
    assert.deepEqual(result, { other: true, fewer: true, taken: [["a@contoso.com", mailbox]], again: true });
  });

  it("outside an engine run nothing is handed off, and leftovers of exited runs are removed", async () => {
    const stale = path.join(os.tmpdir(), "mailbox-addresses-run-999999999-1");
    mkdirSync(stale, { recursive: true });
    const out = await underEngine(`
      const h = require("./dist/runtime/refresh-handoff.js");
      h.leaveForProgram({ target: "local", database: "x", seed: "y" }, "s", [], new Map());
      console.log("done");
    `);
    assert.match(out, /done/);
    assert.ok(
      !readdirSync(os.tmpdir()).includes("mailbox-addresses-run-999999999-1"),
      "a leftover of an exited run stays",
    );
    assert.equal(
      takeFromRefresh({ target: "local", database: "x", seed: "y" }, "s", [], checkLiveMailbox),
      undefined,
      "no engine, no handoff",
    );
  });
});
