// The CI templates in examples/: valid YAML, triggers as documented, only commands and scripts
// that exist, and the apply workflow authenticates without a stored secret.
import assert from "node:assert/strict";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { buildProgram } from "../../cli/program";

const root = path.resolve(__dirname, "../../..");
const dir = path.join(root, "examples/github");
const COMMANDS = new Set(buildProgram("0", { code: 0 }).commands.map((c) => c.name()));

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, { steps: { run?: string; uses?: string }[] }>;
}

const load = (name: string) => parse(readFileSync(path.join(dir, name), "utf8")) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");

describe("CI templates", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yml")).sort();
  it("there are the four workflows", () => assert.deepEqual(files, ["apply-sharded.yml", "apply.yml", "drift.yml", "pull-request.yml"]));
  for (const file of files) {
    it(`${file}: parses and references only scripts and commands that exist`, () => {
      const workflow = load(file);
      assert.ok(workflow.on && workflow.jobs);
      for (const script of runs(workflow).matchAll(/\bscripts\/([\w.-]+)/g)) {
        assert.doesNotThrow(() => accessSync(path.join(root, "scripts", script[1]!), constants.X_OK), `scripts/${script[1]} is missing or not executable`);
      }
      const used = [...runs(workflow).matchAll(/scripts\/mailbox-addresses (\w+)/g)].map((m) => m[1]!);
      assert.ok(used.length > 0);
      for (const command of used) assert.ok(COMMANDS.has(command), `mailbox-addresses ${command} is not a command (${[...COMMANDS].join(", ")})`);
    });
  }
  it("pull requests: validate, plan as Markdown, and edit the previous comment by its marker", () => {
    const w = load("pull-request.yml");
    assert.ok("pull_request" in w.on);
    assert.match(runs(w), /mailbox-addresses validate/);
    assert.match(runs(w), /mailbox-addresses plan --markdown/);
    assert.match(runs(w), /startswith\(\\"\$marker\\"\)/);
    assert.equal(w.permissions?.["pull-requests"], "write");
  });
  it("apply: on main, workload identity federation, no stored secret", () => {
    const w = load("apply.yml");
    assert.deepEqual((w.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(w.permissions?.["id-token"], "write");
    assert.match(runs(w), /pulumi up --yes/);
    assert.ok(w.env?.AZURE_FEDERATED_TOKEN_FILE);
    assert.doesNotMatch(readFileSync(path.join(dir, "apply.yml"), "utf8"), /secrets\.|CLIENT_SECRET/);
  });
  it("sharded apply: a matrix of stacks on a shared backend, one apply per stack at a time, all shards validated together", () => {
    const w = load("apply-sharded.yml") as Workflow & { jobs: Record<string, { strategy?: { "fail-fast"?: boolean; matrix?: { shard?: string[] } }; concurrency?: string }> };
    const apply = w.jobs.apply!;
    assert.equal(apply.strategy?.["fail-fast"], false);
    assert.ok((apply.strategy?.matrix?.shard ?? []).length > 1);
    assert.match(apply.concurrency ?? "", /\$\{\{ matrix\.shard \}\}/);
    assert.match(runs(w), /pulumi up --yes --refresh --stack prod-\$\{\{ matrix\.shard \}\}/);
    assert.match(runs(w), /mailbox-addresses validate infra\/shards\/\*\.yaml/);
    assert.doesNotMatch(w.env?.PULUMI_BACKEND_URL ?? "", /^file:/);
    assert.doesNotMatch(readFileSync(path.join(dir, "apply-sharded.yml"), "utf8"), /secrets\.|CLIENT_SECRET/);
  });
  it("drift: scheduled, fast path, fails on drift", () => {
    const w = load("drift.yml");
    assert.ok("schedule" in w.on);
    assert.match(runs(w), /mailbox-addresses drift --markdown/);
    assert.match(runs(w), /exit \$code/);
  });
});
