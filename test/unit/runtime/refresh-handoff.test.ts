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

  it("an adoption's create takes the program's read when it needs no write, once; one that must write reads its mailbox again and writes once; one the program did not find is not found", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-adopt-"));
    const out = await underEngine(`
      (async () => {
        process.env.MAILBOX_ADDRESSES_ROOT = ${JSON.stringify(dir)};
        const h = require("./dist/runtime/refresh-handoff.js");
        const p = require("./dist/providers/mailbox-addresses/implementation.js");
        const { readSettings } = require("./dist/reconcile/settings.js");
        const { desiredAddressMap } = require("./dist/core/plan/address-map.js");
        const { Tenant } = require("./dist/tenant/tenant.js");
        const { loadSeedFile } = require("./dist/tenant/load-seed.js");
        const db = ${JSON.stringify(path.join(dir, "tenant.sqlite"))};
        const config = {
          "mailbox-addresses:spec": ${JSON.stringify(path.join(dir, "mailboxes.yaml"))},
          "mailbox-addresses:target": "local",
          "mailbox-addresses:localDatabase": db,
        };
        const get = (key) => config[key.includes(":") ? key : "mailbox-addresses:" + key];
        Tenant.withFile(db, (t) => t.seed(loadSeedFile()));
        await p.configure({ get });
        const settings = readSettings({ get, require: get });
        const find = (identity) => Tenant.withFile(db, (t) => t.find(identity));
        const read = (r, upn) => ({ id: r.id, upn, displayName: r.displayName, synced: false, cloudManaged: false, addresses: [...r.addresses] });
        const lee = find("lee.chen@contoso.com");
        const priya = find("priya.patel@contoso.com");
        // What this run's program read (an empty state: no refresh read anything).
        h.leaveForProvider(settings.target, settings.spec, new Map([
          ["lee.chen@contoso.com", read(lee, "lee.as-the-program-read-him@contoso.com")],
          ["priya.patel@contoso.com", read(priya, priya.upn)],
          ["ghost@contoso.com", undefined],
        ]));
        // After the program's read, an administrator adds an alias to Priya.
        Tenant.withFile(db, (t) => t.addRemoveEmailAddresses("priya.patel@contoso.com", ["smtp:priya@contoso.com"], []));
        const inputs = (identity, aliases, mode) => ({ identity, addresses: desiredAddressMap({ primary: identity, aliases }), mode });
        const adopted = await p.create(inputs("lee.chen@contoso.com", [], "strict"));
        const again = await p.create(inputs("lee.chen@contoso.com", [], "strict"));
        const before = Tenant.withFile(db, (t) => t.writes(priya.id).length);
        const written = await p.create(inputs("priya.patel@contoso.com", ["ppatel@contoso.com", "priya.patel@fabrikam.com"], "strict"));
        const writes = Tenant.withFile(db, (t) => t.writes(priya.id).length) - before;
        let ghost;
        try { await p.create(inputs("ghost@contoso.com", [], "strict")); } catch (err) { ghost = err.message; }
        console.log(JSON.stringify({
          adopted: [adopted.id, adopted.outs.userPrincipalName, Object.values(adopted.outs.addresses), adopted.outs.applied ?? "the live list"],
          again: again.outs.userPrincipalName ?? "the identity",
          written: [...Object.values(written.outs.addresses), ...Object.values(written.outs.kept)].sort(),
          held: [...find("priya.patel@contoso.com").addresses].sort(),
          writes,
          ghost,
        }));
      })();
    `);
    rmSync(dir, { recursive: true, force: true });
    const result = JSON.parse(out.split("\n").pop()!) as Record<string, unknown>;
    // Nothing to write: the outputs are the program's read (the UPN it read, recorded because it is
    // not the identity, says so), no read of its own; what was applied is the live list (no write).
    assert.deepEqual(result.adopted, [
      "d52bb218-dc83-56f4-a5e0-05b91b58d78b",
      "lee.as-the-program-read-him@contoso.com",
      ["SMTP:lee.chen@contoso.com"],
      "the live list",
    ]);
    // Taken once: a second create of the same mailbox reads it (the tenant's UPN is the identity).
    assert.equal(result.again, "the identity");
    // A write starts from a fresh read: its one delta also removes the alias added after the
    // program's read (strict), which a delta from the program's read would not have known of.
    assert.equal(result.writes, 1, out);
    assert.deepEqual(result.written, result.held);
    assert.deepEqual(
      result.held,
      [
        "SMTP:priya.patel@contoso.com",
        "smtp:ppatel@contoso.com",
        "smtp:priya.patel@contoso.onmicrosoft.com",
        "smtp:priya.patel@fabrikam.com",
      ].sort(),
      out,
    );
    assert.match(
      String(result.ghost),
      /mailbox "ghost@contoso\.com": not found in the local tenant .*what to do: check the identity/s,
    );
  });

  it("the holders a listing showed are taken once by the same run and tenant, and a file not of their shape is not used", async () => {
    const target: TargetSettings = { target: "local", database: "a.sqlite", seed: "s.yaml" };
    const holders = {
      covered: ["jo@contoso.com", "free@contoso.com"],
      users: [
        {
          id: "7",
          displayName: "Jo",
          userPrincipalName: "jo.synced@contoso.com",
          proxyAddresses: ["SMTP:jo@contoso.com"],
          onPremisesSyncEnabled: true,
        },
      ],
      groups: [],
      contacts: [],
    };
    const out = await underEngine(`
      const h = require("./dist/runtime/refresh-handoff.js");
      const { checkListedHolders } = require("./dist/targets/tenant-backend.js");
      const target = ${JSON.stringify(target)};
      h.leaveHoldersForProgram(target, "spec.yaml", ${JSON.stringify(holders)});
      const other = h.takeHolders({ ...target, database: "b.sqlite" }, "spec.yaml", checkListedHolders);
      const taken = h.takeHolders(target, "spec.yaml", checkListedHolders);
      const again = h.takeHolders(target, "spec.yaml", checkListedHolders);
      h.leaveHoldersForProgram(target, "spec.yaml", { covered: ["jo@contoso.com"], users: [{ id: "7" }], groups: [], contacts: [] });
      const misshapen = h.takeHolders(target, "spec.yaml", checkListedHolders);
      console.log(JSON.stringify({ other: other === undefined, taken, again: again === undefined, misshapen: misshapen === undefined }));
    `);
    const result = JSON.parse(out.split("\n").pop()!);
    assert.deepEqual(result, { other: true, taken: holders, again: true, misshapen: true });
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
