// The CI templates run as written (harness/workflow-runner.ts), for GitHub Actions and Azure DevOps
// Pipelines, in a repository of one's own made by `mailbox-addresses init` (the package installed
// from `npm pack` of this checkout), against the emulator with workload identity federation (OIDC tokens from the
// CI system's endpoint, exchanged by @azure/identity at the emulator's token endpoint). Each plays
// the loop: a pull request (the plan comment, edited in place on the second push, and the saved
// plan as an artifact), the merge (the apply holding to the saved plan; the tenant afterwards) and
// the scheduled drift run catching a hand edit (exit 2, naming the mailbox).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";
import { PROJECT_ROOT, requirePulumi } from "../../harness/pulumi-stack";
import { packThisCheckout } from "../../harness/user-project";
import {
  CiWorld,
  git,
  runProcess,
  type JobResult,
  type PinnedPulumi,
  type WorkflowRun,
} from "../../harness/workflow-runner";

const LEE = "lee.chen@contoso.com";
const PRIYA = "priya.patel@contoso.com";

const SPEC = `# Mailbox addresses of Contoso: reviewed in pull requests, applied on merge.
version: 1
allowedDomains: [contoso.com, fabrikam.com]
mailboxes:
  ${LEE}:
    primary: ${LEE}
  ${PRIYA}:
    primary: ${PRIYA}
    aliases: [ppatel@contoso.com]
`;

/** The pinned CLI the toolchain put on PATH, which the templates' install steps map to. */
function pinnedPulumi(): PinnedPulumi {
  requirePulumi();
  const found = spawnSync("bash", ["-c", "command -v pulumi"], { encoding: "utf8" });
  const version = /^PULUMI_VERSION=(\S+)$/m.exec(
    readFileSync(path.join(PROJECT_ROOT, "toolchain/versions.env"), "utf8"),
  )![1]!;
  return {
    bin: path.dirname(realpathSync(found.stdout.trim())),
    version,
    env: {
      MAILBOX_ADDRESSES_LANGUAGE_HOST:
        process.env.MAILBOX_ADDRESSES_LANGUAGE_HOST ?? path.join(PROJECT_ROOT, "toolchain/pulumi-language-nodejs.js"),
    },
  };
}

/** Runs a command for the test's own set-up (as the admin at their machine), failing loudly. */
async function sh(cwd: string, command: string, env: Record<string, string> = {}): Promise<string> {
  const result = await runProcess("bash", ["-eo", "pipefail", "-c", command], {
    cwd,
    env: { ...(process.env as Record<string, string>), ...env },
  });
  assert.equal(result.code, 0, `${command}\n${result.output}`);
  return result.output;
}

/** One line per run: each step's seconds, for the test's diagnostics (measured, never asserted). */
function timings(label: string, run: WorkflowRun): string {
  return `${label}: ${run.jobs.flatMap((j) => j.steps.filter((s) => s.outcome !== "skipped").map((s) => `${s.name.slice(0, 24)} ${s.seconds.toFixed(0)} s`)).join("; ")}`;
}

function failureReport(run: WorkflowRun): string {
  return run.jobs.map((j: JobResult) => `=== job ${j.id}: ${j.conclusion}\n${j.log}`).join("\n");
}

/**
 * A repository of one's own, as the README says to make it: `mailbox-addresses init` (the package
 * from the tarball, Pulumi.yaml with refresh: always, the settings of init's stack (dev) for
 * exchange-online at the emulator, both CI folders copied from ci-templates/ and written for that
 * stack), the spec written, `npm install`, `pulumi stack init dev`, the credential forced to
 * workload identity (so only the CI system's OIDC token can sign in), committed and pushed to the
 * world's remote. The workflows run as init wrote them: on the stack init set up.
 */
