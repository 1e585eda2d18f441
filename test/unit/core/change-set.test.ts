// The change set is right when a targeted run leaves nothing for a full run to do. The oracle is
// the planner itself: a model tenant is brought to the `before` spec by a full plan, the change
// set's mailboxes are planned and written alone (as a targeted run would: only they are declared,
// every other recipient keeps its addresses and Exchange's one-owner rule holds across all), then
// a full plan of `after` must find no mailbox to change and no address to move.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey, parseProxyAddress } from "../../../core/address";
import {
  computeChangeSet,
  withStateDependents,
  type ChangeSet,
  type TargetedChangeSet,
} from "../../../core/plan/change-set";
import { planChanges, type ChangePlan, type MailboxInput } from "../../../core/plan/plan-changes";
import { planMailbox } from "../../../core/plan/plan-mailbox";
import { loadSpecText, type Spec } from "../../../core/desired/load-spec";

function spec(text: string, options: { policies?: boolean } = {}): Spec {
  const result = loadSpecText("mailboxes.yaml", text, options);
  if (!result.ok) throw new Error(`test spec refused: ${result.problems.map((p) => p.message).join("; ")}`);
  return result.spec;
}

function targeted(set: ChangeSet): TargetedChangeSet {
  assert.equal(set.scope, "targeted", JSON.stringify(set));
  return set as TargetedChangeSet;
}

const reasonsOf = (set: TargetedChangeSet) =>
  Object.fromEntries(
    [...set.targets].map(([id, reasons]) => [
      id,
      reasons.map((r) =>
        r.kind === "gives"
          ? `gives ${r.address} to ${r.to}`
          : r.kind === "dependsOn"
            ? `depends on ${r.target}`
            : r.kind,
      ),
    ]),
  );

// ---------------------------------------------------------------------------------------------
// The model tenant: recipients with their EmailAddresses, Exchange's rule that an SMTP address
// belongs to one recipient, and spec keys (a UPN or an object id) that resolve to a recipient.

type Tenant = Map<string, string[]>;

