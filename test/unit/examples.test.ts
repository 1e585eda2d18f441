// The CI templates in ci-templates/ (what `mailbox-addresses init` copies into a repository of
// one's own) and this repository's release workflow: GitHub's workflows pass actionlint, every
// action is pinned to the commit of the version its comment names, every job has a timeout, Pulumi
// comes from its release (never built on the runner), the OIDC token is fetched in the step that
// uses it, drift runs one at a time, only commands that exist are called (through npx), reader and
// writer apps through workload identity federation without a stored secret, the reviewed plan
// carried from the pull request to the apply; the same set for Azure DevOps Pipelines, whose
// comment step reads past threads without content. test/e2e/ci-workflows.test.ts runs them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { buildProgram } from "../../cli/program";
import { PINNED_ACTIONS } from "../../harness/workflow-runner";

const root = path.resolve(__dirname, "../../..");
const dir = path.join(root, "ci-templates/github");
const sharded = path.join(root, "ci-templates/github-sharded/mailbox-addresses-apply-sharded.yml");
const release = path.join(root, ".github/workflows/release.yml");
const COMMANDS = new Set(buildProgram("0", { code: 0 }).commands.map((c) => c.name()));
const PULUMI_VERSION = /^PULUMI_VERSION=(\S+)$/m.exec(
  readFileSync(path.join(root, "toolchain/versions.env"), "utf8"),
)![1]!;
/** Commands that read the stack's settings or run the engine: they need the Pulumi CLI and a token. */
const TENANT_COMMANDS =
  /npx mailbox-addresses (plan|apply|drift|export|accept|expand)\b|^\s*pulumi (up|preview|refresh)\b/m;

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  env?: Record<string, string>;
  jobs: Record<string, { "timeout-minutes"?: number; steps: Step[]; if?: string }>;
}

const load = (file: string) => parse(readFileSync(file, "utf8")) as Workflow;
const template = (name: string) => load(name === path.basename(sharded) ? sharded : path.join(dir, name));
const runs = (w: Workflow) =>
  Object.values(w.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ""))
    .join("\n");
