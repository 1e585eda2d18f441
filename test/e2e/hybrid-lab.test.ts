// scripts/lab-hybrid (harness/hybrid-lab.ts): one command starts a Samba DC and the emulator wired
// for hybrid and prints the stack settings; a stack given exactly those lines reads both halves.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";

describe("scripts/lab-hybrid", () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-lab-"));
  let stack: TestStack | undefined;
  after(() => {
    stack?.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("starts a DC and the emulator wired for hybrid, prints every setting (AD keys included); a stack with them reads both", async () => {
    stack = new TestStack("hybridlab");
    const lab = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, "dist/harness/hybrid-lab.js"),
        "--port",
        "0",
        "--stack",
        stack.stack,
        "--state-dir",
        stateDir,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) => lab.once("exit", resolve));
    let out = "";
    let err = "";
    try {
      await new Promise<void>((resolve, reject) => {
        lab.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("[lab] ready")) resolve();
        });
        lab.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
        void exited.then((code) => reject(new Error(`the lab exited (${code}):\n${out}\n${err}`)));
      });
      assert.match(err, /first directory sync: 3 synced users matched/);
      const settings = [...out.matchAll(/^scripts\/pulumi config set --stack (\S+)( --secret)? (\S+) (.+)$/gm)];
      const keys = settings.map((m) => m[3]);
      for (const key of [
        "tenantId",
        "clientId",
        "authorityHost",
        "graphBaseUrl",
        "exchangeBaseUrl",
        "target",
        "adUrl",
        "adCaFile",
        "adBaseDn",
        "adBindDn",
        "adBindPassword",
      ])
        assert.ok(keys.includes(key), `${key} printed:\n${out}`);
      assert.ok(settings.every((m) => m[1] === stack!.stack));
      assert.equal(settings.find((m) => m[3] === "adBindPassword")![2], " --secret");
      // Apply the printed lines as a user would (the last `target` wins: hybrid).
      for (const m of settings) {
        const value = m[4]!.startsWith('"') ? (JSON.parse(m[4]!) as string) : m[4]!;
        stack.run(["config", "set", ...(m[2] ? ["--secret"] : []), `mailbox-addresses:${m[3]}`, value], {
          check: true,
        });
      }
      const env = Object.fromEntries(
        [...out.matchAll(/^export (NODE_EXTRA_CA_CERTS|AZURE_CLIENT_SECRET)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
      );
      assert.equal(Object.keys(env).length, 2, out);
      const exported = stack.cli(["export", "-o", stack.specFile], env);
      assert.equal(exported.code, 0, exported.output);
      const spec = readFileSync(stack.specFile, "utf8");
      for (const user of ["ada", "ben", "cy", "dan", "eve"]) assert.match(spec, new RegExp(`${user}@contoso\\.com:`));
      const drift = stack.cli(["drift", "--json", "--quiet"], env);
      assert.equal(drift.code, 0, drift.output);
      const rows = new Map(
        (JSON.parse(drift.stdout) as { mailboxes: { identity: string; writtenTo?: string }[] }).mailboxes.map((r) => [
          r.identity,
          r.writtenTo,
        ]),
      );
      assert.equal(rows.get("ada@contoso.com"), "active-directory");
      assert.equal(rows.get("dan@contoso.com"), "exchange-online");
    } finally {
      lab.kill("SIGINT");
      assert.equal(await exited, 0, `${out}\n${err}`);
    }
  });
});
