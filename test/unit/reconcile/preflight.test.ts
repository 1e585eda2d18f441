// The preview-time checks (reconcile/preflight.ts), driven with the local backend over a seeded
// tenant: conflicts with recipients outside the spec, accepted domains, synced mailboxes,
// recipients that are not mailboxes, MOERA moves, mailboxes not found. Each problem points at the
// spec's line and column and says what to do.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { planChanges } from "../../../core/plan/plan-changes";
import { formatProblem } from "../../../core/problems";
import { loadSpecText } from "../../../core/desired/load-spec";
import { holderRemedy, proxyAddressExistsMessage } from "../../../exchange/exchange-rules";
import { describeRecipient, moeraDomainOf, preflight, WRITABLE_KINDS } from "../../../reconcile/preflight";
import { LocalBackend } from "../../../targets/local/local-backend";
import { Tenant } from "../../../tenant/tenant";
import type { TenantSeed } from "../../../tenant/seed-types.generated";

const SEED: TenantSeed = {
  version: 1,
  tenant: {
    name: "contoso",
    id: "14a088a5-efa8-5004-9b96-806d51f29782",
    moeraDomain: "contoso.onmicrosoft.com",
    acceptedDomains: ["contoso.com", "fabrikam.com", "contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com"],
  },
  recipients: [
    {
      id: "00000000-0000-4000-8000-000000000001",
      upn: "lee.chen@contoso.com",
      displayName: "Lee Chen",
      type: "UserMailbox",
      addresses: ["SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000002",
      upn: "anna.kowalski@contoso.com",
      displayName: "Anna Kowalski",
      type: "UserMailbox",
      addresses: [
        "SMTP:anna.kowalski@contoso.com",
        "smtp:anna.kowalski@contoso.onmicrosoft.com",
        "smtp:anna@contoso.com",
      ],
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
      displayName: "Press Office (agency)",
      type: "MailContact",
      addresses: ["SMTP:press@fabrikam.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000005",
      displayName: "All Staff",
      type: "Group",
      addresses: ["SMTP:allstaff@contoso.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000006",
      upn: "contractor@contoso.com",
      displayName: "Contractor",
      type: "MailUser",
      addresses: ["SMTP:contractor@contoso.com", "smtp:contractor@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000007",
      upn: "george.hall@contoso.com",
      displayName: "George Hall",
      type: "UserMailbox",
      synced: true,
      cloudManaged: false,
      addresses: ["SMTP:george.hall@contoso.com", "smtp:george.hall@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000008",
      upn: "helen.ward@contoso.com",
      displayName: "Helen Ward",
      type: "UserMailbox",
      synced: true,
      cloudManaged: true,
      addresses: ["SMTP:helen.ward@contoso.com", "smtp:helen.ward@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000009",
      upn: "room.1@contoso.com",
      displayName: "Room 1",
      type: "RoomMailbox",
      addresses: ["SMTP:room.1@contoso.com", "smtp:room.1@contoso.onmicrosoft.com"],
    },
    {
      id: "00000000-0000-4000-8000-000000000010",
      displayName: "Legal",
      type: "Group",
      synced: true,
      addresses: ["SMTP:legal@contoso.com"],
    },
  ],
};

const HEADER =
  "version: 1\nallowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com, northwind.example]\nmailboxes:\n";
const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-preflight-"));
let counter = 0;

/** The problems preflight reports for a spec over a fresh copy of SEED, as `file:line:col: message`. */
async function problemsOf(
  body: string,
  setup: (tenant: Tenant) => void = () => {},
  managedElsewhere?: ReadonlyMap<string, string>,
): Promise<string[]> {
  const loaded = loadSpecText("mailboxes.yaml", HEADER + body);
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? [] : loaded.problems));
  const database = path.join(dir, `t${counter++}.sqlite`);
  Tenant.withFile(database, (t) => {
    t.seed(SEED);
    setup(t);
  });
  const backend = new LocalBackend({ target: "local", database, seed: "unused" }, dir);
  try {
    const spec = loaded.spec;
    const live = await backend.readMailboxes(spec.mailboxes.map((m) => m.identity));
    const change = planChanges(
      spec.mailboxes.map((m) => ({
        identity: m.identity,
        desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
        live: live.get(m.identity)?.addresses,
      })),
    );
    return (await preflight(spec, live, change, backend, managedElsewhere)).map(formatProblem);
  } finally {
    await backend.close();
  }
}

describe("preview-time checks (reconcile/preflight.ts) on the local backend", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a change Exchange accepts has no problem; moves between mailboxes of the spec are no conflict", async () => {
    assert.deepEqual(
      await problemsOf(
        "  lee.chen@contoso.com:\n    primary: lee.chen@fabrikam.com\n    aliases: [lee.chen@contoso.com, anna@contoso.com]\n" +
          "  anna.kowalski@contoso.com:\n    primary: anna.kowalski@contoso.com\n" +
          "  room.1@contoso.com:\n    primary: room.1@contoso.com\n    aliases: [boardroom@contoso.com]\n",
      ),
      [],
    );
  });

  it("an address held by a recipient outside the spec: at the address, naming the holder and its kind, with the remedy", async () => {
    const problems = await problemsOf(
      "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases: [Press@Fabrikam.com, allstaff@contoso.com]\n",
    );
    assert.deepEqual(problems, [
      'mailboxes.yaml:6:15: mailboxes["lee.chen@contoso.com"].aliases[0]: alias "Press@Fabrikam.com" already belongs to mail contact "Press Office (agency)"; remove "Press@Fabrikam.com" from "Press Office (agency)" first (that recipient is not in the spec), or drop it from this mailbox in the spec',
      'mailboxes.yaml:6:35: mailboxes["lee.chen@contoso.com"].aliases[1]: alias "allstaff@contoso.com" already belongs to distribution group "All Staff"; remove "allstaff@contoso.com" from "All Staff" first (that recipient is not in the spec), or drop it from this mailbox in the spec',
    ]);
  });

  it("holders Get-Mailbox does not list: a public folder, an Entra-only user and contact, a soft-deleted mailbox, a recycle-bin user, each named with its kind, dates and remedies; a purged one is free", async () => {
    const day = 86_400_000;
    const deleted = (days: number) => new Date(Date.now() - days * day).toISOString();
    const at = (iso: string) => iso.slice(0, 10);
    const softDeletedAt = deleted(3);
    const binAt = deleted(12);
    const problems = await problemsOf(
      "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases: [archive@contoso.com, jo@contoso.com, partner@fabrikam.com, olivia@fabrikam.com, tom@fabrikam.com, gone@fabrikam.com]\n",
      (t) => {
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000001",
          kind: "PublicFolder",
          displayName: "Archive",
          synced: false,
          addresses: ["SMTP:archive@contoso.com"],
        });
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000002",
          kind: "EntraUser",
          displayName: "Jo Synced",
          upn: "jo.synced@contoso.com",
          synced: true,
          addresses: ["SMTP:jo@contoso.com"],
        });
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000003",
          kind: "EntraContact",
          displayName: "Partner",
          synced: false,
          addresses: ["SMTP:partner@fabrikam.com"],
        });
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000004",
          kind: "SoftDeletedMailbox",
          displayName: "Olivia Former",
          upn: "olivia@contoso.com",
          synced: false,
          addresses: ["SMTP:olivia@fabrikam.com"],
          deletedAt: softDeletedAt,
        });
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000005",
          kind: "DeletedUser",
          displayName: "Tom Temp",
          upn: "tom@contoso.com",
          synced: false,
          addresses: ["SMTP:tom@fabrikam.com"],
          deletedAt: binAt,
        });
        t.addHolder({
          id: "00000000-0000-4000-9000-000000000006",
          kind: "DeletedUser",
          displayName: "Long Gone",
          upn: "gone@contoso.com",
          synced: false,
          addresses: ["SMTP:gone@fabrikam.com"],
          deletedAt: deleted(31),
        });
      },
    );
    const purge = (iso: string) => at(new Date(Date.parse(iso) + 30 * day).toISOString());
    assert.equal(problems.length, 5, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^mailboxes\.yaml:6:15: .*alias "archive@contoso\.com" is held by mail-enabled public folder "Archive", which Exchange's mailbox listings do not show.*Set-MailPublicFolder "Archive" -EmailAddresses @\{Remove="smtp:archive@contoso\.com"\}/,
    );
    assert.match(
      problems[1]!,
      /^mailboxes\.yaml:6:36: .*"jo@contoso\.com" is held by Entra user without a mailbox "Jo Synced" \(synced from on-premises AD\).*in on-premises AD and let Entra Connect sync it/,
    );
    assert.match(
      problems[2]!,
      /"partner@fabrikam\.com" is held by Entra contact without a mail contact "Partner".*in Entra ID/,
    );
    assert.ok(
      problems[3]!.includes(
        `"olivia@fabrikam.com" is held by soft-deleted mailbox "Olivia Former" (deleted ${at(softDeletedAt)}; it keeps its addresses until it is purged on ${purge(softDeletedAt)})`,
      ) &&
        /restore the mailbox.*purge it \(Remove-Mailbox "Olivia Former" -PermanentlyDelete.*or wait until \d{4}-\d\d-\d\d/.test(
          problems[3]!,
        ),
      problems[3],
    );
    assert.ok(
      problems[4]!.includes(
        `"tom@fabrikam.com" is held by deleted user in Entra's recycle bin "Tom Temp" (deleted ${at(binAt)}; it keeps its addresses until it is purged on ${purge(binAt)})`,
      ) &&
        /restore the user .*delete it permanently \(DELETE \/directory\/deletedItems\/00000000-0000-4000-9000-000000000005\).*or wait until/.test(
          problems[4]!,
        ),
      problems[4],
    );
  });

  it("a domain the tenant does not accept (though the spec allows it): Exchange's words and what to do", async () => {
    const problems = await problemsOf(
      "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases: [lee@northwind.example]\n",
    );
    assert.deepEqual(problems, [
      `mailboxes.yaml:6:15: mailboxes["lee.chen@contoso.com"].aliases[0]: You can't use the domain "northwind.example" because it's not an accepted domain for your organization. What to do: add the domain to the tenant's accepted domains (Exchange admin center > Mail flow > Accepted domains), or fix the address`,
    ]);
  });

  it("a synced mailbox is refused with the write-scope error and both ways out; a cloud-managed one is not", async () => {
    const problems = await problemsOf(
      "  george.hall@contoso.com:\n    primary: george.hall@contoso.com\n    aliases: [ghall@contoso.com]\n" +
        "  helen.ward@contoso.com:\n    primary: helen.ward@contoso.com\n    aliases: [hward@contoso.com]\n",
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.ok(
      problems[0]!.startsWith(
        `mailboxes.yaml:4:3: mailboxes["george.hall@contoso.com"]: The operation on mailbox "george.hall@contoso.com" failed because it's out of the current user's write scope.`,
      ),
      problems[0],
    );
    assert.match(
      problems[0]!,
      / What to do: this mailbox is synced from on-premises AD\. Either change proxyAddresses in AD .* or move its Exchange attributes to the cloud: set `cloudManaged: true` on it in the spec/,
    );
  });

  it("a synced group is refused with a remedy for groups: change it in AD, never `cloudManaged: true` (refused for groups)", async () => {
    const problems = await problemsOf(
      "  legal@contoso.com:\n    primary: legal@contoso.com\n    aliases: [law@contoso.com]\n",
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /What to do: this distribution group is synced from on-premises AD, where its addresses are mastered: change proxyAddresses in AD/,
    );
    assert.doesNotMatch(problems[0]!, /set `cloudManaged: true`/);
  });

  it("a synced mailbox with cloudManaged: true in the spec passes (the provider moves it to the cloud first)", async () => {
    assert.deepEqual(
      await problemsOf(
        "  george.hall@contoso.com:\n    primary: george.hall@contoso.com\n    aliases: [ghall@contoso.com]\n    cloudManaged: true\n",
      ),
      [],
    );
  });

  it("a contact, a group and a mail user are written like mailboxes (each with its own cmdlet): no refusal for their kind", async () => {
    const problems = await problemsOf(
      "  press@fabrikam.com:\n    primary: press@fabrikam.com\n    aliases: [media@fabrikam.com]\n" +
        "  allstaff@contoso.com:\n    primary: allstaff@contoso.com\n    aliases: [everyone@contoso.com]\n" +
        "  contractor@contoso.com:\n    primary: contractor@fabrikam.com\n" +
        "  sales@contoso.com:\n    primary: sales@contoso.com\n",
    );
    assert.deepEqual(problems, []);
  });

  it("each kind's own refusals at preview, positioned, naming the kind: the external address dropped, another kind than `kind`, cloudManaged on a group, a wrong externalEmailAddress", async () => {
    const problems = await problemsOf(
      "  press@fabrikam.com:\n    primary: press-office@fabrikam.com\n" +
        "  sales@contoso.com:\n    primary: sales@contoso.com\n    kind: MailUniversalDistributionGroup\n" +
        "  allstaff@contoso.com:\n    primary: allstaff@contoso.com\n    aliases: [staff@contoso.com]\n    cloudManaged: true\n" +
        "  00000000-0000-4000-8000-000000000004:\n    primary: press@fabrikam.com\n    externalEmailAddress: someone@agency.example\n" +
        "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    kind: UserMailbox\n",
    );
    assert.deepEqual(problems, [
      'mailboxes.yaml:4:3: mailboxes["press@fabrikam.com"]: The address "SMTP:press@fabrikam.com" is the external email address (ExternalEmailAddress) of the mail contact "Press Office (agency)"; it can\'t be removed from EmailAddresses. To change it, use Set-MailContact -ExternalEmailAddress. What to do: list it in the spec (as primary or alias) or set this entry\'s mode to additive; this tool never removes a recipient\'s external address',
      'mailboxes.yaml:8:11: mailboxes["sales@contoso.com"].kind: "sales@contoso.com" is shared mailbox "Sales" (SharedMailbox), not a distribution group (MailUniversalDistributionGroup); fix `kind` or the key',
      'mailboxes.yaml:9:3: mailboxes["allstaff@contoso.com"]: "allstaff@contoso.com" is distribution group "All Staff": `cloudManaged: true` applies to mailboxes only (Set-Mailbox -IsExchangeCloudManaged); remove it from this entry',
      'mailboxes.yaml:13:3: mailboxes["00000000-0000-4000-8000-000000000004"]: the external email address of mail contact "Press Office (agency)" is "press@fabrikam.com", not "someone@agency.example"; this tool never changes it (Set-MailContact -ExternalEmailAddress does): fix `externalEmailAddress` in the spec',
    ]);
  });

  it("an address on a mailbox the stack manages outside a targeted run refuses targeted mode, at the address; an external address on a kind without one refuses the entry", async () => {
    const problems = await problemsOf(
      "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases: [anna@contoso.com]\n" +
        "  sales@contoso.com:\n    primary: sales@contoso.com\n    externalEmailAddress: sales@agency.example\n",
      () => {},
      new Map([["00000000-0000-4000-8000-000000000002", "anna.kowalski@contoso.com"]]),
    );
    assert.deepEqual(problems, [
      'mailboxes.yaml:6:15: mailboxes["lee.chen@contoso.com"].aliases[0]: "anna@contoso.com" is on "anna.kowalski@contoso.com", a mailbox of this spec outside the targeted run (the tenant changed since the state was written); targeted mode refused: run the full plan (without --changed-since), which sees and orders the move',
      'mailboxes.yaml:7:3: mailboxes["sales@contoso.com"]: "sales@contoso.com" is shared mailbox "Sales", which has no external email address; remove `externalEmailAddress` (only mail users and mail contacts have one)',
    ]);
  });

  it("a MOERA given to another mailbox: at the taker's address, naming the giver's place, never movable", async () => {
    const problems = await problemsOf(
      "  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n" +
        "  anna.kowalski@contoso.com:\n    primary: anna.kowalski@contoso.com\n    aliases: [lee.chen@contoso.onmicrosoft.com]\n",
    );
    assert.deepEqual(problems, [
      `mailboxes.yaml:8:15: mailboxes["anna.kowalski@contoso.com"].aliases[0]: "lee.chen@contoso.onmicrosoft.com" is the routing address (MOERA) of mailbox "lee.chen@contoso.com" (mailboxes.yaml:4:3), which Exchange never lets go of; keep the address: the tenant's routing address (MOERA) cannot be removed; the tool never removes it itself: drop it from this mailbox in the spec`,
    ]);
  });

  it("a mailbox the tenant does not have: at its key, with the remedy", async () => {
    assert.deepEqual(await problemsOf("  nobody@contoso.com:\n    primary: nobody@contoso.com\n"), [
      `mailboxes.yaml:4:3: mailboxes["nobody@contoso.com"]: not found in the local tenant ${path.join(dir, `t${counter - 1}.sqlite`)}` +
        "; check the identity (a user principal name or Entra object id); the mailbox may have been renamed or deleted",
    ]);
  });

  it("moeraDomainOf: the initial onmicrosoft.com domain, not the hybrid mail. one; describeRecipient; the writable kinds", () => {
    assert.equal(
      moeraDomainOf(["contoso.com", "contoso.mail.onmicrosoft.com", "Contoso.onmicrosoft.com"]),
      "contoso.onmicrosoft.com",
    );
    assert.equal(moeraDomainOf(["contoso.com"]), undefined);
    assert.equal(
      describeRecipient({ id: "x", displayName: 'Say "hi"', kind: "EquipmentMailbox" }),
      'equipment mailbox "Say \\"hi\\""',
    );
    assert.equal(describeRecipient({ id: "x", displayName: "All", kind: "GroupMailbox" }), 'Microsoft 365 group "All"');
    assert.equal(WRITABLE_KINDS.size, 10);
  });

  it("describeRecipient and holderRemedy name holders that are not recipients this tool writes: a kind it does not write, an address being released", () => {
    const remote = {
      id: "x",
      displayName: "Remote Rita",
      type: "UserMailbox" as const,
      holder: { kind: "OtherRecipient" as const, recipientTypeDetails: "RemoteUserMailbox" },
    };
    assert.equal(describeRecipient(remote), 'recipient of kind RemoteUserMailbox "Remote Rita"');
    assert.match(
      holderRemedy(remote, "rita@contoso.com"),
      /Get-Recipient "Remote Rita" shows it; its kind, RemoteUserMailbox, is not one this tool writes/,
    );
    assert.equal(
      proxyAddressExistsMessage("smtp:rita@contoso.com", remote),
      'The proxy address "smtp:rita@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Remote Rita". Please choose another proxy address.',
    );
    const releasing = {
      id: "y",
      displayName: "Mark",
      type: "UserMailbox" as const,
      holder: { kind: "Releasing" as const, releasedAt: new Date().toISOString() },
    };
    assert.equal(
      proxyAddressExistsMessage("SMTP:x@contoso.com", releasing),
      'The proxy address "SMTP:x@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.',
    );
    assert.match(
      holderRemedy(releasing, "x@contoso.com"),
      /^wait: Exchange frees an address some time after it was removed/,
    );
  });
});
