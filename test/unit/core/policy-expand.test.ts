// Expanding policies (core/policy/expand-policies.ts) into the records the planner takes: first
// match wins, `adds`, explicit entries override, the old primary kept, collisions (error or an
// appended number), the staged rebrand of docs/POLICIES.md planned and applied stage by stage.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expandPolicies, type Expansion } from "../../../core/policy/expand-policies";
import type { MailboxAttributes } from "../../../core/policy/policy-types";
import { planChanges } from "../../../core/plan/plan-changes";
import { formatProblem } from "../../../core/problems";
import { renderExpansion } from "../../../core/policy/render-expansion";
import { loadSpecText } from "../../../core/desired/load-spec";
import type { Spec } from "../../../core/desired/rules";

function specOf(
  body: string,
  mailboxes = "mailboxes: {}\n",
  domains = "[contoso.com, newbrand.com, contoso.onmicrosoft.com]",
): Spec {
  const result = loadSpecText(
    "mailboxes.yaml",
    `version: 1\nallowedDomains: ${domains}\npolicies:\n${body}${mailboxes}`,
    { policies: true },
  );
  assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("\n"));
  return result.spec;
}

let serial = 0;
function person(
  alias: string,
  given: string,
  surname: string,
  extra: Partial<MailboxAttributes> = {},
): MailboxAttributes {
  serial++;
  return {
    id: `00000000-0000-4000-8000-${String(serial).padStart(12, "0")}`,
    userPrincipalName: `${alias}@contoso.com`,
    givenName: given,
    surname,
    alias,
    displayName: `${given} ${surname}`,
    kind: "UserMailbox",
    addresses: [
      `SMTP:${alias}@contoso.com`,
      `smtp:${alias}@contoso.onmicrosoft.com`,
      `X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=${alias}`,
    ],
    ...extra,
  };
}

const rows = (expansion: Expansion) =>
  expansion.entries.map((e) => ({
    identity: e.upn ?? e.declaration.identity,
    primary: e.declaration.primary,
    aliases: e.declaration.aliases,
    mode: e.declaration.mode,
    from: e.origin.kind === "policy" ? e.origin.policies : "explicit",
  }));
const messages = (expansion: Expansion) => expansion.problems.map(formatProblem);

/** Plans the expansion against the live lists and applies it: the tenant after `up`. */
function apply(
  spec: Spec,
  tenant: MailboxAttributes[],
): { tenant: MailboxAttributes[]; changed: string[]; expansion: Expansion } {
  const expansion = expandPolicies(spec, tenant);
  assert.deepEqual(messages(expansion), []);
  const byId = new Map(tenant.map((m) => [m.id, m]));
  const plan = planChanges(
    expansion.mailboxes.map((d) => ({ identity: d.identity, desired: d, live: byId.get(d.identity)?.addresses })),
  );
  const changed = [...plan.plans].filter(([, p]) => p.changed).map(([id]) => byId.get(id)!.userPrincipalName!);
  return {
    tenant: tenant.map((m) => ({ ...m, addresses: plan.plans.get(m.id)?.final ?? m.addresses })),
    changed,
    expansion,
  };
}

