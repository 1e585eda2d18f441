// Every kind of recipient through the emulator over HTTPS (issue 17, phase 1): each kind's Get-
// and Set- cmdlet reads and writes it (one write each, with the kind's rules from
// exchange/exchange-rules.ts), another kind's cmdlet does not find it, and Graph shows it where
// Microsoft documents it (users, groups, contacts, or nowhere). Sources: docs/RECIPIENT-KINDS.md.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";
import { invokeCommand, tokenFor, type SampleContext } from "./samples";

const table = (add: string[], remove: string[] = []) => ({
  "@odata.type": "#Exchange.GenericHashTable",
  ...(add.length ? { Add: add } : {}),
  ...(remove.length ? { Remove: remove } : {}),
});
const detail = (body: any) =>
  String(body?.error?.details?.[0]?.message ?? "")
    .split("|")
    .slice(2)
    .join("|");

describe("recipient kinds through the emulator", () => {
  let emulator: RunningEmulator;
  let ctx: SampleContext;

  before(async () => {
    emulator = await startTestEmulator();
    ctx = {
      emulator,
      graphToken: (await tokenFor(emulator, "https://graph.microsoft.com/.default")).body.access_token,
      exchangeToken: (await tokenFor(emulator, "https://outlook.office365.com/.default")).body.access_token,
    };
  });
  after(async () => emulator?.close());

  const graph = (path: string) =>
    fetch(`${emulator.url}/v1.0${path}`, { headers: { authorization: `Bearer ${ctx.graphToken}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as any }),
    );

  const kinds = [
    {
      identity: "projector1@contoso.com",
      get: "Get-Mailbox",
      set: "Set-Mailbox",
      details: "EquipmentMailbox",
      graph: "users",
    },
    {
      identity: "newsletter@contoso.com",
      get: "Get-DistributionGroup",
      set: "Set-DistributionGroup",
      details: "MailUniversalDistributionGroup",
      graph: "groups",
    },
    {
      identity: "finance-approvers@contoso.com",
      get: "Get-DistributionGroup",
      set: "Set-DistributionGroup",
      details: "MailUniversalSecurityGroup",
      graph: "groups",
    },
    {
      identity: "phoenix@contoso.com",
      get: "Get-UnifiedGroup",
      set: "Set-UnifiedGroup",
      details: "GroupMailbox",
      graph: "groups",
    },
    {
      identity: "everyone@contoso.com",
      get: "Get-DynamicDistributionGroup",
      set: "Set-DynamicDistributionGroup",
      details: "DynamicDistributionGroup",
      graph: null,
    },
    {
      identity: "dana.whitfield@contoso.com",
      get: "Get-MailUser",
      set: "Set-MailUser",
      details: "MailUser",
      graph: "users",
    },
    {
      identity: "support@litware.example",
      get: "Get-MailContact",
      set: "Set-MailContact",
      details: "MailContact",
      graph: "contacts",
    },
  ] as const;

  for (const kind of kinds) {
    it(`${kind.details}: ${kind.get} reads it, ${kind.set} -EmailAddresses @{Add} writes it once, Graph shows it in ${kind.graph ?? "no collection"}`, async () => {
      const local = kind.identity.split("@")[0]!;
      const read = await invokeCommand(
        ctx,
        kind.get,
        { Identity: kind.identity },
        "?$select=RecipientTypeDetails,EmailAddresses,ExternalDirectoryObjectId",
      );
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.value[0].RecipientTypeDetails, kind.details);
      const id = read.body.value[0].ExternalDirectoryObjectId as string;
      const writesBefore = emulator.tenant.writes(id).length;
      const added = `smtp:${local}.kinds@fabrikam.com`;
      const set = await invokeCommand(ctx, kind.set, {
        Identity: kind.identity,
        EmailAddresses: table([added]),
        ...(kind.set === "Set-DistributionGroup" ? { BypassSecurityGroupManagerCheck: true } : {}),
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const writes = emulator.tenant.writes(id).slice(writesBefore);
      assert.deepEqual(
        writes.map((w) => w.operation),
        [`${kind.set} -EmailAddresses @{Add;Remove}`],
      );
      const again = await invokeCommand(
        ctx,
        kind.get,
        { Identity: `${local}.kinds@fabrikam.com` },
        "?$select=EmailAddresses",
      );
      assert.ok(again.body.value[0].EmailAddresses.includes(added));
      // Another kind's cmdlet does not find it.
      const other = kind.get === "Get-Mailbox" ? "Get-MailUser" : "Get-Mailbox";
      assert.equal((await invokeCommand(ctx, other, { Identity: kind.identity })).status, 404);
      // Graph: in its collection by id, or nowhere.
      for (const collection of ["users", "groups", "contacts"]) {
        const shown = await graph(`/${collection}/${id}?$select=proxyAddresses`);
        assert.equal(
          shown.status,
          collection === kind.graph ? 200 : 404,
          `${collection}: ${JSON.stringify(shown.body).slice(0, 200)}`,
        );
        if (collection === kind.graph) assert.ok(shown.body.proxyAddresses.includes(added));
      }
    });
  }

  it("Get-Recipient finds every kind by address with -Filter, Microsoft 365 groups when asked for them", async () => {
    const addresses = [
      "sales@contoso.com",
      "marketing@contoso.com",
      "allstaff@contoso.com",
      "everyone@contoso.com",
      "press@fabrikam.com",
      "contractor@contoso.com",
    ];
    const filter = addresses.map((a) => `EmailAddresses -eq 'smtp:${a}'`).join(" -or ");
    const plain = await invokeCommand(
      ctx,
      "Get-Recipient",
      { Filter: filter },
      "?$select=RecipientTypeDetails,PrimarySmtpAddress",
    );
    assert.deepEqual(plain.body.value.map((r: any) => r.RecipientTypeDetails).sort(), [
      "DynamicDistributionGroup",
      "MailContact",
      "MailUniversalDistributionGroup",
      "MailUser",
      "SharedMailbox",
    ]);
    const every = await invokeCommand(
      ctx,
      "Get-Recipient",
      {
        Filter: filter,
        RecipientTypeDetails:
          "SharedMailbox,MailUniversalDistributionGroup,GroupMailbox,DynamicDistributionGroup,MailContact,MailUser",
      },
      "?$select=RecipientTypeDetails",
    );
    assert.deepEqual(every.body.value.map((r: any) => r.RecipientTypeDetails).sort(), [
      "DynamicDistributionGroup",
      "GroupMailbox",
      "MailContact",
      "MailUniversalDistributionGroup",
      "MailUser",
      "SharedMailbox",
    ]);
    const unknown = await invokeCommand(ctx, "Get-Recipient", { RecipientTypeDetails: "Group" });
    assert.equal(unknown.status, 400);
    assert.match(detail(unknown.body), /^Cannot process argument transformation on parameter 'RecipientTypeDetails'/);
  });

  it("moves an address from a user mailbox to a shared mailbox, a distribution group, a Microsoft 365 group and back, one write each", async () => {
    const holders = [
      "james.miller@contoso.com",
      "finance@contoso.com",
      "marketing@contoso.com",
      "allstaff@contoso.com",
      "james.miller@contoso.com",
    ];
    const setFor: Record<string, string> = {
      "james.miller@contoso.com": "Set-Mailbox",
      "finance@contoso.com": "Set-Mailbox",
      "marketing@contoso.com": "Set-DistributionGroup",
      "allstaff@contoso.com": "Set-UnifiedGroup",
    };
    for (let i = 0; i + 1 < holders.length; i++) {
      const [from, to] = [holders[i]!, holders[i + 1]!];
      const extra = (cmdlet: string) =>
        cmdlet === "Set-DistributionGroup" ? { BypassSecurityGroupManagerCheck: true } : {};
      const taken = await invokeCommand(ctx, setFor[to]!, {
        Identity: to,
        EmailAddresses: table(["smtp:jmiller@contoso.com"]),
        ...extra(setFor[to]!),
      });
      assert.equal(taken.status, 400, "taken while the other holds it");
      assert.match(
        detail(taken.body),
        /^The proxy address "smtp:jmiller@contoso\.com" is already being used by the proxy addresses or LegacyExchangeDN of "/,
      );
      assert.equal(
        (
          await invokeCommand(ctx, setFor[from]!, {
            Identity: from,
            EmailAddresses: table([], ["smtp:jmiller@contoso.com"]),
            ...extra(setFor[from]!),
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await invokeCommand(ctx, setFor[to]!, {
            Identity: to,
            EmailAddresses: table(["smtp:jmiller@contoso.com"]),
            ...extra(setFor[to]!),
          })
        ).status,
        200,
      );
      assert.equal(emulator.tenant.ownerOf("jmiller@contoso.com")?.id, emulator.tenant.find(to)!.id);
    }
  });

  it("refuses what a kind does not take, in words naming the kind, and writes nothing", async () => {
    const before = emulator.tenant.writes().length;
    const spo = await invokeCommand(ctx, "Set-DynamicDistributionGroup", {
      Identity: "everyone@contoso.com",
      EmailAddresses: table(["SPO:SPO_a@SPO_b"]),
    });
    assert.equal(spo.status, 400);
    assert.equal(
      detail(spo.body),
      'The dynamic distribution group "Everyone (dynamic)" can\'t take the address "SPO:SPO_a@SPO_b": a dynamic distribution group\'s EmailAddresses take SMTP (SMTP:/smtp:), X400 and X500 addresses, not SPO.',
    );
    const external = await invokeCommand(ctx, "Set-MailContact", {
      Identity: "press@agency.example",
      EmailAddresses: table([], ["SMTP:press@agency.example"]),
    });
    assert.equal(external.status, 400);
    assert.match(
      detail(external.body),
      /is the external email address \(ExternalEmailAddress\) of the mail contact "Press Office \(agency\)"; it can't be removed from EmailAddresses\. To change it, use Set-MailContact -ExternalEmailAddress\.$/,
    );
    const synced = await invokeCommand(ctx, "Set-DistributionGroup", {
      Identity: "legal@contoso.com",
      BypassSecurityGroupManagerCheck: true,
      EmailAddresses: table(["smtp:law@contoso.com"]),
    });
    assert.equal(
      detail(synced.body),
      "The action 'Set-DistributionGroup', 'EmailAddresses', can't be performed on the object 'legal@contoso.com' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
    );
    const mailUserPrimary = await invokeCommand(ctx, "Set-MailUser", {
      Identity: "contractor@contoso.com",
      PrimarySmtpAddress: "contractor@fabrikam.com",
    });
    assert.equal(mailUserPrimary.status, 400);
    assert.match(
      detail(mailUserPrimary.body),
      /^The PrimarySmtpAddress parameter is functional only in on-premises Exchange\./,
    );
    assert.equal(emulator.tenant.writes().length, before);
  });

  it("-PrimarySmtpAddress on Set-UnifiedGroup and -WindowsEmailAddress on Set-DynamicDistributionGroup make the primary, the old one an alias", async () => {
    assert.equal(
      (
        await invokeCommand(ctx, "Set-UnifiedGroup", {
          Identity: "phoenix@contoso.com",
          PrimarySmtpAddress: "phoenix@fabrikam.com",
        })
      ).status,
      200,
    );
    const group = await invokeCommand(
      ctx,
      "Get-UnifiedGroup",
      { Identity: "phoenix@fabrikam.com" },
      "?$select=PrimarySmtpAddress,EmailAddresses",
    );
    assert.equal(group.body.value[0].PrimarySmtpAddress, "phoenix@fabrikam.com");
    assert.ok(group.body.value[0].EmailAddresses.includes("smtp:phoenix@contoso.com"));
    assert.equal(
      (
        await invokeCommand(ctx, "Set-DynamicDistributionGroup", {
          Identity: "everyone@contoso.com",
          WindowsEmailAddress: "everyone@fabrikam.com",
        })
      ).status,
      200,
    );
    const dynamic = await invokeCommand(
      ctx,
      "Get-DynamicDistributionGroup",
      { Identity: "everyone@contoso.com" },
      "?$select=PrimarySmtpAddress",
    );
    assert.equal(dynamic.body.value[0].PrimarySmtpAddress, "everyone@fabrikam.com");
    // -EmailAddresses with -WindowsEmailAddress is one change, one write.
    const id = emulator.tenant.find("everyone@contoso.com")!.id;
    const before = emulator.tenant.writes(id).length;
    const both = await invokeCommand(ctx, "Set-DynamicDistributionGroup", {
      Identity: "everyone@contoso.com",
      EmailAddresses: table(["smtp:all@fabrikam.com"]),
      WindowsEmailAddress: "all@fabrikam.com",
    });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.deepEqual(
      emulator.tenant
        .writes(id)
        .slice(before)
        .map((w) => w.operation),
      ["Set-DynamicDistributionGroup -EmailAddresses @{Add;Remove} -WindowsEmailAddress"],
    );
    assert.equal(
      emulator.tenant.find(id)!.addresses.find((e) => e.startsWith("SMTP:")),
      "SMTP:all@fabrikam.com",
    );
    const bad = await invokeCommand(ctx, "Set-UnifiedGroup", {
      Identity: "phoenix@contoso.com",
      PrimarySmtpAddress: "not an address",
    });
    assert.equal(bad.status, 400);
    assert.match(
      detail(bad.body),
      /^Cannot process argument transformation on parameter 'PrimarySmtpAddress'\. Cannot convert value "not an address" to type "Microsoft\.Exchange\.Data\.SmtpAddress"/,
    );
  });

  it("Graph pages /groups and /contacts with $top and @odata.nextLink, filters users and contacts by proxyAddresses", async () => {
    const first = await graph("/groups?$top=2&$select=id");
    assert.equal(first.body.value.length, 2);
    const second = await fetch(first.body["@odata.nextLink"], {
      headers: { authorization: `Bearer ${ctx.graphToken}` },
    }).then((r) => r.json() as Promise<any>);
    assert.ok(second.value.length >= 1);
    assert.equal(
      new Set([...first.body.value, ...second.value].map((g: any) => g.id)).size,
      first.body.value.length + second.value.length,
    );
    const user = await graph(
      `/users?$filter=${encodeURIComponent("proxyAddresses/any(x:x eq 'SMTP:mark.wilson@contoso.com')")}&$select=userPrincipalName`,
    );
    assert.deepEqual(user.body.value, [{ userPrincipalName: "mark.wilson@contoso.com" }]);
    const contact = await graph(
      `/contacts?$filter=${encodeURIComponent("proxyAddresses/any(x:startswith(x,'smtp:press@'))")}&$select=displayName`,
    );
    assert.deepEqual(contact.body.value, [{ displayName: "Press Office (agency)" }]);
    assert.equal((await graph("/groups?$top=1000")).status, 400);
  });
});
