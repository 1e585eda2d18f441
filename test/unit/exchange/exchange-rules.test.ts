// Exchange's rules for EmailAddresses (exchange/exchange-rules.ts): each rule, and its exact
// wording, which the local tenant, the emulator and the preview-time checks all show to admins.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyAddRemove,
  checkEmailAddresses,
  EXCEPTION_TYPES,
  MAX_PROXY_ADDRESSES,
  moeraRemovalMessage,
  notAcceptedDomainMessage,
  notFoundMessage,
  proxyAddressExistsMessage,
  writeScopeMessage,
  type AddressOwner,
  type RecipientFacts,
  type TenantFacts,
} from "../../../exchange/exchange-rules";

const press: AddressOwner = { id: "contact-1", displayName: "Press Office (agency)", kind: "MailContact" };
const owners = new Map<string, AddressOwner>([["press@fabrikam.com", press]]);
const tenant: TenantFacts = {
  acceptedDomains: new Set(["contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"]),
  moeraDomain: "contoso.onmicrosoft.com",
  ownerOf: (address) => owners.get(address.toLowerCase()),
};
const lee: RecipientFacts = {
  id: "lee-1",
  displayName: "Lee Chen",
  kind: "UserMailbox",
  synced: false,
  cloudManaged: false,
  addresses: ["SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com", "X500:/o=x/cn=lee"],
};
const KEEP = ["smtp:lee.chen@contoso.onmicrosoft.com", "X500:/o=x/cn=lee"];
const check = (proposed: readonly string[], recipient: RecipientFacts = lee) =>
  checkEmailAddresses(recipient, proposed, tenant);