describe("expandPolicies: which policy gives a mailbox its addresses", () => {
  const ann = person("ann", "Ann", "Lee", { department: "Sales", country: "DE" });
  const bob = person("bob", "Bob", "Ray", { department: "IT", company: "Fabrikam" });
  const room = person("room1", "", "", { kind: "RoomMailbox", displayName: "Room 1" });

  it("the first matching policy wins; a later one with adds: true adds its aliases", () => {
    const spec = specOf(
      [
        "  - name: sales",
        "    match: {department: [sales]}",
        '    primary: "%g.%s@contoso.com"',
        "  - name: everyone",
        "    match: {all: true}",
        '    primary: "%m@contoso.com"',
        "  - name: typo",
        "    match: {recipientTypes: [UserMailbox, RoomMailbox]}",
        '    aliases: ["%m@contoso.onmicrosoft.com", "%m@newbrand.com"]',
        "    adds: true",
        "",
      ].join("\n"),
    );
    const expansion = expandPolicies(spec, [room, bob, ann]);
    assert.deepEqual(messages(expansion), []);
    assert.deepEqual(rows(expansion), [
      {
        identity: "ann@contoso.com",
        primary: "Ann.Lee@contoso.com",
        aliases: ["ann@contoso.onmicrosoft.com", "ann@newbrand.com", "ann@contoso.com"],
        mode: "additive",
        from: ["sales", "typo"],
      },
      {
        identity: "bob@contoso.com",
        primary: "bob@contoso.com",
        aliases: ["bob@contoso.onmicrosoft.com", "bob@newbrand.com"],
        mode: "additive",
        from: ["everyone", "typo"],
      },
      {
        identity: "room1@contoso.com",
        primary: "room1@contoso.com",
        aliases: ["room1@contoso.onmicrosoft.com", "room1@newbrand.com"],
        mode: "additive",
        from: ["everyone", "typo"],
      },
    ]);
    const first = expansion.entries[0]!;
    assert.equal(
      first.declaration.identity,
      ann.id,
      "policy-managed mailboxes are keyed by object id, which survives a UPN change",
    );
    assert.ok(first.origin.kind === "policy");
    assert.deepEqual(
      [...first.origin.addressFrom],
      [
        ["ann.lee@contoso.com", "sales"],
        ["ann@contoso.onmicrosoft.com", "typo"],
        ["ann@newbrand.com", "typo"],
      ],
    );
    assert.deepEqual(
      first.declaration.source.primary,
      { line: 6, col: 14 },
      "the record points at the template that gave it",
    );
  });

  it("matches: recipient type, current primary domain, UPN and address patterns, identities, company, country", () => {
    const cases: [string, string[]][] = [
      ["{recipientTypes: [RoomMailbox]}", ["room1@contoso.com"]],
      ["{primaryDomains: [Contoso.com]}", ["ann@contoso.com", "bob@contoso.com", "room1@contoso.com"]],
      ['{upn: ["b*@contoso.com", "?nn@*"]}', ["ann@contoso.com", "bob@contoso.com"]],
      ['{addresses: ["room?@contoso.onmicrosoft.com"]}', ["room1@contoso.com"]],
      [`{identities: [bob@contoso.com, ${ann.id.toUpperCase()}]}`, ["ann@contoso.com", "bob@contoso.com"]],
      ["{company: [fabrikam]}", ["bob@contoso.com"]],
      ["{country: [de], department: [Sales]}", ["ann@contoso.com"]],
      ["{country: [de], department: [IT]}", []],
    ];
    for (const [match, expected] of cases) {
      const spec = specOf(`  - name: p\n    match: ${match}\n    aliases: ["%m@newbrand.com"]\n`);
      assert.deepEqual(
        expandPolicies(spec, [ann, bob, room]).entries.map((e) => e.upn),
        expected,
        match,
      );
    }
  });

  it("explicit entries win over every policy, adds included", () => {
    const spec = specOf(
      '  - name: all\n    match: {all: true}\n    primary: "%m@newbrand.com"\n  - name: typo\n    match: {all: true}\n    aliases: ["%m@contoso.onmicrosoft.com"]\n    adds: true\n',
      "mailboxes:\n  ANN@contoso.com:\n    primary: ann@contoso.com\n",
    );
    const expansion = expandPolicies(spec, [ann, bob]);
    assert.deepEqual(rows(expansion), [
      { identity: "ann@contoso.com", primary: "ann@contoso.com", aliases: [], mode: "strict", from: "explicit" },
      {
        identity: "bob@contoso.com",
        primary: "bob@newbrand.com",
        aliases: ["bob@contoso.onmicrosoft.com", "bob@contoso.com"],
        mode: "additive",
        from: ["all", "typo"],
      },
    ]);
  });

  it("expand says which policies an explicit entry overrides (issue 24)", () => {
    const spec = specOf(
      '  - name: all\n    match: {all: true}\n    primary: "%m@newbrand.com"\n  - name: typo\n    match: {all: true}\n    aliases: ["%m@contoso.onmicrosoft.com"]\n    adds: true\n',
      "mailboxes:\n  ANN@contoso.com:\n    primary: ann@contoso.com\n",
    );
    const expansion = expandPolicies(spec, [ann, bob]);
    assert.deepEqual(expansion.entries[0]!.origin, { kind: "explicit", overrides: ["all", "typo"] });
    const text = renderExpansion(expansion, { from: "mailboxes.yaml", allowedDomains: spec.allowedDomains });
    assert.match(
      text,
      /^ {2}# explicit entry \(overrides policies all, typo, which match this mailbox\)\n {2}"ANN@contoso\.com":$/m,
    );
    // An explicit entry no policy matches says nothing more.
    const none = expandPolicies(
      specOf(
        '  - name: it\n    match: {department: [IT]}\n    primary: "%m@newbrand.com"\n',
        "mailboxes:\n  ann@contoso.com:\n    primary: ann@contoso.com\n",
      ),
      [ann, bob],
    );
    assert.deepEqual(none.entries[0]!.origin, { kind: "explicit" });
  });

  it("an explicit entry keyed by one of the mailbox's SMTP addresses wins over the policy too: one entry, one verdict (issue 24)", () => {
    const withAlias = { ...ann, addresses: [...ann.addresses, "smtp:ann.lee@contoso.com"] };
    const spec = specOf(
      '  - name: all\n    match: {all: true}\n    primary: "%m@newbrand.com"\n',
      "mailboxes:\n  ann.lee@contoso.com:\n    primary: ann@contoso.com\n",
    );
    const expansion = expandPolicies(spec, [withAlias, bob]);
    assert.deepEqual(messages(expansion), []);
    assert.deepEqual(
      rows(expansion).map((r) => [r.identity, r.from]),
      [
        ["ann@contoso.com", "explicit"],
        ["bob@contoso.com", ["all"]],
      ],
    );
    assert.deepEqual(expansion.entries[0]!.origin, { kind: "explicit", overrides: ["all"] });
  });

  it("keepOldPrimary: false with mode strict drops the old primary; the MOERA is never listed as an old primary", () => {
    const spec = specOf(
      '  - name: p\n    match: {all: true}\n    primary: "%m@newbrand.com"\n    mode: strict\n    keepOldPrimary: false\n',
    );
    const moeraOnly = person("new", "N", "W", { addresses: ["SMTP:new@contoso.onmicrosoft.com"] });
    assert.deepEqual(
      rows(expandPolicies(spec, [bob, moeraOnly])).map((r) => [r.primary, r.aliases, r.mode]),
      [
        ["bob@newbrand.com", [], "strict"],
        ["new@newbrand.com", [], "strict"],
      ],
    );
  });

  it("the old primary is not kept when an explicit entry takes it: it moves", () => {
    const spec = specOf(
      '  - name: p\n    match: {all: true}\n    primary: "%m@newbrand.com"\n',
      "mailboxes:\n  ann@contoso.com:\n    primary: ann@contoso.com\n    aliases: [bob@contoso.com]\n",
    );
    const expansion = expandPolicies(spec, [ann, bob]);
    assert.deepEqual(messages(expansion), []);
    assert.deepEqual(rows(expansion)[1], {
      identity: "bob@contoso.com",
      primary: "bob@newbrand.com",
      aliases: [],
      mode: "additive",
      from: ["p"],
    });
    const live = new Map(
      [ann, bob].map((m) => [m.userPrincipalName!, m.addresses] as const).concat([[bob.id, bob.addresses]]),
    );
    const plan = planChanges(
      expansion.mailboxes.map((d) => ({ identity: d.identity, desired: d, live: live.get(d.identity) })),
    );
    assert.deepEqual(plan.moves, [{ address: "bob@contoso.com", from: bob.id, to: "ann@contoso.com" }]);
  });

  it("userPrincipalName: follows-primary is recorded with the UPN it asks for", () => {
    const spec = specOf(
      '  - name: p\n    match: {all: true}\n    primary: "%g.%s@newbrand.com"\n    userPrincipalName: follows-primary\n',
    );
    const [entry] = expandPolicies(spec, [ann]).entries;
    assert.equal(entry!.declaration.userPrincipalName, "follows-primary");
    assert.equal(entry!.targetUserPrincipalName, "Ann.Lee@newbrand.com");
    assert.equal(entry!.upn, "ann@contoso.com");
  });
});

