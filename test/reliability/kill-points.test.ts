// Kill-point trials (issue 19, defects 3 and 4): a `pulumi up` of a 100-mailbox rebrand on the
// emulator is killed (SIGKILL of the engine's process group, as a cancelled CI job) at ten points
// spread over its writes, the last trial under injected faults. After each kill: no write arrives,
// no process of the run is left; after `pulumi cancel` and a plain `up` (which refreshes first), the
// tenant matches the spec, each mailbox was written once over both runs, and every X500 and
// routing entry is still there. Between trials the spec flips between the two brands.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { FaultSettings } from "../../emulator/faults";
import { EmulatorProcess } from "../../harness/emulator-process";
import { generatedMailbox, migratedX500 } from "../../harness/generated-mailbox";
import { TestStack } from "../../harness/pulumi-stack";

const N = 100;
const users = Array.from({ length: N }, (_, i) => `kp${String(i).padStart(3, "0")}`);
const brands = ["contoso.com", "fabrikam.com"] as const;
const specFor = (brand: (typeof brands)[number]) =>
  [
    "version: 1",
    "allowedDomains: [contoso.com, fabrikam.com]",
    "mailboxes:",
    ...users.flatMap((u) => [
      `  ${u}@contoso.com:`,
      `    primary: ${u}@${brand}`,
      ...(brand === "fabrikam.com" ? [`    aliases: [${u}@contoso.com]`] : []),
    ]),
    "",
  ].join("\n");
const x500 = migratedX500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("reliability: kill-point trials of a 100-mailbox apply", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;
  const figures = { trials: 0, survived: 0, writesAfterKill: 0, entriesLost: 0, writesRepeated: 0, lingering: 0 };

  before(async () => {
    emulator = await EmulatorProcess.start();
    emulator.withTenant((tenant) => {
      for (const u of users) {
        tenant.addRecipient(generatedMailbox(`${u}@contoso.com`, { x500: true }));
      }
    });
    stack = new TestStack("killpoints", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(specFor("contoso.com"));
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output.slice(-3000));
  });
  after(async () => {
    console.log(
      `ℹ figures: kill points ${figures.trials}, survived ${figures.survived}; writes after a kill ${figures.writesAfterKill}; writes repeated ${figures.writesRepeated}; entries lost ${figures.entriesLost}; processes left ${figures.lingering}`,
    );
    stack?.dispose();
    await emulator?.stop();
  });

  const applied = async () => (await emulator.counters())["exchange.Set-Mailbox.applied"] ?? 0;

  // Kill points: after k writes have landed (k = 0: while the run is still refreshing).
  const points: { k: number; faults?: FaultSettings }[] = [0, 1, 10, 20, 35, 50, 65, 80, 95].map((k) => ({ k }));
  points.push({ k: 40, faults: { throttleRate: 0.3, retryAfterSeconds: 1, serverErrorRate: 0.05, dropRate: 0.02 } });

  points.forEach(({ k, faults }, trial) => {
    it(`killed after ${k} writes${faults ? " under 429s, 503s and dropped connections" : ""}: no write after the kill, nothing lost or repeated, the next up converges`, async () => {
      figures.trials++;
      const brand = brands[(trial + 1) % 2]!;
      stack.writeSpec(specFor(brand));
      // 20 writes a second: the run is still writing when it is killed.
      await emulator.setFaults({ ...faults, writeBudget: { capacity: 1, refillPerSecond: 20 } });
      await emulator.resetCounters();
      const command = stack.command(["up", "--yes", "--skip-preview"]);
      const child = spawn(command.file, command.args, {
        cwd: command.cwd,
        env: command.env,
        detached: true,
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (k === 0) await sleep(1500);
      else for (let waited = 0; (await applied()) < k && waited < 120_000; waited += 25) await sleep(25);
      process.kill(-child.pid!, "SIGKILL");
      await exited;
      await sleep(300); // requests already on the wire may still land
      const atKill = await applied();
      for (let waited = 0; stack.processes().length > 0 && waited < 10_000; waited += 250) await sleep(250);
      const left = stack.processes().length;
      figures.lingering += left;
      await sleep(1500);
      const after = await applied();
      figures.writesAfterKill += after - atKill;
      assert.equal(left, 0, "processes of the killed run are still alive");
      assert.equal(after, atKill, `${after - atKill} writes arrived after the kill`);
      assert.ok(atKill < N, `the run finished before the kill (${atKill} writes)`);

      stack.run(["cancel", "--yes"]); // the lock a killed run leaves
      await emulator.setFaults(faults ?? {});
      const again = stack.up();
      assert.equal(again.code, 0, again.output.slice(-3000));
      const total = await applied();
      figures.writesRepeated += Math.max(0, total - N);
      assert.equal(total, N, `each mailbox written once over both runs (${atKill} + ${total - atKill})`);
      emulator.withTenant((tenant) => {
        for (const u of users) {
          const now = tenant.find(`${u}@contoso.com`)!.addresses;
          const lost = [x500(u), `smtp:${u}@contoso.onmicrosoft.com`].filter((e) => !now.includes(e));
          figures.entriesLost += lost.length;
          assert.deepEqual(lost, [], `${u} lost entries`);
          assert.ok(now.includes(`SMTP:${u}@${brand}`), `${u}'s primary is ${now.find((e) => e.startsWith("SMTP:"))}`);
        }
      });
      const check = stack.preview("--expect-no-changes");
      assert.equal(check.code, 0, check.output.slice(-3000));
      figures.survived++;
    });
  });
});
