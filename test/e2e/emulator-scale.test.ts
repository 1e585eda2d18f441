// 200 changed mailboxes through the real pulumi binary against the emulator: with faults on
// (30% 429 with Retry-After, 5% 503, 2% dropped connections) one `pulumi up` converges, nothing
// preserved is lost, and each mailbox is written exactly once. Then the HTTP requests a preview,
// a refresh and a preview --refresh cost, counted by the emulator.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { generatedMailbox, migratedX500 } from "../../harness/generated-mailbox";
import { TestStack } from "../../harness/pulumi-stack";

const N = 200;
const users = Array.from({ length: N }, (_, i) => `scale${String(i).padStart(3, "0")}`);

const spec = [
  "version: 1",
  "allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]",
  "mailboxes:",
  ...users.flatMap((u) => [`  ${u}@contoso.com:`, `    primary: ${u}@fabrikam.com`, `    aliases: [${u}@contoso.com]`]),
  "",
].join("\n");

describe(`${N} changed mailboxes on the emulator, through the pulumi binary`, () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;

  before(async () => {
    emulator = await EmulatorProcess.start();
    emulator.withTenant((tenant) => {
      for (const u of users) {
        tenant.addRecipient(generatedMailbox(`${u}@contoso.com`, { x500: true }));
      }
    });
    stack = new TestStack("scale", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(spec);
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  it("converges in one up under 30% 429, 5% 503 and 2% dropped connections; one write per mailbox", async () => {
    await emulator.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0.5, serverErrorRate: 0.05, dropRate: 0.02 });
    await emulator.resetCounters();
    const started = Date.now();
    const result = stack.up();
    const seconds = (Date.now() - started) / 1000;
    await emulator.setFaults({});
    const counters = await emulator.counters();
    assert.equal(
      result.code,
      0,
      result.output
        .split("\n")
        .filter((l) => /error|fail/i.test(l))
        .slice(0, 40)
        .join("\n"),
    );
    emulator.withTenant((tenant) => {
      for (const u of users) {
        const addresses = tenant.find(`${u}@contoso.com`)!.addresses;
        assert.deepEqual(
          [...addresses].sort(),
          [
            `SMTP:${u}@fabrikam.com`,
            `smtp:${u}@contoso.com`,
            `smtp:${u}@contoso.onmicrosoft.com`,
            migratedX500(u),
          ].sort(),
        );
      }
    });
    const reached = counters["exchange.Set-Mailbox"] ?? 0;
    const applied = counters["exchange.Set-Mailbox.applied"] ?? 0;
    const faulted = counters["exchange.Set-Mailbox.faulted"] ?? 0;
    console.log(
      JSON.stringify({
        scenario: `up of ${N} changed mailboxes with faults`,
        seconds,
        setMailboxRequests: reached + faulted,
        applied,
        faulted,
        droppedAfterApply: counters["faults.exchange.drop-after-apply"] ?? 0,
        counters,
      }),
    );
    assert.ok(faulted > 0, "faults were injected on writes");
    // Each mailbox written once; every other write request was a retry of one that failed.
    assert.equal(applied, N);
    assert.equal(reached, N);
  });

  it(`preview (which refreshes), refresh and preview --refresh=false of ${N} mailboxes cost one pass of reads each (15 users a filtered lookup, 20 lookups a request)`, async () => {
    const cost = async (args: string[]) => {
      await emulator.resetCounters();
      const result = stack.run(args);
      assert.equal(result.code, 0, result.output.slice(-3000));
      const c = await emulator.counters();
      return {
        graph: c["graph.requests"] ?? 0,
        graphBatches: c["graph.batch"] ?? 0,
        exchange: c["exchange.requests"] ?? 0,
        tokens: c["identity.token"] ?? 0,
        metadata: c["identity.openid-configuration"] ?? 0,
      };
    };
    const previewOnly = await cost(["preview", "--refresh=false", "--expect-no-changes"]);
    const refresh = await cost(["refresh", "--yes", "--skip-preview"]);
    const preview = await cost(["preview", "--expect-no-changes"]);
    console.log(JSON.stringify({ scenario: `read cost for N=${N}`, previewOnly, refresh, preview }));
    // Filtered lookups of 15 users, 20 of them a $batch (below 500 mailboxes).
    const batches = Math.ceil(Math.ceil(N / 15) / 20);
    // preview --refresh=false: the program reads every mailbox (batched) and the accepted domains.
    assert.equal(previewOnly.graphBatches, batches);
    const total = (c: typeof preview) => c.graph + c.exchange + c.tokens + c.metadata;
    assert.ok(total(previewOnly) <= batches + 5, JSON.stringify(previewOnly));
    // refresh: the provider reads every mailbox in one batched sweep.
    assert.equal(refresh.graphBatches, batches);
    assert.ok(total(refresh) <= batches + 5, JSON.stringify(refresh));
    // preview, which refreshes by default (Pulumi.yaml): one pass too, since the refresh's sweep
    // hands what it read to the program (providers/refresh-handoff.ts).
    assert.equal(preview.graphBatches, batches);
    assert.ok(total(preview) <= batches + 6, JSON.stringify(preview));
  });

  it(`a targeted plan (plan --changed-since) of one changed mailbox reads that mailbox, not the ${N}`, async () => {
    const git = (...args: string[]) => {
      const r = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
        cwd: stack.dir,
        encoding: "utf8",
      });
      assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
    };
    git("init", "-q");
    git("add", "mailboxes.yaml");
    git("commit", "-q", "-m", "applied");
    stack.writeSpec(
      spec.replace(
        `    aliases: [${users[7]}@contoso.com]\n`,
        `    aliases: [${users[7]}@contoso.com, ${users[7]}-extra@contoso.com]\n`,
      ),
    );
    await emulator.resetCounters();
    const plan = stack.cli(["plan", "--changed-since", "HEAD", "--json"]);
    const c = await emulator.counters();
    stack.writeSpec(spec);
    assert.equal(plan.code, 2, plan.output);
    const report = JSON.parse(plan.stdout) as { mailboxes: { identity: string; added: string[] }[] };
    assert.deepEqual(
      report.mailboxes.map((m) => [m.identity, m.added]),
      [[`${users[7]}@contoso.com`, [`${users[7]}-extra@contoso.com`]]],
    );
    const counted = {
      graphBatches: c["graph.batch"] ?? 0,
      graph: c["graph.requests"] ?? 0,
      exchange: c["exchange.requests"] ?? 0,
    };
    console.log(JSON.stringify({ scenario: `targeted plan of 1 in ${N}`, ...counted }));
    // One read batch for the one mailbox (a full run reads ceil(N/300)), plus the owner lookup of
    // the new alias, its lookup among holders Get-Mailbox does not list (one Graph batch of the
    // users, groups, contacts and deleted-items filters, one Get-Mailbox -SoftDeletedMailbox)
    // and the accepted domains: a handful, whatever N.
    assert.ok(counted.graphBatches <= 2, JSON.stringify(counted));
    assert.ok(counted.graph + counted.exchange <= 8, JSON.stringify(counted));
  });
});
