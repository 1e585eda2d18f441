// Runs the CI templates (ci-templates/github/, ci-templates/azure-devops/) step by step on this
// machine, against the emulator, as the two CI systems would run them in a repository of one's own:
//   run: / script: steps     as written, with bash (GitHub: -eo pipefail; Azure: plain bash), in a
//                            fresh checkout of the repository per job, with the variables and
//                            files each system gives a step (GITHUB_ENV, GITHUB_OUTPUT, ##vso[…])
//   uses: / task: steps      mapped to local equivalents: checkout → a clone of the repository's
//                            remote; setup-node/NodeTool → the Node on PATH; pulumi/actions and
//                            Pulumi's install script → the pinned CLI the project's toolchain
//                            provides (refused when the template asks for another version);
//                            upload/download-artifact, publish, DownloadPipelineArtifact → a folder;
//                            AzureCLI@2 → its inline script with the service connection's variables
//   the systems' services    one local HTTP server: GitHub's REST API (pull-request comments, the
//                            pull requests of a commit, workflow runs) and OIDC token endpoint,
//                            Azure DevOps' pull-request threads and OIDC endpoint; OIDC tokens are
//                            the emulator's federated tokens (emulator/identity-endpoint.ts), which
//                            its token endpoint takes as client assertions.
// Expressions are evaluated by ./workflow-expressions.ts, which throws on anything it does not
// know; so does this runner for an action, input, key or trigger it does not know. Every `uses:` must
// be pinned to the commit listed in PINNED_ACTIONS.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parse } from "yaml";
import type { RunningEmulator } from "../emulator/server";
import {
  asText,
  evaluateAzureCondition,
  githubCondition,
  strict,
  substituteAzureMacros,
  substituteGitHub,
  UnknownExpressionError,
  type ExpressionValue,
  type GitHubScope,
} from "./workflow-expressions";

/** The actions the templates may use, each at the commit its version tag names (looked up in the actions' repositories). */
export const PINNED_ACTIONS: Readonly<Record<string, { readonly sha: string; readonly version: string }>> = {
  "actions/checkout": { sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", version: "v7.0.1" },
  "actions/setup-node": { sha: "820762786026740c76f36085b0efc47a31fe5020", version: "v7.0.0" },
  "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", version: "v7.0.0" },
  "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", version: "v7.0.0" },
  "actions/download-artifact": { sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", version: "v8.0.1" },
};

/** Pulumi's install script as the Azure templates call it; the harness maps it to the pinned CLI. */
const PULUMI_INSTALL_SCRIPT =
  /^curl -fsSL https:\/\/get\.pulumi\.com \| sh -s -- --version (\S+) && echo "##vso\[task\.prependpath\]\$HOME\/\.pulumi\/bin"$/;

export interface StepResult {
  readonly name: string;
  readonly outcome: "success" | "failure" | "skipped";
  readonly code: number | null;
  readonly output: string;
  /** Wall-clock seconds the step took (for the log; no test asserts on time). */
  readonly seconds: number;
}

export interface JobResult {
  readonly id: string;
  readonly conclusion: "success" | "failure" | "skipped";
  readonly steps: readonly StepResult[];
  /** GITHUB_STEP_SUMMARY, or the files ##vso[task.uploadsummary] attached. */
  readonly summary: string;
  /** Every step's output, for assertion messages. */
  readonly log: string;
}

export interface WorkflowRun {
  readonly id: number;
  readonly conclusion: "success" | "failure";
  readonly jobs: readonly JobResult[];
}

export interface OidcRequest {
  readonly system: "github" | "azure";
  /** The step that was running when the token was asked for. */
  readonly step: string;
  readonly at: number;
}

/** What a harness user needs from the toolchain: the pinned Pulumi CLI's folder and version. */
export interface PinnedPulumi {
  readonly bin: string;
  readonly version: string;
  /** Variables the toolchain's CLI needs (its language host launcher), set by the mapped install step. */
  readonly env: Readonly<Record<string, string>>;
}

interface GitHubComment {
  id: number;
  body: string;
  user: { login: string };
}

interface AzureThread {
  id: number;
  status?: string;
  comments?: { id: number; content?: string; commentType?: string }[];
}

interface TokenGrant {
  readonly system: "github" | "azure";
  readonly permissions: Readonly<Record<string, string>>;
}

/**
 * One hosted repository with its CI system's services: a bare git remote, an artifact folder,
 * the fake REST APIs and OIDC endpoints, and the runs played so far.
 */
export class CiWorld {
  readonly remote: string;
  readonly artifacts: string;
  readonly repository = "contoso/mailboxes";
  readonly githubComments = new Map<number, GitHubComment[]>();
  readonly azureThreads = new Map<number, AzureThread[]>();
  readonly oidcRequests: OidcRequest[] = [];
  readonly #pullsOfCommit = new Map<string, { number: number; head: { sha: string } }[]>();
  readonly #githubRuns: { id: number; workflow: string; headSha: string; conclusion: string }[] = [];
  readonly #azureRuns: { pipeline: number; id: number; branch: string; result: string }[] = [];
  readonly #tokens = new Map<string, TokenGrant>();
  /** Azure service connections by name: the app each stands for. */
  readonly serviceConnections: ReadonlyMap<string, { id: string; clientId: string; tenantId: string }>;
  #server: http.Server | undefined;
  #url = "";
  #currentStep = "";
  #nextId = 1000;
  /** Finished jobs' folders being removed in the background (each holds an npm install). */
  readonly #removals: Promise<unknown>[] = [];

  constructor(
    readonly root: string,
    readonly emulator: RunningEmulator,
    readonly pulumi: PinnedPulumi,
  ) {
    this.remote = path.join(root, "remote.git");
    this.artifacts = path.join(root, "artifacts");
    mkdirSync(this.artifacts, { recursive: true });
    const app = { clientId: emulator.secrets.clientId, tenantId: emulator.tenantId };
    this.serviceConnections = new Map([
      ["mailbox-addresses-reader", { id: randomUUID(), ...app }],
      ["mailbox-addresses-writer", { id: randomUUID(), ...app }],
    ]);
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    await git(this.root, ["init", "-q", "--bare", "-b", "main", this.remote]);
    this.#server = http.createServer((req, res) => {
      this.#serve(req, res).catch((err: Error) => send(res, 500, { message: err.message }));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    await Promise.all(this.#removals);
  }

