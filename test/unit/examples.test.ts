// The CI templates in examples/: GitHub's workflows pass actionlint (GitHub refuses what it
// refuses), valid YAML, triggers as documented, only commands and scripts that exist, reader and
// writer apps through workload identity federation without a stored secret, the reviewed plan
// carried from the pull request to the apply; the same set for Azure DevOps Pipelines.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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
const runs = (w: Workflow) =>
  Object.values(w.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ""))
    .join("\n");

describe("CI templates", () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort();
  it("there are the four workflows", () => assert.deepEqual(files, ["apply-sharded.yml", "apply.yml", "drift.yml", "pull-request.yml"]));
  it("actionlint passes on every workflow (scripts/test builds it; missing, this fails)", () => {
    const lint = spawnSync("actionlint", ["-no-color", ...files.map((f) => path.join(dir, f))], { encoding: "utf8" });
    assert.ok(lint.error === undefined, `actionlint is not on PATH (run the tests through scripts/test): ${lint.error?.message}`);
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  });
  it("actionlint would catch the mistake the templates once shipped (runner.temp in workflow env)", () => {
    const broken = readFileSync(path.join(dir, "drift.yml"), "utf8").replace("env:\n", "env:\n  TOKEN_FILE: ${{ runner.temp }}/token\n");
    const lint = spawnSync("actionlint", ["-no-color", "-"], { input: broken, encoding: "utf8" });
    assert.equal(lint.status, 1, lint.stdout);
    assert.match(lint.stdout, /context "runner" is not allowed here/);
  });
  it("reader for plans and drift, writer for applies; forks never reach an app", () => {
    for (const file of ["pull-request.yml", "drift.yml"]) assert.equal(load(file).env?.AZURE_CLIENT_ID, "${{ vars.READER_CLIENT_ID }}", file);
    for (const file of ["apply.yml", "apply-sharded.yml"]) assert.equal(load(file).env?.AZURE_CLIENT_ID, "${{ vars.WRITER_CLIENT_ID }}", file);
    const pr = load("pull-request.yml") as Workflow & { jobs: { plan: { if?: string } } };
    assert.equal(pr.jobs.plan.if, "github.event.pull_request.head.repo.full_name == github.repository");
    for (const file of files) {
      assert.match(runs(load(file)), /AZURE_FEDERATED_TOKEN_FILE=\$token_file" >> "\$GITHUB_ENV"/, file);
      assert.ok(load(file).env?.AZURE_STORAGE_ACCOUNT, `${file} passes the state backend's account`);
    }
  });
  it("the reviewed plan goes from the pull request to the apply", () => {
    assert.match(runs(load("pull-request.yml")), /plan --stack "\$PULUMI_STACK" --changed-since "origin\/\$BASE_REF" --markdown --save plan\.json/);
    assert.match(readFileSync(path.join(dir, "pull-request.yml"), "utf8"), /name: reviewed-plan-\$\{\{ github\.event\.pull_request\.head\.sha \}\}/);
    // The apply applies the same change set, held to the reviewed rows.
    assert.match(runs(load("apply.yml")), /mailbox-addresses apply --plan "\$RUNNER_TEMP\/reviewed\/plan\.json"/);
  });
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
    assert.match(runs(w), /mailbox-addresses plan --stack "\$PULUMI_STACK" --changed-since "origin\/\$BASE_REF" --markdown/);
    assert.match(runs(w), /startswith\(\\"\$marker\\"\)/);
    assert.equal(w.permissions?.["pull-requests"], "write");
  });
  it("apply: on main, workload identity federation, no stored secret", () => {
    const w = load("apply.yml");
    assert.deepEqual((w.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(w.permissions?.["id-token"], "write");
    assert.match(runs(w), /pulumi up --yes/);
    assert.doesNotMatch(readFileSync(path.join(dir, "apply.yml"), "utf8"), /secrets\.|CLIENT_SECRET/);
  });
  it("sharded apply: a matrix of stacks on a shared backend, one apply per stack at a time, all shards validated together", () => {
    const w = load("apply-sharded.yml") as Workflow & { jobs: Record<string, { strategy?: { "fail-fast"?: boolean; matrix?: { shard?: string[] } }; concurrency?: string }> };
    const apply = w.jobs.apply!;
    assert.equal(apply.strategy?.["fail-fast"], false);
    assert.ok((apply.strategy?.matrix?.shard ?? []).length > 1);
    assert.match(apply.concurrency ?? "", /\$\{\{ matrix\.shard \}\}/);
    assert.match(runs(w), /pulumi up --yes --stack prod-\$\{\{ matrix\.shard \}\}/);
    assert.match(runs(w), /mailbox-addresses validate infra\/shards\/\*\.yaml/);
    assert.doesNotMatch(w.env?.PULUMI_BACKEND_URL ?? "", /^file:/);
    assert.doesNotMatch(readFileSync(path.join(dir, "apply-sharded.yml"), "utf8"), /secrets\.|CLIENT_SECRET/);
  });
  it("drift: scheduled, fast path, fails on drift", () => {
    const w = load("drift.yml");
    assert.ok("schedule" in w.on);
    assert.match(runs(w), /mailbox-addresses drift --stack "\$PULUMI_STACK" --markdown/);
    assert.match(runs(w), /exit \$code/);
  });
});