describe("Exchange's rules for EmailAddresses", () => {
  it("accepts a valid list: one primary, accepted domains, MOERA kept, other prefixes untouched", () => {
    assert.deepEqual(check(["SMTP:lee.chen@fabrikam.com", "smtp:lee.chen@contoso.com", ...KEEP]), []);
  });

  it("an address the recipient already holds is no conflict, in any case", () => {
    owners.set("lee.chen@contoso.com", { id: "lee-1", displayName: "Lee Chen", kind: "UserMailbox" });
    try {
      assert.deepEqual(check(["SMTP:Lee.Chen@Contoso.com", ...KEEP]), []);
    } finally {
      owners.delete("lee.chen@contoso.com");
    }
  });

  it("ProxyAddressExists: another recipient's address, named by its display name, in Exchange's words", () => {
    const [v, ...rest] = check(["SMTP:lee.chen@contoso.com", "smtp:Press@Fabrikam.com", ...KEEP]);
    assert.deepEqual(rest, []);
    assert.equal(v!.code, "ProxyAddressExists");
    assert.equal(v!.address, "Press@Fabrikam.com");
    assert.deepEqual(v!.owner, press);
    assert.equal(
      v!.message,
      'The proxy address "smtp:Press@Fabrikam.com" is already being used by the proxy addresses or LegacyExchangeDN of "Press Office (agency)". Please choose another proxy address.',
    );
    assert.equal(v!.message, proxyAddressExistsMessage("smtp:Press@Fabrikam.com", press));
  });

  it("NotAcceptedDomain: names the domain, lower-cased", () => {
    const violations = check(["SMTP:lee.chen@contoso.com", "smtp:lee@Northwind.example", ...KEEP]);
    assert.deepEqual(violations, [
      {
        code: "NotAcceptedDomain",
        address: "lee@Northwind.example",
        message: `You can't use the domain "northwind.example" because it's not an accepted domain for your organization.`,
      },
    ]);
    assert.equal(notAcceptedDomainMessage("northwind.example"), violations[0]!.message);
  });

  it("InvalidAddress: a malformed SMTP address, with Exchange's format hint; no further check of it", () => {
    const violations = check(["SMTP:lee.chen@contoso.com", "smtp:not an address", ...KEEP]);
    assert.deepEqual(violations, [
      {
        code: "InvalidAddress",
        address: "not an address",
        message:
          'The email address "not an address" isn\'t correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.',
      },
    ]);
  });

  it("PrimaryAddressCount: none, and more than one", () => {
    assert.deepEqual(check(["smtp:lee.chen@contoso.com", ...KEEP]), [
      {
        code: "PrimaryAddressCount",
        message: "The EmailAddresses property must contain exactly one primary SMTP address (SMTP:); it has none.",
      },
    ]);
    assert.deepEqual(check(["SMTP:lee.chen@contoso.com", "SMTP:lee.chen@fabrikam.com", ...KEEP]), [
      {
        code: "PrimaryAddressCount",
        message: "The EmailAddresses property must contain exactly one primary SMTP address (SMTP:); it has 2.",
      },
    ]);
  });

  it("MoeraRemoval: the MOERA must stay (its entry as the recipient holds it); kept in any case it passes", () => {
    assert.deepEqual(check(["SMTP:lee.chen@contoso.com", "X500:/o=x/cn=lee"]), [
      {
        code: "MoeraRemoval",
        address: "lee.chen@contoso.onmicrosoft.com",
        message: `The address "smtp:lee.chen@contoso.onmicrosoft.com" is the recipient's Microsoft Online Email Routing Address (MOERA) and can't be removed.`,
      },
    ]);
    assert.equal(
      moeraRemovalMessage("smtp:lee.chen@contoso.onmicrosoft.com"),
      check(["SMTP:lee.chen@contoso.com"])[0]!.message,
    );
    assert.deepEqual(check(["SMTP:lee.chen@contoso.com", "smtp:LEE.CHEN@contoso.onmicrosoft.com"]), []);
  });

  it("WriteScope: a synced recipient refuses any change, alone (no other rule reported); cloud-managed ones do not", () => {
    const synced = { ...lee, synced: true };
    const violations = checkEmailAddresses(synced, ["smtp:nothing"], tenant, "lee.chen@contoso.com");
    assert.deepEqual(violations, [
      {
        code: "WriteScope",
        message:
          `The operation on mailbox "lee.chen@contoso.com" failed because it's out of the current user's write scope. ` +
          `The action 'Set-Mailbox', 'EmailAddresses', can't be performed on the object 'lee.chen@contoso.com' because the object is being synchronized from your on-premises organization. ` +
          `This action should be performed on the object in your on-premises organization.`,
      },
    ]);
    assert.equal(writeScopeMessage("lee.chen@contoso.com"), violations[0]!.message);
    // Without an identity the display name is used.
    assert.match(checkEmailAddresses(synced, [], tenant)[0]!.message, /^The operation on mailbox "Lee Chen" failed/);
    assert.deepEqual(check(["SMTP:lee.chen@fabrikam.com", ...KEEP], { ...synced, cloudManaged: true }), []);
  });

  it(`TooManyAddresses: more than ${MAX_PROXY_ADDRESSES} entries, counting every prefix`, () => {
    const x500 = Array.from({ length: MAX_PROXY_ADDRESSES - 2 }, (_, i) => `X500:/o=x/cn=${i}`);
    assert.deepEqual(check(["SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com", ...x500]), []);
    assert.deepEqual(
      check([
        "SMTP:lee.chen@contoso.com",
        "smtp:lee.chen@contoso.onmicrosoft.com",
        ...x500,
        "SIP:lee.chen@contoso.com",
      ]),
      [
        {
          code: "TooManyAddresses",
          message: `The EmailAddresses property holds ${MAX_PROXY_ADDRESSES + 1} entries; a recipient can have at most ${MAX_PROXY_ADDRESSES}.`,
        },
      ],
    );
  });

  it("reports every rule broken, in order: size, per address (invalid, domain, owner), primaries, MOERA", () => {
    const codes = check(["smtp:bad address", "smtp:press@fabrikam.com", "smtp:x@northwind.example"]).map((v) => v.code);
    assert.deepEqual(codes, [
      "InvalidAddress",
      "ProxyAddressExists",
      "NotAcceptedDomain",
      "PrimaryAddressCount",
      "MoeraRemoval",
    ]);
  });

  it("ProxyValueTooLong: where proxyAddresses is written (AD), an added entry over 256 characters with its prefix is refused; 256 fits; Exchange Online alone has no such rule", () => {
    // 64 characters before "@", a domain of labels up to 63: an address of `length` characters.
    const address = (length: number) =>
      `${"a".repeat(64)}@${"d".repeat(length - 193)}.${"e".repeat(63)}.${"f".repeat(59)}.com`;
    assert.equal(address(252).length, 252);
    const inAd: RecipientFacts = { ...lee, writesProxyAddresses: true };
    const adTenant: TenantFacts = { ...tenant, acceptedDomains: undefined };
    const [v, ...rest] = checkEmailAddresses(
      inAd,
      ["SMTP:lee.chen@contoso.com", `smtp:${address(252)}`, ...KEEP],
      adTenant,
    );
    assert.deepEqual(rest, []);
    assert.equal(v!.code, "InvalidAddress");
    assert.equal(v!.rule, "ProxyValueTooLong");
    assert.equal(v!.address, address(252));
    assert.match(
      v!.message,
      /has 257 characters with its prefix; a proxyAddresses value holds at most 256 \(the address at most 251\)\.$/,
    );
    // As the primary too; 251 characters (256 with the prefix) fit.
    assert.equal(
      checkEmailAddresses(inAd, [`SMTP:${address(254)}`, "smtp:lee.chen@contoso.com", ...KEEP], adTenant)[0]?.rule,
      "ProxyValueTooLong",
    );
    assert.deepEqual(
      checkEmailAddresses(inAd, ["SMTP:lee.chen@contoso.com", `smtp:${address(251)}`, ...KEEP], adTenant),
      [],
    );
    // Not written to proxyAddresses by this target: no length rule beyond the address's own.
    assert.deepEqual(
      checkEmailAddresses(lee, ["SMTP:lee.chen@contoso.com", `smtp:${address(252)}`, ...KEEP], adTenant),
      [],
    );
    // An entry the recipient holds already fits where it is.
    assert.deepEqual(
      checkEmailAddresses(
        { ...inAd, addresses: [...inAd.addresses, `smtp:${address(252)}`] },
        ["SMTP:lee.chen@contoso.com", `smtp:${address(252)}`, ...KEEP],
        adTenant,
      ),
      [],
    );
  });

  it("NotFound's wording, and the .NET exception type of every code", () => {
    assert.equal(
      notFoundMessage("nobody@contoso.com", "contoso.onmicrosoft.com"),
      "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on 'contoso.onmicrosoft.com'.",
    );
    assert.deepEqual(EXCEPTION_TYPES, {
      InvalidAddress: "Microsoft.Exchange.Data.DataValidationException",
      PrimaryAddressCount: "Microsoft.Exchange.Data.DataValidationException",
      ProxyAddressExists: "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException",
      NotAcceptedDomain: "Microsoft.Exchange.Configuration.Tasks.NotAcceptedDomainException",
      MoeraRemoval: "Microsoft.Exchange.Data.DataValidationException",
      WriteScope: "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException",
      TooManyAddresses: "Microsoft.Exchange.Data.DataValidationException",
      NotFound: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    });
  });
});