  /** Removes a finished job's folder while the next job runs, as a hosted runner is discarded. */
  #discard(folder: string): void {
    this.#removals.push(
      runProcess("rm", ["-rf", folder], { cwd: this.root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }),
    );
  }

  /** GitHub: a pull request's merge commit is associated with it (the apply looks it up). */
  registerMerge(number: number, headSha: string, mergeSha: string): void {
    this.#pullsOfCommit.set(mergeSha, [{ number, head: { sha: headSha } }]);
  }

  // ---- the services ----

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.#url);
    const body = await readBody(req);
    const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const grant = bearer === undefined ? undefined : this.#tokens.get(bearer);
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "github" && parts[1] === "oidc") {
      if (grant?.system !== "github") return send(res, 401, { message: "bad ACTIONS_ID_TOKEN_REQUEST_TOKEN" });
      if (url.searchParams.get("audience") !== "api://AzureADTokenExchange")
        return send(res, 400, { message: "audience must be api://AzureADTokenExchange" });
      this.oidcRequests.push({ system: "github", step: this.#currentStep, at: Date.now() });
      return send(res, 200, { value: await this.#federatedToken() });
    }
    if (parts[0] === "github" && parts[1] === "api")
      return this.#githubApi(req.method ?? "GET", parts.slice(2), url, body, grant, res);
    if (parts[0] === "azure") return this.#azureApi(req.method ?? "GET", parts.slice(1), url, body, grant, res);
    send(res, 404, { message: `no such endpoint: ${req.method} ${url.pathname}` });
  }

  #githubApi(
    method: string,
    parts: string[],
    url: URL,
    body: string,
    grant: TokenGrant | undefined,
    res: http.ServerResponse,
  ): void {
    if (grant?.system !== "github") return send(res, 401, { message: "Bad credentials" });
    const need = (scope: string, level: "read" | "write") => {
      const has = grant.permissions[scope];
      if (has === "write" || (level === "read" && has === "read")) return true;
      send(res, 403, { message: `Resource not accessible by integration (needs ${scope}: ${level})` });
      return false;
    };
    const route = `${method} ${parts.join("/")}`;
    if (parts[0] !== "repos" || `${parts[1]}/${parts[2]}` !== this.repository)
      return send(res, 404, { message: "Not Found" });
    let match: RegExpExecArray | null;
    if ((match = /^GET repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(route))) {
      if (!need("pull-requests", "read")) return;
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const page = Number(url.searchParams.get("page") ?? 1);
      return send(
        res,
        200,
        (this.githubComments.get(Number(match[1])) ?? []).slice((page - 1) * perPage, page * perPage),
      );
    }
    if ((match = /^POST repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(route))) {
      if (!need("pull-requests", "write")) return;
      const comment = {
        id: this.#nextId++,
        body: (JSON.parse(body) as { body: string }).body,
        user: { login: "github-actions[bot]" },
      };
      const list = this.githubComments.get(Number(match[1])) ?? [];
      list.push(comment);
      this.githubComments.set(Number(match[1]), list);
      return send(res, 201, comment);
    }
    if ((match = /^PATCH repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(route))) {
      if (!need("pull-requests", "write")) return;
      const comment = [...this.githubComments.values()].flat().find((c) => c.id === Number(match![1]));
      if (comment === undefined) return send(res, 404, { message: "Not Found" });
      comment.body = (JSON.parse(body) as { body: string }).body;
      return send(res, 200, comment);
    }
    if ((match = /^GET repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]{40})\/pulls$/.exec(route))) {
      if (!need("pull-requests", "read")) return;
      return send(res, 200, this.#pullsOfCommit.get(match[1]!) ?? []);
    }
    if ((match = /^GET repos\/[^/]+\/[^/]+\/actions\/workflows\/([^/]+)\/runs$/.exec(route))) {
      if (!need("actions", "read")) return;
      const runs = this.#githubRuns
        .filter(
          (r) =>
            r.workflow === match![1] &&
            (!url.searchParams.get("head_sha") || r.headSha === url.searchParams.get("head_sha")),
        )
        .filter((r) => !url.searchParams.get("status") || r.conclusion === url.searchParams.get("status"))
        .reverse()
        .map((r) => ({ id: r.id, head_sha: r.headSha, conclusion: r.conclusion }));
      return send(res, 200, { total_count: runs.length, workflow_runs: runs });
    }
    send(res, 404, { message: `the harness does not serve ${route}` });
  }

  #azureApi(
    method: string,
    parts: string[],
    url: URL,
    body: string,
    grant: TokenGrant | undefined,
    res: http.ServerResponse,
  ): void {
    if (grant?.system !== "azure")
      return send(res, 401, { message: "TF400813: The user is not authorized to access this resource." });
    const route = `${method} ${parts.join("/")}`;
    let match: RegExpExecArray | null;
    if (
      (match =
        /^POST contoso\/mailboxes\/_apis\/distributedtask\/hubs\/build\/plans\/[^/]+\/jobs\/[^/]+\/oidctoken$/.exec(
          route,
        ))
    ) {
      const id = url.searchParams.get("serviceConnectionId");
      if (![...this.serviceConnections.values()].some((c) => c.id === id))
        return send(res, 400, { message: `unknown serviceConnectionId ${String(id)}` });
      this.oidcRequests.push({ system: "azure", step: this.#currentStep, at: Date.now() });
      void this.#federatedToken().then((token) => send(res, 200, { oidcToken: token }));
      return;
    }
    const threads =
      /^(GET|POST) contoso\/mailboxes\/_apis\/git\/repositories\/[^/]+\/pullRequests\/(\d+)\/threads$/.exec(route);
    if (threads) {
      const list = this.azureThreads.get(Number(threads[2])) ?? [];
      this.azureThreads.set(Number(threads[2]), list);
      if (threads[1] === "GET") return send(res, 200, { count: list.length, value: list });
      const thread = JSON.parse(body) as AzureThread;
      const created: AzureThread = {
        id: this.#nextId++,
        status: thread.status,
        comments: (thread.comments ?? []).map((c, i) => ({ ...c, id: i + 1 })),
      };
      list.push(created);
      return send(res, 200, created);
    }
    if (
      (match =
        /^PATCH contoso\/mailboxes\/_apis\/git\/repositories\/[^/]+\/pullRequests\/(\d+)\/threads\/(\d+)\/comments\/(\d+)$/.exec(
          route,
        ))
    ) {
      const comment = (this.azureThreads.get(Number(match[1])) ?? [])
        .find((t) => t.id === Number(match![2]))
        ?.comments?.find((c) => c.id === Number(match![3]));
      if (comment === undefined) return send(res, 404, { message: "comment not found" });
      comment.content = (JSON.parse(body) as { content: string }).content;
      return send(res, 200, comment);
    }
    send(res, 404, { message: `the harness does not serve ${route}` });
  }

  /** A fresh federated token from the emulator (its control plane), as the CI system's OIDC provider would issue. */
  #federatedToken(): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.emulator.url}/_emulator/federated-token`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${this.emulator.controlToken}` },
          ca: readFileSync(this.emulator.secrets.serverCertPath),
        },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () =>
            res.statusCode === 200
              ? resolve((JSON.parse(text) as { token: string }).token)
              : reject(new Error(`federated token: ${res.statusCode} ${text}`)),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  #grant(system: "github" | "azure", permissions: Record<string, string>): string {
    const token = randomBytes(16).toString("hex");
    this.#tokens.set(token, { system, permissions });
    return token;
  }

  // ---- shared by both systems ----

  /** A job's fresh folders: the workspace (checkout target) and the runner's temp. */
  #jobFolders(label: string): { workspace: string; temp: string } {
    const dir = mkdtempSync(path.join(this.root, `${label}-`));
    const workspace = path.join(dir, "workspace");
    const temp = path.join(dir, "temp");
    mkdirSync(workspace);
    mkdirSync(temp);
    return { workspace, temp };
  }

  /** Clones the remote at a ref into the workspace, as actions/checkout and `checkout: self` do. */
  async #checkout(workspace: string, ref: string, fullHistory: boolean): Promise<string> {
    await git(workspace, ["init", "-q"]);
    await git(workspace, ["remote", "add", "origin", `file://${this.remote}`]);
    if (fullHistory)
      await git(workspace, [
        "fetch",
        "-q",
        "origin",
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
      ]);
    await git(workspace, ["fetch", "-q", ...(fullHistory ? [] : ["--depth=1"]), "origin", ref]);
    await git(workspace, ["checkout", "-q", "--detach", "FETCH_HEAD"]);
    return `checked out ${ref} (${fullHistory ? "full history" : "depth 1"})`;
  }

  /** The runner's environment: this machine's tools, without the pinned Pulumi (the install step adds it). */
  #runnerEnv(): Record<string, string> {
    const pathDirs = (process.env.PATH ?? "")
      .split(":")
      .filter((dir) => dir && path.resolve(dir) !== path.resolve(this.pulumi.bin));
    // The Node that runs this test first: setup-node/NodeTool map to it.
    pathDirs.unshift(path.dirname(process.execPath));
    const env: Record<string, string> = {
      PATH: pathDirs.join(":"),
      HOME: process.env.HOME ?? this.root,
      LANG: "C.UTF-8",
      CI: "true",
      // No network here but the registries: no update checks, no plugin downloads, the npm cache first.
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    // The runner trusts the emulator's certificate as a hosted runner trusts Microsoft's.
    if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    if (process.env.MAILBOX_ADDRESSES_CACHE) env.MAILBOX_ADDRESSES_CACHE = process.env.MAILBOX_ADDRESSES_CACHE;
    return env;
  }

  #checkPulumiVersion(asked: string): void {
    if (asked !== this.pulumi.version) {
      throw new Error(
        `the template installs Pulumi ${asked}, but the pinned CLI is ${this.pulumi.version} (toolchain/versions.env): keep them one release`,
      );
    }
  }

  // ---- GitHub Actions ----

  /** Runs a GitHub Actions workflow file for an event; jobs in `needs` order. */
  async runGitHub(file: string, event: GitHubEvent, vars: Record<string, string>): Promise<WorkflowRun> {
    const workflow = parse(readFileSync(file, "utf8")) as GitHubWorkflow;
    const workflowFile = path.basename(file);
    knownKeys(workflow, ["name", "on", "permissions", "concurrency", "env", "jobs"], workflowFile);
    this.#checkTrigger(workflow, event, workflowFile);
    const runId = this.#nextId++;
    const permissions = workflow.permissions ?? {};
    const token = this.#grant("github", permissions);
    const github = {
      event_name: event.name,
      repository: this.repository,
      sha: event.sha,
      ref: event.ref,
      run_id: String(runId),
      token,
      base_ref: event.pullRequest?.baseRef ?? "",
      head_ref: event.pullRequest?.headRef ?? "",
      event:
        event.pullRequest === undefined
          ? {}
          : {
              pull_request: {
                number: event.pullRequest.number,
                head: {
                  sha: event.pullRequest.headSha,
                  ref: event.pullRequest.headRef,
                  repo: { full_name: this.repository },
                },
                base: { ref: event.pullRequest.baseRef },
              },
            },
    };
    const contexts = { github, vars: strict("vars", { ...vars }), inputs: event.inputs ?? {} };
    const workflowEnv = this.#githubEnvBlock(workflow.env, { contexts, functions: {} });
    const results: JobResult[] = [];
    const done = new Map<string, JobResult>();
    const pending = Object.entries(workflow.jobs);
    while (pending.length > 0) {
      const index = pending.findIndex(([, job]) => [job.needs ?? []].flat().every((n) => done.has(n)));
      assert.ok(index >= 0, `${workflowFile}: jobs with unmet needs`);
      const [id, job] = pending.splice(index, 1)[0]!;
      const blocked = [job.needs ?? []].flat().some((n) => done.get(n)!.conclusion !== "success");
      const result = blocked
        ? skippedJob(id)
        : await this.#runGitHubJob(workflowFile, id, job, { runId, token, permissions, contexts, workflowEnv, event });
      done.set(id, result);
      results.push(result);
    }
    const conclusion = results.every((j) => j.conclusion !== "failure") ? "success" : "failure";
    this.#githubRuns.push({
      id: runId,
      workflow: workflowFile,
      headSha: event.pullRequest?.headSha ?? event.sha,
      conclusion,
    });
    return { id: runId, conclusion, jobs: results };
  }

  #checkTrigger(workflow: GitHubWorkflow, event: GitHubEvent, file: string): void {
    const on = workflow.on as Record<string, { branches?: string[]; paths?: string[] } | null>;
    assert.ok(event.name in on, `${file} does not run on ${event.name} (on: ${Object.keys(on).join(", ")})`);
    const filter = on[event.name];
    const branch = event.name === "pull_request" ? event.pullRequest!.baseRef : event.ref.replace(/^refs\/heads\//, "");
    if (filter?.branches)
      assert.ok(filter.branches.includes(branch), `${file} does not run on ${event.name} for branch ${branch}`);
    if (filter?.paths && event.changedFiles) {
      const patterns = filter.paths.map(globToRegExp);
      assert.ok(
        event.changedFiles.some((f) => patterns.some((p) => p.test(f))),
        `${file}: none of the changed files (${event.changedFiles.join(", ")}) matches paths ${filter.paths.join(", ")}: it would not run`,
      );
    }
  }

  #githubEnvBlock(env: Record<string, unknown> | undefined, scope: GitHubScope): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) out[key] = substituteGitHub(String(value), scope);
    return out;
  }

  async #runGitHubJob(
    workflowFile: string,
    id: string,
    job: GitHubJob,
    run: {
      runId: number;
      token: string;
      permissions: Record<string, string>;
      contexts: Record<string, unknown>;
      workflowEnv: Record<string, string>;
      event: GitHubEvent;
    },
  ): Promise<JobResult> {
    knownKeys(
      job,
      [
        "if",
        "runs-on",
        "timeout-minutes",
        "environment",
        "needs",
        "steps",
        "env",
        "permissions",
        "concurrency",
        "strategy",
      ],
      `${workflowFile} job ${id}`,
    );
    assert.ok(typeof job["timeout-minutes"] === "number", `${workflowFile} job ${id} has no timeout-minutes`);
    if (job.strategy !== undefined)
      throw new Error(`${workflowFile} job ${id}: matrix jobs are not run by the harness`);
    const { workspace, temp } = this.#jobFolders(`gh-${path.basename(workflowFile, ".yml")}-${id}`);
    const deadline = Date.now() + job["timeout-minutes"] * 60_000;
    const stepsContext: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {};
    let failed = false;
    const functions = (hashBase: string) => ({
      always: () => true,
      success: () => !failed,
      failure: () => failed,
      cancelled: () => false,
      hashFiles: (...patterns: ExpressionValue[]) => hashFiles(hashBase, patterns.map(asText)),
    });
    const scope = (): GitHubScope => ({
      contexts: {
        ...run.contexts,
        steps: strict("steps", stepsContext),
        runner: { temp, os: "Linux" },
        env: { ...run.workflowEnv, ...jobEnv, ...addedEnv },
      },
      functions: functions(workspace),
    });
    const jobEnv: Record<string, string> = {};
    const addedEnv: Record<string, string> = {};
    const addedPath: string[] = [];
    if (job.if !== undefined && !githubCondition(String(job.if), scope())) return skippedJob(id);
    Object.assign(jobEnv, this.#githubEnvBlock(job.env, scope()));
    const idToken = run.permissions["id-token"] === "write";
    const base: Record<string, string> = {
      ...this.#runnerEnv(),
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: temp,
      GITHUB_REPOSITORY: this.repository,
      GITHUB_SHA: run.event.sha,
      GITHUB_REF: run.event.ref,
      GITHUB_EVENT_NAME: run.event.name,
      GITHUB_BASE_REF: run.event.pullRequest?.baseRef ?? "",
      GITHUB_HEAD_REF: run.event.pullRequest?.headRef ?? "",
      GITHUB_RUN_ID: String(run.runId),
      GITHUB_API_URL: `${this.#url}/github/api`,
      // Only a job allowed id-token: write gets the OIDC request variables, as on GitHub.
      ...(idToken
        ? {
            ACTIONS_ID_TOKEN_REQUEST_URL: `${this.#url}/github/oidc/${run.runId}?api-version=2.0`,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: run.token,
          }
        : {}),
    };
    const steps: StepResult[] = [];
    let summary = "";
    for (const [index, step] of job.steps.entries()) {
      knownKeys(
        step,
        ["name", "id", "if", "run", "uses", "with", "env", "shell", "working-directory"],
        `${workflowFile} job ${id} step ${index + 1}`,
      );
      const name = step.name ?? step.run?.split("\n")[0] ?? step.uses ?? `step ${index + 1}`;
      this.#currentStep = `${workflowFile}/${id}/${name}`;
      const condition = step.if === undefined ? "success()" : String(step.if);
      const mentionsStatus = /\b(always|success|failure|cancelled)\(\)/.test(condition);
      const runs = mentionsStatus
        ? githubCondition(condition, scope())
        : !failed && githubCondition(condition, scope());
      if (!runs) {
        steps.push({ name, outcome: "skipped", code: null, output: "", seconds: 0 });
        if (step.id) stepsContext[step.id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        continue;
      }
      const started = Date.now();
      const stepEnv = this.#githubEnvBlock(step.env, scope());
      const env = {
        ...base,
        ...run.workflowEnv,
        ...jobEnv,
        ...addedEnv,
        ...stepEnv,
        PATH: [...addedPath, base.PATH].join(":"),
      };
      let result: { code: number | null; output: string };
      const outputs: Record<string, string> = {};
      if (step.run !== undefined) {
        const files = {
          GITHUB_ENV: "env",
          GITHUB_OUTPUT: "output",
          GITHUB_PATH: "path",
          GITHUB_STEP_SUMMARY: "summary",
        } as const;
        const stepFiles: Record<string, string> = {};
        for (const [variable, suffix] of Object.entries(files)) {
          stepFiles[variable] = path.join(temp, `_step${index}_${suffix}`);
          writeFileSync(stepFiles[variable], "");
        }
        const script = path.join(temp, `_step${index}.sh`);
        writeFileSync(script, substituteGitHub(step.run, scope()));
        const cwd = step["working-directory"] ? path.join(workspace, step["working-directory"]) : workspace;
        if (step.shell !== undefined && step.shell !== "bash")
          throw new Error(`${workflowFile}: shell ${step.shell} is not run by the harness`);
        result = await runProcess("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
          cwd,
          env: { ...env, ...stepFiles },
          deadline,
        });
        Object.assign(addedEnv, readFileCommand(stepFiles.GITHUB_ENV!));
        Object.assign(outputs, readFileCommand(stepFiles.GITHUB_OUTPUT!));
        addedPath.unshift(...readFileSync(stepFiles.GITHUB_PATH!, "utf8").split("\n").filter(Boolean).reverse());
        summary += readFileSync(stepFiles.GITHUB_STEP_SUMMARY!, "utf8");
      } else if (step.uses !== undefined) {
        const inputs = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, substituteGitHub(String(v), scope())]),
        );
        result = await this.#githubAction(step.uses, inputs, {
          workspace,
          runId: run.runId,
          token: run.token,
          permissions: run.permissions,
          event: run.event,
          addedPath,
          addedEnv,
        });
      } else throw new Error(`${workflowFile} job ${id} step ${index + 1} has neither run nor uses`);
      const outcome = result.code === 0 ? "success" : "failure";
      if (outcome === "failure") failed = true;
      steps.push({ name, outcome, code: result.code, output: result.output, seconds: (Date.now() - started) / 1000 });
      if (step.id) stepsContext[step.id] = { outputs, outcome, conclusion: outcome };
    }
    this.#currentStep = "";
    this.#discard(path.dirname(workspace));
    return { id, conclusion: failed ? "failure" : "success", steps, summary, log: formatLog(steps) };
  }

  async #githubAction(
    uses: string,
    inputs: Record<string, string>,
    job: {
      workspace: string;
      runId: number;
      token: string;
      permissions: Record<string, string>;
      event: GitHubEvent;
      addedPath: string[];
      addedEnv: Record<string, string>;
    },
  ): Promise<{ code: number; output: string }> {
    const [action, ref] = uses.split("@") as [string, string | undefined];
    const pinned = PINNED_ACTIONS[action];
    if (pinned === undefined) throw new Error(`the harness has no local equivalent of ${action}`);
    assert.equal(ref, pinned.sha, `${action} must be pinned to ${pinned.sha} (${pinned.version}), not ${String(ref)}`);
    const allow = (...names: string[]) => {
      const unknown = Object.keys(inputs).filter((k) => !names.includes(k));
      if (unknown.length > 0) throw new Error(`${action}: the harness does not know the inputs ${unknown.join(", ")}`);
    };
    switch (action) {
      case "actions/checkout": {
        allow("fetch-depth");
        const depth = Number(inputs["fetch-depth"] ?? 1);
        return { code: 0, output: await this.#checkout(job.workspace, job.event.ref, depth === 0) };
      }
      case "actions/setup-node": {
        allow("node-version", "cache");
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(
          major >= Number(inputs["node-version"]),
          `setup-node asks for Node ${inputs["node-version"]}; the Node on PATH is ${process.versions.node}`,
        );
        return { code: 0, output: `node ${process.versions.node} (the Node on PATH)` };
      }
      case "pulumi/actions": {
        allow("pulumi-version");
        this.#checkPulumiVersion(inputs["pulumi-version"] ?? "");
        job.addedPath.unshift(this.pulumi.bin);
        Object.assign(job.addedEnv, this.pulumi.env);
        return { code: 0, output: `pulumi ${this.pulumi.version} (the pinned CLI) on PATH` };
      }
      case "actions/upload-artifact": {
        allow("name", "path", "if-no-files-found", "retention-days");
        const source = path.resolve(job.workspace, inputs.path ?? "");
        if (!existsSync(source)) {
          const warn = inputs["if-no-files-found"] ?? "warn";
          return warn === "error"
            ? { code: 1, output: `No files were found with the provided path: ${inputs.path}` }
            : { code: 0, output: "no files: nothing uploaded" };
        }
        const target = path.join(this.artifacts, "github", String(job.runId), inputs.name ?? "artifact");
        mkdirSync(target, { recursive: true });
        cpSync(source, statSync(source).isDirectory() ? target : path.join(target, path.basename(source)), {
          recursive: true,
        });
        return { code: 0, output: `uploaded ${inputs.path} as ${inputs.name}` };
      }
      case "actions/download-artifact": {
        allow("name", "path", "run-id", "github-token");
        let runId = job.runId;
        if (inputs["github-token"]) {
          assert.equal(inputs["github-token"], job.token, "download-artifact: github-token is not this job's token");
          if (!["read", "write"].includes(job.permissions.actions ?? ""))
            return { code: 1, output: "Resource not accessible by integration (needs actions: read)" };
          runId = Number(inputs["run-id"]);
        }
        const source = path.join(this.artifacts, "github", String(runId), inputs.name ?? "");
        if (!existsSync(source))
          return { code: 1, output: `Artifact not found for name: ${inputs.name} (run ${runId})` };
        const target = path.resolve(job.workspace, inputs.path ?? ".");
        mkdirSync(target, { recursive: true });
        cpSync(source, target, { recursive: true });
        return { code: 0, output: `downloaded ${inputs.name} of run ${runId}` };
      }
      default:
        throw new Error(`the harness has no local equivalent of ${action}`);
    }
  }

  // ---- Azure Pipelines ----

  /** Runs an Azure Pipelines file for a trigger; `pipelineId` identifies its definition (artifacts across runs). */
  async runAzure(
    file: string,
    pipelineId: number,
    event: AzureEvent,
    variables: Record<string, string>,
  ): Promise<WorkflowRun> {
    const pipeline = parse(readFileSync(file, "utf8")) as AzurePipeline;
    const name = path.basename(file);
    knownKeys(pipeline, ["trigger", "pr", "schedules", "pool", "variables", "jobs", "lockBehavior"], name);
    this.#checkAzureTrigger(pipeline, event, name);
    const runId = this.#nextId++;
    const accessToken = this.#grant("azure", {});
    const jobs: JobResult[] = [];
    for (const job of pipeline.jobs) {
      const id = job.job ?? job.deployment;
      assert.ok(id, `${name}: a job without a name`);
      knownKeys(
        job,
        ["job", "deployment", "environment", "timeoutInMinutes", "steps", "strategy", "displayName"],
        `${name} job ${id}`,
      );
      assert.ok(typeof job.timeoutInMinutes === "number", `${name} job ${id} has no timeoutInMinutes`);
      const steps = job.steps ?? job.strategy?.runOnce?.deploy?.steps;
      assert.ok(steps, `${name} job ${id} has no steps`);
      jobs.push(
        await this.#runAzureJob(name, id, job.timeoutInMinutes, steps, {
          pipelineId,
          runId,
          accessToken,
          event,
          variables: { ...pipeline.variables, ...variables },
        }),
      );
    }
    const conclusion = jobs.every((j) => j.conclusion === "success") ? "success" : "failure";
    this.#azureRuns.push({
      pipeline: pipelineId,
      id: runId,
      branch: event.sourceBranch,
      result: conclusion === "success" ? "succeeded" : "failed",
    });
    return { id: runId, conclusion, jobs };
  }

  #checkAzureTrigger(pipeline: AzurePipeline, event: AzureEvent, name: string): void {
    const includes = (
      filter: { branches?: { include?: string[] }; paths?: { include?: string[] } } | string | undefined,
      branch: string,
    ) => {
      if (filter === undefined || filter === "none") return false;
      if (typeof filter === "string") throw new Error(`${name}: trigger ${filter} is not known to the harness`);
      if (filter.branches?.include && !filter.branches.include.includes(branch)) return false;
      if (filter.paths?.include && event.changedFiles) {
        const patterns = filter.paths.include.map(globToRegExp);
        return event.changedFiles.some((f) => patterns.some((p) => p.test(f)));
      }
      return true;
    };
    if (event.reason === "PullRequest")
      assert.ok(includes(pipeline.pr, event.targetBranch!), `${name} does not run for this pull request`);
    if (event.reason === "IndividualCI")
      assert.ok(
        includes(pipeline.trigger, event.sourceBranch.replace(/^refs\/heads\//, "")),
        `${name} does not run for a push to ${event.sourceBranch}`,
      );
    if (event.reason === "Schedule") assert.ok((pipeline.schedules ?? []).length > 0, `${name} has no schedule`);
  }

  async #runAzureJob(
    file: string,
    id: string,
    timeoutMinutes: number,
    steps: AzureStep[],
    run: {
      pipelineId: number;
      runId: number;
      accessToken: string;
      event: AzureEvent;
      variables: Record<string, string>;
    },
  ): Promise<JobResult> {
    const { workspace, temp } = this.#jobFolders(`azdo-${path.basename(file, ".yml")}-${id}`);
    const deadline = Date.now() + timeoutMinutes * 60_000;
    const variables = new Map<string, string>(Object.entries(run.variables));
    const predefined: Record<string, string> = {
      "System.CollectionUri": `${this.#url}/azure/contoso/`,
      "System.TeamProject": "mailboxes",
      "System.TeamProjectId": "00000000-0000-0000-0000-0000000000aa",
      "System.DefaultWorkingDirectory": workspace,
      "System.OidcRequestUri": `${this.#url}/azure/contoso/mailboxes/_apis/distributedtask/hubs/build/plans/${randomUUID()}/jobs/${randomUUID()}/oidctoken`,
      "Build.SourcesDirectory": workspace,
      "Build.Repository.ID": "11111111-2222-3333-4444-555555555555",
      "Build.SourceBranch": run.event.sourceBranch,
      "Build.Reason": run.event.reason,
      "Build.BuildId": String(run.runId),
      "Agent.TempDirectory": temp,
      ...(run.event.pullRequestId === undefined
        ? {}
        : {
            "System.PullRequest.PullRequestId": String(run.event.pullRequestId),
            "System.PullRequest.TargetBranch": `refs/heads/${run.event.targetBranch}`,
          }),
    };
    for (const [key, value] of Object.entries(predefined)) variables.set(key, value);
    // Secret: never an environment variable unless a step maps it (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)).
    variables.set("System.AccessToken", run.accessToken);
    const addedPath: string[] = [];
    const results: StepResult[] = [];
    let summary = "";
    let failed = false;
    for (const [index, step] of steps.entries()) {
      knownKeys(
        step,
        [
          "checkout",
          "fetchDepth",
          "task",
          "inputs",
          "script",
          "displayName",
          "condition",
          "env",
          "publish",
          "artifact",
          "name",
        ],
        `${file} job ${id} step ${index + 1}`,
      );
      const name =
        step.displayName ??
        step.script?.split("\n")[0] ??
        step.task ??
        (step.checkout ? `checkout ${step.checkout}` : `publish ${String(step.publish)}`);
      this.#currentStep = `${file}/${id}/${name}`;
      const runs =
        step.condition === undefined
          ? !failed
          : evaluateAzureCondition(step.condition, { variables, jobFailed: failed });
      if (!runs) {
        results.push({ name, outcome: "skipped", code: null, output: "", seconds: 0 });
        continue;
      }
      const started = Date.now();
      const env: Record<string, string> = { ...this.#runnerEnv(), TF_BUILD: "True" };
      for (const [key, value] of variables)
        if (key !== "System.AccessToken") env[key.toUpperCase().replace(/\./g, "_")] = value;
      for (const [key, value] of Object.entries(step.env ?? {}))
        env[key] = substituteAzureMacros(String(value), variables, "value");
      env.PATH = [...addedPath, env.PATH].join(":");
      const inputs = Object.fromEntries(
        Object.entries(step.inputs ?? {}).map(([k, v]) => [k, substituteAzureMacros(String(v), variables, "value")]),
      );
      let result: { code: number | null; output: string };
      if (step.checkout !== undefined) {
        assert.equal(step.checkout, "self", `${file}: checkout of ${step.checkout} is not known to the harness`);
        result = { code: 0, output: await this.#checkout(workspace, run.event.sourceBranch, step.fetchDepth === 0) };
      } else if (step.script !== undefined) {
        const install = PULUMI_INSTALL_SCRIPT.exec(step.script.trim());
        if (install) {
          this.#checkPulumiVersion(install[1]!);
          addedPath.unshift(this.pulumi.bin);
          for (const [key, value] of Object.entries(this.pulumi.env)) variables.set(key, value);
          result = { code: 0, output: `pulumi ${this.pulumi.version} (the pinned CLI) on PATH` };
        } else {
          result = await this.#azureScript(
            substituteAzureMacros(step.script, variables, "script"),
            workspace,
            temp,
            index,
            env,
            deadline,
          );
        }
      } else if (step.task === "NodeTool@0") {
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(
          major >= Number.parseInt(inputs.versionSpec ?? "", 10),
          `NodeTool asks for ${inputs.versionSpec}; the Node on PATH is ${process.versions.node}`,
        );
        result = { code: 0, output: `node ${process.versions.node} (the Node on PATH)` };
      } else if (step.task === "AzureCLI@2") {
        assert.equal(inputs.scriptType, "bash");
        assert.equal(inputs.scriptLocation, "inlineScript");
        const connection = this.serviceConnections.get(inputs.azureSubscription ?? "");
        assert.ok(connection, `unknown service connection ${inputs.azureSubscription}`);
        const spn: Record<string, string> =
          inputs.addSpnToEnvironment === "true"
            ? {
                servicePrincipalId: connection.clientId,
                tenantId: connection.tenantId,
                idToken: await this.#federatedToken(),
              }
            : {};
        const taskEnv = {
          ...env,
          ...spn,
          AZURESUBSCRIPTION_CLIENT_ID: connection.clientId,
          AZURESUBSCRIPTION_TENANT_ID: connection.tenantId,
          AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: connection.id,
        };
        result = await this.#azureScript(
          substituteAzureMacros(step.inputs!.inlineScript as string, variables, "script"),
          workspace,
          temp,
          index,
          taskEnv,
          deadline,
        );
      } else if (step.publish !== undefined) {
        const source = path.resolve(workspace, substituteAzureMacros(step.publish, variables, "value"));
        if (!existsSync(source)) result = { code: 1, output: `Path does not exist: ${source}` };
        else {
          const target = path.join(
            this.artifacts,
            "azure",
            String(run.pipelineId),
            String(run.runId),
            step.artifact ?? "drop",
          );
          mkdirSync(target, { recursive: true });
          cpSync(source, statSync(source).isDirectory() ? target : path.join(target, path.basename(source)), {
            recursive: true,
          });
          result = { code: 0, output: `published ${step.publish} as ${step.artifact}` };
        }
      } else if (step.task === "DownloadPipelineArtifact@2") {
        const known = ["source", "project", "pipeline", "runVersion", "runBranch", "artifact", "path"];
        const unknown = Object.keys(inputs).filter((k) => !known.includes(k));
        if (unknown.length > 0)
          throw new Error(`DownloadPipelineArtifact@2: inputs ${unknown.join(", ")} are not known to the harness`);
        assert.equal(inputs.source, "specific");
        assert.equal(inputs.runVersion, "latestFromBranch");
        const source = this.#azureRuns
          .filter(
            (r) => r.pipeline === Number(inputs.pipeline) && r.branch === inputs.runBranch && r.result === "succeeded",
          )
          .at(-1);
        const folder =
          source &&
          path.join(this.artifacts, "azure", String(source.pipeline), String(source.id), inputs.artifact ?? "");
        if (folder === undefined || !existsSync(folder))
          result = {
            code: 1,
            output: `no artifact ${inputs.artifact} from a successful run of pipeline ${inputs.pipeline} on ${inputs.runBranch}`,
          };
        else {
          mkdirSync(inputs.path!, { recursive: true });
          cpSync(folder, inputs.path!, { recursive: true });
          result = { code: 0, output: `downloaded ${inputs.artifact} of run ${source!.id}` };
        }
      } else throw new Error(`${file}: the harness has no local equivalent of ${step.task ?? JSON.stringify(step)}`);
      // Logging commands (https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands).
      for (const line of result.output.split("\n")) {
        const command = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line.trim());
        if (!command) continue;
        const [, verb, properties, value] = command;
        if (verb === "task.setvariable") variables.set(/variable=([^;\s]+)/.exec(properties!)![1]!, value!);
        else if (verb === "task.prependpath") addedPath.unshift(value!);
        else if (verb === "task.uploadsummary") summary += readFileSync(value!, "utf8");
        else if (verb !== "task.logissue") throw new Error(`the logging command ${verb} is not known to the harness`);
      }
      const outcome = result.code === 0 ? "success" : "failure";
      if (outcome === "failure") failed = true;
      results.push({ name, outcome, code: result.code, output: result.output, seconds: (Date.now() - started) / 1000 });
    }
    this.#currentStep = "";
    this.#discard(path.dirname(workspace));
    return { id, conclusion: failed ? "failure" : "success", steps: results, summary, log: formatLog(results) };
  }

  /** An Azure script step: bash without -e, as the agent runs it; the exit code is the script's. */
  #azureScript(
    script: string,
    workspace: string,
    temp: string,
    index: number,
    env: Record<string, string>,
    deadline: number,
  ): Promise<{ code: number | null; output: string }> {
    const file = path.join(temp, `_step${index}.sh`);
    writeFileSync(file, script);
    return runProcess("bash", ["--noprofile", "--norc", file], { cwd: workspace, env, deadline });
  }
}

