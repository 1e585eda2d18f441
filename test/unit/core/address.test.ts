import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
  MAX_PROXY_ADDRESSES,
  addressKey,
  classifyEntry,
  entryKey,
  isMicrosoftRoutingAddress,
  normalizeAddress,
  normalizeDomain,
  parseProxyAddress,
  primaryOf,
  sameAddressList,
} from "../../../core/address";

describe("parseProxyAddress", () => {
  it("reads the upper-case SMTP prefix as the primary", () => {
    assert.deepEqual(parseProxyAddress("SMTP:Mark@Fabrikam.com"), { prefix: "SMTP", kind: "smtp", primary: true, value: "Mark@Fabrikam.com" });
  });
  it("reads the lower-case smtp prefix as an alias", () => {
    assert.deepEqual(parseProxyAddress("smtp:m@contoso.com"), { prefix: "smtp", kind: "smtp", primary: false, value: "m@contoso.com" });
  });
  it("treats a mixed-case Smtp prefix as an alias, as Exchange does", () => {
    assert.equal(parseProxyAddress("Smtp:m@contoso.com").primary, false);
    assert.equal(parseProxyAddress("Smtp:m@contoso.com").kind, "smtp");
  });
  it("reads X500, SIP, SPO, EUM and X400 as non-SMTP entries, value untouched", () => {
    for (const entry of [
      "X500:/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=abc",
      "SIP:mark@contoso.com",
      "SPO:SPO_abc@SPO_def",
      "EUM:1234;phone-context=x",
      "X400:C=US;A= ;P=Contoso;O=Exchange;S=Wilson;",
    ]) {
      const parsed = parseProxyAddress(entry);
      assert.equal(parsed.kind, "other", entry);
      assert.equal(`${parsed.prefix}:${parsed.value}`, entry);
    }
  });
  it("reads a bare address (no prefix) as an SMTP alias", () => {
    assert.deepEqual(parseProxyAddress("a@b.com"), { prefix: "smtp", kind: "smtp", primary: false, value: "a@b.com" });
  });
});

describe("normalizeAddress", () => {
  it("trims white space, lower-cases the domain and keeps the local part's case", () => {
    assert.deepEqual(normalizeAddress("  Mark.Wilson@Contoso.COM "), { ok: true, address: "Mark.Wilson@contoso.com" });
  });
  it("turns a Unicode (IDN) domain into its ASCII form", () => {
    assert.deepEqual(normalizeAddress("info@Bücher.example"), { ok: true, address: "info@xn--bcher-kva.example" });
  });
  const rejected: [string, RegExp][] = [
    ["", /empty/],
    ["mark", /no "@"/],
    ["a@@b.com", /more than one "@"/],
    ["@contoso.com", /nothing before/],
    ["mark@", /no domain/],
    ["ma rk@contoso.com", /white space/],
    ["märk@contoso.com", /non-ASCII/],
    [`${"a".repeat(65)}@contoso.com`, /longer than 64/],
    ["mark..wilson@contoso.com", /characters or dots/],
    [".mark@contoso.com", /characters or dots/],
    ["mark@contoso", /not a valid domain/],
    ["mark@-contoso.com", /not a valid domain/],
    ["mark@contoso.123", /not a valid domain/],
    [`a@${"b".repeat(64)}.com`, /not a valid domain/],
  ];
  for (const [input, reason] of rejected) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const result = normalizeAddress(input);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    });
  }
  it("rejects an address longer than 254 characters", () => {
    const long = `a@${Array.from({ length: 5 }, () => "b".repeat(60)).join(".")}.com`;
    const result = normalizeAddress(long);
    assert.equal(result.ok, false);
  });
});

describe("normalizeDomain", () => {
  it("drops a trailing dot and lower-cases", () => assert.equal(normalizeDomain("Contoso.COM."), "contoso.com"));
  it("accepts punycode as is", () => assert.equal(normalizeDomain("xn--bcher-kva.example"), "xn--bcher-kva.example"));
  it("rejects a single label", () => assert.equal(normalizeDomain("localhost"), undefined));
});

describe("classification and comparison", () => {
  it("classifies primary, alias, MOERA, hybrid routing and non-SMTP entries", () => {
    assert.equal(classifyEntry("SMTP:a@contoso.com"), "primary");
    assert.equal(classifyEntry("smtp:a@contoso.com"), "alias");
    assert.equal(classifyEntry("smtp:a@contoso.onmicrosoft.com"), "routing");
    assert.equal(classifyEntry("smtp:a@contoso.mail.onmicrosoft.com"), "routing");
    assert.equal(classifyEntry("X500:/o=x"), "non-smtp");
  });
  it("recognises *.onmicrosoft.com in any case", () => {
    assert.equal(isMicrosoftRoutingAddress("A@Contoso.OnMicrosoft.com"), true);
    assert.equal(isMicrosoftRoutingAddress("a@onmicrosoft.com.evil.com"), false);
  });
  it("compares addresses case-insensitively", () => assert.equal(addressKey(" Mark@Contoso.com"), "mark@contoso.com"));
  it("finds the primary of a live list", () => {
    assert.equal(primaryOf(["smtp:a@x.com", "SMTP:B@x.com", "X500:/o=y"]), "B@x.com");
    assert.equal(primaryOf(["smtp:a@x.com"]), undefined);
  });
  it("treats lists that differ in order or in address case as the same", () => {
    assert.equal(sameAddressList(["SMTP:a@x.com", "smtp:B@x.com"], ["smtp:b@X.com", "SMTP:A@x.com"]), true);
  });
  it("tells a primary from an alias of the same address", () => {
    assert.equal(sameAddressList(["SMTP:a@x.com", "smtp:b@x.com"], ["smtp:a@x.com", "SMTP:b@x.com"]), false);
  });
  it("keeps non-SMTP values case-sensitive", () => {
    assert.notEqual(entryKey("X500:/o=A"), entryKey("X500:/o=a"));
    assert.equal(entryKey("x500:/o=A"), entryKey("X500:/o=A"));
  });
});

describe("the address limit", () => {
  it("the spec's schema allows the primary plus as many aliases as Exchange keeps addresses", () => {
    const schema = JSON.parse(readFileSync(path.resolve(__dirname, "../../../../schemas/mailboxes.schema.json"), "utf8")) as {
      $defs: { mailbox: { properties: { aliases: { maxItems: number } } } };
    };
    assert.equal(schema.$defs.mailbox.properties.aliases.maxItems, MAX_PROXY_ADDRESSES - 1);
  });
});
