import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { renderSpec, matchesFilter, type ExportedMailbox } from "../../../core/export/render-spec";
import { planChanges } from "../../../core/plan/plan-changes";
import { loadSpecText } from "../../../core/desired/load-spec";

const mailboxes: ExportedMailbox[] = [
  {
    id: "2",
    upn: "sales@contoso.com",
    displayName: "Sales",
    kind: "SharedMailbox",
    synced: false,
    cloudManaged: false,
    addresses: [
      "SMTP:sales@contoso.com",
      "smtp:quotes@contoso.com",
      "smtp:Orders@contoso.com",
      "smtp:sales@contoso.onmicrosoft.com",
    ],
  },
  {
    id: "1",
    upn: "mark.wilson@contoso.com",
    displayName: "Mark Wilson",
    kind: "UserMailbox",
    synced: true,
    cloudManaged: false,
    addresses: ["SMTP:Mark.Wilson@contoso.com", "X500:/o=x", "smtp:mark.wilson@contoso.onmicrosoft.com"],
  },
  {
    id: "3",
    upn: "odd@contoso.com",
    displayName: 'Odd: "quotes"',
    kind: "UserMailbox",
    synced: false,
    cloudManaged: false,
    addresses: ["SMTP:odd@contoso.com", "smtp:bad..alias@contoso.com"],
  },
  {
    id: "4",
    upn: undefined,
    displayName: "No primary",
    kind: "UserMailbox",
    synced: false,
    cloudManaged: false,
    addresses: ["X500:/o=y"],
  },
];