describe("expandPolicies: collisions and bad values, each naming the policy, the mailboxes and the line", () => {
  const smith1 = person("jsmith", "John", "Smith");
  const smith2 = person("john.smith.it", "John", "Smith");
  const policy = (rule = "") => `  - name: staff\n    match: {all: true}\n    primary: "%g.%s@contoso.com"\n${rule}`;

  it("two John Smiths: an error at the template's line", () => {
    const expansion = expandPolicies(specOf(policy()), [smith2, smith1]);
    assert.deepEqual(messages(expansion), [
      'mailboxes.yaml:6:14: policies[0].primary: policy "staff": "John.Smith@contoso.com" for mailbox "john.smith.it@contoso.com" already goes to mailbox "jsmith@contoso.com"; add "onCollision: append-number" to the policy (as Exchange Server does: "John.Smith2@contoso.com"), or give one of them an explicit entry',
    ]);
  });

  it("onCollision: append-number numbers the later one from 2, as Exchange Server does, and a later run keeps it", () => {
    const spec = specOf(policy("    onCollision: append-number\n"));
    const smith3 = person("js3", "John", "Smith");
    const first = apply(spec, [smith3, smith2, smith1]);
    assert.deepEqual(
      rows(first.expansion).map((r) => [r.identity, r.primary]),
      [
        ["jsmith@contoso.com", "John.Smith@contoso.com"],
        ["john.smith.it@contoso.com", "John.Smith2@contoso.com"],
        ["js3@contoso.com", "John.Smith3@contoso.com"],
      ],
    );
    // A new John Smith whose id sorts first does not take anyone's address.
    const smith0 = { ...person("js0", "John", "Smith"), id: "00000000-0000-0000-0000-000000000000" };
    const second = apply(spec, [smith0, ...first.tenant]);
    assert.deepEqual(second.changed, ["js0@contoso.com"]);
    assert.equal(
      second.expansion.entries.find((e) => e.upn === "js0@contoso.com")!.declaration.primary,
      "John.Smith4@contoso.com",
    );
  });

  it("a number never takes an address another mailbox's template gives as is", () => {
    const spec = specOf(policy("    onCollision: append-number\n"));
    const real = person("real", "John", "Smith2");
    const expansion = expandPolicies(spec, [smith1, smith2, real]);
    assert.deepEqual(expansion.entries.map((e) => e.declaration.primary).sort(), [
      "John.Smith2@contoso.com",
      "John.Smith3@contoso.com",
      "John.Smith@contoso.com",
    ]);
    assert.equal(
      expansion.entries.find((e) => e.upn === "real@contoso.com")!.declaration.primary,
      "John.Smith2@contoso.com",
    );
  });

  it("an address another mailbox holds now, and one an explicit entry lists", () => {
    const holder = person("john.smith", "Jo", "Holder", { addresses: ["SMTP:John.Smith@contoso.com"] });
    const spec = specOf(
      '  - name: staff\n    match: {upn: ["j*"]}\n    primary: "%g.%s@contoso.com"\n',
      "mailboxes:\n  john.smith@contoso.com:\n    primary: John.Smith@contoso.com\n",
    );
    assert.deepEqual(messages(expandPolicies(spec, [smith1, holder])), [
      'mailboxes.yaml:6:14: policies[0].primary: policy "staff": "John.Smith@contoso.com" for mailbox "jsmith@contoso.com" already goes to the explicit entry "john.smith@contoso.com" at line 9; add "onCollision: append-number" to the policy (as Exchange Server does: "John.Smith2@contoso.com"), or give one of them an explicit entry',
    ]);
    const unmanaged = specOf('  - name: staff\n    match: {upn: ["jsmith@*"]}\n    primary: "%g.%s@contoso.com"\n');
    assert.deepEqual(messages(expandPolicies(unmanaged, [smith1, holder])), [
      'mailboxes.yaml:6:14: policies[0].primary: policy "staff": "John.Smith@contoso.com" for mailbox "jsmith@contoso.com" already goes to mailbox "john.smith@contoso.com", which has it now; add "onCollision: append-number" to the policy (as Exchange Server does: "John.Smith2@contoso.com"), or give one of them an explicit entry',
    ]);
  });

  it("an empty attribute and a non-ASCII name: the mailbox, the attribute, the token's column", () => {
    const noGiven = person("x", "", "Doe");
    const jose = person("jose", "José", "Ruiz");
    assert.deepEqual(messages(expandPolicies(specOf(policy()), [noGiven, jose])), [
      'mailboxes.yaml:6:15: policies[0].primary: policy "staff": mailbox "x@contoso.com": %g reads the given name (givenName), which is empty; set it in the tenant, or give the mailbox an explicit entry under mailboxes',
      'mailboxes.yaml:6:15: policies[0].primary: policy "staff": mailbox "jose@contoso.com": %g gives "José": the given name (givenName) has the non-ASCII character "é", which Exchange Online does not accept before "@"; add a replacement before the variable, e.g. %rée; or give the mailbox an explicit entry under mailboxes',
    ]);
  });

  it("one problem per template and cause, naming the mailboxes (five, then a count)", () => {
    const nameless = Array.from({ length: 7 }, (_, i) => person(`shared${i}`, "", ""));
    assert.deepEqual(messages(expandPolicies(specOf(policy()), nameless)), [
      'mailboxes.yaml:6:15: policies[0].primary: policy "staff": 7 mailboxes ("shared0@contoso.com", "shared1@contoso.com", "shared2@contoso.com", "shared3@contoso.com", "shared4@contoso.com" and 2 more): %g reads the given name (givenName), which is empty; set it in the tenant, or give them explicit entries under mailboxes',
    ]);
  });

  it("a mailbox without a primary that no policy gives one", () => {
    const bare = person("bare", "B", "C", { addresses: [] });
    const spec = specOf('  - name: typo\n    match: {all: true}\n    aliases: ["%m@newbrand.com"]\n');
    assert.deepEqual(messages(expandPolicies(spec, [bare])), [
      'mailboxes.yaml:4:11: policies[0].name: policy "typo": mailbox "bare@contoso.com" has no primary address and no matching policy gives one; add a primary template',
    ]);
  });
});

