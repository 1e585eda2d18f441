// Evidence for running with PULUMI_SKIP_CHECKPOINTS=true (toolchain/setup.sh sets it for file and
// other DIY backends): the state is then written only when an update ends, so a killed `pulumi up`
// records nothing of its work. For this resource that is safe, because create adopts and update
// converges, both idempotent, and nothing is ever created or deleted in the tenant: the next `up`
// refreshes (the project's default), so it sees what the killed run wrote, and converges to the
// spec as it is then, even if the spec changed in between.
//
// And a killed run stops: the language host, the program and the provider run in process groups
// of their own, so killing the engine's group leaves them alive; each watches the engine
// (providers/engine-watchdog.ts) and exits, and no write is sent after the engine died.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { generatedMailbox } from "../../harness/generated-mailbox";
import { TestStack } from "../../harness/pulumi-stack";

const N = 120;
const users = Array.from({ length: N }, (_, i) => `ckpt${String(i).padStart(3, "0")}`);
const specOf = (rebrand: boolean) =>
  [
    "version: 1",
    "allowedDomains: [contoso.com, fabrikam.com]",
    "mailboxes:",
    ...users.flatMap((u) =>
      rebrand
        ? [`  ${u}@contoso.com:`, `    primary: ${u}@fabrikam.com`, `    aliases: [${u}@contoso.com]`]
        : [`  ${u}@contoso.com:`, `    primary: ${u}@contoso.com`],
    ),
    "",
  ].join("\n");

describe("a pulumi up killed mid-way with PULUMI_SKIP_CHECKPOINTS=true", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;

  before(async () => {
    emulator = await EmulatorProcess.start();
    emulator.withTenant((tenant) => {
      for (const u of users) {
        tenant.addRecipient(generatedMailbox(`${u}@contoso.com`));
      }
    });
    stack = new TestStack("ckpt", emulator.stackConfig(), {
      ...emulator.environment(),
      PULUMI_SKIP_CHECKPOINTS: "true",
    });
    stack.writeSpec(specOf(false));
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output.slice(-3000));
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("loses no write and repeats none: the next up finishes the job and the stack is in sync", async () => {
    stack.writeSpec(specOf(true));
    // 10 writes per second: the run is killed after about a quarter of the mailboxes.
    await emulator.setFaults({ writeBudget: { capacity: 1, refillPerSecond: 10 } });
    await emulator.resetCounters();
    const command = stack.command(["up", "--yes", "--skip-preview"]);
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    for (;;) {
      const applied = (await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0;
      if (applied >= 25) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(-child.pid!, "SIGKILL"); // the engine's process group, as a killed CI job
    await exited;
    // Requests already on the wire when the engine died may still land; give them 300 ms.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atKill = (await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0;
    assert.ok(atKill > 0 && atKill < N, `the killed run wrote ${atKill} of ${N}`);
    // Within seconds (half a second, unloaded) every process of the run is gone...
    for (let waited = 0; stack.processes().length > 0 && waited < 10_000; waited += 250)
      await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(stack.processes(), [], "processes of the killed run still alive after 10 s");
    // ...and no write arrived after the kill.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const firstRun = (await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0;
    assert.equal(firstRun, atKill, `${firstRun - atKill} writes arrived after the kill`);
    // Nothing of the killed run is in the state: every resource still holds the adopted list.
    const recorded = (stack.state().checkpoint.latest?.resources ?? []).filter((r) =>
      r.type.includes("MailboxAddresses"),
    );
    assert.equal(recorded.length, N);
    assert.ok(
      recorded.every((r) =>
        Object.values(r.outputs?.addresses as Record<string, string>).some((e) => /^SMTP:.*@contoso\.com$/.test(e)),
      ),
      "the killed run left no checkpoint",
    );

    // As after any killed run (checkpoints or not), the stack's lock is left behind: the operator
    // removes it, as the engine's message says.
    assert.match(stack.up().output, /the stack is currently locked/);
    stack.run(["cancel", "--yes"], { check: true });
    await emulator.setFaults({});
    const again = stack.up();
    assert.equal(again.code, 0, again.output.slice(-3000));
    const c = await emulator.counters();
    assert.equal(c["exchange.Set-Mailbox.applied"], N, "each mailbox written once over both runs");

    // The state caught up: a spec change now (the rebrand abandoned) converges every mailbox the
    // killed and the finishing run wrote, with a plain up.
    await emulator.resetCounters();
    stack.writeSpec(specOf(false));
    const back = stack.up();
    assert.equal(back.code, 0, back.output.slice(-3000));
    emulator.withTenant((tenant) => {
      for (const u of users)
        assert.equal(
          tenant.find(`${u}@contoso.com`)!.addresses.find((e) => e.startsWith("SMTP:")),
          `SMTP:${u}@contoso.com`,
        );
    });
    assert.equal((await emulator.counters())["exchange.Set-Mailbox.applied"], N);
    stack.writeSpec(specOf(true));
    assert.equal(stack.up().code, 0);
    emulator.withTenant((tenant) => {
      for (const u of users)
        assert.deepEqual(
          [...tenant.find(`${u}@contoso.com`)!.addresses].sort(),
          [`SMTP:${u}@fabrikam.com`, `smtp:${u}@contoso.com`, `smtp:${u}@contoso.onmicrosoft.com`].sort(),
        );
    });
    const check = stack.preview("--expect-no-changes");
    assert.equal(check.code, 0, check.output.slice(-3000));
  });
});
