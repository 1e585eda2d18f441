// Reads that lag behind writes, end to end on the real pulumi binary (issue 27, item 3): Graph with
// a lag of its own per object (30 s to 2 min), and Exchange answered by a replica that has not
// seen the latest write. After `up`, the drift gate run at once reports no drift, a second `up`
// writes nothing, and a write whose answer is lost while the replica is behind is not lost: the
// tenant ends holding exactly the spec.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";

const spec = (suffix: string) => `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
mailboxes:
  mark.wilson@contoso.com:
    primary: mark.wilson@contoso.com
    aliases: [mwilson${suffix}@contoso.com]
  anna.kowalski@contoso.com:
    primary: anna.kowalski@contoso.com
    aliases: [akowalski${suffix}@contoso.com]
  lee.chen@contoso.com:
    primary: lee.chen@contoso.com
    aliases: [lchen${suffix}@contoso.com]
`;

/** The SMTP entries of a recipient in the tenant, lower case, sorted. */
function smtpOf(emulator: EmulatorProcess, identity: string): string[] {
  return emulator
    .withTenant((t) => t.find(identity)!.addresses)
    .filter((a) => /^smtp:/i.test(a) && !/onmicrosoft\.com$/i.test(a))
    .map((a) => a.toLowerCase())
    .sort();
}

describe("reads behind writes: Graph's lag per object, Exchange's stale replicas", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;

  before(async () => {
    emulator = await EmulatorProcess.start({});
    stack = new TestStack("stale", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(spec(""));
    const adopt = stack.up();
    assert.equal(adopt.code, 0, adopt.output);
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("Graph lagging 30 s to 2 min per object: up applies, the drift gate right after finds no drift, nothing written twice", async () => {
    await emulator.setFaults({ graphPropagationLagMs: { min: 30_000, max: 120_000 } });
    stack.writeSpec(spec("1"));
    await emulator.resetCounters();
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(smtpOf(emulator, "mark.wilson@contoso.com"), [
      "smtp:mark.wilson@contoso.com",
      "smtp:mwilson1@contoso.com",
    ]);
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"], 3);
    await emulator.resetCounters();
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 0, drift.output);
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0, 0, "nothing written");
  });

  it("Exchange read from a replica behind the write: the drift gate right after finds no drift; a second up writes nothing", async () => {
    await emulator.setFaults({ exchangeStaleReads: { windowMs: 120_000, rate: 1 } });
    stack.writeSpec(spec("2"));
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    for (const [who, alias] of [
      ["mark.wilson@contoso.com", "mwilson2"],
      ["anna.kowalski@contoso.com", "akowalski2"],
      ["lee.chen@contoso.com", "lchen2"],
    ] as const) {
      assert.ok(smtpOf(emulator, who).includes(`smtp:${alias}@contoso.com`), `${who} holds ${alias}@`);
      assert.ok(
        !smtpOf(emulator, who).some((a) => a.includes(`${alias.slice(0, -1)}1@`)),
        `${who} no longer holds the alias the spec dropped`,
      );
    }
    await emulator.resetCounters();
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 0, drift.output);
    const again = stack.up();
    assert.equal(again.code, 0, again.output);
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0, 0, "nothing written");
  });

  it("a write whose answer is lost while the replica is behind is not lost: the tenant ends holding exactly the spec", async () => {
    await emulator.setFaults({
      exchangeStaleReads: { windowMs: 120_000, rate: 1 },
      dropRate: 0.5,
      surfaces: ["exchange"],
    });
    stack.writeSpec(spec("3"));
    const up = stack.up();
    await emulator.setFaults({});
    // Whatever the drops did to this run, a second up (as CI retries) converges, and nothing is lost.
    const settle = up.code === 0 ? up : stack.up();
    assert.equal(settle.code, 0, `${up.output}\n${settle.output}`);
    assert.deepEqual(smtpOf(emulator, "mark.wilson@contoso.com"), [
      "smtp:mark.wilson@contoso.com",
      "smtp:mwilson3@contoso.com",
    ]);
    assert.deepEqual(smtpOf(emulator, "anna.kowalski@contoso.com"), [
      "smtp:akowalski3@contoso.com",
      "smtp:anna.kowalski@contoso.com",
    ]);
    assert.deepEqual(smtpOf(emulator, "lee.chen@contoso.com"), [
      "smtp:lchen3@contoso.com",
      "smtp:lee.chen@contoso.com",
    ]);
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
  });
});