describe("policies at load time: the rules a spec is checked against before any tenant is read", () => {
  const problems = (body: string) => {
    const result = loadSpecText(
      "mailboxes.yaml",
      `version: 1\nallowedDomains: [contoso.com]\npolicies:\n${body}mailboxes: {}\n`,
      { policies: true },
    );
    return result.ok ? [] : result.problems.map(formatProblem);
  };
  it("a domain not in allowedDomains, at the policy's line", () => {
    assert.deepEqual(problems('  - name: rebrand\n    match: {all: true}\n    primary: "%m@newbrand.com"\n'), [
      'mailboxes.yaml:6:18: policies[0].primary: policy "rebrand": the domain "newbrand.com" of the primary template "%m@newbrand.com" is not in allowedDomains (contoso.com); add the domain there or fix the template',
    ]);
  });
  it("strict with the old primary kept is refused (it would not stay put)", () => {
    assert.deepEqual(
      problems('  - name: p\n    match: {all: true}\n    primary: "%m@contoso.com"\n    mode: strict\n'),
      [
        'mailboxes.yaml:7:11: policies[0].mode: policy "p": mode strict cannot keep the old primary: once it is an alias, strict removes it at the next run; set keepOldPrimary: false and list the old address\'s template under aliases, or use mode: additive',
      ],
    );
  });
  it("names are unique; a policy gives an address; match has a criterion; unknown keys get did-you-mean", () => {
    assert.deepEqual(
      problems(
        '  - name: p\n    match: {}\n    aliases: ["%m@contoso.com"]\n  - name: P\n    match: {all: true}\n    primary: "%m@contoso.com"\n    addz: true\n  - name: q\n    match: {all: true}\n',
      ),
      [
        "mailboxes.yaml:5:5: policies[0].match: needs at least one criterion: all, recipientTypes, primaryDomains, upn, addresses, identities, department, company, country (all: true for every mailbox)",
        'mailboxes.yaml:7:11: policies[1].name: policy "P": the name is used twice (also policies[0] at line 4); names compare case-insensitively, rename one',
        'mailboxes.yaml:10:5: policies[1].addz: unknown key "addz"; did you mean "adds"? allowed here: name, match, primary, aliases, mode, keepOldPrimary, adds, onCollision, userPrincipalName',
        'mailboxes.yaml:11:11: policies[2]: policy "q": gives no address: add a primary template, aliases, or both',
      ],
    );
  });
  it("a version 1 file without policies loads as before (the field is additive)", () => {
    const result = loadSpecText(
      "m.yaml",
      "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    userPrincipalName: follows-primary\n",
      {
        policies: true,
      },
    );
    assert.ok(result.ok);
    assert.deepEqual(result.spec.policies, []);
    assert.equal(result.spec.mailboxes[0]!.userPrincipalName, "follows-primary");
  });
  it("a caller that does not expand policies refuses them, at their lines, rather than ignoring them", () => {
    const text =
      'version: 1\nallowedDomains: [contoso.com]\npolicies:\n  - name: p\n    match: {all: true}\n    aliases: ["%m@contoso.com"]\nmailboxes:\n  A@contoso.com:\n    primary: a@contoso.com\n    userPrincipalName: follows-primary\n';
    const result = loadSpecText("m.yaml", text);
    assert.deepEqual(result.ok ? [] : result.problems.map(formatProblem), [
      "m.yaml:3:1: policies: policies is checked, but this command does not apply it yet (docs/POLICIES.md); write these mailboxes as explicit entries for now",
      'm.yaml:10:5: mailboxes["A@contoso.com"].userPrincipalName: userPrincipalName is checked, but this command does not apply it yet (docs/POLICIES.md); remove it for now',
    ]);
    assert.ok(loadSpecText("m.yaml", text, { policies: true }).ok);
  });
});

