import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey, isMicrosoftRoutingAddress, parseProxyAddress } from "../../../core/address";
import { describePlan } from "../../../core/plan/describe-plan";
import { planMailbox, REASONS, type DesiredAddresses } from "../../../core/plan/plan-mailbox";

const live = [
  "SMTP:mark@contoso.com",
  "smtp:mark.wilson@contoso.com",
  "smtp:old@contoso.com",
  "smtp:mark.wilson@contoso.onmicrosoft.com",
  "X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=mark",
  "SIP:mark@contoso.com",
];

describe("planMailbox", () => {
  it("switches the primary, adds and removes aliases, keeps MOERA and non-SMTP entries", () => {
    const plan = planMailbox(
      { primary: "mark@fabrikam.com", aliases: ["mark.wilson@contoso.com", "mark@contoso.com"], mode: "strict" },
      live,
    );
    assert.deepEqual(plan.primary, { from: "mark@contoso.com", to: "mark@fabrikam.com", changed: true });
    assert.deepEqual(plan.add, [{ address: "mark@fabrikam.com", reason: REASONS.newPrimary }]);
    assert.deepEqual(plan.remove, [{ address: "old@contoso.com", reason: REASONS.notListed }]);
    assert.deepEqual(plan.final, [
      "SMTP:mark@fabrikam.com",
      "smtp:mark.wilson@contoso.com",
      "smtp:mark@contoso.com",
      "smtp:mark.wilson@contoso.onmicrosoft.com",
      "X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=mark",
      "SIP:mark@contoso.com",
    ]);
    assert.deepEqual(
      plan.preserve.map((p) => p.reason),
      [REASONS.routing, REASONS.nonSmtp, REASONS.nonSmtp],
    );
    assert.equal(plan.changed, true);
  });

  it("removes the old primary in strict mode when the spec does not list it", () => {
    const plan = planMailbox({ primary: "mark@fabrikam.com", aliases: [], mode: "strict" }, ["SMTP:mark@contoso.com"]);
    assert.deepEqual(plan.remove, [{ address: "mark@contoso.com", reason: REASONS.oldPrimaryNotListed }]);
  });

  it("keeps unlisted aliases (and the old primary, as an alias) in additive mode", () => {
    const plan = planMailbox({ primary: "mark@fabrikam.com", aliases: [], mode: "additive" }, live);
    assert.deepEqual(plan.remove, []);
    assert.ok(plan.final.includes("smtp:old@contoso.com"));
    assert.ok(plan.final.includes("smtp:mark@contoso.com"));
  });

  it("releases an address another mailbox claims, even in additive mode", () => {
    const plan = planMailbox({ primary: "mark@contoso.com", aliases: [], mode: "additive" }, live, {
      releaseTo: new Map([["old@contoso.com", "sales@contoso.com"]]),
    });
    assert.deepEqual(plan.remove, [{ address: "old@contoso.com", reason: REASONS.movesTo("sales@contoso.com") }]);
  });

  it("sees no change when only the case differs", () => {
    const plan = planMailbox(
      { primary: "Mark@Contoso.com", aliases: ["MARK.WILSON@contoso.com"], mode: "additive" },
      live,
    );
    assert.equal(plan.changed, false);
    assert.equal(plan.primary.changed, false);
    assert.deepEqual(plan.add, []);
  });

  it("keeps the mailbox's spelling of an address it has, and says so; a new address is spelled as the spec writes it", () => {
    const plan = planMailbox({ primary: "Mark@Contoso.com", aliases: ["New@Contoso.com"], mode: "additive" }, live);
    assert.equal(plan.final[0], "SMTP:mark@contoso.com");
    assert.ok(plan.final.includes("smtp:New@Contoso.com"));
    assert.deepEqual(plan.caseKept, [{ spec: "Mark@Contoso.com", tenant: "mark@contoso.com" }]);
    assert.deepEqual(plan.add, [{ address: "New@Contoso.com", reason: REASONS.listed }]);
    assert.match(
      describePlan(plan),
      /\+ New@Contoso\.com; = Mark@Contoso\.com \(the mailbox keeps "mark@contoso\.com": Exchange does not re-case an address\)/,
    );
  });
  it("the log line (pulumi preview's) shows an address in an international domain in both forms", () => {
    const plan = planMailbox(
      { primary: "mark@contoso.com", aliases: ["info@xn--bcher-kva.example"], mode: "additive" },
      live,
    );
    assert.match(describePlan(plan), /\+ info@xn--bcher-kva\.example \(info@bücher\.example\)/);
  });
  it("promoting an alias spelled otherwise keeps the alias's spelling as the primary", () => {
    const plan = planMailbox({ primary: "Mark.Wilson@contoso.com", aliases: [], mode: "additive" }, live);
    assert.equal(plan.primary.to, "mark.wilson@contoso.com");
    assert.equal(plan.final[0], "SMTP:mark.wilson@contoso.com");
  });

  it("promotes an existing alias to primary without adding it", () => {
    const plan = planMailbox(
      { primary: "mark.wilson@contoso.com", aliases: ["mark@contoso.com"], mode: "additive" },
      live,
    );
    assert.equal(plan.primary.changed, true);
    assert.deepEqual(plan.add, []);
    assert.equal(plan.final[0], "SMTP:mark.wilson@contoso.com");
    assert.ok(plan.final.includes("smtp:mark@contoso.com"));
  });

  it("handles an empty live list (a mailbox with nothing yet)", () => {
    const plan = planMailbox({ primary: "a@x.com", aliases: ["b@x.com"], mode: "strict" }, []);
    assert.deepEqual(plan.final, ["SMTP:a@x.com", "smtp:b@x.com"]);
    assert.equal(plan.primary.from, undefined);
    assert.equal(plan.primary.changed, true);
  });

  it("folds duplicate live entries", () => {
    const plan = planMailbox({ primary: "a@x.com", aliases: [], mode: "strict" }, [
      "SMTP:a@x.com",
      "smtp:A@x.com",
      "X500:/o=1",
      "X500:/o=1",
    ]);
    assert.deepEqual(plan.final, ["SMTP:a@x.com", "X500:/o=1"]);
  });
});

