// Exchange's rules for every kind of recipient that has addresses (exchange/exchange-rules.ts;
// facts and sources: docs/RECIPIENT-KINDS.md), in the exact words an admin reads, and the tenant
// model writing each kind with its own cmdlet under those rules.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { ExchangeError } from "../../../exchange/exchange-error";
import {
  checkEmailAddresses,
  kindOf,
  RECIPIENT_KINDS,
  ALL_RECIPIENT_KINDS,
  parseRecipientKind,
  writeScopeMessage,
  type RecipientFacts,
  type RecipientKind,
  type TenantFacts,
} from "../../../exchange/exchange-rules";
import { loadSeedFile } from "../../../tenant/load-seed";
import { Tenant } from "../../../tenant/tenant";

const tenantFacts = (owners: Record<string, { id: string; displayName: string }> = {}): TenantFacts => ({
  acceptedDomains: new Set(["contoso.com", "fabrikam.com", "contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com"]),
  moeraDomain: "contoso.onmicrosoft.com",
  ownerOf: (a) => {
    const o = owners[a.toLowerCase()];
    return o && { ...o, kind: "UserMailbox" as const };
  },
});

const recipient = (kind: RecipientKind, addresses: string[], extra: Partial<RecipientFacts> = {}): RecipientFacts => ({
  id: "r1",
  displayName: "Marketing",
  kind,
  synced: false,
  cloudManaged: false,
  addresses,
  ...extra,
});

const messages = (r: RecipientFacts, proposed: string[], facts = tenantFacts()) =>
  checkEmailAddresses(r, proposed, facts).map((v) => v.message);

function seededTenant(): Tenant {
  const tenant = Tenant.open(":memory:");
  tenant.seed(loadSeedFile());
  return tenant;
}

describe("recipient kinds: the facts per kind", () => {
  it("names every kind with its RecipientTypeDetails, its Set- cmdlet and where Graph shows it", () => {
    const table = Object.fromEntries(
      ALL_RECIPIENT_KINDS.map((t) => [
        t,
        [RECIPIENT_KINDS[t].setCmdlet, RECIPIENT_KINDS[t].getCmdlet, RECIPIENT_KINDS[t].graph.collection],
      ]),
    );
    assert.deepEqual(table, {
      UserMailbox: ["Set-Mailbox", "Get-Mailbox", "users"],
      SharedMailbox: ["Set-Mailbox", "Get-Mailbox", "users"],
      RoomMailbox: ["Set-Mailbox", "Get-Mailbox", "users"],
      EquipmentMailbox: ["Set-Mailbox", "Get-Mailbox", "users"],
      MailUniversalDistributionGroup: ["Set-DistributionGroup", "Get-DistributionGroup", "groups"],
      MailUniversalSecurityGroup: ["Set-DistributionGroup", "Get-DistributionGroup", "groups"],
      GroupMailbox: ["Set-UnifiedGroup", "Get-UnifiedGroup", "groups"],
      DynamicDistributionGroup: ["Set-DynamicDistributionGroup", "Get-DynamicDistributionGroup", null],
      MailUser: ["Set-MailUser", "Get-MailUser", "users"],
      MailContact: ["Set-MailContact", "Get-MailContact", "contacts"],
    });
  });

  it("tells the group kinds apart in Graph as the groups overview does", () => {
    const graph = (t: RecipientKind) => RECIPIENT_KINDS[t].graph;
    assert.deepEqual(graph("GroupMailbox"), {
      collection: "groups",
      groupTypes: ["Unified"],
      mailEnabled: true,
      securityEnabled: false,
    });
    assert.deepEqual(graph("MailUniversalSecurityGroup"), {
      collection: "groups",
      groupTypes: [],
      mailEnabled: true,
      securityEnabled: true,
    });
    assert.deepEqual(graph("MailUniversalDistributionGroup"), {
      collection: "groups",
      groupTypes: [],
      mailEnabled: true,
      securityEnabled: false,
    });
  });

  it("reads a kind's name in any case; Group (seeds and tenant files of before the kinds) is a distribution group", () => {
    assert.equal(parseRecipientKind("group"), "MailUniversalDistributionGroup");
    assert.equal(parseRecipientKind("groupmailbox"), "GroupMailbox");
    assert.equal(parseRecipientKind("RoomList"), undefined);
    assert.equal(kindOf({}), "UserMailbox");
    assert.equal(kindOf({ kind: "GroupMailbox" }), "GroupMailbox");
  });
});