describe("renderSpec", () => {
  const { text, exported, skipped } = renderSpec(mailboxes);
  it("produces a valid spec, sorted, with comments marking shared and synced mailboxes", () => {
    const loaded = loadSpecText("export.yaml", text);
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map((p) => p.message).join("\n"));
    assert.deepEqual(
      loaded.spec.mailboxes.map((m) => m.identity),
      ["mark.wilson@contoso.com", "odd@contoso.com", "sales@contoso.com"],
    );
    assert.match(text, /mark\.wilson@contoso\.com: {2}# Mark Wilson; synced from on-premises AD/);
    assert.match(text, /sales@contoso\.com: {2}# Sales; shared mailbox/);
    assert.equal(exported, 3);
    assert.deepEqual(skipped, ["4: no usable primary SMTP address"]);
    assert.deepEqual(loaded.spec.allowedDomains, ["contoso.com"]);
  });
  it("keeps aliases it cannot express by switching that mailbox to additive", () => {
    const loaded = loadSpecText("export.yaml", text);
    assert.ok(loaded.ok);
    assert.equal(loaded.spec.mailboxes.find((m) => m.identity === "odd@contoso.com")!.mode, "additive");
  });
  it("is byte-for-byte stable whatever order the tenant returns", () => {
    assert.equal(renderSpec([...mailboxes].reverse()).text, text);
  });
  it("round trip: planning the export against the same tenant changes nothing", () => {
    const loaded = loadSpecText("export.yaml", text);
    assert.ok(loaded.ok);
    const byUpn = new Map(mailboxes.map((m) => [m.upn ?? m.id, m.addresses]));
    const change = planChanges(
      loaded.spec.mailboxes.map((m) => ({
        identity: m.identity,
        desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
        live: byUpn.get(m.identity),
      })),
    );
    assert.deepEqual(
      [...change.plans.values()].filter((p) => p.changed),
      [],
    );
  });
  it("round trip holds for random tenants", () => {
    const local = fc.constantFrom("a", "b", "Mark", "x.y", "sales");
    const domain = fc.constantFrom("contoso.com", "fabrikam.com", "contoso.onmicrosoft.com");
    const tenant = fc
      .uniqueArray(
        fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
        { selector: (a) => a.toLowerCase(), maxLength: 15 },
      )
      .chain((addresses) =>
        fc
          .array(fc.integer({ min: 0, max: 3 }), { minLength: addresses.length, maxLength: addresses.length })
          .map((owner) =>
            [0, 1, 2, 3].map((m): ExportedMailbox => {
              const mine = addresses.filter((_, i) => owner[i] === m);
              return {
                id: `id${m}`,
                upn: `m${m}@contoso.com`,
                displayName: `M${m}`,
                kind: "UserMailbox",
                synced: false,
                cloudManaged: false,
                addresses: [...mine.map((a, i) => `${i === 0 ? "SMTP" : "smtp"}:${a}`), "X500:/o=z"],
              };
            }),
          ),
      );
    fc.assert(
      fc.property(tenant, (boxes) => {
        const loaded = loadSpecText("e.yaml", renderSpec(boxes, ["contoso.com"]).text);
        assert.ok(loaded.ok);
        const byUpn = new Map(boxes.map((m) => [m.upn!, m.addresses]));
        const change = planChanges(
          loaded.spec.mailboxes.map((m) => ({
            identity: m.identity,
            desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
            live: byUpn.get(m.identity),
          })),
        );
        assert.deepEqual(
          [...change.plans.values()].filter((p) => p.changed),
          [],
        );
      }),
      { numRuns: 200 },
    );
  });
  it("filters by domain, UPN pattern and recipient type", () => {
    assert.equal(matchesFilter(mailboxes[0]!, { kind: "sharedmailbox" }), true);
    assert.equal(matchesFilter(mailboxes[1]!, { kind: "SharedMailbox" }), false);
    assert.equal(matchesFilter(mailboxes[1]!, { upn: "mark.*@contoso.com" }), true);
    assert.equal(matchesFilter(mailboxes[0]!, { upn: "mark.*" }), false);
    assert.equal(matchesFilter(mailboxes[0]!, { domain: "CONTOSO.com" }), true);
    assert.equal(matchesFilter(mailboxes[0]!, { domain: "fabrikam.com" }), false);
  });
});

describe("renderSpec: every recipient kind (issue 17)", () => {
  const kinds: ExportedMailbox[] = [
    {
      id: "g1",
      upn: undefined,
      displayName: "Marketing",
      kind: "MailUniversalDistributionGroup",
      synced: false,
      cloudManaged: false,
      addresses: ["SMTP:marketing@contoso.com", "smtp:marketing@contoso.onmicrosoft.com"],
    },
    {
      id: "c1",
      upn: undefined,
      displayName: "Litware",
      kind: "MailContact",
      externalEmailAddress: "support@litware.example",
      synced: false,
      cloudManaged: false,
      addresses: ["SMTP:support@litware.example", "smtp:litware@contoso.com"],
    },
    {
      id: "u1",
      upn: "ann@contoso.com",
      displayName: "Ann",
      kind: "UserMailbox",
      synced: false,
      cloudManaged: false,
      addresses: ["SMTP:ann@contoso.com"],
    },
  ];
  const { text } = renderSpec(kinds);
  it("writes each kind but user mailboxes, and a contact's external address, which stays out of allowedDomains", () => {
    const loaded = loadSpecText("export.yaml", text);
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map((p) => p.message).join("\n"));
    const byId = new Map(loaded.spec.mailboxes.map((m) => [m.identity, m]));
    assert.equal(byId.get("g1")?.kind, "MailUniversalDistributionGroup");
    assert.equal(byId.get("c1")?.kind, "MailContact");
    assert.equal(byId.get("c1")?.externalEmailAddress, "support@litware.example");
    assert.equal(byId.get("ann@contoso.com")?.kind, undefined);
    assert.deepEqual(loaded.spec.allowedDomains, ["contoso.com"]);
    assert.match(text, /"g1": {2}# Marketing; distribution group/);
  });
  it("--type filters by the precise kind", () => {
    assert.deepEqual(
      kinds.filter((m) => matchesFilter(m, { kind: "mailcontact" })).map((m) => m.id),
      ["c1"],
    );
    assert.deepEqual(
      kinds.filter((m) => matchesFilter(m, { kind: "MailUniversalDistributionGroup" })).map((m) => m.id),
      ["g1"],
    );
  });
});