describe("the staged rebrand of docs/POLICIES.md, planned and applied stage by stage", () => {
  const tenant0 = [
    person("ann", "Ann", "Lee"),
    person("bob", "Bob", "Ray"),
    person("cy", "Cy", "Xu", {
      addresses: [
        "SMTP:cy@contoso.com",
        "smtp:cy.old@contoso.com",
        "smtp:cy@contoso.onmicrosoft.com",
        "SIP:cy@contoso.com",
      ],
    }),
  ];
  // Stage 1 names today's primary too, so that reverting stage 2 moves the primary back.
  const stage1 = specOf(
    '  - name: newbrand\n    match: {all: true}\n    primary: "%m@contoso.com"\n    aliases: ["%m@newbrand.com"]\n',
  );
  const stage2 = specOf('  - name: newbrand\n    match: {all: true}\n    primary: "%m@newbrand.com"\n');
  const stage3 = specOf(
    '  - name: newbrand\n    match: {all: true}\n    primary: "%m@newbrand.com"\n    userPrincipalName: follows-primary\n',
  );

  it("each stage changes what it says, then previews clean; old addresses stay; nothing else is lost", () => {
    const one = apply(stage1, tenant0);
    assert.deepEqual(one.changed, ["ann@contoso.com", "bob@contoso.com", "cy@contoso.com"]);
    assert.deepEqual(one.tenant[2]!.addresses, [
      "SMTP:cy@contoso.com",
      "smtp:cy@newbrand.com",
      "smtp:cy.old@contoso.com",
      "smtp:cy@contoso.onmicrosoft.com",
      "SIP:cy@contoso.com",
    ]);
    assert.deepEqual(apply(stage1, one.tenant).changed, [], "stage 1 again: no change");

    const two = apply(stage2, one.tenant);
    assert.deepEqual(two.changed, ["ann@contoso.com", "bob@contoso.com", "cy@contoso.com"]);
    assert.deepEqual(two.tenant[2]!.addresses, [
      "SMTP:cy@newbrand.com",
      "smtp:cy@contoso.com",
      "smtp:cy.old@contoso.com",
      "smtp:cy@contoso.onmicrosoft.com",
      "SIP:cy@contoso.com",
    ]);
    assert.deepEqual(apply(stage2, two.tenant).changed, [], "stage 2 again: the old primary, now an alias, stays");

    const three = apply(stage3, two.tenant);
    assert.deepEqual(three.changed, [], "stage 3 changes no address (UPN writes are later work)");
    assert.deepEqual(
      three.expansion.entries.map((e) => e.targetUserPrincipalName),
      ["ann@newbrand.com", "bob@newbrand.com", "cy@newbrand.com"],
    );

    // Reverting stage 2 (back to stage 1's file): the primary moves back, the new address stays an alias.
    const back = apply(stage1, two.tenant);
    assert.deepEqual(back.changed, ["ann@contoso.com", "bob@contoso.com", "cy@contoso.com"]);
    assert.deepEqual(back.tenant[0]!.addresses.slice(0, 2), ["SMTP:ann@contoso.com", "smtp:ann@newbrand.com"]);
    assert.deepEqual(apply(stage1, back.tenant).changed, []);
  });
});