describe("Set-Mailbox @{Add=…; Remove=…} (applyAddRemove)", () => {
  const list = ["SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com", "X500:/o=x/cn=lee"];

  it("removes SMTP entries case-insensitively and by prefix, then adds at the end", () => {
    assert.deepEqual(applyAddRemove(list, ["smtp:lee@fabrikam.com"], ["smtp:LEE.CHEN@CONTOSO.ONMICROSOFT.COM"]), [
      "SMTP:lee.chen@contoso.com",
      "X500:/o=x/cn=lee",
      "smtp:lee@fabrikam.com",
    ]);
  });

  it("an added SMTP: entry becomes the primary and the old primary an alias", () => {
    assert.deepEqual(applyAddRemove(list, ["SMTP:lee.chen@fabrikam.com"], []), [
      "smtp:lee.chen@contoso.com",
      "smtp:lee.chen@contoso.onmicrosoft.com",
      "X500:/o=x/cn=lee",
      "SMTP:lee.chen@fabrikam.com",
    ]);
  });

  it("re-adding an address it holds moves it (no duplicate), taking the new prefix but keeping its case (Exchange does not re-case)", () => {
    assert.deepEqual(applyAddRemove(list, ["SMTP:Lee.Chen@contoso.onmicrosoft.com"], []), [
      "smtp:lee.chen@contoso.com",
      "X500:/o=x/cn=lee",
      "SMTP:lee.chen@contoso.onmicrosoft.com",
    ]);
  });

  it("non-SMTP entries are matched by their exact value; removing what is absent changes nothing", () => {
    assert.deepEqual(applyAddRemove(list, [], ["X500:/o=x/cn=LEE", "smtp:nobody@contoso.com"]), list);
    assert.deepEqual(applyAddRemove(list, [], ["x500:/o=x/cn=lee"]), list.slice(0, 2));
  });
});
