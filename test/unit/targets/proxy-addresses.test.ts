// The rules for proxyAddresses and mail in Active Directory: the seed's hard cases by example,
// the invariants by property (fast-check).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  applyDelta,
  applyRules,
  applyRulesToList,
  cloudDropReason,
  directoryDelta,
  inspectAddresses,
  type DirectoryAddresses,
} from "../../../targets/active-directory/proxy-addresses";

const X500 = "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=3f2a-Mark";

function ok(outcome: ReturnType<typeof applyRules>) {
  assert.ok(outcome.ok, `refused: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("proxyAddresses rules: the seed's hard cases", () => {
  it("a user with only lowercase smtp: entries gets the spec's primary; mail follows", () => {
    const current = { proxyAddresses: ["smtp:mark@contoso.com", "smtp:mwilson@contoso.com", X500], mail: undefined };
    assert.deepEqual(
      inspectAddresses(current).map((f) => f.code),
      ["NoPrimary"],
    );
    const out = ok(applyRules(current, { primary: "mwilson@contoso.com", aliases: ["mark@contoso.com"] }));
    assert.deepEqual(out.proxyAddresses, ["smtp:mark@contoso.com", "SMTP:mwilson@contoso.com", X500]);
    assert.equal(out.mail, "mwilson@contoso.com");
    assert.deepEqual(
      out.repairs.map((f) => f.code),
      ["NoPrimary"],
    );
    assert.deepEqual(directoryDelta(current.proxyAddresses, out.proxyAddresses), {
      remove: ["smtp:mwilson@contoso.com"],
      add: ["SMTP:mwilson@contoso.com"],
    });
  });

  it("two uppercase SMTP: entries are found and repaired: the spec's primary stays, the other is demoted", () => {
    const current = { proxyAddresses: ["SMTP:a@contoso.com", "SMTP:b@contoso.com"], mail: "a@contoso.com" };
    assert.deepEqual(
      inspectAddresses(current).map((f) => f.code),
      ["TwoPrimaries"],
    );
    const out = ok(applyRules(current, { primary: "b@contoso.com", aliases: ["a@contoso.com"] }));
    assert.deepEqual(out.proxyAddresses, ["smtp:a@contoso.com", "SMTP:b@contoso.com"]);
    assert.equal(out.mail, "b@contoso.com");
  });

  it("mail is set to the primary when empty or different", () => {
    assert.deepEqual(
      inspectAddresses({ proxyAddresses: ["SMTP:a@contoso.com"], mail: "old@contoso.com" }).map((f) => f.code),
      ["MailNotPrimary"],
    );
    assert.deepEqual(
      inspectAddresses({ proxyAddresses: ["SMTP:a@contoso.com"], mail: "" }).map((f) => f.code),
      ["MailMissing"],
    );
    assert.deepEqual(inspectAddresses({ proxyAddresses: ["SMTP:A@contoso.com"], mail: "a@CONTOSO.com" }), []);
    assert.equal(
      ok(
        applyRules(
          { proxyAddresses: ["SMTP:a@contoso.com"], mail: "old@contoso.com" },
          { primary: "a@contoso.com", aliases: [] },
        ),
      ).mail,
      "a@contoso.com",
    );
  });

  it("X500, SIP, X400 and routing addresses are kept byte for byte, in place; unlisted aliases go (strict) or stay (additive)", () => {
    const current = {
      proxyAddresses: [
        "SIP:Mark@contoso.com",
        "SMTP:mark@contoso.com",
        "X400:c=US;a= ;p=Contoso;o=Exchange;s=Wilson;",
        "smtp:old@contoso.com",
        "smtp:mark@contoso.mail.onmicrosoft.com",
        X500,
      ],
      mail: "mark@contoso.com",
    };
    const strict = ok(applyRules(current, { primary: "mark@contoso.com", aliases: [] }));
    assert.deepEqual(strict.proxyAddresses, [
      "SIP:Mark@contoso.com",
      "SMTP:mark@contoso.com",
      "X400:c=US;a= ;p=Contoso;o=Exchange;s=Wilson;",
      "smtp:mark@contoso.mail.onmicrosoft.com",
      X500,
    ]);
    const additive = ok(applyRules(current, { primary: "mark@contoso.com", aliases: [], additive: true }));
    assert.deepEqual(additive.proxyAddresses, current.proxyAddresses);
  });

  it("a case-only difference is no change", () => {
    const current = {
      proxyAddresses: ["SMTP:Mark.Wilson@contoso.com", "smtp:MW@contoso.com"],
      mail: "Mark.Wilson@contoso.com",
    };
    const out = ok(applyRules(current, { primary: "mark.wilson@contoso.com", aliases: ["mw@contoso.com"] }));
    assert.deepEqual(directoryDelta(current.proxyAddresses, out.proxyAddresses), { remove: [], add: [] });
  });

  it("refuses addresses the cloud would drop, with the reason; one already there is kept, not refused", () => {
    assert.match(cloudDropReason("mark@contoso.onmicrosoft.com")!, /onmicrosoft\.com/);
    assert.match(cloudDropReason("mark@contoso.mail.onmicrosoft.com")!, /hybrid routing domain/);
    assert.match(cloudDropReason("mark@eu.microsoftonline.com")!, /microsoftonline\.com/);
    assert.match(cloudDropReason("not an address")!, /not a valid address/);
    assert.equal(cloudDropReason("mark@contoso.com"), undefined);
    const current: DirectoryAddresses = {
      proxyAddresses: ["SMTP:mark@contoso.com", "smtp:mark@contoso.mail.onmicrosoft.com"],
      mail: "mark@contoso.com",
    };
    const refused = applyRules(current, {
      primary: "mark@contoso.com",
      aliases: ["m@contoso.onmicrosoft.com", "bad@@contoso.com"],
    });
    assert.ok(!refused.ok);
    assert.deepEqual(
      refused.refusals.map((r) => r.address),
      ["m@contoso.onmicrosoft.com", "bad@@contoso.com"],
    );
    const primary = applyRules(current, { primary: "mark@contoso.mail.onmicrosoft.com", aliases: [] });
    assert.ok(!primary.ok && /cannot be the primary/.test(primary.refusals[0]!.reason));
    assert.ok(applyRules(current, { primary: "mark@contoso.com", aliases: ["mark@contoso.mail.onmicrosoft.com"] }).ok);
  });

  it("refuses a value longer than proxyAddresses holds (256 with the prefix), and an international domain, which the cloud drops", () => {
    const current: DirectoryAddresses = { proxyAddresses: ["SMTP:mark@contoso.com"], mail: "mark@contoso.com" };
    const domain = `${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`;
    const long = `${"a".repeat(254 - 1 - domain.length)}@${domain}`;
    assert.equal(long.length, 254);
    const refused = applyRules(current, { primary: "mark@contoso.com", aliases: [long] });
    assert.ok(!refused.ok);
    assert.match(
      refused.refusals[0]!.reason,
      /has 259 characters with its prefix; a proxyAddresses value holds at most 256/,
    );
    const primary = applyRules(current, { primary: long, aliases: [] });
    assert.ok(
      !primary.ok && /cannot be the primary: .*has 259 characters with its prefix/.test(primary.refusals[0]!.reason),
    );
    assert.ok(applyRules(current, { primary: "mark@contoso.com", aliases: [long.slice(3)] }).ok);
    assert.match(
      cloudDropReason("info@xn--bcher-kva.example")!,
      /an international domain name, which a Microsoft 365 tenant cannot verify .*: the cloud drops it at sync/,
    );
  });

  it("a new list from the port needs exactly one SMTP: entry; non-SMTP entries it lacks are not removed", () => {
    const current = { proxyAddresses: ["SMTP:a@contoso.com", X500], mail: "a@contoso.com" };
    assert.ok(!applyRulesToList(current, ["smtp:a@contoso.com"]).ok);
    assert.ok(!applyRulesToList(current, ["SMTP:a@contoso.com", "SMTP:b@contoso.com"]).ok);
    const out = ok(applyRulesToList(current, ["SMTP:b@contoso.com", "smtp:a@contoso.com"]));
    assert.deepEqual(out.proxyAddresses, ["smtp:a@contoso.com", X500, "SMTP:b@contoso.com"]);
  });
});

// Small pools, so generated lists collide on addresses, case and prefixes.
const local = fc.constantFrom("a", "b", "Mark", "mark", "x.y");
const domain = fc.constantFrom("contoso.com", "fabrikam.com", "CONTOSO.com");
const reservedDomain = fc.constantFrom("contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com");
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const entry = fc.oneof(
  fc.tuple(fc.constantFrom("SMTP", "smtp"), address).map(([p, a]) => `${p}:${a}`),
  fc.tuple(fc.constantFrom("SMTP", "smtp"), local, reservedDomain).map(([p, l, d]) => `${p}:${l}@${d}`),
  fc
    .tuple(fc.constantFrom("X500", "SIP", "X400", "EUM", "x500"), fc.string({ maxLength: 12 }))
    .map(([p, v]) => `${p}:${v}`),
);
// AD matches values case-insensitively: one object never holds two values equal but for case.
const current = fc.record({
  proxyAddresses: fc.uniqueArray(entry, { maxLength: 8, selector: (e) => e.toLowerCase() }),
  mail: fc.option(address, { nil: undefined }),
});
const wanted = fc.record({ primary: address, aliases: fc.array(address, { maxLength: 4 }), additive: fc.boolean() });

describe("proxyAddresses rules: properties", () => {
  it("never drops or alters a non-SMTP entry; exactly one SMTP: after; mail is the primary; idempotent; the delta gives the result", () => {
    fc.assert(
      fc.property(current, wanted, (cur, want) => {
        const out = applyRules(cur, want);
        assert.ok(out.ok);
        for (const e of cur.proxyAddresses)
          if (!/^smtp:/i.test(e)) assert.ok(out.proxyAddresses.includes(e), `dropped ${e}`);
        const primaries = out.proxyAddresses.filter((e) => e.startsWith("SMTP:"));
        assert.equal(primaries.length, 1);
        assert.equal(out.mail, primaries[0]!.slice(5));
        assert.equal(out.mail.toLowerCase(), want.primary.toLowerCase());
        const again = applyRules({ proxyAddresses: out.proxyAddresses, mail: out.mail }, want);
        assert.ok(again.ok);
        assert.deepEqual(again.proxyAddresses, out.proxyAddresses);
        assert.deepEqual(again.repairs, []);
        assert.deepEqual(directoryDelta(out.proxyAddresses, again.proxyAddresses), { remove: [], add: [] });
        const delta = directoryDelta(cur.proxyAddresses, out.proxyAddresses);
        assert.deepEqual(new Set(applyDelta(cur.proxyAddresses, delta)), new Set(out.proxyAddresses));
      }),
      { numRuns: 500 },
    );
  });
});
