// Delta writes under a real `pulumi up` (issue 19, defect 2): an admin adds an alias to mailboxes
// while an apply is writing them (held back by Exchange's write budget, so the run has read each
// mailbox and its write waits). Additive mode keeps every one of those aliases; with the full
// list it wrote before, the aliases of the mailboxes whose write was waiting were deleted.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { addressKey, parseProxyAddress } from "../../core/address";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";

const USERS = ["lee.chen", "mei.tanaka", "anna.kowalski", "priya.patel", "tom.brooks", "sofia.rossi"];
const SPEC = `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
defaults:
  mode: additive
mailboxes:
${USERS.map((u) => `  ${u}@contoso.com:\n    primary: ${u}@fabrikam.com\n    aliases: [${u}@contoso.com]\n`).join("")}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("reliability: an admin's edit during an apply", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;
  before(async () => {
    // One write every 2 s after the first: the run reads each mailbox, then its write waits.
    emulator = await EmulatorProcess.start({ writeBudget: { capacity: 1, refillPerSecond: 0.5 } });
    stack = new TestStack("concurrent", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(SPEC);
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("additive mode keeps aliases added while the run's writes wait", async (t) => {
    const { file, args, cwd, env } = stack.command(["up", "--yes", "--skip-preview"]);
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));

    // Wait until a write has been held back (429 from the budget): the run has read and planned.
    const started = Date.now();
    while (((await emulator.counters())["faults.exchange.429"] ?? 0) === 0) {
      assert.ok(Date.now() - started < 120_000, `no write was held back:\n${output}`);
      await sleep(100);
    }
    // The admin's hand, on every mailbox whose write has not landed yet.
    const edited = emulator.withTenant((tenant) => {
      const written = new Set(tenant.writes().map((w) => w.recipientId));
      const pending = USERS.filter((u) => !written.has(tenant.find(`${u}@contoso.com`)!.id));
      for (const u of pending) tenant.addRemoveEmailAddresses(`${u}@contoso.com`, [`smtp:${u}.admin@contoso.com`], []);
      return pending;
    });
    assert.ok(edited.length > 0, "every write had landed before the edit");
    const code = await exited;

    const lost = emulator.withTenant((tenant) =>
      edited.filter(
        (u) =>
          !tenant
            .find(`${u}@contoso.com`)!
            .addresses.some((e) => addressKey(parseProxyAddress(e).value) === `${u}.admin@contoso.com`),
      ),
    );
    const applied = emulator.withTenant((tenant) =>
      USERS.filter((u) => tenant.find(`${u}@contoso.com`)!.addresses.includes(`SMTP:${u}@fabrikam.com`)),
    );
    t.diagnostic(
      `figures: admin edits during the apply ${edited.length}, lost ${lost.length}; mailboxes converged ${applied.length} of ${USERS.length}; up exit ${code}`,
    );
    assert.deepEqual(lost, [], `the admin's aliases were deleted:\n${output}`);
    assert.deepEqual(applied, USERS, output);

    // The next run converges with nothing to write, and the aliases stay.
    const again = stack.up();
    assert.equal(again.code, 0, again.output);
    const writes = emulator.withTenant((tenant) => tenant.writes().length);
    assert.equal(stack.up().code, 0);
    assert.equal(
      emulator.withTenant((tenant) => tenant.writes().length),
      writes,
    );
    assert.deepEqual(
      emulator.withTenant((tenant) =>
        edited.filter(
          (u) =>
            !tenant.find(`${u}@contoso.com`)!.addresses.some((e) => e.toLowerCase() === `smtp:${u}.admin@contoso.com`),
        ),
      ),
      [],
    );
  });
});
