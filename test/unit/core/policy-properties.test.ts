// Properties of policy expansion (core/policy/expand-policies.ts), with fast-check: deterministic,
// independent of the order of disjoint policies and of the order mailboxes are read in, never a
// cause for the planner to drop a non-SMTP entry or the MOERA, and explicit entries always win.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey, isMicrosoftRoutingAddress, parseProxyAddress } from "../../../core/address";
import { expandPolicies, type Expansion } from "../../../core/policy/expand-policies";
import type { MailboxAttributes } from "../../../core/policy/policy-types";
import { planChanges } from "../../../core/plan/plan-changes";
import { formatProblem } from "../../../core/problems";
import { renderExpansion } from "../../../core/policy/render-expansion";
import { loadSpecText } from "../../../core/desired/load-spec";
import type { Spec } from "../../../core/desired/rules";

const TEMPLATES = [
  "%g.%s@contoso.com",
  "%1g%s@newbrand.com",
  "%m@newbrand.com",
  "%u@contoso.com",
  "%r..%d@newbrand.com",
  "%2g%2s@contoso.com",
];
const DEPARTMENTS = ["Sales", "IT", "Legal", "Ops"];

interface PolicyShape {
  readonly departments: readonly string[] | "all";
  readonly primary: string | undefined;
  readonly aliases: readonly string[];
  readonly strict: boolean;
  readonly adds: boolean;
}

const policyArb: fc.Arbitrary<PolicyShape> = fc
  .record({
    departments: fc.oneof(fc.constant("all" as const), fc.subarray(DEPARTMENTS, { minLength: 1 })),
    primary: fc.option(fc.constantFrom(...TEMPLATES), { nil: undefined }),
    aliases: fc.uniqueArray(fc.constantFrom(...TEMPLATES), { maxLength: 2 }),
    strict: fc.boolean(),
    adds: fc.boolean(),
  })
  .filter((p) => p.primary !== undefined || p.aliases.length > 0);

function policyYaml(policy: PolicyShape, name: string): string {
  const aliases = policy.aliases.filter((a) => a !== policy.primary);
  return [
    `  - name: ${name}`,
    `    match: ${policy.departments === "all" ? "{all: true}" : `{department: [${policy.departments.join(", ")}]}`}`,
    ...(policy.primary ? [`    primary: "${policy.primary}"`] : []),
    ...(aliases.length > 0
      ? [`    aliases: [${aliases.map((a) => `"${a}"`).join(", ")}]`]
      : policy.primary
        ? []
        : [`    aliases: ["%m@contoso.onmicrosoft.com"]`]),
    ...(policy.strict ? ["    mode: strict", "    keepOldPrimary: false"] : []),
    ...(policy.adds ? ["    adds: true"] : []),
    "    onCollision: append-number",
  ].join("\n");
}

function specOf(policies: readonly string[], explicit = ""): Spec {
  const text = `version: 1\nallowedDomains: [contoso.com, newbrand.com, contoso.onmicrosoft.com]\npolicies:\n${policies.join("\n")}\nmailboxes:${explicit === "" ? " {}" : `\n${explicit}`}\n`;
  const result = loadSpecText("mailboxes.yaml", text, { policies: true });
  assert.ok(result.ok, result.ok ? "" : `${result.problems.map(formatProblem).join("\n")}\n${text}`);
  return result.spec;
}

const NAMES = ["Ann", "Bob", "Cy", "Di", "Ed"];
const mailboxArb = (i: number): fc.Arbitrary<MailboxAttributes> =>
  fc
    .record({
      given: fc.constantFrom(...NAMES),
      surname: fc.constantFrom("Lee", "Ray", "Xu"),
      department: fc.constantFrom(...DEPARTMENTS),
      sip: fc.boolean(),
      extra: fc.option(fc.constantFrom("old", "x", "team"), { nil: undefined }),
      primaryOnBrand: fc.boolean(),
    })
    .map(({ given, surname, department, sip, extra, primaryOnBrand }) => {
      const alias = `u${i}`;
      return {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        userPrincipalName: `${alias}@contoso.com`,
        givenName: given,
        surname,
        alias,
        displayName: `${given} ${surname}`,
        department,
        kind: "UserMailbox",
        addresses: [
          `SMTP:${alias}@${primaryOnBrand ? "newbrand.com" : "contoso.com"}`,
          `smtp:${alias}@contoso.onmicrosoft.com`,
          `X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=${alias}`,
          ...(sip ? [`SIP:${alias}@contoso.com`] : []),
          ...(extra ? [`smtp:${alias}.${extra}@contoso.com`] : []),
        ],
      };
    });
const tenantArb = fc
  .integer({ min: 1, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => mailboxArb(i + 1))));