async function scaffold(world: CiWorld, tarball: string): Promise<string> {
  const repo = path.join(world.root, "admin");
  const pulumi = pinnedPulumi();
  const env = {
    PATH: `${pulumi.bin}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${path.join(world.root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    ...pulumi.env,
  };
  const e = world.emulator;
  await sh(
    world.root,
    `"${process.execPath}" "${path.join(PROJECT_ROOT, "bin/mailbox-addresses.js")}" init admin --package "file:${tarball}" --target exchange-online ` +
      `--tenant-id ${e.tenantId} --client-id ${e.secrets.clientId} --authority-host ${e.url} --graph-url ${e.url} --exchange-url ${e.url}`,
    env,
  );
  for (const folder of [".github/workflows", ".azure-pipelines"]) {
    const files = readdirSync(path.join(repo, folder));
    assert.ok(files.length >= 3, `init copied no workflows into ${folder}`);
    for (const file of files)
      assert.match(
        readFileSync(path.join(repo, folder, file), "utf8"),
        /^\s*PULUMI_STACK: dev$/m,
        `${folder}/${file} names the stack init made`,
      );
  }
  writeFileSync(path.join(repo, "mailboxes.yaml"), SPEC);
  mkdirSync(path.join(world.root, "state"));
  await sh(repo, "npm install --prefer-offline --no-audit --no-fund --loglevel=error", env);
  // "Before the first run" (docs/PERMISSIONS.md): the stack exists, its settings are committed.
  await sh(repo, "pulumi stack init dev --non-interactive", env);
  await sh(repo, "pulumi config set --stack dev mailbox-addresses:credential workload-identity", env);
  await git(repo, ["init", "-q", "-b", "main"]);
  await git(repo, ["add", "-A"]);
  await git(repo, ["commit", "-q", "-m", "Mailbox addresses as code"]);
  await git(repo, ["remote", "add", "origin", world.remote]);
  await git(repo, ["push", "-q", "origin", "main"]);
  return repo;
}

/** The variables both systems' templates read, pointing at this world. */
function variables(world: CiWorld): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${path.join(world.root, "state")}`,
    AZURE_STORAGE_ACCOUNT: "contosostate",
    AZURE_TENANT_ID: world.emulator.tenantId,
    READER_CLIENT_ID: world.emulator.secrets.clientId,
    WRITER_CLIENT_ID: world.emulator.secrets.clientId,
  };
}

/** Commits a spec change on a branch and pushes it; returns the head commit. */
async function pushChange(
  repo: string,
  branch: string,
  edit: (spec: string) => string,
  message: string,
): Promise<string> {
  await git(repo, ["checkout", "-q", "-B", branch]);
  writeFileSync(path.join(repo, "mailboxes.yaml"), edit(readFileSync(path.join(repo, "mailboxes.yaml"), "utf8")));
  await git(repo, ["commit", "-q", "-am", message]);
  await git(repo, ["push", "-q", "-f", "origin", branch]);
  return git(repo, ["rev-parse", "HEAD"]);
}

/** The pull request's test merge (refs/pull/N/merge), as both hosts build it for a pull request's run. */
async function testMerge(world: CiWorld, number: number, branch: string): Promise<string> {
  const dir = mkdtempSync(path.join(world.root, "merge-"));
  await git(dir, ["clone", "-q", world.remote, "."]);
  await git(dir, ["merge", "-q", "--no-ff", `origin/${branch}`, "-m", `Merge ${branch} into main`]);
  await git(dir, ["push", "-q", "origin", `+HEAD:refs/pull/${number}/merge`]);
  return git(dir, ["rev-parse", "HEAD"]);
}

/** Merges the pull request into main with the host's merge message; returns the merge commit. */
async function merge(world: CiWorld, repo: string, branch: string, message: string): Promise<string> {
  await git(repo, ["checkout", "-q", "main"]);
  await git(repo, ["merge", "-q", "--no-ff", branch, "-m", message]);
  await git(repo, ["push", "-q", "origin", "main"]);
  return git(repo, ["rev-parse", "HEAD"]);
}