describe("recipient kinds: prefixes each kind takes", () => {
  it("a distribution group refuses an SPO address, in words naming the kind", () => {
    assert.deepEqual(
      messages(
        recipient("MailUniversalDistributionGroup", [
          "SMTP:marketing@contoso.com",
          "smtp:marketing@contoso.onmicrosoft.com",
        ]),
        ["SMTP:marketing@contoso.com", "smtp:marketing@contoso.onmicrosoft.com", "SPO:SPO_1@SPO_2"],
      ),
      [
        'The distribution group "Marketing" can\'t take the address "SPO:SPO_1@SPO_2": a distribution group\'s EmailAddresses take SMTP (SMTP:/smtp:), X400 and X500 addresses, not SPO.',
      ],
    );
  });

  it("a Microsoft 365 group takes SPO and refuses SIP", () => {
    const group = recipient("GroupMailbox", ["SMTP:allstaff@contoso.com", "smtp:allstaff@contoso.onmicrosoft.com"], {
      displayName: "All Staff",
    });
    assert.deepEqual(messages(group, [...group.addresses, "SPO:SPO_a@SPO_b"]), []);
    const found = checkEmailAddresses(group, [...group.addresses, "SIP:allstaff@contoso.com"], tenantFacts());
    assert.deepEqual(found, [
      {
        code: "InvalidAddress",
        rule: "PrefixNotAccepted",
        address: "SIP:allstaff@contoso.com",
        message:
          'The Microsoft 365 group "All Staff" can\'t take the address "SIP:allstaff@contoso.com": a Microsoft 365 group\'s EmailAddresses take SMTP (SMTP:/smtp:), SPO and X500 addresses, not SIP.',
      },
    ]);
  });

  it("mail-enabled security groups, dynamic distribution groups and mail contacts take X500 and X400, not SIP", () => {
    for (const [kind, noun] of [
      ["MailUniversalSecurityGroup", "mail-enabled security group"],
      ["DynamicDistributionGroup", "dynamic distribution group"],
      ["MailContact", "mail contact"],
    ] as const) {
      const r = recipient(kind, ["SMTP:x@contoso.com"], { displayName: "X" });
      assert.deepEqual(
        messages(r, ["SMTP:x@contoso.com", "X500:/o=Contoso/cn=x", "X400:C=US;A= ;P=Contoso;O=Exchange;S=x;"]),
        [],
        kind,
      );
      assert.deepEqual(messages(r, ["SMTP:x@contoso.com", "SIP:x@contoso.com"]), [
        `The ${noun} "X" can't take the address "SIP:x@contoso.com": a ${noun}'s EmailAddresses take SMTP (SMTP:/smtp:), X400 and X500 addresses, not SIP.`,
      ]);
    }
  });

  it("a mail user takes SIP; mailboxes take any prefix", () => {
    assert.deepEqual(
      messages(recipient("MailUser", ["SMTP:c@contoso.com"]), ["SMTP:c@contoso.com", "SIP:c@contoso.com"]),
      [],
    );
    for (const kind of ["UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"] as const) {
      assert.deepEqual(
        messages(recipient(kind, ["SMTP:m@contoso.com"]), [
          "SMTP:m@contoso.com",
          "SIP:m@contoso.com",
          "SPO:SPO_x@SPO_y",
          "EUM:1234;phone-context=x",
        ]),
        [],
        kind,
      );
    }
  });

  it("an entry the recipient already holds is never refused for its prefix", () => {
    const group = recipient("MailUniversalDistributionGroup", ["SMTP:marketing@contoso.com", "SPO:SPO_old@SPO_t"]);
    assert.deepEqual(messages(group, ["SMTP:marketing@contoso.com", "SPO:SPO_old@SPO_t", "smtp:mkt@contoso.com"]), []);
  });
});

