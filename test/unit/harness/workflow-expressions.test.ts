// The CI templates' expressions as harness/workflow-runner.ts evaluates them: what the templates
// use evaluates as GitHub and Azure Pipelines define it, and anything else throws, so the harness
// never runs a step on a value it guessed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { RunningEmulator } from "../../../emulator/server";
import { CiWorld } from "../../../harness/workflow-runner";
import {
  evaluateAzureCondition,
  evaluateGitHub,
  githubCondition,
  strict,
  substituteAzureMacros,
  substituteGitHub,
  UnknownExpressionError,
  type GitHubScope,
} from "../../../harness/workflow-expressions";

const scope = (failed = false): GitHubScope => ({
  contexts: {
    github: {
      event_name: "push",
      repository: "contoso/mailboxes",
      event: { pull_request: { number: 7, head: { repo: { full_name: "contoso/mailboxes" } } } },
    },
    vars: strict("vars", { READER_CLIENT_ID: "reader" }),
    steps: strict("steps", { plan: { outputs: { exitcode: "2" }, outcome: "success" } }),
    inputs: {},
    runner: { temp: "/tmp/runner" },
  },
  functions: { always: () => true, success: () => !failed, failure: () => failed, hashFiles: () => "" },
});

describe("GitHub Actions expressions", () => {
  it("the templates' conditions", () => {
    assert.equal(githubCondition("github.event.pull_request.head.repo.full_name == github.repository", scope()), true);
    assert.equal(githubCondition("github.event_name == 'push' || !inputs.unreviewed", scope()), true);
    assert.equal(githubCondition("github.event_name == 'workflow_dispatch' && inputs.unreviewed", scope()), false);
    assert.equal(
      githubCondition("always() && steps.plan.outputs.exitcode != '' && hashFiles('plan.md') != ''", scope()),
      false,
    );
    assert.equal(githubCondition("steps.plan.outcome == 'success'", scope()), true);
    assert.equal(githubCondition("${{ failure() }}", scope(true)), true);
    assert.equal(evaluateGitHub("github.event_name == 'PUSH'", scope()), true, "strings compare case-insensitively");
    assert.equal(
      evaluateGitHub("steps.plan.outputs.exitcode == 2", scope()),
      true,
      "a string and a number compare as numbers",
    );
  });
  it("substitution into text", () => {
    assert.equal(
      substituteGitHub(
        "${{ vars.READER_CLIENT_ID }} in ${{ runner.temp }}/x; #${{ github.event.pull_request.number }}",
        scope(),
      ),
      "reader in /tmp/runner/x; #7",
    );
    assert.equal(
      substituteGitHub("${{ steps.plan.outputs.missing }}", scope()),
      "",
      "a step's missing output is empty, as on GitHub",
    );
  });
  it("throws on what it does not know", () => {
    for (const text of [
      "secrets.NPM_TOKEN",
      "vars.WRITER_CLIENT_ID",
      "steps.other.outputs.x",
      "contains(github.ref, 'main')",
      "github.ref =~ 'x'",
      "matrix.shard",
      "github.event_name == 'push' &&",
      "'unterminated",
    ]) {
      assert.throws(() => evaluateGitHub(text, scope()), UnknownExpressionError, text);
    }
  });
});

describe("Azure Pipelines conditions and macros", () => {
  const variables = new Map([
    ["System.PullRequest.PullRequestId", "42"],
    ["PULUMI_BACKEND_URL", "file:///state"],
  ]);
  it("the templates' condition", () => {
    const condition = "and(succeededOrFailed(), ne(variables['System.PullRequest.PullRequestId'], ''))";
    assert.equal(evaluateAzureCondition(condition, { variables, jobFailed: true }), true);
    assert.equal(
      evaluateAzureCondition(condition, { variables: new Map(), jobFailed: false }),
      false,
      "no pull request: no comment",
    );
    assert.equal(evaluateAzureCondition("succeeded()", { variables, jobFailed: true }), false);
    assert.equal(
      evaluateAzureCondition("eq(variables.PULUMI_BACKEND_URL, 'FILE:///state')", { variables, jobFailed: false }),
      true,
    );
  });
  it("macros: variables replaced; bash's $(command) left alone in scripts; unknown names refused", () => {
    assert.equal(
      substituteAzureMacros("url=$(PULUMI_BACKEND_URL) pr=$(head -n 1 plan.md) $(pwd)", variables, "script"),
      "url=file:///state pr=$(head -n 1 plan.md) $(pwd)",
    );
    assert.throws(() => substituteAzureMacros("$(System.OidcToken)", variables, "script"), UnknownExpressionError);
    assert.throws(() => substituteAzureMacros("$(AZURE_STORAGE_ACCOUNT)", variables, "value"), UnknownExpressionError);
    assert.throws(() => substituteAzureMacros("${{ parameters.stack }}", variables, "script"), UnknownExpressionError);
    assert.throws(
      () => evaluateAzureCondition("in(variables['Build.Reason'], 'Schedule')", { variables, jobFailed: false }),
      UnknownExpressionError,
    );
  });
});

describe("the workflow runner refuses what it does not know", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "mbx-runner-"));
  const emulator = { tenantId: "t", secrets: { clientId: "c" } } as unknown as RunningEmulator;
  const world = new CiWorld(root, emulator, { bin: "/nonexistent", version: "0", env: {} });
  const write = (text: string) => {
    const file = path.join(root, "workflow.yml");
    writeFileSync(file, text);
    return file;
  };
  it("an unknown expression in a workflow's env, before any step runs", async () => {
    const file = write(
      "on: { schedule: [{ cron: '0 0 * * *' }] }\nenv:\n  TOKEN: ${{ secrets.NPM_TOKEN }}\njobs: {}\n",
    );
    await assert.rejects(
      world.runGitHub(file, { name: "schedule", ref: "refs/heads/main", sha: "0".repeat(40) }, {}),
      UnknownExpressionError,
    );
  });
  it("an event the workflow does not run on", async () => {
    const file = write("on: { schedule: [{ cron: '0 0 * * *' }] }\njobs: {}\n");
    await assert.rejects(
      world.runGitHub(file, { name: "push", ref: "refs/heads/main", sha: "0".repeat(40) }, {}),
      /does not run on push/,
    );
  });
  it("a key it does not know", async () => {
    const file = write("on: { push: {} }\ndefaults: { run: { shell: pwsh } }\njobs: {}\n");
    await assert.rejects(
      world.runGitHub(file, { name: "push", ref: "refs/heads/main", sha: "0".repeat(40) }, {}),
      /does not know defaults/,
    );
    rmSync(root, { recursive: true, force: true });
  });
});
