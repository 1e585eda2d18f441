// The emulator's reads behind writes (emulator/propagation.ts): Graph's lag per write within a
// range, repeatable for one write; Exchange's stale replica answering as before the latest write
// only within its window; and the fault settings that turn both on, checked as every fault is.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FaultSettingsError, parseFaultSettings } from "../../../emulator/faults";
import { lagOfWrite, LaggedGraphView, StaleExchangeReads } from "../../../emulator/propagation";
import { loadSeedFile } from "../../../tenant/load-seed";
import { Tenant } from "../../../tenant/tenant";

function seededTenant(): Tenant {
  const tenant = Tenant.open(":memory:");
  tenant.seed(loadSeedFile());
  return tenant;
}

describe("reads behind writes", () => {
  it("a lag range gives each write its own lag inside the range, the same on every read", () => {
    const lags = Array.from({ length: 200 }, (_, seq) =>
      lagOfWrite({ min: 30_000, max: 120_000 }, { recipientId: `r${seq % 7}`, seq }),
    );
    assert.ok(lags.every((l) => l >= 30_000 && l <= 120_000));
    assert.ok(new Set(lags).size > 100, "lags vary from write to write");
    assert.equal(
      lagOfWrite({ min: 30_000, max: 120_000 }, { recipientId: "r1", seq: 5 }),
      lagOfWrite({ min: 30_000, max: 120_000 }, { recipientId: "r1", seq: 5 }),
    );
    assert.equal(lagOfWrite(5_000, { recipientId: "r1", seq: 5 }), 5_000);
    assert.equal(lagOfWrite(undefined, { recipientId: "r1", seq: 5 }), 0);
  });

  it("Graph shows the list before a write until that write's lag has passed", () => {
    const tenant = seededTenant();
    const before = tenant.find("mark.wilson@contoso.com")!.addresses;
    tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", ["smtp:new.alias@contoso.com"], []);
    const lagged = new LaggedGraphView(tenant, () => ({ min: 60_000, max: 120_000 }));
    assert.deepEqual(lagged.find("mark.wilson@contoso.com")!.addresses, before);
    const fresh = new LaggedGraphView(tenant, () => undefined);
    assert.ok(fresh.find("mark.wilson@contoso.com")!.addresses.includes("smtp:new.alias@contoso.com"));
  });

  it("a stale Exchange replica answers as before the latest write, within its window and at its rate only", () => {
    const tenant = seededTenant();
    const before = tenant.find("anna.kowalski@contoso.com")!.addresses;
    const after = tenant.addRemoveEmailAddresses("anna.kowalski@contoso.com", ["smtp:ak@contoso.com"], []).addresses;
    const read = (settings: { windowMs: number; rate: number } | undefined, roll = 0) =>
      new StaleExchangeReads(
        tenant,
        () => settings,
        () => roll,
      ).asRead(tenant.find("anna.kowalski@contoso.com")!).addresses;
    assert.deepEqual(read({ windowMs: 60_000, rate: 1 }), before, "behind the write");
    assert.deepEqual(read({ windowMs: 60_000, rate: 0.5 }, 0.9), after, "this read reached an up-to-date replica");
    assert.deepEqual(read({ windowMs: 0, rate: 1 }), after, "no window");
    assert.deepEqual(read(undefined), after, "off");
    // A recipient never written is read as it is.
    const untouched = tenant.find("lee.chen@contoso.com")!;
    assert.deepEqual(
      new StaleExchangeReads(tenant, () => ({ windowMs: 60_000, rate: 1 })).asRead(untouched),
      untouched,
    );
  });

  it("the fault settings take a lag range and stale reads, and name what is wrong", () => {
    const text =
      '{"graphPropagationLagMs":{"min":30000,"max":120000},"exchangeStaleReads":{"windowMs":60000,"rate":0.5},"batchOutOfOrder":true}';
    assert.deepEqual(parseFaultSettings(text), JSON.parse(text));
    const refused = (json: string) => {
      try {
        parseFaultSettings(json);
      } catch (err) {
        assert.ok(err instanceof FaultSettingsError);
        return err.problems.join("\n");
      }
      assert.fail(`accepted ${json}`);
    };
    assert.match(
      refused('{"graphPropagationLagMs":{"min":9,"max":1}}'),
      /graphPropagationLagMs\.min \(9\) is above graphPropagationLagMs\.max \(1\)/,
    );
    assert.match(refused('{"graphPropagationLagMs":"soon"}'), /graphPropagationLagMs is "soon"/);
    assert.match(refused('{"exchangeStaleReads":{"windowMs":1000,"rate":2}}'), /exchangeStaleReads\.rate is 2/);
    assert.match(
      refused('{"exchangeStaleReads":{"window":1000,"rate":1}}'),
      /exchangeStaleReads\.window is not a setting \(did you mean "windowMs"\?\)/,
    );
    assert.match(refused('{"batchOutOfOrder":"yes"}'), /batchOutOfOrder is "yes"; use true or false/);
  });
});
