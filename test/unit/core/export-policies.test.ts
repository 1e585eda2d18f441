// `export --policies` (core/export/propose-policies.ts): the pattern most mailboxes of a primary
// domain follow becomes a policy, the rest explicit entries, and the result plans no change for any
// mailbox (checked here with the expansion and the planner, as preview would).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderSpecWithPolicies } from "../../../core/export/propose-policies";
import type { ExportedMailbox } from "../../../core/export/render-spec";
import { planMailbox } from "../../../core/plan/plan-mailbox";
import { expandPolicies } from "../../../core/policy/expand-policies";
import type { MailboxAttributes } from "../../../core/policy/policy-types";
import { loadSpecText } from "../../../core/desired/load-spec";

function mailbox(
  i: number,
  addresses: string[],
  synced = false,
): { exported: ExportedMailbox; attributes: MailboxAttributes } {
  const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
  const alias = `user${i}`;
  return {
    exported: {
      id,
      upn: `${alias}@contoso.com`,
      displayName: `User ${i}`,
      kind: "UserMailbox",
      synced,
      cloudManaged: false,
      addresses,
    },
    attributes: {
      id,
      userPrincipalName: `${alias}@contoso.com`,
      kind: "UserMailbox",
      alias,
      displayName: `User ${i}`,
      addresses,
    },
  };
}

describe("export --policies", () => {
  const tenant = [
    ...Array.from({ length: 8 }, (_, i) =>
      mailbox(i + 1, [
        `SMTP:user${i + 1}@contoso.com`,
        `smtp:user${i + 1}@fabrikam.com`,
        `smtp:user${i + 1}@contoso.onmicrosoft.com`,
        "SIP:x@contoso.com",
      ]),
    ),
    mailbox(20, [
      "SMTP:user20@contoso.com",
      "smtp:user20@fabrikam.com",
      "smtp:boss@contoso.com",
      "smtp:user20@contoso.onmicrosoft.com",
    ]),
    mailbox(21, ["SMTP:someone.else@contoso.com", "smtp:user21@contoso.onmicrosoft.com"]),
    mailbox(22, ["SMTP:user22@contoso.com", "smtp:user22@fabrikam.com"], true),
  ];
  const mailboxes = tenant.map((t) => t.exported);
  const attributes = tenant.map((t) => t.attributes);

  it("writes the pattern as a policy and only the exceptions as entries; the result plans no change", () => {
    const result = renderSpecWithPolicies(mailboxes, attributes, [
      "contoso.com",
      "fabrikam.com",
      "contoso.onmicrosoft.com",
    ]);
    assert.equal(result.policies, 1);
    assert.match(result.text, /^ {2}- name: "primary-contoso\.com" {2}# 8 mailboxes follow it$/m);
    assert.match(result.text, /^ {4}aliases: \["%m@fabrikam\.com"\]$/m);
    const loaded = loadSpecText("exported.yaml", result.text, { policies: true });
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    assert.deepEqual(loaded.spec.mailboxes.map((m) => m.identity).sort(), [
      "user20@contoso.com",
      "user21@contoso.com",
      "user22@contoso.com",
    ]);
    const expansion = expandPolicies(loaded.spec, attributes);
    assert.deepEqual(expansion.problems, []);
    assert.equal(expansion.entries.length, 11);
    for (const entry of expansion.entries) {
      const live = tenant.find(
        (t) => t.exported.id === entry.declaration.identity || t.exported.upn === entry.declaration.identity,
      )!.exported.addresses;
      assert.equal(planMailbox(entry.declaration, live).changed, false, entry.declaration.identity);
    }
  });

  it("no pattern most mailboxes follow: the plain export", () => {
    const few = renderSpecWithPolicies(mailboxes.slice(8), attributes.slice(8));
    assert.equal(few.policies, 0);
    assert.doesNotMatch(few.text, /^policies:/m);
  });
});