function addressesOf(emulator: RunningEmulator, identity: string): string[] {
  return emulator.tenant.find(identity)!.addresses.map((a) => a.toLowerCase());
}

describe("the CI templates, run as written against the emulator", { concurrency: false }, () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "mbx-ci-"));
  let tarball = "";
  before(() => void (tarball = packThisCheckout()));
  // rm -rf in a child process: the emulator and the test runner stay responsive while it works.
  after(() => runProcess("rm", ["-rf", root], { cwd: os.tmpdir(), env: process.env as Record<string, string> }));

  /** One CI system's loop in a world of its own (the emulator, the hosts, the remote) with the scaffolded repository; closed afterwards. */
  async function inWorld(
    system: string,
    play: (world: CiWorld, repo: string, emulator: RunningEmulator) => Promise<void>,
  ): Promise<void> {
    const emulator = await startTestEmulator();
    const world = new CiWorld(mkdtempSync(path.join(root, `${system}-`)), emulator, pinnedPulumi());
    await world.start();
    try {
      await play(world, await scaffold(world, tarball), emulator);
    } finally {
      await world.close();
      await emulator.close();
    }
  }

  it("GitHub Actions: pull request plan and comment, apply on merge held to the saved plan, drift on schedule", (t) =>
    inWorld("github", async (world, repo, emulator) => {
      const workflows = path.join(repo, ".github/workflows");
      const vars = variables(world);
      // Someone else's comment is on the pull request already: the plan's must not be confused with it.
      world.githubComments.set(7, [
        { id: 1, body: "Looks good, but check the fabrikam alias", user: { login: "reviewer" } },
      ]);

      // The pull request: lee.chen gets a fabrikam alias.
      const playPullRequest = async (head: string) => {
        const mergeSha = await testMerge(world, 7, "add-alias");
        const run = await world.runGitHub(
          path.join(workflows, "mailbox-addresses-plan.yml"),
          {
            name: "pull_request",
            ref: "refs/pull/7/merge",
            sha: mergeSha,
            pullRequest: { number: 7, headSha: head, headRef: "add-alias", baseRef: "main" },
            changedFiles: ["mailboxes.yaml"],
          },
          vars,
        );
        assert.equal(run.conclusion, "success", failureReport(run));
        t.diagnostic(timings("pull request", run));
        return run;
      };
      const head1 = await pushChange(
        repo,
        "add-alias",
        (s) => s.replace(`    primary: ${LEE}\n`, `    primary: ${LEE}\n    aliases: [lee.chen@fabrikam.com]\n`),
        "Lee gets a fabrikam alias",
      );
      const firstPlan = await playPullRequest(head1);
      const plan = firstPlan.jobs[0]!;
      assert.equal(plan.steps.find((s) => s.name.startsWith("Plan the change set"))!.code, 0, plan.log);
      assert.match(plan.summary, /lee\.chen@fabrikam\.com/);
      const comments = () => world.githubComments.get(7)!;
      assert.equal(comments().length, 2, JSON.stringify(comments()));
      assert.match(comments()[1]!.body, /^<!-- mailbox-addresses:plan:/);
      assert.match(comments()[1]!.body, /lee\.chen@fabrikam\.com/);
      // The token was asked for by the step that used it, not earlier.
      assert.ok(
        world.oidcRequests.some((r) =>
          r.step.endsWith("/plan/Plan the change set (exit 0 no changes, 2 changes, 1 problems)"),
        ),
        JSON.stringify(world.oidcRequests),
      );
      assert.deepEqual(
        addressesOf(emulator, LEE).filter((a) => a.includes("fabrikam")),
        [],
        "a plan writes nothing",
      );

      // A second push to the pull request: the comment is edited in place, still two comments.
      const head2 = await pushChange(
        repo,
        "add-alias",
        (s) => s.replace("aliases: [lee.chen@fabrikam.com]", "aliases: [lee.chen@fabrikam.com, lchen@contoso.com]"),
        "and lchen@",
      );
      await playPullRequest(head2);
      assert.equal(comments().length, 2, JSON.stringify(comments()));
      assert.match(comments()[1]!.body, /lchen@contoso\.com/);
      assert.equal(comments()[0]!.body, "Looks good, but check the fabrikam alias");

      // The merge: the apply finds the pull request's plan run, downloads its plan and applies it.
      const mergeSha = await merge(world, repo, "add-alias", "Merge pull request #7 from contoso/add-alias");
      world.registerMerge(7, head2, mergeSha);
      const apply = await world.runGitHub(
        path.join(workflows, "mailbox-addresses-apply.yml"),
        { name: "push", ref: "refs/heads/main", sha: mergeSha, changedFiles: ["mailboxes.yaml"] },
        vars,
      );
      assert.equal(apply.conclusion, "success", failureReport(apply));
      t.diagnostic(timings("apply", apply));
      assert.ok(
        apply.jobs[0]!.steps.some((s) => s.name.startsWith("Apply the reviewed plan") && s.outcome === "success"),
      );
      assert.ok(
        apply.jobs[0]!.steps.some((s) => s.name.startsWith("Apply without a reviewed plan") && s.outcome === "skipped"),
      );
      assert.deepEqual(
        addressesOf(emulator, LEE)
          .filter((a) => a.startsWith("smtp:"))
          .sort(),
        [
          "smtp:lchen@contoso.com",
          "smtp:lee.chen@contoso.com",
          "smtp:lee.chen@contoso.onmicrosoft.com",
          "smtp:lee.chen@fabrikam.com",
        ],
      );
      assert.ok(addressesOf(emulator, PRIYA).includes("smtp:ppatel@contoso.com"));

      // Drift: an admin adds an alias by hand; the morning's check fails naming the mailbox.
      emulator.tenant.addRemoveEmailAddresses(PRIYA, ["smtp:rogue@contoso.com"], []);
      const drift = await world.runGitHub(
        path.join(workflows, "mailbox-addresses-drift.yml"),
        { name: "schedule", ref: "refs/heads/main", sha: mergeSha },
        vars,
      );
      assert.equal(drift.conclusion, "failure", failureReport(drift));
      t.diagnostic(timings("drift", drift));
      const driftStep = drift.jobs[0]!.steps.at(-1)!;
      assert.equal(driftStep.code, 2, drift.jobs[0]!.log);
      assert.match(drift.jobs[0]!.summary, /priya\.patel@contoso\.com/);
      assert.match(drift.jobs[0]!.summary, /rogue@contoso\.com/);
      assert.doesNotMatch(drift.jobs[0]!.summary, /lee\.chen@contoso\.com/, "only the hand-edited mailbox drifted");
    }));

  it("Azure DevOps Pipelines: pull request plan and thread comment, apply on merge held to the saved plan, drift on schedule", (t) =>
    inWorld("azure", async (world, repo, emulator) => {
      const pipelines = path.join(repo, ".azure-pipelines");
      const PLAN_PIPELINE = 11;
      const vars = { ...variables(world), PR_PIPELINE_ID: String(PLAN_PIPELINE) };
      // Threads the comment step must read past: one without comments, a system one whose first
      // comment has no content (jq's startswith on null once ended the step with exit 5), a reviewer's.
      world.azureThreads.set(42, [
        { id: 1, status: "active", comments: [] },
        { id: 2, comments: [{ id: 1, commentType: "system" }] },
        {
          id: 3,
          status: "active",
          comments: [{ id: 1, content: "Please check the fabrikam alias", commentType: "text" }],
        },
      ]);
      const playPullRequest = async () => {
        await testMerge(world, 42, "add-alias");
        const run = await world.runAzure(
          path.join(pipelines, "mailbox-addresses-plan.yml"),
          PLAN_PIPELINE,
          {
            reason: "PullRequest",
            sourceBranch: "refs/pull/42/merge",
            pullRequestId: 42,
            targetBranch: "main",
            changedFiles: ["mailboxes.yaml"],
          },
          vars,
        );
        assert.equal(run.conclusion, "success", failureReport(run));
        t.diagnostic(timings("pull request", run));
        return run;
      };
      await pushChange(
        repo,
        "add-alias",
        (s) => s.replace(`    primary: ${LEE}\n`, `    primary: ${LEE}\n    aliases: [lee.chen@fabrikam.com]\n`),
        "Lee gets a fabrikam alias",
      );
      const first = await playPullRequest();
      assert.ok(
        first.jobs[0]!.steps.some((s) => s.name.startsWith("Comment") && s.outcome === "success"),
        first.jobs[0]!.log,
      );
      const threads = () => world.azureThreads.get(42)!;
      assert.equal(threads().length, 4, JSON.stringify(threads()));
      assert.match(threads()[3]!.comments![0]!.content!, /^<!-- mailbox-addresses:plan:/);
      assert.match(threads()[3]!.comments![0]!.content!, /lee\.chen@fabrikam\.com/);
      assert.ok(
        world.oidcRequests.some(
          (r) => r.system === "azure" && r.step.endsWith("/plan/Plan (exit 0 no changes, 2 changes, 1 problems)"),
        ),
        JSON.stringify(world.oidcRequests),
      );

      await pushChange(
        repo,
        "add-alias",
        (s) => s.replace("aliases: [lee.chen@fabrikam.com]", "aliases: [lee.chen@fabrikam.com, lchen@contoso.com]"),
        "and lchen@",
      );
      await playPullRequest();
      assert.equal(threads().length, 4, "the plan's thread is edited in place");
      assert.match(threads()[3]!.comments![0]!.content!, /lchen@contoso\.com/);
      assert.equal(threads()[2]!.comments![0]!.content, "Please check the fabrikam alias");
      assert.deepEqual(
        addressesOf(emulator, LEE).filter((a) => a.includes("fabrikam")),
        [],
        "a plan writes nothing",
      );

      // Azure Repos' merge message names the pull request; the apply fetches that pull request's plan.
      await merge(world, repo, "add-alias", "Merged PR 42: Lee gets a fabrikam alias");
      const apply = await world.runAzure(
        path.join(pipelines, "mailbox-addresses-apply.yml"),
        12,
        { reason: "IndividualCI", sourceBranch: "refs/heads/main", changedFiles: ["mailboxes.yaml"] },
        vars,
      );
      assert.equal(apply.conclusion, "success", failureReport(apply));
      t.diagnostic(timings("apply", apply));
      assert.ok(
        apply.jobs[0]!.steps.some((s) => s.name === "Fetch the reviewed plan" && s.outcome === "success"),
        apply.jobs[0]!.log,
      );
      assert.deepEqual(
        addressesOf(emulator, LEE)
          .filter((a) => a.startsWith("smtp:"))
          .sort(),
        [
          "smtp:lchen@contoso.com",
          "smtp:lee.chen@contoso.com",
          "smtp:lee.chen@contoso.onmicrosoft.com",
          "smtp:lee.chen@fabrikam.com",
        ],
      );

      emulator.tenant.addRemoveEmailAddresses(PRIYA, ["smtp:rogue@contoso.com"], []);
      const drift = await world.runAzure(
        path.join(pipelines, "mailbox-addresses-drift.yml"),
        13,
        { reason: "Schedule", sourceBranch: "refs/heads/main" },
        vars,
      );
      assert.equal(drift.conclusion, "failure", failureReport(drift));
      t.diagnostic(timings("drift", drift));
      assert.equal(drift.jobs[0]!.steps.at(-1)!.code, 2, drift.jobs[0]!.log);
      assert.match(drift.jobs[0]!.summary, /priya\.patel@contoso\.com/);
      assert.match(drift.jobs[0]!.summary, /rogue@contoso\.com/);
      assert.doesNotMatch(drift.jobs[0]!.summary, /lee\.chen@contoso\.com/, "only the hand-edited mailbox drifted");
    }));
});