/** The jq program of a template's line, as written between single quotes after `jq -r --arg m "$marker"`. */
function jqProgram(text: string): string {
  const match = /jq -r --arg m "\$marker" '([^']+)'/.exec(text);
  assert.ok(match, "the comment step's jq filter");
  return match[1]!;
}
function jq(
  program: string,
  input: unknown,
  marker: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("jq", ["-r", "--arg", "m", marker, program], {
    input: JSON.stringify(input),
    encoding: "utf8",
  });
  assert.ok(result.error === undefined, `jq is not on PATH: ${result.error?.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("CI templates for GitHub Actions", () => {
  const copied = readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort();
  const files = [...copied, path.basename(sharded)];
  const pathOf = (file: string) => (file === path.basename(sharded) ? sharded : path.join(dir, file));
  const all = [...files.map(pathOf), release];
  it("init copies the three workflows of one stack, named for a repository that has others; the sharded apply is apart", () =>
    assert.deepEqual(copied, [
      "mailbox-addresses-apply.yml",
      "mailbox-addresses-drift.yml",
      "mailbox-addresses-plan.yml",
    ]));
  it("actionlint passes on every workflow and the release workflow (scripts/test builds it; missing, this fails)", () => {
    const lint = spawnSync("actionlint", ["-no-color", ...all], { encoding: "utf8" });
    assert.ok(
      lint.error === undefined,
      `actionlint is not on PATH (run the tests through scripts/test): ${lint.error?.message}`,
    );
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  });
  it("actionlint would catch the mistake the templates once shipped (runner.temp in workflow env)", () => {
    const broken = readFileSync(path.join(dir, "mailbox-addresses-drift.yml"), "utf8").replace(
      "env:\n",
      "env:\n  TOKEN_FILE: ${{ runner.temp }}/token\n",
    );
    const lint = spawnSync("actionlint", ["-no-color", "-"], { input: broken, encoding: "utf8" });
    assert.equal(lint.status, 1, lint.stdout);
    assert.match(lint.stdout, /context "runner" is not allowed here/);
  });
  for (const file of all) {
    const name = path.relative(root, file);
    it(`${name}: every action pinned to its version's commit (the version in a comment), every job with timeout-minutes`, () => {
      const text = readFileSync(file, "utf8");
      const uses = [...text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)];
      assert.ok(uses.length > 0);
      for (const [line, spec, rest] of uses) {
        const [action, ref] = spec!.split("@");
        const pinned = PINNED_ACTIONS[action!];
        assert.ok(
          pinned,
          `${name}: ${action} is not one of the actions the harness knows (harness/workflow-runner.ts, PINNED_ACTIONS)`,
        );
        assert.equal(ref, pinned.sha, `${name}: ${line!.trim()} is not pinned to ${pinned.sha}`);
        assert.match(
          rest!,
          new RegExp(`^ # ${pinned.version.replace(/\./g, "\\.")}$`),
          `${name}: ${line!.trim()} has no "# ${pinned.version}" comment`,
        );
      }
      for (const [id, job] of Object.entries(load(file).jobs))
        assert.ok(typeof job["timeout-minutes"] === "number", `${name}: job ${id} has no timeout-minutes`);
    });
  }
  for (const file of files) {
    it(`${file}: Pulumi from its release before any command that needs it; the token fetched in the step that uses it; only commands that exist`, () => {
      const workflow = template(file);
      assert.doesNotMatch(
        readFileSync(pathOf(file), "utf8"),
        /scripts\/|\bgo (build|install)\b|build-pulumi/,
        "a repository of one's own has no scripts/ and builds nothing",
      );
      for (const [id, job] of Object.entries(workflow.jobs)) {
        const install = job.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
        job.steps.forEach((step, index) => {
          const run = step.run ?? "";
          const needsTenant = TENANT_COMMANDS.test(run);
          if (needsTenant)
            assert.ok(
              install >= 0 && install < index,
              `${file} job ${id}: "${step.name}" runs before pulumi/actions installs the CLI`,
            );
          // The token lives minutes: fetched (and renewed) in the step that uses it, nowhere else.
          assert.equal(
            /ACTIONS_ID_TOKEN_REQUEST_URL/.test(run),
            needsTenant,
            `${file} job ${id}: "${step.name ?? run.slice(0, 40)}" ${needsTenant ? "does not fetch" : "fetches"} the OIDC token`,
          );
          if (needsTenant) {
            assert.match(run, /fetch_token\n\s*\(while sleep 240; do fetch_token; done\) > \/dev\/null 2>&1 &/);
            assert.match(run, /export AZURE_FEDERATED_TOKEN_FILE="\$token_file"/);
          }
        });
        if (install >= 0)
          assert.equal(
            job.steps[install]!.with?.["pulumi-version"],
            PULUMI_VERSION,
            `${file}: the CLI release is the pinned one (toolchain/versions.env)`,
          );
      }
      const used = [...runs(workflow).matchAll(/npx mailbox-addresses (\w+)/g)].map((m) => m[1]!);
      assert.ok(used.length > 0);
      for (const command of used)
        assert.ok(COMMANDS.has(command), `mailbox-addresses ${command} is not a command (${[...COMMANDS].join(", ")})`);
      assert.match(runs(workflow), /^npm ci$/m, "the repository's packages come from its lock file");
    });
  }
  it("reader for plans and drift, writer for applies; forks never reach an app", () => {
    for (const file of ["mailbox-addresses-plan.yml", "mailbox-addresses-drift.yml"])
      assert.equal(template(file).env?.AZURE_CLIENT_ID, "${{ vars.READER_CLIENT_ID }}", file);
    for (const file of ["mailbox-addresses-apply.yml", "mailbox-addresses-apply-sharded.yml"])
      assert.equal(template(file).env?.AZURE_CLIENT_ID, "${{ vars.WRITER_CLIENT_ID }}", file);
    assert.equal(
      template("mailbox-addresses-plan.yml").jobs.plan!.if,
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    for (const file of files) {
      assert.equal(template(file).permissions?.["id-token"], "write", file);
      assert.ok(template(file).env?.AZURE_STORAGE_ACCOUNT, `${file} passes the state backend's account`);
      assert.doesNotMatch(readFileSync(pathOf(file), "utf8"), /secrets\.|CLIENT_SECRET/, file);
    }
  });
  it("the reviewed plan goes from the pull request to the apply", () => {
    const pr = template("mailbox-addresses-plan.yml");
    assert.match(
      runs(pr),
      /npx mailbox-addresses plan --stack "\$PULUMI_STACK" --changed-since "origin\/\$BASE_REF" --markdown --save plan\.json/,
    );
    assert.deepEqual(pr.jobs.plan!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with, {
      name: "reviewed-plan",
      path: "plan.json",
      "if-no-files-found": "error",
      "retention-days": 30,
    });
    const apply = template("mailbox-addresses-apply.yml");
    assert.match(runs(apply), /actions\/workflows\/mailbox-addresses-plan\.yml\/runs\?head_sha=\$head&status=success/);
    assert.equal(
      apply.jobs.apply!.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))?.with?.name,
      "reviewed-plan",
    );
    assert.match(runs(apply), /npx mailbox-addresses apply --plan "\$RUNNER_TEMP\/reviewed\/plan\.json"/);
    assert.deepEqual((apply.on.push as { branches: string[] }).branches, ["main"]);
    assert.equal(apply.permissions?.actions, "read");
  });
  it("the plan comment: found by its marker, past comments without a body, edited in place", () => {
    const pr = template("mailbox-addresses-plan.yml");
    assert.equal(pr.permissions?.["pull-requests"], "write");
    const program = jqProgram(runs(pr));
    const marker = "<!-- mailbox-addresses:plan:prod -->";
    const comments = [
      { id: 1, body: null },
      { id: 2, body: "LGTM" },
      { id: 3, body: `${marker}\nold plan` },
      { id: 4 },
    ];
    assert.deepEqual(jq(program, comments, marker), { status: 0, stdout: "3\n", stderr: "" });
    assert.deepEqual(jq(program, [{ id: 2, body: "LGTM" }], marker), { status: 0, stdout: "", stderr: "" });
  });
  it("drift: scheduled, one run at a time, fails on drift", () => {
    const w = template("mailbox-addresses-drift.yml");
    assert.ok("schedule" in w.on);
    assert.deepEqual(w.concurrency, { group: "mailbox-addresses-drift-prod", "cancel-in-progress": false });
    assert.match(runs(w), /npx mailbox-addresses drift --stack "\$PULUMI_STACK" --markdown/);
    assert.match(runs(w), /exit \$code/);
  });
  it("sharded apply: a matrix of stacks on a shared backend, one apply per stack at a time, all shards validated together", () => {
    const w = template("mailbox-addresses-apply-sharded.yml") as Workflow & {
      jobs: Record<
        string,
        { strategy?: { "fail-fast"?: boolean; matrix?: { shard?: string[] } }; concurrency?: string }
      >;
    };
    const apply = w.jobs.apply!;
    assert.equal(apply.strategy?.["fail-fast"], false);
    assert.ok((apply.strategy?.matrix?.shard ?? []).length > 1);
    assert.match(apply.concurrency ?? "", /\$\{\{ matrix\.shard \}\}/);
    assert.match(runs(w), /pulumi up --yes --stack "prod-\$SHARD"/);
    assert.match(runs(w), /npx mailbox-addresses validate shards\/\*\.yaml/);
    assert.doesNotMatch(w.env?.PULUMI_BACKEND_URL ?? "", /^file:/);
  });
  it("release: on a version tag, publishes with provenance through the job's OIDC token, after checking the tag", () => {
    const w = load(release);
    assert.deepEqual(w.on, { push: { tags: ["v*.*.*"] } });
    assert.equal(w.permissions?.["id-token"], "write");
    assert.match(runs(w), /^npm publish --provenance --access public$/m);
    assert.match(runs(w), /\[ "\$TAG" = "v\$version" \]/);
    assert.doesNotMatch(
      readFileSync(release, "utf8"),
      /secrets\.|NPM_TOKEN|NODE_AUTH_TOKEN/,
      "trusted publishing: no stored token",
    );
  });
  it("package.json names its GitHub repository: npm checks the provenance statement against it", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      name: string;
      repository?: { type?: string; url?: string };
    };
    assert.equal(pkg.repository?.type, "git");
    assert.match(pkg.repository?.url ?? "", new RegExp(`^git\\+https://github\\.com/[\\w.-]+/${pkg.name}\\.git$`));
  });
});

