// One verdict (issue 19, defect 8): `drift`, `plan` and `pulumi preview` reach the same exit code
// on the same spec and tenant, table-driven. Before, an address owned outside the spec was a
// problem for preview and plan (exit 1) but drift for `drift` (exit 2), and two keys for one
// recipient passed everywhere.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadSeedFile } from "../../tenant/load-seed";
import type { Tenant } from "../../tenant/tenant";
import { TestStack } from "../../harness/pulumi-stack";

const HEADER =
  "version: 1\nallowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com, agency.example]\nmailboxes:\n";
const LEE = "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n";
const leeId = () => loadSeedFile().recipients.find((r) => r.upn === "lee.chen@contoso.com")!.id;

interface Case {
  readonly name: string;
  readonly spec: () => string;
  /** The tenant before the run, changed by an admin's hand. */
  readonly tenant?: (t: Tenant) => void;
  /** 0 nothing to do, 2 changes or drift, 1 problems: what all three must say. */
  readonly verdict: 0 | 1 | 2;
}

const CASES: Case[] = [
  { name: "in sync", spec: () => HEADER + LEE, verdict: 0 },
  {
    name: "an alias added by hand, strict mode",
    spec: () => HEADER + LEE,
    tenant: (t) => t.addRemoveEmailAddresses("lee.chen@contoso.com", ["smtp:rogue@contoso.com"], []),
    verdict: 2,
  },
  {
    name: "an alias added by hand, additive mode",
    spec: () => `${HEADER + LEE}    mode: additive\n`,
    tenant: (t) => t.addRemoveEmailAddresses("lee.chen@contoso.com", ["smtp:rogue@contoso.com"], []),
    verdict: 0,
  },
  {
    name: "an address owned outside the spec",
    spec: () => `${HEADER + LEE}    aliases: [press@fabrikam.com]\n`,
    verdict: 1,
  },
  {
    name: "a mailbox that does not exist",
    spec: () => `${HEADER}  nobody@contoso.com:\n    primary: nobody@contoso.com\n`,
    verdict: 1,
  },
  {
    name: "two keys for one recipient",
    spec: () => `${HEADER + LEE}  ${leeId()}:\n    primary: lee@fabrikam.com\n`,
    verdict: 1,
  },
  // Every kind is managed (issue 17): a contact's change is a change; dropping its external address is refused.
  {
    name: "a mail contact, managed like a mailbox",
    spec: () => `${HEADER}  press@agency.example:\n    primary: press@agency.example\n`,
    verdict: 2,
  },
  {
    name: "a mail contact losing its external address",
    spec: () => `${HEADER}  press@agency.example:\n    primary: press@fabrikam.com\n`,
    verdict: 1,
  },
  { name: "a spec change", spec: () => `${HEADER + LEE}    aliases: [lee@fabrikam.com]\n`, verdict: 2 },
];

describe("reliability: one verdict for drift, plan and preview", () => {
  let stack: TestStack;
  before(() => {
    stack = new TestStack("verdict");
  });
  after(() => stack?.dispose());

  for (const c of CASES) {
    it(`${c.name}: all say ${c.verdict}`, () => {
      stack.seedTenant();
      if (c.tenant) stack.withTenant(c.tenant);
      stack.writeSpec(c.spec());
      const drift = stack.cli(["drift", "--json"]);
      const plan = stack.cli(["plan", "--json"]);
      // pulumi preview: a failure is 1; a mailbox the program says it changes ("live tenant →
      // spec", the program's own line for a changed mailbox) is 2. A fresh stack adopts its
      // mailboxes as creates either way, so the op alone does not tell.
      const preview = stack.preview();
      const previewVerdict = preview.code !== 0 ? 1 : /live tenant → spec:/.test(preview.output) ? 2 : 0;
      // plan's verdict on the tenant: its exit code also says 2 when the stack only adopts mailboxes
      // (nothing written), so read the tenant's verdict from its report.
      const report =
        plan.code === 1 ? undefined : (JSON.parse(plan.stdout) as { summary: { changed: number; adopted?: number } });
      const planVerdict = report === undefined ? 1 : report.summary.changed > 0 ? 2 : 0;
      if (report !== undefined)
        assert.equal(plan.code, report.summary.changed > 0 || (report.summary.adopted ?? 0) > 0 ? 2 : 0);
      assert.deepEqual(
        { drift: drift.code, plan: planVerdict, preview: previewVerdict },
        { drift: c.verdict, plan: c.verdict, preview: c.verdict },
        `${drift.output}\n---\n${plan.output}\n---\n${preview.output}`,
      );
      for (const out of [drift.stdout, plan.stdout]) assert.doesNotMatch(out, /\n\s+at \S/);
    });
  }
});
