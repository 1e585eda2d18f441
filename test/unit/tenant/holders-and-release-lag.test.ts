// The tenant model's holders that are not recipients (public folders, Entra-only objects, deleted
// ones) and its release lag (issue 30): what Exchange refuses, in its words, and when it stops.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExchangeError } from "../../../exchange/exchange-error";
import { loadSeedFile } from "../../../tenant/load-seed";
import { Tenant } from "../../../tenant/tenant";

const IN_USE = (entry: string) =>
  `The proxy address "${entry}" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`;

function refusal(work: () => unknown): ExchangeError {
  try {
    work();
  } catch (err) {
    if (ExchangeError.isInstance(err)) return err;
    throw err;
  }
  assert.fail("Exchange accepted the change");
}

describe("tenant model: holders Get-Mailbox does not list, and the release lag", () => {
  it("the shipped seed's public folder, soft-deleted mailbox and recycle-bin user hold their addresses; Exchange refuses them to a mailbox", () => {
    const tenant = Tenant.open(":memory:");
    tenant.seed(loadSeedFile());
    assert.deepEqual(
      tenant
        .holders()
        .map((h) => `${h.kind} ${h.displayName}`)
        .sort(),
      ["DeletedUser Tom Temp", "PublicFolder Archive (public folder)", "SoftDeletedMailbox Olivia Former"],
    );
    const folder = refusal(() =>
      tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", ["smtp:archive@contoso.com"], []),
    );
    assert.equal(folder.code, "ProxyAddressExists");
    assert.equal(
      folder.message,
      'The proxy address "smtp:archive@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Archive (public folder)". Please choose another proxy address.',
    );
    for (const address of ["olivia@fabrikam.com", "tom@fabrikam.com"]) {
      const deleted = refusal(() => tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", [`smtp:${address}`], []));
      assert.equal(deleted.message, IN_USE(`smtp:${address}`));
      assert.ok(deleted.owner?.holder?.deletedAt, "the deleted holder says when it was deleted");
    }
    assert.ok(
      !tenant.find("mark.wilson@contoso.com")!.addresses.some((a) => /archive|olivia|tom@/i.test(a)),
      "nothing was written",
    );
    tenant.close();
  });

  it("a deleted holder past 30 days is purged: its address is free", () => {
    const tenant = Tenant.open(":memory:");
    tenant.seed(loadSeedFile());
    tenant.addHolder({
      id: "00000000-0000-4000-9000-00000000000a",
      kind: "DeletedUser",
      displayName: "Old",
      synced: false,
      addresses: ["SMTP:old@fabrikam.com"],
      deletedAt: new Date(Date.now() - 31 * 86_400_000).toISOString(),
    });
    tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", ["smtp:old@fabrikam.com"], []);
    assert.ok(tenant.find("mark.wilson@contoso.com")!.addresses.includes("smtp:old@fabrikam.com"));
    assert.ok(!tenant.holders().some((h) => h.displayName === "Old"));
    tenant.close();
  });

  it("with a release lag, a removed address is refused to any other recipient with Exchange's words, not to its old holder; without one it is free at once", () => {
    const tenant = Tenant.open(":memory:");
    tenant.seed(loadSeedFile());
    assert.equal(tenant.addressReleaseLagMs(), 0, "off by default");
    tenant.setAddressReleaseLagMs(3_600_000);
    tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", [], ["smtp:mwilson@contoso.com"]);
    assert.equal(tenant.ownerOf("mwilson@contoso.com"), undefined, "no recipient lists it any more");
    const lagged = refusal(() =>
      tenant.addRemoveEmailAddresses("anna.kowalski@contoso.com", ["smtp:mwilson@contoso.com"], []),
    );
    assert.equal(lagged.code, "ProxyAddressExists");
    assert.equal(lagged.message, IN_USE("smtp:mwilson@contoso.com"));
    assert.equal(lagged.owner?.holder?.kind, "Releasing");
    // Its old holder may take it back.
    tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", ["smtp:mwilson@contoso.com"], []);
    tenant.addRemoveEmailAddresses("mark.wilson@contoso.com", [], ["smtp:mwilson@contoso.com"]);
    // The lag over (set to 0 here: what was released is free), the other recipient takes it.
    tenant.setAddressReleaseLagMs(0);
    tenant.addRemoveEmailAddresses("anna.kowalski@contoso.com", ["smtp:mwilson@contoso.com"], []);
    assert.ok(tenant.find("anna.kowalski@contoso.com")!.addresses.includes("smtp:mwilson@contoso.com"));
    tenant.close();
  });
});