// ---- event and file shapes ----

export interface GitHubEvent {
  readonly name: "pull_request" | "push" | "schedule" | "workflow_dispatch";
  /** The ref the run checks out: refs/pull/N/merge for a pull request, refs/heads/main otherwise. */
  readonly ref: string;
  readonly sha: string;
  readonly pullRequest?: {
    readonly number: number;
    readonly headSha: string;
    readonly headRef: string;
    readonly baseRef: string;
  };
  readonly inputs?: Record<string, string | boolean>;
  /** For the `paths` filter: the files the push or pull request changes. */
  readonly changedFiles?: readonly string[];
}

export interface AzureEvent {
  readonly reason: "PullRequest" | "IndividualCI" | "Schedule";
  /** The ref the run checks out (refs/pull/N/merge for a pull request) and its artifacts are filed under. */
  readonly sourceBranch: string;
  readonly pullRequestId?: number;
  readonly targetBranch?: string;
  readonly changedFiles?: readonly string[];
}

interface GitHubStep {
  name?: string;
  id?: string;
  if?: string | boolean;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  shell?: string;
  "working-directory"?: string;
}

interface GitHubJob {
  if?: string;
  needs?: string | string[];
  "timeout-minutes"?: number;
  env?: Record<string, unknown>;
  strategy?: unknown;
  steps: GitHubStep[];
}