/** Recipient k answers to `user<k>@contoso.com` and to an object id. */
const RECIPIENTS = 5;
const upn = (k: number) => `user${k}@contoso.com`;
const objectId = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, "0")}`;
const recipientOf = (identity: string): string => {
  for (let k = 0; k < RECIPIENTS; k++) if (identity === upn(k) || identity === objectId(k)) return `r${k}`;
  throw new Error(`no recipient for ${identity}`);
};
const moera = (k: number) => `user${k}@contoso.onmicrosoft.com`;

function smtpKeys(list: readonly string[]): string[] {
  return list
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp")
    .map((p) => addressKey(p.value));
}

function inputsOf(specified: Spec, tenant: Tenant, only?: ReadonlySet<string>): MailboxInput[] {
  return specified.mailboxes
    .filter((m) => only === undefined || only.has(m.identity))
    .map((m) => ({
      identity: m.identity,
      desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
      live: tenant.get(recipientOf(m.identity)),
    }));
}

/**
 * Writes a change plan into the tenant as the provider does: releases first, then each mailbox
 * after the ones it depends on, re-planned from its current list. Throws at the first write
 * Exchange would refuse (an address still on another recipient).
 */
function apply(tenant: Tenant, inputs: readonly MailboxInput[], plan: ChangePlan): void {
  const write = (identity: string, list: readonly string[]) => {
    const recipient = recipientOf(identity);
    for (const key of smtpKeys(list)) {
      for (const [other, held] of tenant) {
        if (other !== recipient && smtpKeys(held).includes(key))
          throw new Error(`write to ${identity} refused: ${key} is on ${other}`);
      }
    }
    tenant.set(recipient, [...list]);
  };
  for (const release of plan.releases.values()) write(release.identity, release.list);
  const done = new Set<string>();
  while (done.size < inputs.length) {
    const next = inputs.find(
      (i) => !done.has(i.identity) && (plan.dependsOn.get(i.identity) ?? []).every((d) => done.has(d)),
    );
    if (next === undefined) throw new Error("the plan's dependencies form a cycle");
    const releaseTo = new Map(
      plan.moves.filter((m) => m.from === next.identity).map((m) => [addressKey(m.address), m.to]),
    );
    const again = planMailbox(next.desired, tenant.get(recipientOf(next.identity))!, { releaseTo });
    if (again.changed) write(next.identity, again.final);
    done.add(next.identity);
  }
}

/** What is left to do for `specified` on this tenant: mailboxes to change and addresses to move. */
function leftToDo(specified: Spec, tenant: Tenant): string[] {
  const plan = planChanges(inputsOf(specified, tenant));
  return [
    ...[...plan.plans].filter(([, p]) => p.changed).map(([id]) => `change ${id}`),
    ...plan.moves.map((m) => `move ${m.address} ${m.from} → ${m.to}`),
    ...plan.problems.map((p) => p.message),
  ];
}

/** An address the spec gives to a mailbox that a recipient outside the spec holds: refused at preview, whatever the scope. */
function conflictsOutside(specified: Spec, tenant: Tenant): boolean {
  const managed = new Set(specified.mailboxes.map((m) => recipientOf(m.identity)));
  const claimed = new Set(specified.mailboxes.flatMap((m) => [m.primary, ...m.aliases]).map(addressKey));
  return [...tenant].some(([recipient, held]) => !managed.has(recipient) && smtpKeys(held).some((k) => claimed.has(k)));
}

/** The state's record of who holds what among the managed mailboxes, keyed as `before` keys them. */
function holdersIn(before: Spec, tenant: Tenant): Map<string, string> {
  const holders = new Map<string, string>();
  for (const m of before.mailboxes)
    for (const key of smtpKeys(tenant.get(recipientOf(m.identity)) ?? [])) holders.set(key, m.identity);
  return holders;
}

/** A targeted run: only the change set's mailboxes are planned and written. */
function applyTargeted(set: ChangeSet, after: Spec, tenant: Tenant): void {
  const only = set.scope === "everything" ? undefined : new Set(set.declare);
  const inputs = inputsOf(after, tenant, only);
  const plan = planChanges(inputs);
  assert.deepEqual(plan.problems, [], "the targeted run's plan has a problem the full run does not");
  apply(tenant, inputs, plan);
}

// ---------------------------------------------------------------------------------------------
// Examples

const header = "version: 1\nallowedDomains: [contoso.com, fabrikam.com]\nmailboxes:\n";

describe("computeChangeSet: examples", () => {
  it("nothing changed: nothing to target", () => {
    const s = spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`);
    const set = targeted(computeChangeSet(s, spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`)));
    assert.equal(set.targets.size, 0);
  });

  it("a move: the taker changed, the giver gives the address (it removes it first)", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [shared@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com, aliases: [shared@contoso.com] }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    const set = targeted(computeChangeSet(before, after));
    assert.deepEqual(reasonsOf(set), {
      "user0@contoso.com": ["changed", "gives shared@contoso.com to user1@contoso.com"],
      "user1@contoso.com": ["changed"],
    });
    assert.deepEqual(set.declare, ["user0@contoso.com", "user1@contoso.com"]);
    assert.deepEqual(set.release, []);
  });

  it("a move out of a mailbox the spec does not change (an additive one kept the alias unlisted): the holders say who gives", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, mode: additive }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, mode: additive }\n  user1@contoso.com: { primary: b@contoso.com, aliases: [old@contoso.com] }\n`,
    );
    // From the spec alone the giver is unknown...
    assert.deepEqual(reasonsOf(targeted(computeChangeSet(before, after))), { "user1@contoso.com": ["changed"] });
    // ...the state's record of what user0 holds names it.
    const set = targeted(
      computeChangeSet(before, after, { holders: new Map([["old@contoso.com", "user0@contoso.com"]]) }),
    );
    assert.deepEqual(reasonsOf(set), {
      "user0@contoso.com": ["gives old@contoso.com to user1@contoso.com"],
      "user1@contoso.com": ["changed"],
    });
  });

  it("a swap of primaries: both changed, each gives to the other; the planner breaks the cycle with a release", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com, aliases: [y@contoso.com] }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user0@contoso.com: { primary: b@contoso.com, aliases: [x@contoso.com] }\n  user1@contoso.com: { primary: a@contoso.com, aliases: [y@contoso.com] }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    const set = targeted(computeChangeSet(before, after));
    assert.deepEqual(reasonsOf(set), {
      "user0@contoso.com": ["changed", "gives a@contoso.com to user1@contoso.com"],
      "user1@contoso.com": ["changed", "gives b@contoso.com to user0@contoso.com"],
    });
    const tenant: Tenant = new Map(
      [0, 1, 2].map((k) => [
        `r${k}`,
        [
          `SMTP:${["a", "b", "c"][k]}@contoso.com`,
          ...(k < 2 ? [`smtp:${["x", "y"][k]}@contoso.com`] : []),
          `smtp:${moera(k)}`,
        ],
      ]),
    );
    applyTargeted(set, after, tenant);
    assert.deepEqual(leftToDo(after, tenant), []);
    assert.deepEqual(
      tenant.get("r2"),
      ["SMTP:c@contoso.com", `smtp:${moera(2)}`],
      "the untargeted mailbox was not written",
    );
  });

  it("a chain: the giver pulled in claims an address a third mailbox holds (drift), so the third is pulled in too", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [s@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com, aliases: [s@contoso.com] }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    // Someone added b@contoso.com to user2 by hand (it is on user2, and on user1 in the spec).
    const set = targeted(
      computeChangeSet(before, after, { holders: new Map([["b@contoso.com", "user2@contoso.com"]]) }),
    );
    assert.deepEqual(Object.keys(reasonsOf(set)).sort(), [
      "user0@contoso.com",
      "user1@contoso.com",
      "user2@contoso.com",
    ]);
  });

  it("a renamed key (UPN → object id of the same mailbox): the old key is released, the new one added; nothing else", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
    );
    const after = spec(
      `${header}  "${objectId(0)}": { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
    );
    const set = targeted(computeChangeSet(before, after));
    assert.deepEqual(reasonsOf(set), { [objectId(0)]: ["added"], "user0@contoso.com": ["released"] });
    assert.deepEqual(set.declare, [objectId(0)]);
    assert.deepEqual(set.release, ["user0@contoso.com"]);
  });

  it("a mailbox removed from the spec is released; one added is added", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n`,
    );
    assert.deepEqual(reasonsOf(targeted(computeChangeSet(before, after))), {
      "user2@contoso.com": ["added"],
      "user0@contoso.com": ["released"],
    });
  });

  it("only the case of an address changed: the mailbox is targeted (the spec's spelling is written)", () => {
    const before = spec(`${header}  user0@contoso.com: { primary: Mark@contoso.com }\n`);
    const after = spec(`${header}  user0@contoso.com: { primary: mark@contoso.com }\n`);
    assert.deepEqual(reasonsOf(targeted(computeChangeSet(before, after))), { "user0@contoso.com": ["changed"] });
  });

  it("a mode or cloudManaged change targets that mailbox; reordered aliases and moved lines do not", () => {
    const before = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com, y@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
    );
    const after = spec(
      `${header}  user1@contoso.com: { primary: b@contoso.com, mode: additive, cloudManaged: true }\n\n  user0@contoso.com: { primary: a@contoso.com, aliases: [y@contoso.com, x@contoso.com] }\n`,
    );
    const set = targeted(computeChangeSet(before, after));
    assert.deepEqual(
      [...set.targets],
      [["user1@contoso.com", [{ kind: "changed", fields: ["mode", "cloudManaged"] }]]],
    );
  });

  it("a domain removed from allowedDomains: everything, with the reason", () => {
    const before = spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`);
    const after = spec(
      `version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com }\n`,
    );
    const set = computeChangeSet(before, after);
    assert.equal(set.scope, "everything");
    assert.deepEqual(set.scope === "everything" && set.reasons, [
      {
        setting: "allowedDomains",
        message: "allowedDomains changed (removed fabrikam.com): it applies to every mailbox",
      },
    ]);
  });

  it("defaults.mode changed: everything; the domains listed in another order: nothing", () => {
    const before = spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`);
    const additive = spec(
      `version: 1\nallowedDomains: [contoso.com, fabrikam.com]\ndefaults: { mode: additive }\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com }\n`,
    );
    const set = computeChangeSet(before, additive);
    assert.equal(set.scope, "everything");
    assert.match(
      set.scope === "everything" ? set.reasons[0]!.message : "",
      /^defaults\.mode changed \("strict" → "additive"\)/,
    );
    const reordered = spec(
      `version: 1\nallowedDomains: [fabrikam.com, contoso.com]\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com }\n`,
    );
    assert.equal(targeted(computeChangeSet(before, reordered)).targets.size, 0);
  });

  it("a stack-wide setting the spec gains later widens to everything without a change here", () => {
    const before = spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`);
    const withRetention = { ...before, retention: { days: 30 } } as unknown as Spec;
    const set = computeChangeSet(before, withRetention);
    assert.equal(set.scope, "everything");
    assert.match(
      set.scope === "everything" ? set.reasons[0]!.message : "",
      /^retention changed \(unset → \{"days":30\}\)/,
    );
  });

  const withPolicies = (template: string, padding = "") =>
    spec(
      `version: 1\nallowedDomains: [contoso.com, fabrikam.com]\n${padding}policies:\n  - name: staff\n    match: {recipientTypes: [UserMailbox]}\n    primary: "${template}"\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
      { policies: true },
    );

  it("a policy changed: everything; the same policies on other lines: nothing", () => {
    const set = computeChangeSet(withPolicies("%g.%s@contoso.com"), withPolicies("%g%s@contoso.com"));
    assert.deepEqual(set, {
      scope: "everything",
      reasons: [{ setting: "policies", message: "policies changed: a policy applies to every mailbox it matches" }],
    });
    assert.equal(
      targeted(
        computeChangeSet(withPolicies("%g.%s@contoso.com"), withPolicies("%g.%s@contoso.com", "# moved down\n\n")),
      ).targets.size,
      0,
    );
  });

  it("with policies, an address a target claims held by a mailbox neither spec names (a policy's, maybe): everything", () => {
    const before = withPolicies("%g.%s@contoso.com");
    const after = spec(
      `version: 1\nallowedDomains: [contoso.com, fabrikam.com]\npolicies:\n  - name: staff\n    match: {recipientTypes: [UserMailbox]}\n    primary: "%g.%s@contoso.com"\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com, aliases: [jo.smith@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n`,
      { policies: true },
    );
    const set = computeChangeSet(before, after, { holders: new Map([["jo.smith@contoso.com", objectId(3)]]) });
    assert.equal(set.scope, "everything");
    assert.match(
      set.scope === "everything" ? set.reasons[0]!.message : "",
      /jo\.smith@contoso\.com, which user0@contoso\.com now claims, is held by 00000000-0000-4000-8000-000000000003/,
    );
    // Without policies the same holder is outside the spec: the preview-time conflict check refuses it, in any scope.
    assert.equal(
      computeChangeSet(
        spec(`${header}  user0@contoso.com: { primary: a@contoso.com }\n`),
        spec(`${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [jo.smith@contoso.com] }\n`),
        {
          holders: new Map([["jo.smith@contoso.com", objectId(3)]]),
        },
      ).scope,
      "targeted",
    );
  });
});

