// Stack settings come through Pulumi (Automation API), as `pulumi up` sees them: a tenant id
// stored with `pulumi config set --secret` works in drift and export (and is not printed); an
// imported environment is Pulumi's to resolve, and on this file (DIY) backend Pulumi refuses it,
// which the tool reports in Pulumi's words, exit 1. Progress: a status line every few seconds
// off a terminal, counters redrawn on one (a pseudo-terminal from script(1)), nothing with --quiet.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";

describe("stack settings through Pulumi, and progress, on the emulator", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;
  let tenantId: string;
  before(async () => {
    emulator = await EmulatorProcess.start();
    const { tenantId: id, ...rest } = emulator.stackConfig();
    tenantId = id!;
    // Everything but the tenant id in the stack file; the tenant id as a secret, through pulumi.
    stack = new TestStack("settings", rest, emulator.environment());
    stack.run(["config", "set", "--secret", "mailbox-addresses:tenantId", tenantId], { check: true });
    stack.writeSpec(readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8"));
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("the secret tenant id is encrypted in the stack file, and drift uses it (exit 2: the spec differs), never printing it", () => {
    const file = readFileSync(stack.configFile, "utf8");
    assert.doesNotMatch(file, new RegExp(tenantId));
    assert.match(file, /mailbox-addresses:tenantId:\n\s+secure: /);
    const drift = stack.cli(["drift", "--json"]);
    assert.equal(drift.code, 2, drift.output);
    const report = JSON.parse(drift.stdout) as { target: string; mailboxes: { identity: string; change: string }[] };
    assert.equal(report.target, "Exchange Online tenant [secret]");
    assert.ok(report.mailboxes.some((m) => m.identity === "mark.wilson@contoso.com" && m.change === "drift"));
    assert.doesNotMatch(drift.output, new RegExp(tenantId));
    const exported = stack.cli(["export", "--quiet"]);
    assert.equal(exported.code, 0, exported.output);
    // The schema line names the schema this tool ships, relative to the spec's folder (the stack's project has no schemas/ of its own).
    const schema = /^# yaml-language-server: \$schema=(\S+)\n/.exec(exported.stdout)?.[1];
    assert.ok(
      schema !== undefined &&
        existsSync(path.resolve(path.dirname(stack.specFile), schema)) &&
        schema.endsWith("schemas/mailboxes.schema.json"),
      exported.stdout.slice(0, 200),
    );
  });

  it("off a terminal: a status line every few seconds while reading (MAILBOX_ADDRESSES_STATUS_EVERY), none with --quiet", async () => {
    await emulator.setFaults({ latencyMs: { min: 400, max: 400 } });
    try {
      const slow = stack.cli(["export", "-o", path.join(stack.dir, "adopted.yaml")], {
        MAILBOX_ADDRESSES_STATUS_EVERY: "0.3",
      });
      assert.equal(slow.code, 0, slow.output);
      const lines = slow.stderr.split("\n").filter((l) => l.startsWith("export: "));
      assert.ok(lines.length >= 2, slow.stderr);
      for (const line of lines)
        assert.match(line, /^export: [\d,]+ mailboxes read(, throttled or retrying: \d+ waits? \(\d+ s\))? \[\d+ s\]$/);
      assert.match(lines.at(-1)!, /^export: \d{2,} mailboxes read/);
      assert.doesNotMatch(slow.stderr, /\r|\x1b\[/);
      const schema = /^# yaml-language-server: \$schema=(\S+)\n/.exec(
        readFileSync(path.join(stack.dir, "adopted.yaml"), "utf8"),
      )?.[1];
      assert.ok(schema !== undefined && existsSync(path.resolve(stack.dir, schema)), String(schema));
      const quiet = stack.cli(["drift", "--quiet"], { MAILBOX_ADDRESSES_STATUS_EVERY: "0.3" });
      assert.equal(quiet.code, 2, quiet.output);
      assert.equal(quiet.stderr, "");
    } finally {
      await emulator.setFaults({});
    }
  });

  it("on a terminal: counters redrawn in place, throttled waits counted", async () => {
    // One request a second on each surface: export's second Exchange request is throttled.
    await emulator.setFaults({ tokenBucket: { capacity: 1, refillPerSecond: 1 }, latencyMs: { min: 150, max: 150 } });
    try {
      // script(1) gives the tool a pseudo-terminal; its output is what the terminal received.
      const command = [
        process.execPath,
        path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
        "export",
        "--stack",
        stack.stack,
      ]
        .map((a) => `'${a}'`)
        .join(" ");
      const typescript = path.join(stack.dir, "typescript.txt");
      const { env, cwd } = stack.command([]);
      const result = spawnSync("script", ["-q", "-e", "-c", command, typescript], {
        cwd,
        env,
        encoding: "utf8",
        timeout: 5 * 60 * 1000,
      });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      const screen = readFileSync(typescript, "utf8");
      assert.match(screen, /export: \d+ mailboxes read/);
      assert.doesNotMatch(screen, /export: {2}\[/);
      assert.match(screen, /\r|\x1b\[/);
      assert.match(screen, /throttled or retrying: \d+ waits? \(\d+ s\)/);
    } finally {
      await emulator.setFaults({});
    }
  });

  it("an imported environment: Pulumi resolves it; on a file backend Pulumi refuses, and the tool says so in one message", () => {
    const withEnvironment = new TestStack("settings-env", {}, emulator.environment());
    try {
      withEnvironment.writeSpec(readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8"));
      appendFileSync(withEnvironment.configFile, "environment:\n  - mailbox-addresses/emulator\n");
      // pulumi itself refuses the same stack: the tool adds nothing and hides nothing.
      const pulumi = withEnvironment.run(["config", "--json"]);
      assert.notEqual(pulumi.code, 0);
      assert.match(pulumi.output, /does not support environments/);
      for (const command of ["drift", "export", "plan"]) {
        const result = withEnvironment.cli([command]);
        assert.equal(result.code, 1, result.output);
        assert.match(
          result.stderr,
          new RegExp(
            `^error: cannot read the settings of stack "${withEnvironment.stack}": .*does not support environments; Pulumi ESC environments require the Pulumi Cloud backend`,
          ),
        );
        assert.doesNotMatch(result.output, /^\s+at .+:\d+:\d+\)?$/m);
      }
    } finally {
      withEnvironment.dispose();
    }
  });

  it("plan reads the same secret through the engine (exit 2) and prints the tenant as [secret]", () => {
    const plan = stack.cli(["plan", "--json"]);
    assert.equal(plan.code, 2, plan.output);
    assert.equal((JSON.parse(plan.stdout) as { target: string }).target, "Exchange Online tenant [secret]");
  });

  it("a missing credential on the exchange-online target is one message naming the variables, exit 1", () => {
    const result = stack.cli(["drift"], { AZURE_CLIENT_SECRET: "" });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stderr,
      /^error: .*(AZURE_CLIENT_SECRET|AZURE_CLIENT_CERTIFICATE_PATH|AZURE_FEDERATED_TOKEN_FILE)/,
    );
    assert.doesNotMatch(result.output, /^\s+at .+:\d+:\d+\)?$/m);
    assert.doesNotMatch(result.output, /unexpected error/);
  });

  it("a missing required setting names the key and how to set it", () => {
    const missing = new TestStack("settings-missing", { target: "exchange-online" }, emulator.environment());
    try {
      writeFileSync(missing.specFile, readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml")));
      const result = missing.cli(["drift"]);
      assert.equal(result.code, 1, result.output);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: stack "${missing.stack}" has no setting "tenantId", which target "exchange-online" needs: pulumi config set --stack ${missing.stack} tenantId <value> \\(or pass --tenant-id\\)\\n$`,
        ),
      );
    } finally {
      missing.dispose();
    }
  });
});