interface GitHubWorkflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, GitHubJob>;
}

interface AzureStep {
  checkout?: string;
  fetchDepth?: number;
  task?: string;
  inputs?: Record<string, unknown>;
  script?: string;
  displayName?: string;
  condition?: string;
  env?: Record<string, unknown>;
  publish?: string;
  artifact?: string;
}

interface AzurePipeline {
  trigger?: { branches?: { include?: string[] }; paths?: { include?: string[] } } | string;
  pr?: { branches?: { include?: string[] }; paths?: { include?: string[] } } | string;
  schedules?: unknown[];
  variables?: Record<string, string>;
  jobs: {
    job?: string;
    deployment?: string;
    timeoutInMinutes?: number;
    steps?: AzureStep[];
    strategy?: { runOnce?: { deploy?: { steps?: AzureStep[] } } };
  }[];
}

// ---- helpers ----

function knownKeys(object: object, known: readonly string[], where: string): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new UnknownExpressionError(`${where}: the harness does not know ${unknown.join(", ")}`);
}

function skippedJob(id: string): JobResult {
  return { id, conclusion: "skipped", steps: [], summary: "", log: "" };
}

function formatLog(steps: readonly StepResult[]): string {
  return steps
    .map(
      (s) =>
        `--- ${s.name}: ${s.outcome}${s.code === null ? "" : ` (exit ${s.code}, ${s.seconds.toFixed(1)} s)`}\n${s.output}`,
    )
    .join("\n");
}

