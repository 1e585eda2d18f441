// A second real client, written by Microsoft for another language: Python's msal, azure-identity
// and msgraph-sdk (installed by scripts/test into .tools/python-venv, see
// toolchain/python-clients.sh) run against the emulator over HTTPS: client-credentials tokens
// for Graph and Exchange, users listed with paging, one user by UPN, a $batch, and InvokeCommand
// Get-Mailbox and Set-Mailbox. Fails, never skips, when Python or the packages are missing.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";

const PYTHON = path.join(PROJECT_ROOT, ".tools/python-venv/bin/python");
const SCRIPT = path.join(PROJECT_ROOT, "test/integration/python/second_client.py");

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("second client: Microsoft's Python libraries against the emulator", () => {
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(async () => emulator?.close());

  it(
    "msal and azure-identity get tokens; msgraph-sdk pages, reads by UPN and batches; InvokeCommand reads and writes",
    { timeout: 120_000 },
    async () => {
      assert.ok(
        existsSync(PYTHON),
        `no Python virtual environment at ${PYTHON}: run scripts/test, whose setup (toolchain/python-clients.sh) creates it with python3 -m venv and pip; is Python 3 installed?`,
      );
      const result = await run(PYTHON, [SCRIPT], {
        ...process.env,
        EMULATOR_URL: emulator.url,
        EMULATOR_TENANT_ID: emulator.tenantId,
        EMULATOR_CLIENT_ID: emulator.secrets.clientId,
        EMULATOR_CLIENT_SECRET: emulator.secrets.clientSecret,
        // requests (msal, azure-identity) and httpx (msgraph-sdk) trust the emulator's certificate from these.
        REQUESTS_CA_BUNDLE: emulator.secrets.serverCertPath,
        SSL_CERT_FILE: emulator.secrets.serverCertPath,
      });
      assert.equal(result.code, 0, `the Python client failed:\n${result.stderr}`);
      const seen = JSON.parse(result.stdout);
      assert.equal(seen.msal.graph.token_type, "Bearer");
      assert.equal(seen.msal.exchange.token_type, "Bearer");
      assert.deepEqual(seen.azureIdentity, { graph: true, exchange: true });
      const users = emulator.tenant.list({ usersOnly: true });
      assert.equal(seen.graph.users, users.length);
      assert.equal(seen.graph.pages, Math.ceil(users.length / 7));
      assert.equal(seen.graph.withAddresses, users.filter((u) => u.addresses.length > 0).length);
      const mark = emulator.tenant.find("mark.wilson@contoso.com")!;
      assert.deepEqual(seen.graph.mark, { id: mark.id, userPrincipalName: mark.upn, displayName: mark.displayName });
      assert.deepEqual(seen.graph.batch, { "anna.kowalski@contoso.com": 200, "lee.chen@contoso.com": 200 });
      // Exchange lists the primary last (the captured Get-Mailbox), whatever order it was written in.
      assert.deepEqual(
        [...seen.exchange.after].sort(),
        [...seen.exchange.before, "smtp:priya.python@contoso.com"].sort(),
      );
      assert.equal(seen.exchange.after.at(-1), "SMTP:priya.patel@contoso.com");
      assert.deepEqual(
        [...emulator.tenant.find("priya.patel@contoso.com")!.addresses].sort(),
        [...seen.exchange.after].sort(),
      );
    },
  );
});
