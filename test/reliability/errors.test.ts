// Errors name the host, the cause and the remedy (issue 19, defect 10): an unreachable endpoint
// gives up within the connection budget (it retried for ~270 s, then said "fetch failed"); a wrong
// tenant, an untrusted CA and an unreachable authority are told apart (all read
// `endpoints_resolution_error`); no stack trace for an expected error, in the CLI, in the program's
// output, or in a `plan --json` report.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { ConnectionError } from "../../targets/exchange-online/http-error";
import { DEFAULT_RETRY_OPTIONS } from "../../targets/exchange-online/pipeline/retry-options";
import { transportStrategy } from "../../targets/exchange-online/pipeline/transport-retry-strategy";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";

const STACK_TRACE = /\n\s+at \S/;

describe("reliability: errors name the host, the cause and the remedy", () => {
  let emulator: EmulatorProcess;
  let dir: string;
  let base: TestStack;
  let config: Record<string, string>;
  /** A port nothing listens on (fetch refuses some low ports outright, so not 9). */
  let closed: string;
  const figures = { cases: 0, stackTraces: 0 };

  before(async () => {
    emulator = await EmulatorProcess.start();
    closed = await new Promise<string>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as { port: number }).port;
        server.close(() => resolve(`127.0.0.1:${port}`));
      });
    });
    config = emulator.stackConfig();
    dir = mkdtempSync(path.join(os.tmpdir(), "mbx-errors-"));
    writeFileSync(
      path.join(dir, "spec.yaml"),
      "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n",
    );
    // The CLI reads a stack's settings through Pulumi: a project and a stack; the flags override them.
    base = new TestStack("errors-drift", config, emulator.environment());
  });
  after(async () => {
    base?.dispose();
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `mailbox-addresses drift` against the exchange-online target, with some settings changed. */
  function drift(overrides: Record<string, string>, env: NodeJS.ProcessEnv = emulator.environment()) {
    const settings = { ...config, ...overrides };
    const flags = [
      "--target",
      "exchange-online",
      "--tenant-id",
      settings.tenantId!,
      "--client-id",
      settings.clientId!,
      "--authority-host",
      settings.authorityHost!,
      "--graph-url",
      settings.graphBaseUrl!,
      "--exchange-url",
      settings.exchangeBaseUrl!,
      "--spec",
      path.join(dir, "spec.yaml"),
    ];
    const childEnv: NodeJS.ProcessEnv = { ...base.command([]).env, ...env };
    if (env.NODE_EXTRA_CA_CERTS === undefined) delete childEnv.NODE_EXTRA_CA_CERTS;
    const started = Date.now();
    const result = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), "drift", "--stack", base.stack, ...flags],
      {
        cwd: base.dir,
        env: childEnv,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    figures.cases++;
    if (STACK_TRACE.test(result.stderr)) figures.stackTraces++;
    return { code: result.status, stderr: result.stderr, stdout: result.stdout, ms: Date.now() - started };
  }

  it("the default policy gives up on a refused connection within its budget, naming the host", () => {
    // The pipeline's transport strategy with the default options, asked after each refused attempt.
    const strategy = transportStrategy({ ...DEFAULT_RETRY_OPTIONS, random: () => 1 });
    const request = createPipelineRequest({ url: "https://graph.example.test:9/v1.0/users" });
    const waits: number[] = [];
    let error: unknown;
    for (let retryCount = 0; error === undefined && retryCount < DEFAULT_RETRY_OPTIONS.maxAttempts; retryCount++) {
      const modifiers = strategy.retry({
        retryCount,
        responseError: new RestError("connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED", request }),
      });
      if (modifiers.errorToThrow) error = modifiers.errorToThrow;
      else waits.push(modifiers.retryAfterInMs ?? 0);
    }
    assert.ok(
      error instanceof ConnectionError &&
        /graph\.example\.test:9: the connection was refused \(ECONNREFUSED\).*Check the URL setting/.test(
          error.message,
        ),
      String(error),
    );
    const total = waits.reduce((a, b) => a + b, 0);
    assert.ok(total <= DEFAULT_RETRY_OPTIONS.connectBudgetMs, `waited ${total} ms`);
    assert.ok(waits.length < DEFAULT_RETRY_OPTIONS.maxAttempts - 1, `${waits.length} retries`);
  });

  it("an unreachable Graph endpoint: the host, the cause, the remedy, no stack, bounded", () => {
    const result = drift({ graphBaseUrl: `https://${closed}` });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `cannot connect to ${closed.replace(/\./g, "\\.")}: the connection was refused \\(ECONNREFUSED\\).*Check the URL setting`,
      ),
    );
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.ok(result.ms < 60_000, `took ${result.ms} ms`);
  });

  it("an unreachable authority, a wrong tenant and an untrusted CA are told apart", () => {
    const authority = drift({ authorityHost: `https://${closed}` });
    assert.equal(authority.code, 1);
    assert.match(
      authority.stderr,
      new RegExp(`cannot connect to ${closed.replace(/\./g, "\\.")}: the connection was refused`),
    );

    const tenant = drift({ tenantId: "5f0e8d61-0000-4000-8000-000000000000" });
    assert.equal(tenant.code, 1);
    assert.match(
      tenant.stderr,
      /does not know the tenant "5f0e8d61-0000-4000-8000-000000000000" \(AADSTS90002.*Check the stack's tenantId/,
    );

    const { NODE_EXTRA_CA_CERTS: _trusted, ...untrustedEnv } = emulator.environment();
    const ca = drift({}, untrustedEnv);
    assert.equal(ca.code, 1);
    assert.match(
      ca.stderr,
      new RegExp(
        `cannot connect to ${new URL(emulator.url).host.replace(/\./g, "\\.")}: its TLS certificate is not trusted .*NODE_EXTRA_CA_CERTS`,
      ),
    );
    for (const r of [authority, tenant, ca]) {
      assert.doesNotMatch(r.stderr, STACK_TRACE);
      assert.doesNotMatch(r.stderr, /endpoints_resolution_error/);
    }
  });

  it("plan --json reports an unreachable endpoint without a stack trace", (t) => {
    const stack = new TestStack(
      "errors",
      { ...config, exchangeBaseUrl: `https://${closed}`, graphBaseUrl: `https://${closed}` },
      emulator.environment(),
    );
    try {
      stack.writeSpec(
        "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n",
      );
      const plan = stack.cli(["plan", "--json"]);
      figures.cases++;
      assert.equal(plan.code, 1, plan.output);
      const report = JSON.parse(plan.stdout) as { problems: string[]; mailboxes: { problems: string[] }[] };
      const text = [...report.problems, ...report.mailboxes.flatMap((m) => m.problems)].join("\n");
      if (STACK_TRACE.test(text) || /unhandled exception/i.test(text)) figures.stackTraces++;
      assert.match(text, new RegExp(`cannot connect to ${closed.replace(/\./g, "\\.")}`));
      assert.doesNotMatch(text, STACK_TRACE);
      assert.doesNotMatch(text, /unhandled exception/i);
      const preview = stack.preview();
      assert.notEqual(preview.code, 0);
      assert.match(preview.output, new RegExp(`cannot connect to ${closed.replace(/\./g, "\\.")}`));
      assert.doesNotMatch(preview.output, /unhandled exception/i);
      t.diagnostic(`figures: error cases ${figures.cases}, stack traces shown ${figures.stackTraces}`);
      assert.equal(figures.stackTraces, 0);
    } finally {
      stack.dispose();
    }
  });
});