describe("CI templates for Azure DevOps Pipelines", () => {
  const devops = path.join(root, "ci-templates/azure-devops");
  interface AzureStep {
    script?: string;
    task?: string;
    displayName?: string;
    inputs?: Record<string, unknown>;
    env?: Record<string, string>;
  }
  interface Pipeline {
    trigger?: unknown;
    pr?: unknown;
    schedules?: unknown[];
    lockBehavior?: string;
    jobs: {
      job?: string;
      deployment?: string;
      timeoutInMinutes?: number;
      steps?: AzureStep[];
      strategy?: { runOnce: { deploy: { steps: AzureStep[] } } };
    }[];
  }
  const pipeline = (name: string) => parse(readFileSync(path.join(devops, name), "utf8")) as Pipeline;
  const steps = (p: Pipeline) => p.jobs.flatMap((j) => j.steps ?? j.strategy!.runOnce.deploy.steps);
  const text = (s: AzureStep) => `${s.script ?? ""}\n${String(s.inputs?.inlineScript ?? "")}`;
  const scripts = (p: Pipeline) => steps(p).map(text).join("\n");
  const files = ["mailbox-addresses-apply.yml", "mailbox-addresses-drift.yml", "mailbox-addresses-plan.yml"];
  it("there are the three pipelines", () => assert.deepEqual(readdirSync(devops).sort(), files));
  it("pull request: validate, plan with the reader connection, comment by marker, publish the reviewed plan", () => {
    const p = pipeline("mailbox-addresses-plan.yml");
    assert.equal(p.trigger, "none");
    assert.match(scripts(p), /npx mailbox-addresses validate mailboxes\.yaml/);
    assert.match(
      scripts(p),
      /npx mailbox-addresses plan --stack "\$PULUMI_STACK" --changed-since "\$base" --markdown --save plan\.json/,
    );
    assert.equal(steps(p).find((s) => s.task === "AzureCLI@2")?.inputs?.azureSubscription, "mailbox-addresses-reader");
    assert.ok(steps(p).some((s) => (s as { artifact?: string }).artifact === "reviewed-plan"));
  });
  it("the comment step reads past threads without comments or content (jq's startswith on null exits 5)", () => {
    const program = jqProgram(scripts(pipeline("mailbox-addresses-plan.yml")));
    const marker = "<!-- mailbox-addresses:plan:prod -->";
    const threads = {
      value: [
        { id: 1, comments: [] },
        { id: 2, comments: [{ id: 1, commentType: "system" }] },
        { id: 3 },
        { id: 4, comments: [{ id: 1, content: "Please check" }] },
        { id: 5, comments: [{ id: 7, content: `${marker}\nold plan` }] },
      ],
    };
    assert.deepEqual(jq(program, threads, marker), { status: 0, stdout: "5/comments/7\n", stderr: "" });
    // The filter the templates once shipped, on the same threads: the failure this guards against.
    assert.equal(jq('.value[] | select(.comments[0].content | startswith($m)) | "\\(.id)"', threads, marker).status, 5);
  });
  it("apply: on main, the writer connection, held to the reviewed plan", () => {
    const p = pipeline("mailbox-addresses-apply.yml");
    assert.equal(p.pr, "none");
    assert.equal(steps(p).find((s) => s.task === "AzureCLI@2")?.inputs?.azureSubscription, "mailbox-addresses-writer");
    assert.equal(steps(p).find((s) => s.task === "DownloadPipelineArtifact@2")?.inputs?.artifact, "reviewed-plan");
    assert.match(scripts(p), /npx mailbox-addresses apply --plan "\$AGENT_TEMPDIRECTORY\/reviewed\/plan\.json"/);
  });
  it("drift: scheduled, the reader connection, fails on drift", () => {
    const p = pipeline("mailbox-addresses-drift.yml");
    assert.equal((p.schedules ?? []).length, 1);
    assert.equal(p.lockBehavior, "runLatest");
    assert.match(scripts(p), /npx mailbox-addresses drift --stack "\$PULUMI_STACK" --markdown/);
    assert.match(scripts(p), /exit \$code/);
  });
  for (const file of files) {
    it(`${file}: a timeout per job; Pulumi from its release; the token fetched in the step that uses it; no stored secret; only commands that exist`, () => {
      const source = readFileSync(path.join(devops, file), "utf8");
      assert.doesNotMatch(source, /CLIENT_SECRET|\$\(\w*[Ss]ecret\w*\)|scripts\/|\bgo (build|install)\b/);
      const p = pipeline(file);
      for (const job of p.jobs)
        assert.ok(
          typeof job.timeoutInMinutes === "number",
          `${file}: job ${job.job ?? job.deployment} has no timeoutInMinutes`,
        );
      const all = steps(p);
      const install = all.findIndex((s) =>
        s.script?.startsWith("curl -fsSL https://get.pulumi.com | sh -s -- --version "),
      );
      assert.ok(install >= 0, `${file} installs the Pulumi CLI from its release`);
      assert.match(all[install]!.script!, new RegExp(`--version ${PULUMI_VERSION.replace(/\./g, "\\.")} `));
      all.forEach((step, index) => {
        const needsTenant = TENANT_COMMANDS.test(text(step));
        if (needsTenant) {
          assert.ok(index > install, `${file}: "${step.displayName}" runs before the CLI is installed`);
          assert.equal(step.task, "AzureCLI@2");
          assert.match(
            text(step),
            /fetch_token \|\| exit 1\n\s*\(while sleep 240; do fetch_token; done\) > \/dev\/null 2>&1 &/,
          );
          assert.equal(
            step.env?.SYSTEM_ACCESSTOKEN,
            "$(System.AccessToken)",
            "the OIDC endpoint takes the job's access token",
          );
        }
        assert.equal(/SYSTEM_OIDCREQUESTURI/.test(text(step)), needsTenant, `${file}: "${step.displayName}"`);
      });
      for (const command of scripts(p).matchAll(/npx mailbox-addresses (\w+)/g))
        assert.ok(COMMANDS.has(command[1]!), command[1]);
    });
  }
});