/** `paths:` globs: `**` any folders, `*` within one name. */
function globToRegExp(glob: string): RegExp {
  const source = glob
    .split(/(\*\*\/?|\*)/)
    .map((part) =>
      part === "**/" || part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`);
}

/** hashFiles() of literal paths (the templates use no globs): '' when none exists. */
function hashFiles(base: string, patterns: string[]): string {
  if (patterns.some((p) => /[*?[]/.test(p)))
    throw new UnknownExpressionError(`hashFiles() with a glob is not known to the harness: ${patterns.join(", ")}`);
  const files = patterns.map((p) => path.join(base, p)).filter((f) => existsSync(f) && statSync(f).isFile());
  if (files.length === 0) return "";
  const hash = createHash("sha256");
  for (const file of files) hash.update(createHash("sha256").update(readFileSync(file)).digest());
  return hash.digest("hex");
}

/** GITHUB_ENV / GITHUB_OUTPUT: `NAME=value` lines and `NAME<<DELIMITER` blocks. */
function readFileCommand(file: string): Record<string, string> {
  const lines = readFileSync(file, "utf8").split("\n");
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]!);
      out[heredoc[1]!] = value.join("\n");
    } else {
      const at = line.indexOf("=");
      if (at < 1) throw new Error(`a file command line the harness cannot read: ${line}`);
      out[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return out;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * Runs a process without blocking this one (the emulator answers in this process), output and
 * errors together; killed with its group at the job's deadline (timeout-minutes).
 */
export function runProcess(
  file: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; deadline?: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer =
      options.deadline === undefined
        ? undefined
        : setTimeout(
            () => {
              output += "\n[harness] the job's timeout was reached: killed\n";
              try {
                process.kill(-child.pid!, "SIGKILL");
              } catch {
                // already gone
              }
            },
            Math.max(0, options.deadline - Date.now()),
          );
    child.on("error", reject);
    // When the step's shell exits, what it left behind in its process group (a token renewer's
    // sleep) is killed, as a runner ends a step's processes; then the pipes close.
    child.on("exit", () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // nothing left
      }
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : null), output });
    });
  });
}

/** git, for the harness's own bookkeeping (clones, commits); fails loudly. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const env = {
    ...(process.env as Record<string, string>),
    GIT_AUTHOR_NAME: "Contoso Admin",
    GIT_AUTHOR_EMAIL: "admin@contoso.com",
    GIT_COMMITTER_NAME: "Contoso Admin",
    GIT_COMMITTER_EMAIL: "admin@contoso.com",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const result = await runProcess("git", args, { cwd, env });
  assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.output}`);
  return result.output.trim();
}
