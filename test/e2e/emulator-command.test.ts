// `mailbox-addresses emulator` as a user runs it: the printed settings are for the stack named
// by --stack (default "emulator"), never the current one, and applying them as printed gives a
// stack whose drift report reads the emulator; the port is fixed and documented, a port in use
// is one clear error; fault settings are checked at start and at run time.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EMULATOR_DEFAULT_PORT } from "../../cli/emulator-command";
import { FAULT_SETTING_HELP } from "../../emulator/faults";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";

const CLI = path.join(PROJECT_ROOT, "bin/mailbox-addresses.js");

/** A state folder with the test run's keys (scripts/test prepares them once), so start-up is quick. */
function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-emulator-cmd-"));
  const secrets = process.env.MAILBOX_ADDRESSES_TEST_SECRETS;
  assert.ok(secrets, "run the tests through scripts/test: it prepares the emulator's keys");
  copyFileSync(path.join(secrets, "secrets.json"), path.join(dir, "secrets.json"));
  return dir;
}

describe("the emulator command", () => {
  const dir = stateDir();
  let child: ReturnType<typeof spawn>;
  let printed = "";
  before(async () => {
    child = spawn(process.execPath, [CLI, "emulator", "--port", "0", "--state-dir", dir, "--stack", "rehearsal"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        printed += chunk.toString();
        if (printed.includes("# Request counters")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the emulator exited (${code}):\n${printed}`)));
    });
  });
  after(async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints settings for the --stack it was given, created without being selected", () => {
    assert.match(printed, /^scripts\/pulumi stack init rehearsal --no-select$/m);
    const sets = printed.split("\n").filter((l) => l.startsWith("scripts/pulumi config set"));
    assert.ok(sets.length >= 6);
    for (const line of sets) assert.match(line, /^scripts\/pulumi config set --stack rehearsal \w+ \S+$/);
  });

  it("applied as printed, the settings give a stack whose drift reads the emulator", () => {
    const project = new TestStack("emulator-cmd");
    try {
      const env: NodeJS.ProcessEnv = { ...project.command([]).env };
      for (const match of printed.matchAll(/^export (\w+)=(.*)$/gm)) env[match[1]!] = match[2]!;
      const pulumiLines = printed.split("\n").filter((l) => l.startsWith("scripts/pulumi "));
      for (const line of pulumiLines) {
        const args = line.slice("scripts/pulumi ".length).split(" ");
        const result = spawnSync("pulumi", args, { cwd: project.dir, env, encoding: "utf8" });
        assert.equal(result.status, 0, `${line}\n${result.stdout}${result.stderr}`);
      }
      // The stack that was current stays current.
      const current = spawnSync("pulumi", ["stack", "--show-name"], { cwd: project.dir, env, encoding: "utf8" });
      assert.equal(current.stdout.trim(), project.stack);
      project.writeSpec(readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8"));
      const drift = spawnSync(
        process.execPath,
        [CLI, "drift", "--stack", "rehearsal", "--spec", project.specFile, "--json"],
        { cwd: project.dir, env, encoding: "utf8" },
      );
      assert.equal(drift.status, 2, `${drift.stdout}${drift.stderr}`);
      assert.match(JSON.parse(drift.stdout).target, /^Exchange Online tenant /);
    } finally {
      project.dispose();
    }
  });

  it("refuses bad fault settings at run time with every problem named (HTTP 400), and keeps the old ones", async () => {
    const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(printed)![1]!;
    const headers = { Authorization: `Bearer ${readFileSync(path.join(dir, "control-token"), "utf8").trim()}` };
    const response = await fetch(`${url}/_emulator/faults`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ throtleRate: 0.3, retryAfterSeconds: -1 }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { problems: string[] } };
    assert.deepEqual(body.error.problems.length, 2);
    assert.match(
      body.error.problems.join("\n"),
      /"throtleRate" is not a fault setting \(did you mean "throttleRate"\?\)/,
    );
    assert.deepEqual(await (await fetch(`${url}/_emulator/faults`, { headers })).json(), {});
  });

  it("has a fixed, documented default port", () => {
    assert.equal(EMULATOR_DEFAULT_PORT, 10443);
    const help = spawnSync(process.execPath, [CLI, "emulator", "--help"], { encoding: "utf8" });
    assert.match(
      help.stdout.replace(/\s+/g, " "),
      /--port <port> the port on 127\.0\.0\.1; 0 picks a free one \(default: "10443"\)/,
    );
    assert.match(readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8"), /127\.0\.0\.1:10443/);
    // Every fault setting the parser takes is listed, with what it does.
    for (const [key, text] of Object.entries(FAULT_SETTING_HELP))
      assert.ok(
        help.stdout.replace(/\s+/g, " ").includes(`${key} ${text.replace(/\s+/g, " ")}`),
        `emulator --help lists ${key}`,
      );
  });

  it("a port in use and bad --faults: one message each, exit 1, nothing started", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as AddressInfo).port;
    const other = stateDir();
    try {
      const busy = spawnSync(process.execPath, [CLI, "emulator", "--port", String(port), "--state-dir", other], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(busy.status, 1, busy.stdout + busy.stderr);
      assert.equal(
        busy.stderr,
        `error: port ${port} on 127.0.0.1 is in use (another emulator?): stop what holds it, or pass --port N (--port 0 picks a free one)\n`,
      );
      const faults = spawnSync(
        process.execPath,
        [
          CLI,
          "emulator",
          "--port",
          "0",
          "--state-dir",
          other,
          "--faults",
          '{"retryAfterSeconds":-1,"surfaces":["grahp"]}',
        ],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      assert.equal(faults.status, 1);
      assert.match(
        faults.stderr,
        /^error: --faults: fault settings refused:\n {2}retryAfterSeconds is -1; use seconds, 0 or more \(fractions allowed\)\n {2}surfaces has "grahp" \(did you mean "graph"\?\); use identity, graph, exchange\n$/,
      );
      assert.equal(faults.stdout, "");
    } finally {
      holder.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