describe("CI templates for Azure DevOps Pipelines", () => {
  const devops = path.join(root, "examples/azure-devops");
  interface Pipeline {
    trigger?: unknown;
    pr?: unknown;
    schedules?: unknown[];
    steps?: Step[];
    jobs?: { strategy: { runOnce: { deploy: { steps: Step[] } } } }[];
  }
  interface Step {
    script?: string;
    task?: string;
    inputs?: Record<string, unknown>;
  }
  const pipeline = (name: string) => parse(readFileSync(path.join(devops, name), "utf8")) as Pipeline;
  const steps = (p: Pipeline) => p.steps ?? p.jobs!.flatMap((j) => j.strategy.runOnce.deploy.steps);
  const scripts = (p: Pipeline) =>
    steps(p)
      .map((s) => `${s.script ?? ""}\n${String(s.inputs?.inlineScript ?? "")}`)
      .join("\n");
  it("there are the three pipelines, each valid YAML", () => {
    assert.deepEqual(readdirSync(devops).sort(), ["apply.yml", "drift.yml", "pull-request.yml"]);
  });
  it("pull request: validate, plan with the reader connection, comment by marker, publish the reviewed plan", () => {
    const p = pipeline("pull-request.yml");
    assert.equal(p.trigger, "none");
    assert.match(scripts(p), /mailbox-addresses validate/);
    assert.match(scripts(p), /plan --stack "\$PULUMI_STACK" --changed-since "\$base" --markdown --save plan\.json/);
    assert.equal(steps(p).find((s) => s.task === "AzureCLI@2")?.inputs?.azureSubscription, "mailbox-addresses-reader");
    assert.match(scripts(p), /startswith\(\$m\)/);
    assert.ok(steps(p).some((s) => (s as { artifact?: string }).artifact === "reviewed-plan"));
  });
  it("apply: on main, the writer connection, held to the reviewed plan", () => {
    const p = pipeline("apply.yml");
    assert.equal(p.pr, "none");
    assert.equal(steps(p).find((s) => s.task === "AzureCLI@2")?.inputs?.azureSubscription, "mailbox-addresses-writer");
    assert.match(scripts(p), /mailbox-addresses apply --plan "\$AGENT_TEMPDIRECTORY\/reviewed\/plan\.json"/);
  });
  it("drift: scheduled, the reader connection, fails on drift", () => {
    const p = pipeline("drift.yml");
    assert.ok((p.schedules ?? []).length === 1);
    assert.match(scripts(p), /mailbox-addresses drift --stack "\$PULUMI_STACK" --markdown/);
    assert.match(scripts(p), /exit \$code/);
  });
  for (const file of ["pull-request.yml", "apply.yml", "drift.yml"]) {
    it(`${file}: no stored secret; every script and command it runs exists`, () => {
      const text = readFileSync(path.join(devops, file), "utf8");
      assert.doesNotMatch(text, /CLIENT_SECRET|\$\(\w*[Ss]ecret\w*\)/);
      assert.match(scripts(pipeline(file)), /AZURE_FEDERATED_TOKEN_FILE=/);
      for (const script of scripts(pipeline(file)).matchAll(/\bscripts\/([\w.-]+)/g)) {
        assert.doesNotThrow(() => accessSync(path.join(root, "scripts", script[1]!), constants.X_OK), `scripts/${script[1]} is missing`);
      }
      for (const command of scripts(pipeline(file)).matchAll(/scripts\/mailbox-addresses (\w+)/g)) assert.ok(COMMANDS.has(command[1]!), command[1]);
    });
  }
});
