// The tenant, the app and the tuning knobs are the provider's settings (the stack's config, read in
// configure), not each resource's inputs: on the exchange-online target against the emulator,
// changing maxConcurrency, the endpoints' spelling or the app (here through AZURE_CLIENT_ID, as a
// CI workflow names its reader or writer app) changes nothing in a preview, and refresh still works.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";

const EXAMPLE_SPEC = readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8");

describe("provider-level settings on the exchange-online target", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;
  let clientId: string;

  before(async () => {
    emulator = await EmulatorProcess.start();
    const config = emulator.stackConfig();
    clientId = config.clientId!;
    stack = new TestStack("settings", config, emulator.environment());
    stack.writeSpec(EXAMPLE_SPEC);
    const up = stack.up();
    assert.equal(up.code, 0, up.output.slice(-3000));
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("no resource stores a tenant setting", () => {
    const resources = (stack.state().checkpoint.latest?.resources ?? []).filter((r) =>
      r.type.includes("MailboxAddresses"),
    );
    assert.equal(resources.length, 8);
    for (const r of resources) {
      assert.deepEqual(
        Object.keys(r.inputs ?? {}).sort(),
        ["__provider", "addresses", "identity", "mode", ...(r.inputs?.cloudManaged ? ["cloudManaged"] : [])].sort(),
      );
      assert.ok(!JSON.stringify(r).includes(clientId), "the app id is in a resource");
    }
  });

  it("maxConcurrency, the endpoints' spelling and the app id change: no change to any mailbox, refresh works", () => {
    const localhost = emulator.url.replace("127.0.0.1", "localhost");
    for (const [key, value] of [
      ["maxConcurrency", "5"],
      ["graphBaseUrl", localhost],
      ["exchangeBaseUrl", `${localhost}/`],
      ["clientId", "11111111-2222-3333-4444-555555555555"],
    ]) {
      stack.run(["config", "set", key!, value!], { check: true });
    }
    // The stack's clientId is now wrong; the workflow's AZURE_CLIENT_ID names the app that works.
    const preview = stack.run(["preview", "--expect-no-changes", "--diff"], { env: { AZURE_CLIENT_ID: clientId } });
    assert.equal(preview.code, 0, preview.output.slice(-3000));
    assert.doesNotMatch(preview.output, /MailboxAddresses: \(update\)|to update/);
    const up = stack.run(["up", "--yes", "--skip-preview"], { env: { AZURE_CLIENT_ID: clientId } });
    assert.equal(up.code, 0, up.output.slice(-3000));
    assert.match(up.output, /9 unchanged/); // the 8 mailboxes and the stack
    assert.doesNotMatch(up.output, /updated/);
    // Without it, the wrong app id is refused by the identity platform, and the message says so.
    const wrong = stack.preview();
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.output, /11111111-2222-3333-4444-555555555555|AADSTS700016|application/i);
  });
});