describe("recipient kinds: a mail contact's and a mail user's external address", () => {
  const contact = recipient("MailContact", ["SMTP:press@agency.example", "smtp:press@fabrikam.com"], {
    displayName: "Press Office (agency)",
    externalEmailAddress: "press@agency.example",
  });

  it("the external address may stay outside the accepted domains; another alias there may not", () => {
    assert.deepEqual(messages(contact, ["SMTP:press@agency.example", "smtp:press@fabrikam.com"]), []);
    assert.deepEqual(messages(contact, ["SMTP:press@agency.example", "smtp:press@other.example"]), [
      "You can't use the domain \"other.example\" because it's not an accepted domain for your organization.",
    ]);
  });

  it("removing the external address from EmailAddresses is refused, naming the kind and the cmdlet that changes it", () => {
    assert.deepEqual(checkEmailAddresses(contact, ["SMTP:press@fabrikam.com"], tenantFacts()), [
      {
        code: "InvalidAddress",
        rule: "ExternalAddressRemoval",
        address: "press@agency.example",
        message:
          'The address "SMTP:press@agency.example" is the external email address (ExternalEmailAddress) of the mail contact "Press Office (agency)"; it can\'t be removed from EmailAddresses. To change it, use Set-MailContact -ExternalEmailAddress.',
      },
    ]);
    const user = recipient("MailUser", ["SMTP:dana@contoso.com", "smtp:dana@consulting.example"], {
      displayName: "Dana",
      externalEmailAddress: "dana@consulting.example",
    });
    assert.deepEqual(messages(user, ["SMTP:dana@contoso.com"]), [
      'The address "SMTP:dana@consulting.example" is the external email address (ExternalEmailAddress) of the mail user "Dana"; it can\'t be removed from EmailAddresses. To change it, use Set-MailUser -ExternalEmailAddress.',
    ]);
  });

  it("a mail user whose external address is not among its EmailAddresses has nothing to keep", () => {
    const user = recipient("MailUser", ["SMTP:dana@contoso.com"], { externalEmailAddress: "dana@consulting.example" });
    assert.deepEqual(messages(user, ["SMTP:dana.w@contoso.com", "smtp:dana@contoso.com"]), []);
  });
});

describe("recipient kinds: the rules every kind shares, in their existing words", () => {
  it("a synced group is refused with its own cmdlet named; a synced mailbox keeps the mailbox wording", () => {
    assert.equal(
      writeScopeMessage("legal@contoso.com", "MailUniversalDistributionGroup"),
      "The action 'Set-DistributionGroup', 'EmailAddresses', can't be performed on the object 'legal@contoso.com' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
    );
    assert.equal(
      writeScopeMessage("george.hall@contoso.com"),
      "The operation on mailbox \"george.hall@contoso.com\" failed because it's out of the current user's write scope. The action 'Set-Mailbox', 'EmailAddresses', can't be performed on the object 'george.hall@contoso.com' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
    );
    const synced = recipient("GroupMailbox", ["SMTP:g@contoso.com"], { synced: true });
    assert.deepEqual(
      checkEmailAddresses(synced, ["SMTP:g@contoso.com", "smtp:h@contoso.com"], tenantFacts(), "g@contoso.com").map(
        (v) => [v.code, v.message],
      ),
      [
        [
          "WriteScope",
          "The action 'Set-UnifiedGroup', 'EmailAddresses', can't be performed on the object 'g@contoso.com' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
        ],
      ],
    );
  });

  it("a group's MOERA can't be removed; an address another recipient holds can't be taken, whatever the kinds", () => {
    const group = recipient("MailUniversalSecurityGroup", ["SMTP:fa@contoso.com", "smtp:fa@contoso.onmicrosoft.com"]);
    assert.deepEqual(messages(group, ["SMTP:fa@contoso.com"]), [
      "The address \"smtp:fa@contoso.onmicrosoft.com\" is the recipient's Microsoft Online Email Routing Address (MOERA) and can't be removed.",
    ]);
    const facts = tenantFacts({ "sales@contoso.com": { id: "other", displayName: "Sales" } });
    assert.deepEqual(messages(group, [...group.addresses, "smtp:sales@contoso.com"], facts), [
      'The proxy address "smtp:sales@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Sales". Please choose another proxy address.',
    ]);
  });
});