describe("renderExpansion: the expanded spec, each line saying which policy gave it", () => {
  it("renders explicit and policy-managed mailboxes, kept addresses, the UPN to follow; --policy filters", () => {
    const ann = { ...person("ann", "Ann", "Lee"), id: "00000000-0000-4000-8000-00000000000a" };
    const bob = { ...person("bob", "Bob", "Ray"), id: "00000000-0000-4000-8000-00000000000b" };
    const spec = specOf(
      '  - name: brand\n    match: {upn: ["a*"]}\n    primary: "%g.%s@newbrand.com"\n    userPrincipalName: follows-primary\n  - name: typo\n    match: {all: true}\n    aliases: ["%m@contoso.onmicrosoft.com"]\n    adds: true\n',
      "mailboxes:\n  bob@contoso.com:\n    primary: bob@contoso.com\n",
    );
    const expansion = expandPolicies(spec, [bob, ann]);
    const options = { from: "infra/mailboxes.yaml", allowedDomains: spec.allowedDomains };
    assert.equal(
      renderExpansion(expansion, options),
      [
        "# Expanded from infra/mailboxes.yaml: 2 mailboxes (1 by policies, 1 explicit).",
        "# Generated by mailbox-addresses expand: edit the policies, not this file.",
        "version: 1",
        'allowedDomains: ["contoso.com", "newbrand.com", "contoso.onmicrosoft.com"]',
        "mailboxes:",
        "  # explicit entry (overrides policy typo, which matches this mailbox)",
        '  "bob@contoso.com":',
        '    primary: "bob@contoso.com"',
        "    mode: strict",
        "  # ann@contoso.com: policies: brand, typo",
        '  "00000000-0000-4000-8000-00000000000a":',
        '    primary: "Ann.Lee@newbrand.com"  # brand',
        "    aliases:",
        '      - "ann@contoso.onmicrosoft.com"  # typo',
        '      - "ann@contoso.com"  # kept: the old primary',
        "    mode: additive",
        '    userPrincipalName: "follows-primary"  # → Ann.Lee@newbrand.com',
        "",
      ].join("\n"),
    );
    assert.match(
      renderExpansion(expansion, { ...options, policy: "typo" }),
      /policy typo only: 1 mailbox \(1 by policies, 0 explicit\)/,
    );
    assert.match(renderExpansion(expansion, { ...options, policy: "nothing" }), /\nmailboxes: \{\}\n$/);
  });
});
