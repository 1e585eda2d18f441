// Exchange → Graph propagation lag, end to end on the real pulumi binary (issue 13, item 6): with
// the emulator's Graph two minutes behind Exchange, `up` applies a change and the drift gate run
// right after (`preview --refresh --expect-no-changes`, and `mailbox-addresses drift`) reports no
// drift, because what Graph shows as a change is confirmed from Exchange before it counts. And an
// app that has Exchange.ManageAsApp but no Exchange role is stopped at preview with Exchange's
// words and the remedy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";

const SPEC = `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
mailboxes:
  mark.wilson@contoso.com:
    primary: mark.wilson@fabrikam.com
    aliases: [mark.wilson@contoso.com, mwilson@fabrikam.com]
  anna.kowalski@contoso.com:
    primary: anna.kowalski@fabrikam.com
    aliases: [anna.kowalski@contoso.com]
  lee.chen@contoso.com:
    primary: lee.chen@contoso.com
`;

describe("Exchange → Graph propagation lag, end to end", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;

  before(async () => {
    emulator = await EmulatorProcess.start({ graphPropagationLagMs: 120_000 });
    stack = new TestStack("lag", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(SPEC);
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  /** What Graph shows for a user right now (through the emulator, with its lag). */
  /** fetch, once more if a kept-alive socket was closed by the server meanwhile (a client race). */
  async function fetchOnce(url: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch {
      return fetch(url, init);
    }
  }

  async function graphAddresses(upn: string): Promise<string[]> {
    const secrets = JSON.parse(readFileSync(path.join(emulator.stateDir, "secrets.json"), "utf8"));
    const tenantId = emulator.withTenant((t) => t.info().id);
    const token = await fetchOnce(`${emulator.url}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: secrets.clientId,
        client_secret: secrets.clientSecret,
        scope: "https://graph.microsoft.com/.default",
        grant_type: "client_credentials",
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const user = await fetchOnce(`${emulator.url}/v1.0/users/${upn}?$select=proxyAddresses`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    }).then((r) => r.json() as Promise<{ proxyAddresses: string[] }>);
    return user.proxyAddresses;
  }

  it("up applies the change; Graph still shows the old lists (the lag is on)", async () => {
    const result = stack.up();
    assert.equal(result.code, 0, result.output);
    const counters = await emulator.counters();
    assert.equal(counters["exchange.Set-Mailbox.applied"], 2, JSON.stringify(counters));
    assert.ok(
      emulator.withTenant((t) =>
        t.find("mark.wilson@contoso.com")!.addresses.includes("SMTP:mark.wilson@fabrikam.com"),
      ),
      "Exchange has the change",
    );
    assert.ok(
      (await graphAddresses("mark.wilson@contoso.com")).includes("SMTP:mark.wilson@contoso.com"),
      "Graph does not have it yet",
    );
  });

  it("the drift gate right after reports no drift: preview --refresh --expect-no-changes and drift both pass", async () => {
    await emulator.resetCounters();
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 0, drift.output);
    const counters = await emulator.counters();
    assert.equal(counters["exchange.Set-Mailbox.applied"] ?? 0, 0, "nothing written");
    assert.ok((counters["exchange.Get-Mailbox"] ?? 0) > 0, "the stale Graph reads were confirmed from Exchange");
  });

  it("a second up writes nothing", async () => {
    await emulator.resetCounters();
    const result = stack.up();
    assert.equal(result.code, 0, result.output);
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0, 0);
  });

  it("an update right after an apply builds on Exchange's list, not Graph's stale one (additive mode keeps what the last run added)", async () => {
    const additive = (aliases: string) =>
      `${SPEC}  priya.patel@contoso.com:\n    primary: priya.patel@contoso.com\n    aliases: [${aliases}]\n    mode: additive\n`;
    stack.writeSpec(additive("p.patel@contoso.com"));
    assert.equal(stack.up().code, 0);
    assert.ok(
      !(await graphAddresses("priya.patel@contoso.com")).includes("smtp:p.patel@contoso.com"),
      "Graph has not seen the first write",
    );
    await emulator.resetCounters();
    stack.writeSpec(additive("p.patel2@contoso.com"));
    const result = stack.up();
    assert.equal(result.code, 0, result.output);
    const now = emulator.withTenant((t) => t.find("priya.patel@contoso.com")!.addresses);
    assert.ok(
      now.includes("smtp:p.patel@contoso.com"),
      `additive mode kept the alias the previous run added: ${JSON.stringify(now)}`,
    );
    assert.ok(now.includes("smtp:p.patel2@contoso.com"));
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"], 1);
  });

  it("real drift is still drift: a change by hand is reported once Graph has it", async () => {
    emulator.withTenant((t) => void t.addRemoveEmailAddresses("lee.chen@contoso.com", ["smtp:rogue@contoso.com"], []));
    // Within the lag, Graph does not show the hand edit: the scheduled drift check sees it on a
    // later run (the drift gate reads Graph first; Exchange confirms only what Graph shows changed).
    assert.ok(!(await graphAddresses("lee.chen@contoso.com")).includes("smtp:rogue@contoso.com"));
    await emulator.setFaults({ graphPropagationLagMs: 0 });
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 2, drift.output);
    assert.match(drift.output, /rogue@contoso\.com/);
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.notEqual(preview.code, 0);
    assert.match(preview.output, /rogue@contoso\.com/);
    emulator.withTenant((t) => void t.addRemoveEmailAddresses("lee.chen@contoso.com", [], ["smtp:rogue@contoso.com"]));
    await emulator.setFaults({ graphPropagationLagMs: 120_000 });
  });

  it("an app with Exchange.ManageAsApp but no Exchange role is stopped at preview with Exchange's words and the remedy", () => {
    const secrets = JSON.parse(readFileSync(path.join(emulator.stateDir, "secrets.json"), "utf8"));
    const roleless = new TestStack(
      "norole",
      { ...emulator.stackConfig(), clientId: secrets.rolelessClientId },
      { ...emulator.environment(), AZURE_CLIENT_SECRET: secrets.rolelessClientSecret },
    );
    try {
      roleless.writeSpec(
        SPEC.replace(
          "    primary: lee.chen@contoso.com\n",
          "    primary: lee.chen@fabrikam.com\n    aliases: [lee.chen@contoso.com]\n",
        ),
      );
      const preview = roleless.preview();
      assert.notEqual(preview.code, 0);
      assert.match(
        preview.output,
        new RegExp(`The role assigned to application ${secrets.rolelessClientId} isn't supported in this scenario`),
      );
      assert.match(preview.output, /its service principal has no Exchange role/);
      assert.match(preview.output, /Exchange Administrator role/);
      assert.doesNotMatch(preview.output, /^\s+at .*\(.*:\d+:\d+\)$/m, "no stack trace");
    } finally {
      roleless.dispose();
    }
  });
});