describe("recipient kinds: the tenant model", () => {
  it("the seed holds at least one recipient of every kind, the old groups told apart", () => {
    const tenant = seededTenant();
    const kinds = new Set(tenant.list().map((r) => r.kind));
    assert.deepEqual(
      [...ALL_RECIPIENT_KINDS].filter((t) => !kinds.has(t)),
      [],
    );
    assert.equal(tenant.find("allstaff@contoso.com")?.kind, "GroupMailbox");
    assert.equal(tenant.find("marketing@contoso.com")?.kind, "MailUniversalDistributionGroup");
    assert.equal(
      tenant.find("press@agency.example")?.externalEmailAddress,
      "press@agency.example",
      "a contact without one: its primary",
    );
    assert.equal(tenant.find("dana.whitfield@contoso.com")?.externalEmailAddress, "dana@consulting.example");
    assert.equal(tenant.find("contractor@contoso.com")?.externalEmailAddress, undefined);
    tenant.close();
  });

  it("writes each kind with its own cmdlet, one write each", () => {
    const tenant = seededTenant();
    const cases: [string, string][] = [
      ["projector1@contoso.com", "Set-Mailbox"],
      ["newsletter@contoso.com", "Set-DistributionGroup"],
      ["finance-approvers@contoso.com", "Set-DistributionGroup"],
      ["phoenix@contoso.com", "Set-UnifiedGroup"],
      ["everyone@contoso.com", "Set-DynamicDistributionGroup"],
      ["dana.whitfield@contoso.com", "Set-MailUser"],
      ["support@litware.example", "Set-MailContact"],
    ];
    for (const [identity, cmdlet] of cases) {
      const before = tenant.writes().length;
      const local = identity.split("@")[0]!;
      tenant.addRemoveEmailAddresses(identity, [`smtp:${local}-new@fabrikam.com`], []);
      const writes = tenant.writes().slice(before);
      assert.deepEqual(
        writes.map((w) => w.operation),
        [`${cmdlet} -EmailAddresses @{Add;Remove}`],
        identity,
      );
    }
    tenant.close();
  });

  it("moves an address from a user to a shared mailbox, a group and a contact, and back", () => {
    const tenant = seededTenant();
    const move = (address: string, from: string, to: string) => {
      tenant.addRemoveEmailAddresses(from, [], [`smtp:${address}`]);
      tenant.addRemoveEmailAddresses(to, [`smtp:${address}`], []);
      assert.equal(tenant.ownerOf(address)?.id, tenant.find(to)!.id);
    };
    move("ppatel@contoso.com", "priya.patel@contoso.com", "sales@contoso.com");
    move("ppatel@contoso.com", "sales@contoso.com", "newsletter@contoso.com");
    move("ppatel@contoso.com", "newsletter@contoso.com", "phoenix@contoso.com");
    move("ppatel@contoso.com", "phoenix@contoso.com", "support@litware.example");
    move("ppatel@contoso.com", "support@litware.example", "priya.patel@contoso.com");
    // Taking it while another recipient holds it is refused, whatever the kinds.
    assert.throws(
      () => tenant.addRemoveEmailAddresses("everyone@contoso.com", ["smtp:ppatel@contoso.com"], []),
      (err: unknown) =>
        ExchangeError.isInstance(err) && err.code === "ProxyAddressExists" && err.owner?.displayName === "Priya Patel",
    );
    tenant.close();
  });

  it("-PrimarySmtpAddress makes an address the primary and keeps the old one as an alias", () => {
    const tenant = seededTenant();
    const after = tenant.setPrimarySmtpAddress("phoenix@contoso.com", "phoenix@fabrikam.com");
    assert.deepEqual(after.addresses, [
      "smtp:phoenix@contoso.com",
      "smtp:phoenix@contoso.onmicrosoft.com",
      "SPO:SPO_5cfaed8d-398d-50ca-ad53-2892577dccb6@SPO_14a088a5-efa8-5004-9b96-806d51f29782",
      "SMTP:phoenix@fabrikam.com",
    ]);
    assert.equal(tenant.writes().at(-1)?.operation, "Set-UnifiedGroup -PrimarySmtpAddress");
    tenant.close();
  });

  it("-ExternalEmailAddress replaces the old external address, which is not kept as a proxy address", () => {
    const tenant = seededTenant();
    const after = tenant.setExternalEmailAddress("support@litware.example", "SMTP:helpdesk@litware.example");
    assert.equal(after.externalEmailAddress, "helpdesk@litware.example");
    assert.deepEqual(after.addresses, ["SMTP:helpdesk@litware.example", "smtp:litware-support@contoso.com"]);
    assert.equal(tenant.find("helpdesk@litware.example")?.externalEmailAddress, "helpdesk@litware.example");
    assert.equal(tenant.ownerOf("support@litware.example"), undefined);
    assert.equal(tenant.writes().at(-1)?.operation, "Set-MailContact -ExternalEmailAddress");
    // The new external address is then kept like the old one.
    assert.throws(
      () => tenant.setEmailAddresses("helpdesk@litware.example", ["SMTP:litware-support@contoso.com"]),
      (err: unknown) => ExchangeError.isInstance(err) && err.violations[0]?.rule === "ExternalAddressRemoval",
    );
    tenant.close();
  });

  it("refuses a prefix a kind does not take, writing nothing", () => {
    const tenant = seededTenant();
    const before = tenant.writes().length;
    assert.throws(
      () => tenant.addRemoveEmailAddresses("newsletter@contoso.com", ["SPO:SPO_x@SPO_y"], []),
      (err: unknown) =>
        ExchangeError.isInstance(err) &&
        err.message ===
          'The distribution group "Newsletter Editors" can\'t take the address "SPO:SPO_x@SPO_y": a distribution group\'s EmailAddresses take SMTP (SMTP:/smtp:), X400 and X500 addresses, not SPO.',
    );
    assert.equal(tenant.writes().length, before);
    tenant.close();
  });

  it("lists by kind", () => {
    const tenant = seededTenant();
    assert.deepEqual(
      tenant
        .list({ kinds: ["GroupMailbox"] })
        .map((r) => r.displayName)
        .sort(),
      ["All Staff", "Project Phoenix"],
    );
    tenant.addRecipient({
      id: "00000000-0000-4000-9000-000000000001",
      upn: undefined,
      displayName: "Old group",
      kind: "MailUniversalDistributionGroup",
      synced: false,
      cloudManaged: false,
      addresses: ["SMTP:old@contoso.com"],
    });
    assert.equal(tenant.find("old@contoso.com")?.kind, "MailUniversalDistributionGroup");
    assert.equal(
      tenant.list({ kinds: ["MailUniversalDistributionGroup"] }).some((r) => r.displayName === "Old group"),
      true,
    );
    tenant.close();
  });

  it("opens a tenant file written before the kinds were told apart: Group rows are distribution groups, ExternalEmailAddress is added", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-kinds-"));
    try {
      const file = path.join(dir, "old.sqlite");
      const old = new DatabaseSync(file);
      old.exec(`
        CREATE TABLE tenant (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE accepted_domains (domain TEXT PRIMARY KEY);
        CREATE TABLE recipients (id TEXT PRIMARY KEY, upn TEXT, upn_key TEXT UNIQUE, display_name TEXT NOT NULL, type TEXT NOT NULL,
          synced INTEGER NOT NULL DEFAULT 0, cloud_managed INTEGER NOT NULL DEFAULT 0, addresses TEXT NOT NULL);
        CREATE TABLE smtp_addresses (address TEXT PRIMARY KEY, recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE);
        INSERT INTO tenant VALUES ('name', 'contoso'), ('id', '14a088a5-efa8-5004-9b96-806d51f29782'), ('moeraDomain', 'contoso.onmicrosoft.com');
        INSERT INTO accepted_domains VALUES ('contoso.com'), ('contoso.onmicrosoft.com');
        INSERT INTO recipients VALUES ('g1', NULL, NULL, 'Marketing', 'Group', 0, 0, '["SMTP:marketing@contoso.com"]');
        INSERT INTO smtp_addresses VALUES ('marketing@contoso.com', 'g1');
      `);
      old.close();
      Tenant.withFile(file, (tenant) => {
        const group = tenant.find("marketing@contoso.com")!;
        assert.equal(group.kind, "MailUniversalDistributionGroup");
        assert.equal(tenant.ownerOf("marketing@contoso.com")?.kind, "MailUniversalDistributionGroup");
        assert.deepEqual(
          tenant.list({ kinds: ["MailUniversalDistributionGroup"] }).map((r) => r.id),
          ["g1"],
        );
        tenant.addRemoveEmailAddresses("g1", ["smtp:mkt@contoso.com"], []);
        assert.equal(tenant.writes().at(-1)?.operation, "Set-DistributionGroup -EmailAddresses @{Add;Remove}");
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the kinds the schemas accept are exchange-rules' kinds", () => {
  // RecipientTypeDetails is written once in exchange/exchange-rules.ts; the spec's and the tenant
  // seed's schemas (the source of the generated types) list the same values: a kind added to one
  // and not the other fails here.
  const enumAt = (file: string, pointer: string[]): string[] => {
    let node: unknown = JSON.parse(readFileSync(path.join(__dirname, "../../../../schemas", file), "utf8"));
    for (const key of pointer) node = (node as Record<string, unknown>)[key];
    return (node as { enum: string[] }).enum;
  };

  it("mailboxes.schema.json's recipientKind lists every kind, in the same order", () => {
    assert.deepEqual(enumAt("mailboxes.schema.json", ["$defs", "recipientKind"]), [...ALL_RECIPIENT_KINDS]);
  });

  it("tenant-seed.schema.json's recipient type lists every kind, and the deprecated Group", () => {
    assert.deepEqual(enumAt("tenant-seed.schema.json", ["$defs", "recipient", "properties", "type"]), [
      ...ALL_RECIPIENT_KINDS,
      "Group",
    ]);
  });
});