/** What an expansion says, without the spec positions (which move when the file is reordered). */
function meaning(expansion: Expansion): unknown {
  return {
    problems: expansion.problems.length,
    entries: [...expansion.entries]
      .map((e) => ({
        identity: e.declaration.identity,
        primary: e.declaration.primary,
        aliases: e.declaration.aliases,
        mode: e.declaration.mode,
        origin: e.origin.kind === "policy" ? [...e.origin.policies] : "explicit",
      }))
      .sort((a, b) => (a.identity < b.identity ? -1 : 1)),
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("policy expansion: properties", () => {
  it("is deterministic, and does not depend on the order mailboxes are read in", () => {
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 1, maxLength: 4 }),
        tenantArb,
        fc.nat(),
        (policies, tenant, seed) => {
          const spec = specOf(policies.map((p, i) => policyYaml(p, `p${i}`)));
          const once = expandPolicies(spec, tenant);
          assert.deepEqual(expandPolicies(spec, tenant), once);
          assert.deepEqual(meaning(expandPolicies(spec, shuffled(tenant, seed))), meaning(once));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("policies with disjoint matches give the same result in any order", () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 4 }), tenantArb, fc.nat(), (shapes, tenant, seed) => {
        // Disjoint: each policy takes its own department, none adds (adds would join two policies).
        const policies = shapes.map((p, i) => ({ ...p, departments: [DEPARTMENTS[i]!], adds: false }));
        const yaml = policies.map((p, i) => policyYaml(p, `p${i}`));
        const a = expandPolicies(specOf(yaml), tenant);
        const b = expandPolicies(specOf(shuffled(yaml, seed)), tenant);
        assert.deepEqual(meaning(b), meaning(a));
      }),
      { numRuns: 150 },
    );
  });

  it("planning the expanded state never removes a non-SMTP entry or the MOERA, and the plan is stable once applied", () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 4 }), tenantArb, (policies, tenant) => {
        const spec = specOf(policies.map((p, i) => policyYaml(p, `p${i}`)));
        const expansion = expandPolicies(spec, tenant);
        fc.pre(expansion.problems.length === 0);
        const live = new Map(tenant.map((m) => [m.id, m.addresses]));
        const plan = planChanges(
          expansion.mailboxes.map((d) => ({ identity: d.identity, desired: d, live: live.get(d.identity) })),
        );
        assert.deepEqual(plan.problems, []);
        const owners = new Map<string, string>();
        for (const d of expansion.mailboxes) {
          for (const address of [d.primary, ...d.aliases]) {
            const owner = owners.get(addressKey(address));
            assert.ok(owner === undefined || owner === d.identity, `${address} given to ${owner} and ${d.identity}`);
            owners.set(addressKey(address), d.identity);
          }
        }
        for (const [id, mailboxPlan] of plan.plans) {
          const final = new Set(
            mailboxPlan.final.map((e) =>
              parseProxyAddress(e).kind === "smtp" ? addressKey(parseProxyAddress(e).value) : e,
            ),
          );
          for (const entry of live.get(id)!) {
            const parsed = parseProxyAddress(entry);
            if (parsed.kind === "other") assert.ok(final.has(entry), `${entry} dropped`);
            else if (isMicrosoftRoutingAddress(parsed.value))
              assert.ok(final.has(addressKey(parsed.value)), `${entry} dropped`);
          }
        }
        // Applied, the same spec plans no change: expansion reads its own result back the same way.
        const after = tenant.map((m) => ({ ...m, addresses: plan.plans.get(m.id)?.final ?? m.addresses }));
        const again = expandPolicies(spec, after);
        assert.deepEqual(again.problems.map(formatProblem), []);
        const liveAfter = new Map(after.map((m) => [m.id, m.addresses]));
        const replan = planChanges(
          again.mailboxes.map((d) => ({ identity: d.identity, desired: d, live: liveAfter.get(d.identity) })),
        );
        assert.deepEqual(
          [...replan.plans].filter(([, p]) => p.changed).map(([id]) => id),
          [],
        );
      }),
      { numRuns: 200 },
    );
  });

  it("the rendered expansion is a spec that loads to the same records", () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 4 }), tenantArb, (policies, tenant) => {
        const spec = specOf(policies.map((p, i) => policyYaml(p, `p${i}`)));
        const expansion = expandPolicies(spec, tenant);
        fc.pre(expansion.problems.length === 0);
        const loaded = loadSpecText(
          "expanded.yaml",
          renderExpansion(expansion, { from: "mailboxes.yaml", allowedDomains: spec.allowedDomains }),
          { policies: true },
        );
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        const shape = (d: Spec["mailboxes"][number]) => ({
          identity: d.identity,
          primary: d.primary,
          aliases: d.aliases,
          mode: d.mode,
          userPrincipalName: d.userPrincipalName,
        });
        assert.deepEqual(loaded.spec.mailboxes.map(shape), expansion.mailboxes.map(shape));
      }),
      { numRuns: 100 },
    );
  });

  it("explicit entries always win: their record is the spec's, and no policy gives their addresses to another mailbox", () => {
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 1, maxLength: 3 }),
        tenantArb,
        fc.nat(),
        (policies, tenant, pick) => {
          const chosen = tenant[pick % tenant.length]!;
          const explicit = `  ${chosen.userPrincipalName}:\n    primary: ${chosen.alias}.explicit@contoso.com\n    aliases: [Ann.Lee@contoso.com]`;
          const spec = specOf(
            policies.map((p, i) => policyYaml(p, `p${i}`)),
            explicit,
          );
          const expansion = expandPolicies(spec, tenant);
          const entry = expansion.entries.find(
            (e) =>
              e.declaration.identity.toLowerCase() === chosen.userPrincipalName!.toLowerCase() ||
              e.declaration.identity === chosen.id,
          );
          assert.ok(entry);
          assert.equal(entry.origin.kind, "explicit");
          assert.equal(entry.declaration, spec.mailboxes[0]);
          assert.equal(
            expansion.entries.filter((e) => e.declaration.identity === chosen.id).length,
            0,
            "no second record for the same mailbox",
          );
          const explicitKeys = new Set([entry.declaration.primary, ...entry.declaration.aliases].map(addressKey));
          for (const other of expansion.entries) {
            if (other === entry) continue;
            for (const address of [other.declaration.primary, ...other.declaration.aliases]) {
              if (other.origin.kind === "policy" && other.origin.addressFrom.has(addressKey(address)))
                assert.ok(!explicitKeys.has(addressKey(address)), `${address} given to ${other.declaration.identity}`);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
