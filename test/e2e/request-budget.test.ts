// HTTP requests per changed mailbox (issue 26), counted by the emulator through the real pulumi
// binary: `up` of N changed mailboxes costs one write each plus reads that grow by the page, not
// by the mailbox. Without a write budget, so no 429 (a count that depends on timing) is among
// them: the write gate's pacing is checked on a fake clock in test/unit/targets/pipeline/write-gate.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchSpec } from "../../bench/scale/generate-tenant";

const total = (c: Record<string, number>) =>
  (c["graph.requests"] ?? 0) +
  (c["exchange.requests"] ?? 0) +
  (c["identity.token"] ?? 0) +
  (c["identity.openid-configuration"] ?? 0);

/** Adopts N generated mailboxes, then counts the requests of `up` rebranding all of them. */
function upOfChanged(n: number): () => Promise<Record<string, number>> {
  let emulator: EmulatorProcess;
  let stack: TestStack;
  before(async () => {
    emulator = await EmulatorProcess.start();
    emulator.withTenant((tenant) => tenant.seed(benchSeed(n)));
    stack = new TestStack(`requests${n}`, emulator.stackConfig(), emulator.environment());
    stack.writeSpec(benchSpec(n, "as-is"));
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output.slice(-3000));
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });
  return async () => {
    stack.writeSpec(benchSpec(n, "rebrand"));
    await emulator.resetCounters();
    const result = stack.up();
    assert.equal(result.code, 0, result.output.slice(-3000));
    const counters = await emulator.counters();
    console.log(JSON.stringify({ scenario: `up of ${n} changed mailboxes`, requests: total(counters), counters }));
    const rebranded = emulator.withTenant(
      (tenant) =>
        tenant
          .list({ usersOnly: true })
          .filter((r) => r.addresses.some((a) => a.startsWith("SMTP:bench") && a.endsWith("@fabrikam.com"))).length,
    );
    assert.equal(rebranded, n);
    assert.equal(counters["exchange.Set-Mailbox.applied"], n, "one write per mailbox");
    assert.equal(counters["exchange.Set-Mailbox"], n, "no write resent");
    return counters;
  };
}

describe("requests of `up` per changed mailbox, below the scan threshold (100 mailboxes)", () => {
  const up = upOfChanged(100);
  it("one write each; what Graph shows as a change is confirmed from Exchange 20 addresses a request, not one Get-Mailbox each", async () => {
    const c = await up();
    const pages = Math.ceil(100 / 20);
    // Get-Mailbox: the lag confirmation and the soft-deleted holders' lookup, 20 addresses each.
    assert.ok((c["exchange.Get-Mailbox"] ?? 0) <= 2 * pages, JSON.stringify(c));
    // Reads in all: the refresh's $batch sweep, the confirmation, the owners and hidden holders of
    // the new addresses (4 requests per 20 mailboxes), a handful more (tokens, domains, kinds).
    assert.ok(total(c) - 100 <= 5 * pages + 15, JSON.stringify(c));
  });
});

describe("requests of `up` per changed mailbox, from the scan threshold on (600 mailboxes)", () => {
  const up = upOfChanged(600);
  it("at most 1.1 x N + ceil(N/999) + 20 requests in all (issue 26's goal), one write each", async () => {
    const c = await up();
    assert.ok(total(c) <= 1.1 * 600 + Math.ceil(600 / 999) + 20, JSON.stringify(c));
  });
});
