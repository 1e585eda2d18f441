// Policies in the product (reconcile/expand-spec.ts): a spec's policies expanded against a local
// tenant's attributes read in one pass, planned and checked as explicit entries are; a target
// that cannot read attributes refused at the policy's line; UPN writes under Graph's rules.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { formatProblem } from "../../../core/problems";
import { loadSpecText } from "../../../core/desired/load-spec";
import { assessSpec } from "../../../reconcile/assess";
import { expandSpec } from "../../../reconcile/expand-spec";
import { LocalBackend } from "../../../targets/local/local-backend";
import type { TenantBackend } from "../../../targets/tenant-backend";
import { Tenant, UpnError } from "../../../tenant/tenant";
import type { TenantSeed } from "../../../tenant/seed-types.generated";

const SEED: TenantSeed = {
  version: 1,
  tenant: {
    name: "contoso",
    id: "14a088a5-efa8-5004-9b96-806d51f29782",
    moeraDomain: "contoso.onmicrosoft.com",
    acceptedDomains: ["contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"],
  },
  recipients: [
    {
      id: "00000000-0000-4000-8000-000000000001",
      upn: "lee.chen@contoso.com",
      displayName: "Lee Chen",
      type: "UserMailbox",
      attributes: { givenName: "Lee", surname: "Chen", department: "Sales" },
      addresses: ["SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000002",
      upn: "anna.kowalski@contoso.com",
      displayName: "Anna Kowalski",
      type: "UserMailbox",
      attributes: { givenName: "Anna", surname: "Kowalski", department: "Finance" },
      addresses: ["SMTP:anna.kowalski@contoso.com", "smtp:anna.kowalski@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000003",
      upn: "sales@contoso.com",
      displayName: "Sales",
      type: "SharedMailbox",
      addresses: ["SMTP:sales@contoso.com", "smtp:sales@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000004",
      upn: "george.hall@contoso.com",
      displayName: "George Hall",
      type: "UserMailbox",
      synced: true,
      addresses: ["SMTP:george.hall@contoso.com"],
    },
  ],
};

const SPEC = `version: 1
allowedDomains: [contoso.com, fabrikam.com]
policies:
  - name: newbrand
    match: {department: [sales, finance]}
    primary: "%m@contoso.com"
    aliases: ["%m@fabrikam.com"]
mailboxes:
  sales@contoso.com:
    primary: sales@contoso.com
`;

describe("policies in the product", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-expand-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const database = path.join(dir, "tenant.sqlite");
  Tenant.withFile(database, (t) => t.seed(SEED));
  const backend = new LocalBackend({ target: "local", database, seed: "unused" }, dir);
  after(() => backend.close());

  it("reads the attributes in one pass and expands into declarations keyed by object id, planned like explicit entries", async () => {
    const loaded = loadSpecText("spec.yaml", SPEC, { policies: true });
    assert.ok(loaded.ok);
    let reads = 0;
    const counting: TenantBackend = Object.create(backend, {
      capabilities: {
        value: {
          ...backend.capabilities,
          policyAttributes: { readAll: () => (reads++, backend.capabilities.policyAttributes!.readAll()) },
        },
      },
    });
    const expanded = await expandSpec(loaded.spec, counting);
    assert.equal(reads, 1);
    assert.deepEqual(expanded.problems, []);
    assert.deepEqual(
      expanded.spec.mailboxes.map((m) => m.identity),
      ["sales@contoso.com", "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"],
    );
    const assessed = await assessSpec(expanded.spec, backend);
    assert.deepEqual(assessed.problems.map(formatProblem), []);
    const lee = assessed.change.plans.get("00000000-0000-4000-8000-000000000001")!;
    assert.deepEqual(
      lee.add.map((a) => a.address),
      ["lee.chen@fabrikam.com"],
    );
  });

  it("the loaders refuse policies unless asked; a target without the capability is refused at the policy's line", async () => {
    assert.equal(loadSpecText("spec.yaml", SPEC).ok, false);
    const loaded = loadSpecText("spec.yaml", SPEC, { policies: true });
    assert.ok(loaded.ok);
    const without: TenantBackend = Object.create(backend, {
      capabilities: { value: { acceptedDomains: backend.capabilities.acceptedDomains } },
    });
    const expanded = await expandSpec(loaded.spec, without);
    assert.equal(expanded.problems.length, 1);
    assert.match(
      formatProblem(expanded.problems[0]!),
      /^spec\.yaml:4:\d+: .*cannot read the attributes policies match/,
    );
  });

  it("UPN changes are refused at preview with the remedy: synced (write it in AD), keyed by the UPN it changes, unaccepted domain, taken, strict without it", async () => {
    const spec = `version: 1
allowedDomains: [contoso.com, fabrikam.com, not-ours.example]
mailboxes:
  george.hall@contoso.com:
    primary: george.hall@contoso.com
    mode: additive
    userPrincipalName: george.hall@fabrikam.com
  lee.chen@contoso.com:
    primary: lee.chen@contoso.com
    mode: additive
    userPrincipalName: lee.chen@fabrikam.com
  00000000-0000-4000-8000-000000000002:
    primary: anna.kowalski@contoso.com
    mode: additive
    userPrincipalName: anna@not-ours.example
  00000000-0000-4000-8000-000000000003:
    primary: sales@contoso.com
    mode: additive
    userPrincipalName: lee.chen@contoso.com
`;
    const loaded = loadSpecText("upn.yaml", spec, { policies: true });
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    const assessed = await assessSpec(loaded.spec, backend);
    const messages = assessed.problems.map(formatProblem);
    assert.equal(messages.length, 4, messages.join("\n"));
    assert.match(messages[0]!, /^upn\.yaml:4:3: .*synced from on-premises AD.*change userPrincipalName in AD/);
    assert.match(
      messages[1]!,
      /^upn\.yaml:8:3: .*keyed by the user principal name it changes; key it by its object id \(00000000-0000-4000-8000-000000000001\)/,
    );
    assert.match(messages[2]!, /^upn\.yaml:12:3: .*"not-ours\.example" is not a verified domain/);
    assert.match(
      messages[3]!,
      /^upn\.yaml:16:3: .*"lee\.chen@contoso\.com" is the user principal name of "Lee Chen".*unique/,
    );
    const strict = loadSpecText(
      "strict.yaml",
      "version: 1\nallowedDomains: [contoso.com, fabrikam.com]\nmailboxes:\n  00000000-0000-4000-8000-000000000002:\n    primary: anna.kowalski@contoso.com\n    userPrincipalName: anna@fabrikam.com\n",
      { policies: true },
    );
    assert.ok(strict.ok);
    assert.match(
      (await assessSpec(strict.spec, backend)).problems.map(formatProblem).join("\n"),
      /strict mode would remove at every run; list "anna@fabrikam\.com" among the aliases/,
    );
  });

  it("the UPN under Graph's rules: accepted domain, unique, not synced; the old UPN's address stays, the new UPN is an address of the mailbox", async () => {
    const upn = backend.capabilities.userPrincipalName!;
    await assert.rejects(
      upn.set("00000000-0000-4000-8000-000000000001", "lee@not-ours.example"),
      (err: Error) => err instanceof UpnError && /verified domain/.test(err.message),
    );
    await assert.rejects(
      upn.set("00000000-0000-4000-8000-000000000001", "anna.kowalski@contoso.com"),
      /Another object with the same value for property userPrincipalName/,
    );
    await assert.rejects(
      upn.set("00000000-0000-4000-8000-000000000004", "george.hall@fabrikam.com"),
      /on-premises mastered/,
    );
    await upn.set("00000000-0000-4000-8000-000000000001", "lee.chen@fabrikam.com");
    const lee = (await backend.readMailboxes(["00000000-0000-4000-8000-000000000001"])).get(
      "00000000-0000-4000-8000-000000000001",
    )!;
    assert.equal(lee.upn, "lee.chen@fabrikam.com");
    assert.deepEqual(lee.addresses, [
      "SMTP:lee.chen@contoso.com",
      "smtp:lee.chen@contoso.onmicrosoft.com",
      "smtp:lee.chen@fabrikam.com",
    ]);
  });
});