// ---- property-based tests -------------------------------------------------------------------

const localPart = fc.constantFrom("a", "b", "c", "Mark", "sales", "info", "x.y");
const domain = fc.constantFrom(
  "contoso.com",
  "fabrikam.com",
  "Contoso.com",
  "contoso.onmicrosoft.com",
  "contoso.mail.onmicrosoft.com",
);
const address = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);
const smtpEntry = fc.tuple(fc.constantFrom("SMTP", "smtp"), address).map(([p, a]) => `${p}:${a}`);
const otherEntry = fc.constantFrom(
  "X500:/o=ExchangeLabs/cn=1",
  "SIP:a@contoso.com",
  "SPO:SPO_1@SPO_2",
  "EUM:123;phone-context=x",
  "X400:C=US;",
);
const liveList = fc.array(fc.oneof(smtpEntry, smtpEntry, otherEntry), { maxLength: 12 });
const desired: fc.Arbitrary<DesiredAddresses> = fc
  .tuple(address, fc.array(address, { maxLength: 6 }), fc.constantFrom("strict" as const, "additive" as const))
  .map(([primary, aliases, mode]) => {
    const seen = new Set([addressKey(primary)]);
    const unique = aliases.filter((a) => !seen.has(addressKey(a)) && (seen.add(addressKey(a)), true));
    return { primary, aliases: unique, mode };
  });
const keys = (list: readonly string[]) =>
  new Set(
    list
      .map((e) => parseProxyAddress(e))
      .filter((p) => p.kind === "smtp")
      .map((p) => addressKey(p.value)),
  );

describe("planMailbox properties", () => {
  it("the final list has exactly one SMTP: entry, the spec's primary", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const primaries = planMailbox(want, have).final.filter((e) => e.startsWith("SMTP:"));
        // spelled as the mailbox has it when it has it (Exchange keeps an address's case), else as the spec writes it
        const held = have
          .map((e) => parseProxyAddress(e))
          .find((p) => p.kind === "smtp" && addressKey(p.value) === addressKey(want.primary));
        assert.deepEqual(primaries, [`SMTP:${held?.value ?? want.primary}`]);
      }),
      { numRuns: 500 },
    );
  });
  it("the final list holds every desired address", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const finalKeys = keys(planMailbox(want, have).final);
        for (const a of [want.primary, ...want.aliases]) assert.ok(finalKeys.has(addressKey(a)), a);
      }),
      { numRuns: 500 },
    );
  });
  it("every non-SMTP and routing (MOERA) entry is kept", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const plan = planMailbox(want, have);
        for (const entry of have) {
          const parsed = parseProxyAddress(entry);
          if (parsed.kind === "other") assert.ok(plan.final.includes(entry), entry);
          else if (isMicrosoftRoutingAddress(parsed.value))
            assert.ok(keys(plan.final).has(addressKey(parsed.value)), entry);
        }
      }),
      { numRuns: 500 },
    );
  });
  it("additive mode never removes an address", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const plan = planMailbox({ ...want, mode: "additive" }, have);
        assert.deepEqual(plan.remove, []);
        for (const key of keys(have)) assert.ok(keys(plan.final).has(key));
      }),
      { numRuns: 500 },
    );
  });
  it("planning the final list again is a no-op", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const again = planMailbox(want, planMailbox(want, have).final);
        assert.equal(again.changed, false);
        assert.deepEqual(again.add, []);
        assert.deepEqual(again.remove, []);
      }),
      { numRuns: 500 },
    );
  });
  it("add and remove account for every SMTP difference between live and final", () => {
    fc.assert(
      fc.property(desired, liveList, (want, have) => {
        const plan = planMailbox(want, have);
        const before = keys(have);
        const after = keys(plan.final);
        assert.deepEqual(
          new Set(plan.add.map((c) => addressKey(c.address))),
          new Set([...after].filter((k) => !before.has(k))),
        );
        assert.deepEqual(
          new Set(plan.remove.map((c) => addressKey(c.address))),
          new Set([...before].filter((k) => !after.has(k))),
        );
      }),
      { numRuns: 500 },
    );
  });
});
