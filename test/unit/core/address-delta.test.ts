// Delta writes (issue 19, defect 2): the @{Add; Remove} a write sends turns the list it was planned
// from into the planned list, and keeps what someone else added meanwhile.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey, parseProxyAddress, sameAddressList } from "../../../core/address";
import { addressDelta, deltaLanded } from "../../../core/plan/address-delta";
import { planMailbox } from "../../../core/plan/plan-mailbox";
import { applyAddRemove } from "../../../exchange/exchange-rules";

const local = fc.constantFrom("a", "b", "c", "d", "e", "Mark", "mark");
const domain = fc.constantFrom("contoso.com", "fabrikam.com", "contoso.onmicrosoft.com");
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const other = fc.constantFrom("X500:/o=Org/cn=a", "SIP:a@contoso.com", "SPO:SPO_1@SPO_2");

/** A live list: one primary, SMTP aliases, other entries, no two entries for one address. */
const liveList = fc
  .tuple(
    address,
    fc.uniqueArray(address, { maxLength: 5, selector: addressKey }),
    fc.uniqueArray(other, { maxLength: 2 }),
  )
  .map(([primary, aliases, others]) => [
    `SMTP:${primary}`,
    ...aliases.filter((a) => addressKey(a) !== addressKey(primary)).map((a) => `smtp:${a}`),
    ...others,
  ]);
const desired = fc
  .record({
    primary: address,
    aliases: fc.uniqueArray(address, { maxLength: 4, selector: addressKey }),
    mode: fc.constantFrom("strict" as const, "additive" as const),
  })
  .map((d) => ({ ...d, aliases: d.aliases.filter((a) => addressKey(a) !== addressKey(d.primary)) }));

describe("applyAddRemove (the tenant model): Exchange keeps the spelling an address has", () => {
  it("adding an address held in another case changes its primary flag at most", () => {
    assert.deepEqual(applyAddRemove(["SMTP:a@contoso.com", "smtp:mark@contoso.com"], ["smtp:Mark@Contoso.com"], []), [
      "SMTP:a@contoso.com",
      "smtp:mark@contoso.com",
    ]);
    assert.deepEqual(applyAddRemove(["SMTP:a@contoso.com", "smtp:mark@contoso.com"], ["SMTP:Mark@contoso.com"], []), [
      "smtp:a@contoso.com",
      "SMTP:mark@contoso.com",
    ]);
    assert.deepEqual(applyAddRemove(["SMTP:mark@contoso.com"], ["SMTP:Mark@contoso.com"], []), [
      "SMTP:mark@contoso.com",
    ]);
  });
  it("a new address is written as given, case included", () => {
    assert.deepEqual(applyAddRemove(["SMTP:a@contoso.com"], ["smtp:New.Alias@Fabrikam.com"], []), [
      "SMTP:a@contoso.com",
      "smtp:New.Alias@Fabrikam.com",
    ]);
  });
});

describe("addressDelta", () => {
  it("applied to the list it was planned from, gives the planned list", () => {
    fc.assert(
      fc.property(liveList, desired, (live, want) => {
        const plan = planMailbox(want, live);
        const delta = addressDelta(live, plan.final);
        const applied = applyAddRemove(live, delta.add, delta.remove);
        assert.ok(sameAddressList(applied, plan.final), `${JSON.stringify(applied)} != ${JSON.stringify(plan.final)}`);
        assert.ok(deltaLanded(applied, delta));
        assert.equal(delta.add.length + delta.remove.length === 0, !plan.changed);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps an alias added by someone else between the read and the write (the full list lost it)", () => {
    fc.assert(
      fc.property(
        liveList,
        desired.map((d) => ({ ...d, mode: "additive" as const })),
        fc.constantFrom("zz-admin@contoso.com", "zz-admin@fabrikam.com"),
        (live, want, extra) => {
          fc.pre(!live.some((e) => addressKey(parseProxyAddress(e).value) === extra));
          fc.pre(![want.primary, ...want.aliases].some((a) => addressKey(a) === extra));
          const plan = planMailbox(want, live);
          const meanwhile = [...live, `smtp:${extra}`];
          const applied = applyAddRemove(
            meanwhile,
            ...(Object.values(addressDelta(live, plan.final)) as [string[], string[]]),
          );
          assert.ok(
            applied.some((e) => addressKey(parseProxyAddress(e).value) === extra),
            "the concurrent alias was removed",
          );
          // What the old full-list write did: the alias is gone.
          assert.ok(!plan.final.some((e) => addressKey(parseProxyAddress(e).value) === extra));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("what up leaves is what the plan shows, spelling included (a re-case is never announced and skipped)", () => {
    const entries = (list: readonly string[]) =>
      [...new Set(list.map((e) => (parseProxyAddress(e).kind === "smtp" ? e : e)))].sort();
    fc.assert(
      fc.property(liveList, desired, (live, want) => {
        const plan = planMailbox(want, live);
        const delta = addressDelta(live, plan.final);
        const applied = applyAddRemove(live, delta.add, delta.remove);
        assert.deepEqual(entries(applied), entries(plan.final));
        // Every address the mailbox had keeps its spelling; every new one is spelled as the spec writes it.
        for (const kept of plan.caseKept) assert.ok(applied.some((e) => parseProxyAddress(e).value === kept.tenant));
        for (const added of plan.add) assert.ok(applied.some((e) => parseProxyAddress(e).value === added.address));
      }),
      { numRuns: 500 },
    );
  });

  it("sends a primary change as one added SMTP: entry; a case-only difference as nothing", () => {
    assert.deepEqual(
      addressDelta(["SMTP:a@contoso.com", "smtp:b@contoso.com"], ["SMTP:b@contoso.com", "smtp:a@contoso.com"]),
      { add: ["SMTP:b@contoso.com"], remove: [] },
    );
    assert.deepEqual(addressDelta(["SMTP:a@contoso.com"], ["SMTP:A@Contoso.com"]), { add: [], remove: [] });
    assert.deepEqual(
      addressDelta(["SMTP:a@contoso.com", "smtp:old@contoso.com", "X500:/o=x"], ["SMTP:a@contoso.com", "X500:/o=x"]),
      { add: [], remove: ["smtp:old@contoso.com"] },
    );
  });
});