describe("withStateDependents", () => {
  const before = spec(
    `${header}  user0@contoso.com: { primary: a@contoso.com }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n  user3@contoso.com: { primary: d@contoso.com }\n  user4@contoso.com: { primary: e@contoso.com }\n`,
  );

  it("declares, transitively, every mailbox whose state entry depends on a target (takers of earlier moves)", () => {
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n  user3@contoso.com: { primary: d@contoso.com }\n  user4@contoso.com: { primary: e@contoso.com }\n`,
    );
    const state = new Map([
      ["user2@contoso.com", ["user0@contoso.com"]],
      ["user3@contoso.com", ["user2@contoso.com"]],
      ["user4@contoso.com", []],
    ]);
    const set = targeted(withStateDependents(computeChangeSet(before, after), after, state));
    assert.deepEqual(reasonsOf(set), {
      "user0@contoso.com": ["changed"],
      "user2@contoso.com": ["depends on user0@contoso.com"],
      "user3@contoso.com": ["depends on user2@contoso.com"],
    });
    assert.deepEqual(set.declare, ["user0@contoso.com", "user2@contoso.com", "user3@contoso.com"]);
  });

  it("releases a dependent the spec no longer has (a full run would release it too)", () => {
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n  user3@contoso.com: { primary: d@contoso.com }\n`,
    );
    const set = targeted(
      withStateDependents(
        computeChangeSet(before, after),
        after,
        new Map([["user4@contoso.com", ["user0@contoso.com"]]]),
      ),
    );
    assert.deepEqual(set.release, ["user4@contoso.com"]);
    assert.deepEqual(set.declare, ["user0@contoso.com"]);
  });

  it("leaves everything as everything, and a set without dependents as it was", () => {
    const everything = computeChangeSet(
      before,
      spec(`version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  user0@contoso.com: { primary: a@contoso.com }\n`),
    );
    assert.equal(withStateDependents(everything, before, new Map()), everything);
    const after = spec(
      `${header}  user0@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  user1@contoso.com: { primary: b@contoso.com }\n  user2@contoso.com: { primary: c@contoso.com }\n  user3@contoso.com: { primary: d@contoso.com }\n  user4@contoso.com: { primary: e@contoso.com }\n`,
    );
    assert.deepEqual(
      withStateDependents(
        computeChangeSet(before, after),
        after,
        new Map([["user1@contoso.com", ["user3@contoso.com"]]]),
      ),
      computeChangeSet(before, after),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: random spec pairs over a small address universe, on a random tenant.

const UNIVERSE = ["a", "b", "c", "d", "e", "f"]
  .map((n) => `${n}@contoso.com`)
  .concat(["g@fabrikam.com", "h@fabrikam.com"]);

interface SpecShape {
  readonly members: readonly boolean[];
  readonly keys: readonly (0 | 1)[];
  readonly modes: readonly ("strict" | "additive" | "default")[];
  readonly owners: readonly number[];
  readonly upper: readonly boolean[];
  readonly domains: "both" | "contoso-and-northwind";
  readonly defaultMode: "strict" | "additive";
}

const shape: fc.Arbitrary<SpecShape> = fc.record({
  members: fc.array(fc.boolean(), { minLength: RECIPIENTS, maxLength: RECIPIENTS }),
  keys: fc.array(fc.constantFrom(0 as const, 1 as const), { minLength: RECIPIENTS, maxLength: RECIPIENTS }),
  modes: fc.array(fc.constantFrom("strict" as const, "additive" as const, "default" as const), {
    minLength: RECIPIENTS,
    maxLength: RECIPIENTS,
  }),
  owners: fc.array(fc.integer({ min: -1, max: RECIPIENTS - 1 }), {
    minLength: UNIVERSE.length,
    maxLength: UNIVERSE.length,
  }),
  upper: fc.array(fc.boolean(), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length }),
  domains: fc.constantFrom(
    "both" as const,
    "both" as const,
    "both" as const,
    "both" as const,
    "contoso-and-northwind" as const,
  ),
  defaultMode: fc.constantFrom(
    "strict" as const,
    "strict" as const,
    "strict" as const,
    "strict" as const,
    "additive" as const,
  ),
});

/** `after` is `before` with some of its parts replaced: a few edits, as in a pull request. */
const pairOfShapes: fc.Arbitrary<[SpecShape, SpecShape]> = fc
  .tuple(shape, shape, fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 24, maxLength: 24 }))
  .map(([before, other, dice]) => {
    const pick = <T>(i: number, a: readonly T[], b: readonly T[]) =>
      a.map((x, j) => (dice[(i + j) % dice.length]! === 0 ? b[j]! : x));
    const after: SpecShape = {
      members: pick(0, before.members, other.members),
      keys: pick(5, before.keys, other.keys),
      modes: pick(10, before.modes, other.modes),
      owners: pick(15, before.owners, other.owners),
      upper: pick(3, before.upper, other.upper),
      domains: dice[20] === 0 ? other.domains : before.domains,
      defaultMode: dice[21] === 0 ? other.defaultMode : before.defaultMode,
    };
    return [before, after];
  });

function render(s: SpecShape): string {
  const domains = s.domains === "both" ? "[contoso.com, fabrikam.com]" : "[contoso.com, northwind.com]";
  const lines = [
    "version: 1",
    `allowedDomains: ${domains}`,
    ...(s.defaultMode === "additive" ? ["defaults: { mode: additive }"] : []),
    "mailboxes: {}",
  ];
  const entries: string[] = [];
  for (let k = 0; k < RECIPIENTS; k++) {
    if (!s.members[k]) continue;
    const owned = UNIVERSE.filter(
      (address, a) => s.owners[a] === k && (s.domains === "both" || address.endsWith("@contoso.com")),
    ).map((address) => (s.upper[UNIVERSE.indexOf(address)] ? address[0]!.toUpperCase() + address.slice(1) : address));
    // A mailbox that owns nothing of the universe keeps an address of its own as primary.
    const [primary, ...aliases] = owned.length > 0 ? owned : [`own${k}@contoso.com`];
    const key = s.keys[k] === 0 ? upn(k) : objectId(k);
    const mode = s.modes[k] === "default" ? "" : `, mode: ${s.modes[k]}`;
    entries.push(`  "${key}": { primary: ${primary}, aliases: [${aliases.join(", ")}]${mode} }`);
  }
  if (entries.length === 0) return lines.join("\n") + "\n";
  return [...lines.slice(0, -1), "mailboxes:", ...entries, ""].join("\n");
}

/** A tenant before anything was applied: each recipient has its routing address, an X500 entry and some addresses of the universe. */
const initialTenant: fc.Arbitrary<Tenant> = fc
  .array(fc.integer({ min: -1, max: RECIPIENTS - 1 }), { minLength: UNIVERSE.length, maxLength: UNIVERSE.length })
  .map((holders) => {
    const tenant: Tenant = new Map();
    for (let k = 0; k < RECIPIENTS; k++) {
      const held = UNIVERSE.filter((_, a) => holders[a] === k);
      tenant.set(`r${k}`, [
        `SMTP:${held[0] ?? moera(k)}`,
        ...held.slice(1).map((a) => `smtp:${a}`),
        ...(held.length > 0 ? [`smtp:${moera(k)}`] : []),
        `X500:/o=contoso/cn=r${k}`,
      ]);
    }
    return tenant;
  });

/** Brings the tenant to `specified` with a full plan; false when a full run would refuse it. */
function converge(specified: Spec, tenant: Tenant): boolean {
  if (conflictsOutside(specified, tenant)) return false;
  const inputs = inputsOf(specified, tenant);
  const plan = planChanges(inputs);
  if (plan.problems.length > 0) return false;
  apply(tenant, inputs, plan);
  return true;
}

describe("computeChangeSet: properties", () => {
  it("a targeted run of the change set, then a full plan: nothing left to do (the planner as oracle)", (t) => {
    const scopes = { targeted: 0, everything: 0, refusedByFullRunToo: 0, targets: 0, mailboxes: 0 };
    fc.assert(
      fc.property(pairOfShapes, initialTenant, ([beforeShape, afterShape], tenant) => {
        const before = spec(render(beforeShape));
        const after = spec(render(afterShape));
        // The stack as a full run of `before` left it.
        fc.pre(converge(before, tenant));
        assert.deepEqual(leftToDo(before, tenant), []);
        // A change a full run refuses at preview is refused in a targeted run too: nothing to compare.
        const full = new Map([...tenant].map(([r, l]) => [r, [...l]]));
        if (!converge(after, full)) {
          scopes.refusedByFullRunToo++;
          return;
        }
        const set = computeChangeSet(before, after, { holders: holdersIn(before, tenant) });
        scopes[set.scope]++;
        if (set.scope === "targeted") {
          scopes.targets += set.targets.size;
          scopes.mailboxes += new Set([...before.mailboxes, ...after.mailboxes].map((m) => m.identity)).size;
        }
        const untouched =
          set.scope === "targeted"
            ? new Map([...tenant].filter(([r]) => ![...set.targets.keys()].some((id) => recipientOf(id) === r)))
            : new Map();
        applyTargeted(set, after, tenant);
        assert.deepEqual(
          leftToDo(after, tenant),
          [],
          `change set: ${JSON.stringify(set.scope === "targeted" ? reasonsOf(set) : set)}`,
        );
        // A recipient the change set does not name is never written.
        for (const [recipient, list] of untouched)
          assert.deepEqual(tenant.get(recipient), list, `${recipient} written though not targeted`);
      }),
      { numRuns: 1500 },
    );
    t.diagnostic(`scenarios: ${JSON.stringify(scopes)}`);
    // The generator must exercise targeted runs, not only widened or refused ones.
    assert.ok(scopes.targeted > 300, JSON.stringify(scopes));
    assert.ok(scopes.everything > 50, JSON.stringify(scopes));
    assert.ok(scopes.targets < scopes.mailboxes, JSON.stringify(scopes));
  });

  it("an unchanged spec targets nothing; every mailbox whose inputs changed is targeted", () => {
    fc.assert(
      fc.property(pairOfShapes, ([beforeShape, afterShape]) => {
        const before = spec(render(beforeShape));
        assert.equal(targeted(computeChangeSet(before, spec(render(beforeShape)))).targets.size, 0);
        const after = spec(render(afterShape));
        const set = computeChangeSet(before, after);
        if (set.scope === "everything") return;
        const was = new Map(before.mailboxes.map((m) => [m.identity, m]));
        for (const m of after.mailboxes) {
          const old = was.get(m.identity);
          const same =
            old !== undefined &&
            old.primary === m.primary &&
            [...old.aliases].sort().join() === [...m.aliases].sort().join() &&
            old.mode === m.mode &&
            old.cloudManaged === m.cloudManaged;
          if (!same) assert.ok(set.declare.includes(m.identity), `${m.identity} changed but is not declared`);
        }
        for (const m of before.mailboxes)
          if (!after.mailboxes.some((n) => n.identity === m.identity)) assert.ok(set.release.includes(m.identity));
      }),
      { numRuns: 500 },
    );
  });
});
