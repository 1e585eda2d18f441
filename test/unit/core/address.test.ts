import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ADDRESS_NORMALIZATIONS,
  MAX_PROXY_ADDRESSES,
  MAX_PROXY_VALUE_LENGTH,
  addressKey,
  checkAddress,
  checkDomain,
  proxyValueProblem,
  classifyEntry,
  entryKey,
  isMicrosoftRoutingAddress,
  normalizeAddress,
  normalizeDomain,
  normalizationsOf,
  parseProxyAddress,
  primaryOf,
  sameAddressList,
} from "../../../core/address";
import { unicodeFormOf, withUnicodeForm } from "../../../core/idn";

describe("parseProxyAddress", () => {
  it("reads the upper-case SMTP prefix as the primary", () => {
    assert.deepEqual(parseProxyAddress("SMTP:Mark@Fabrikam.com"), {
      prefix: "SMTP",
      kind: "smtp",
      primary: true,
      value: "Mark@Fabrikam.com",
    });
  });
  it("reads the lower-case smtp prefix as an alias", () => {
    assert.deepEqual(parseProxyAddress("smtp:m@contoso.com"), {
      prefix: "smtp",
      kind: "smtp",
      primary: false,
      value: "m@contoso.com",
    });
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

describe("checkAddress: an address is written as the spec spells it, or refused", () => {
  it("accepts an address and returns it unchanged, case included", () => {
    assert.deepEqual(checkAddress("Mark.Wilson@Contoso.COM"), { ok: true, address: "Mark.Wilson@Contoso.COM" });
    assert.deepEqual(normalizeAddress("o'brien+news@sub.contoso.co.uk"), {
      ok: true,
      address: "o'brien+news@sub.contoso.co.uk",
    });
  });
  it("its one normalization table: the case of the domain, and the A-label of an opted-in international domain", () => {
    assert.deepEqual(
      ADDRESS_NORMALIZATIONS.map((n) => n.step),
      ["domain case", "IDN A-label"],
    );
    assert.deepEqual(normalizationsOf("mark@contoso.com"), []);
    assert.deepEqual(normalizationsOf("Mark@contoso.com"), []);
    assert.deepEqual(normalizationsOf("mark@Contoso.COM"), [
      { step: "domain case", result: "compared as mark@contoso.com" },
    ]);
    assert.deepEqual(normalizationsOf("info@B\u00fccher.example"), [], "refused without the opt-in: nothing applies");
    assert.deepEqual(
      normalizationsOf("info@B\u00fccher.example", { internationalDomains: new Set(["xn--bcher-kva.example"]) }),
      [
        { step: "domain case", result: "compared as info@b\u00fccher.example" },
        { step: "IDN A-label", result: "written as info@xn--bcher-kva.example" },
      ],
    );
  });
  // Each refusal names the character (code point and name) or the construct, and where it is.
  const rejected: [string, string][] = [
    ["", "the address is empty"],
    ["mark", '"mark" is not an email address (no "@")'],
    ["a@@b.com", '"a@@b.com": a second "@" at character 3; an address has exactly one'],
    ["@contoso.com", '"@contoso.com" has nothing before the "@"'],
    ["mark@", '"mark@" has no domain after the "@"'],
    [
      "ma rk@contoso.com",
      '"ma rk@contoso.com": U+0020 SPACE (a space) at character 3; an address is written exactly as it is sent, so it cannot hold one: remove it',
    ],
    [" mark@contoso.com", '" mark@contoso.com": U+0020 SPACE (a space) at character 1'],
    [
      "märk@contoso.com",
      '"märk@contoso.com": U+00E4 LATIN SMALL LETTER A WITH DIAERESIS (a character outside ASCII) at character 2; Exchange Online accepts only ASCII in an address',
    ],
    [`${"a".repeat(65)}@contoso.com`, 'the part before "@" has 65 characters; Exchange accepts at most 64'],
    ["mark..wilson@contoso.com", '"mark..wilson@contoso.com": two dots in a row at character 5'],
    [".mark@contoso.com", '".mark@contoso.com": a dot at the start of the part before "@" at character 1'],
    ["mark.@contoso.com", '"mark.@contoso.com": a dot just before "@" at character 5'],
    ["mark@contoso", '"mark@contoso": the domain "contoso" has no dot'],
    ["mark@-contoso.com", '"mark@-contoso.com": a hyphen at the start of a domain label at character 6'],
    ["mark@contoso-.com", "a hyphen at the end of a domain label at character 13"],
    ["mark@contoso.123", '"mark@contoso.123": the last label "123", all digits, at character 14'],
    [`a@${"b".repeat(64)}.com`, "a domain label has at most 63"],
    ["mark@contoso.com.", '"mark@contoso.com.": a trailing dot at character 17; the domain is written without it'],
    ["mark@contoso..com", "two dots in a row at character 13; a domain cannot hold them"],
    ["mark@con_toso.com", '"_" at character 9 cannot be in a domain name'],
    ["ma,rk@contoso.com", '"," at character 3 cannot be in the part before "@"'],
    ["SMTP:mark@contoso.com", '"SMTP:" is a prefix; write the address without it (the primary is set by "primary:")'],
    ["smtp:mark@contoso.com", '"smtp:" is a prefix; write the address without it'],
    ["X500:/o=Contoso/cn=mark", '"X500:" is the prefix of a non-SMTP entry; the spec lists SMTP addresses only'],
    ['"mark wilson"@contoso.com', "a quoted local part"],
    ["Mark <mark@contoso.com>", "an angle-bracket form (<…>) at character 6; write only the address itself"],
    ["mark(comment)@contoso.com", "a comment ((…)) at character 5"],
    ["mark@[192.0.2.1]", "an IP address literal ([…]) at character 6; an Exchange address needs a domain name"],
    [
      "john@con\u200btoso.com",
      '"john@con\\u200btoso.com": U+200B ZERO WIDTH SPACE (an invisible character) at character 9',
    ],
    ["john@contoso.com\u180e", "U+180E MONGOLIAN VOWEL SEPARATOR (an invisible character) at character 17"],
    ["john@contoso.com\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE (an invisible character) at character 17"],
    ["\ufeffjohn@contoso.com", "U+FEFF ZERO WIDTH NO-BREAK SPACE (an invisible character) at character 1"],
    ["jo\u00adhn@contoso.com", "U+00AD SOFT HYPHEN (an invisible character) at character 3"],
    ["john@con\u2060toso.com", "U+2060 WORD JOINER"],
    ["john@con\u034ftoso.com", "U+034F COMBINING GRAPHEME JOINER"],
    ["john@contoso\ufe0f.com", "U+FE0F VARIATION SELECTOR-16 (an invisible character)"],
    ["john@con\u180btoso.com", "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE"],
    ["john@contoso.com\u0085", "U+0085 NEXT LINE (a control character) at character 17"],
    ["\u00a0john@contoso.com", "U+00A0 NO-BREAK SPACE (a space) at character 1"],
    ["john@contoso.com\u3000", "U+3000 IDEOGRAPHIC SPACE (a space)"],
    ["john@contoso.com\u2028", "U+2028 LINE SEPARATOR (a space)"],
    ["john\t@contoso.com", "U+0009 CHARACTER TABULATION (a control character) at character 5"],
    [
      "john@\u216b.com",
      "U+216B ROMAN NUMERAL TWELVE (a character that looks like an ASCII one) at character 6; Microsoft 365 does not accept international domain names",
    ],
    ["john@\ufb01.com", "U+FB01 LATIN SMALL LIGATURE FI"],
    [
      "john@contoso\u3002com",
      "U+3002 IDEOGRAPHIC FULL STOP (a character that looks like an ASCII one) at character 13",
    ],
    ["john\uff20contoso.com", "U+FF20 FULLWIDTH COMMERCIAL AT"],
    [
      "john@c\u043entoso.com",
      "U+043E CYRILLIC SMALL LETTER O (a character that looks like an ASCII one) at character 7",
    ],
    ["john@\u2603.com", "U+2603 SNOWMAN (a character outside ASCII) at character 6"],
    ["john@\u{1f600}.com", "U+1F600 (a character outside ASCII) at character 6"],
    ["john@\ud800.com", "U+D800 (half of a character: a lone surrogate)"],
    ["info@B\u00fccher.example", "U+00FC LATIN SMALL LETTER U WITH DIAERESIS"],
    ["john@xn--a.com", '"xn--a", which is not valid punycode at character 6'],
    [
      "john@xn--cntoso-3ve.com",
      '"xn--cntoso-3ve" at character 6, which reads "c\u03a9ntoso": U+03A9 GREEK CAPITAL LETTER OMEGA',
    ],
    [
      "info@xn--bcher-kva.example",
      '"xn--bcher-kva", an international domain name label (it reads "bücher") at character 6; Microsoft 365 organizations cannot have international domain names (docs/reference/exchange-online-addresses.md §7): write the domain in ASCII; if the tenant holds "xn--bcher-kva.example" anyway, opt in: list it under internationalDomains',
    ],
    [
      "info@b\u00fccher.example",
      "U+00FC LATIN SMALL LETTER U WITH DIAERESIS (a character outside ASCII) at character 7; Microsoft 365 organizations cannot have international domain names",
    ],
  ];
  for (const [input, reason] of rejected) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      const result = checkAddress(input);
      assert.equal(result.ok, false);
      assert.ok((result as { reason: string }).reason.includes(reason), (result as { reason: string }).reason);
    });
  }
  it("names the place the caller gives (a file column) instead of the character's index", () => {
    const result = checkAddress("john@con\u200btoso.com");
    assert.ok(!result.ok && result.index === 8 && result.at !== undefined);
    assert.equal(
      result.at!("column 17"),
      '"john@con\\u200btoso.com": U+200B ZERO WIDTH SPACE (an invisible character) at column 17; an address is written exactly as it is sent, so it cannot hold one: remove it',
    );
  });
  it("limits: local part 64, address 254 (nothing is stripped first), proxy value 256 with its prefix", () => {
    const domain = `${Array.from({ length: 3 }, () => "b".repeat(63)).join(".")}.${"c".repeat(60)}`;
    assert.ok(checkAddress(`${"a".repeat(64)}@contoso.com`).ok);
    const fits = `${"a".repeat(254 - 1 - domain.length)}@${domain}`;
    assert.equal(fits.length, 254);
    assert.ok(checkAddress(fits).ok, JSON.stringify(checkAddress(fits)));
    assert.match(
      (checkAddress(`a${fits}`) as { reason: string }).reason,
      /has 255 characters; an address has at most 254/,
    );
    assert.match((checkAddress(`${fits}.`) as { reason: string }).reason, /a trailing dot/);
    assert.equal(MAX_PROXY_VALUE_LENGTH, 256);
    assert.equal(proxyValueProblem(`smtp:${fits.slice(3)}`), undefined);
    assert.match(
      proxyValueProblem(`smtp:${fits}`)!,
      /has 259 characters with its prefix; a proxyAddresses value holds at most 256 \(the address at most 251\)/,
    );
  });
  it("property: whatever it accepts is written exactly as given, and is printable ASCII", () => {
    const chars = fc.constantFrom(...'aZ09.-_+@ \t\u200b\u00a0\u3002\u043e\u00fc\ufeff\u180eE:"<>()[],;'.split(""));
    const near = fc.array(chars, { minLength: 1, maxLength: 30 }).map((a) => a.join(""));
    const shaped = fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9.+_-]{1,12}$/),
        fc.stringMatching(/^[A-Za-z0-9.-]{1,12}$/),
        fc.stringMatching(/^[A-Za-z]{2,6}$/),
      )
      .map(([l, d, t]) => `${l}@${d}.${t}`);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 40 }),
          fc.string({ unit: "binary", maxLength: 40 }),
          near,
          shaped,
        ),
        (raw) => {
          const result = checkAddress(raw);
          if (result.ok) {
            assert.equal(result.address, raw);
            assert.match(raw, /^[\x21-\x7e]+$/);
          } else {
            assert.ok(result.reason.length > 0);
            if (result.index !== undefined) assert.ok(result.index >= 0 && result.index < raw.length);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
  it("property: any non-ASCII or white-space character anywhere is refused, named by its code point", () => {
    const bad = fc.integer({ min: 0x80, max: 0x10ffff }).filter((cp) => cp < 0xd800 || cp > 0xdfff);
    fc.assert(
      fc.property(fc.nat(16), bad, (at, cp) => {
        const base = "mark.wilson@contoso.com";
        const i = Math.min(at, base.length);
        const raw = base.slice(0, i) + String.fromCodePoint(cp) + base.slice(i);
        const result = checkAddress(raw);
        assert.equal(result.ok, false);
        const hex = cp.toString(16).toUpperCase().padStart(4, "0");
        assert.ok(!result.ok && result.reason.includes(`U+${hex}`), !result.ok ? result.reason : "");
        assert.equal(!result.ok && result.index, i);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("international domains: refused unless the spec opts in; then written as the A-label, homographs refused still", () => {
  const optIn = {
    internationalDomains: new Set([
      "xn--bcher-kva.example",
      "xn--e1afmkfd.xn--p1ai",
      "xn--80ak6aa92e.com",
      "xn--cntoso-wqf.com",
      "xn--wgv71a119e.jp",
    ]),
  };
  it("writes an opted-in domain as its A-label, in lower case, and keeps the form a reader reads", () => {
    assert.deepEqual(checkAddress("info@B\u00fccher.Example", optIn), {
      ok: true,
      address: "info@xn--bcher-kva.example",
      unicode: "info@b\u00fccher.example",
    });
    assert.deepEqual(checkAddress("Info@XN--BCHER-KVA.example", optIn), {
      ok: true,
      address: "Info@xn--bcher-kva.example",
      unicode: "Info@b\u00fccher.example",
    });
    assert.deepEqual(checkAddress("a@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", optIn), {
      ok: true,
      address: "a@xn--e1afmkfd.xn--p1ai",
      unicode: "a@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
    });
    assert.deepEqual(checkAddress("a@\u65e5\u672c\u8a9e.jp", optIn), {
      ok: true,
      address: "a@xn--wgv71a119e.jp",
      unicode: "a@\u65e5\u672c\u8a9e.jp",
    });
    assert.equal(unicodeFormOf("info@xn--bcher-kva.example"), "info@b\u00fccher.example");
    assert.equal(
      withUnicodeForm("info@xn--bcher-kva.example"),
      "info@xn--bcher-kva.example (info@b\u00fccher.example)",
    );
    assert.equal(withUnicodeForm("info@contoso.com"), "info@contoso.com");
  });
  it("refuses a domain the spec did not opt in to, naming the opt-in and Microsoft 365's rule", () => {
    const result = checkAddress("info@b\u00fccher.example", {
      internationalDomains: new Set(["xn--e1afmkfd.xn--p1ai"]),
    });
    assert.ok(!result.ok);
    assert.match(
      result.reason,
      /Microsoft 365 organizations cannot have international domain names .*; if the tenant holds "xn--bcher-kva.example" anyway, opt in: list it under internationalDomains/,
    );
  });
  const refusedEvenOptedIn: [string, string][] = [
    [
      "john@c\u043entoso.com",
      "U+043E CYRILLIC SMALL LETTER O (a character that looks like an ASCII one) at character 7; a Cyrillic letter among Latin ones (mixed scripts in one label): a homograph",
    ],
    [
      "john@xn--cntoso-wqf.com",
      '"xn--cntoso-wqf" at character 6, which reads "c\u043entoso": U+043E CYRILLIC SMALL LETTER O',
    ],
    ["john@xn--80ak6aa92e.com", 'reads as "apple": a homograph of an ASCII name, refused'],
    [
      "john@\u0430\u0440\u0440\u04cf\u0435.com",
      'the label "\u0430\u0440\u0440\u04cf\u0435" at character 6, all Cyrillic letters that look like Latin ones, reads as "apple"',
    ],
    [
      "john@b\u00fc\ufb01cher.example",
      "U+FB01 LATIN SMALL LIGATURE FI (a character that looks like an ASCII one) at character 8",
    ],
    ["john@b\u00fc\u200dcher.example", "U+200D ZERO WIDTH JOINER (an invisible character) at character 8"],
    [
      "john@B\u00dccher.example",
      "U+00DC (a character outside ASCII) at character 7; an international domain name is written in lower case",
    ],
    ["john@b\u00fccher\u3002example", "U+3002 IDEOGRAPHIC FULL STOP"],
    [
      "john@b\u00fcc\u0301her.example",
      "U+0301 (a character outside ASCII) at character 9; an international domain name may hold letters of Latin, Greek, Cyrillic, Han, Hiragana, Katakana, Hangul",
    ],
    ["john@-b\u00fccher.example", "a hyphen at the start of a domain label at character 6"],
    [
      "j\u00f6hn@b\u00fccher.example",
      "U+00F6 LATIN SMALL LETTER O WITH DIAERESIS (a character outside ASCII) at character 2; Exchange Online accepts only ASCII in an address",
    ],
  ];
  for (const [input, reason] of refusedEvenOptedIn) {
    it(`refuses ${JSON.stringify(input)} even when every domain is opted in`, () => {
      const result = checkAddress(input, { internationalDomains: "any" });
      assert.ok(!result.ok, JSON.stringify(result));
      assert.ok(result.reason.includes(reason), result.reason);
    });
  }
  it("limits apply to the address as written (the A-label), not as read", () => {
    const label = "\u00fc".repeat(40);
    const written = checkAddress(`a@${label}.example`, { internationalDomains: "any" });
    assert.ok(written.ok && written.address.length > `a@${label}.example`.length);
    const local = "a".repeat(64);
    const domain = `${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(50)}.${"\u00fc".repeat(15)}`;
    assert.ok(`${local}@${domain}`.length <= 254);
    const result = checkAddress(`${local}@${domain}`, { internationalDomains: "any" });
    assert.ok(
      !result.ok &&
        /has 259 characters with the domain written as its A-label \(".*\); an address has at most 254/.test(
          result.reason,
        ),
      JSON.stringify(result),
    );
  });
  it("property: an accepted address is written as given up to the case of the domain, or as the A-label of the domain given", () => {
    const letters = fc.constantFrom(
      ..."abcXYZ\u00fc\u00e9\u00df\u0436\u043f\u03bb\u65e5\u3042\u30ab\ud55c0-".split(""),
    );
    const label = fc.array(letters, { minLength: 1, maxLength: 12 }).map((a) => a.join(""));
    const address = fc
      .tuple(
        fc.stringMatching(/^[A-Za-z0-9.+_-]{1,10}$/),
        fc.array(label, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("com", "Example", "JP"),
      )
      .map(([l, ls, tld]) => `${l}@${ls.join(".")}.${tld}`);
    fc.assert(
      fc.property(fc.oneof(address, fc.string({ unit: "grapheme", maxLength: 30 })), (raw) => {
        const result = checkAddress(raw, { internationalDomains: "any" });
        if (!result.ok) return;
        const at = raw.lastIndexOf("@");
        assert.equal(
          result.address.slice(0, result.address.lastIndexOf("@")),
          raw.slice(0, at),
          "the part before @ is never changed",
        );
        const domain = raw.slice(at + 1);
        const written = result.address.slice(result.address.lastIndexOf("@") + 1);
        if (result.unicode === undefined) assert.equal(written, domain);
        else {
          assert.match(written, /^[a-z0-9.-]+$/);
          assert.equal(unicodeFormOf(result.address), result.unicode);
          assert.equal(
            result.unicode.slice(result.unicode.lastIndexOf("@") + 1),
            domain.replace(/[A-Z]/g, (c) => c.toLowerCase()),
          );
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("normalizeDomain and checkDomain (allowed domains, policy domains)", () => {
  it("lower-cases an ASCII domain as a comparison key", () =>
    assert.equal(normalizeDomain("Contoso.COM"), "contoso.com"));
  it("refuses a trailing dot, punycode and non-ASCII instead of rewriting them", () => {
    assert.equal(normalizeDomain("contoso.com."), undefined);
    assert.equal(normalizeDomain("xn--bcher-kva.example"), undefined);
    assert.equal(normalizeDomain("bücher.example"), undefined);
    assert.equal(normalizeDomain("contoso\u3002com"), undefined);
    assert.equal(normalizeDomain(" contoso.com"), undefined);
  });
  it("rejects a single label", () => assert.equal(normalizeDomain("localhost"), undefined));
  it("checkDomain names the character and its place in the domain", () => {
    const result = checkDomain("contoso\u3002com");
    assert.ok(!result.ok);
    assert.equal(
      result.reason,
      '"contoso\u3002com": U+3002 IDEOGRAPHIC FULL STOP (a character that looks like an ASCII one) at character 8; Microsoft 365 does not accept international domain names (docs/reference/exchange-online-addresses.md §7): write the domain in ASCII',
    );
    assert.equal(result.index, 7);
    assert.deepEqual(checkDomain("contoso.com"), { ok: true, domain: "contoso.com" });
  });
});

describe("the verdict does not depend on the runtime's Unicode tables", () => {
  it("core/address.ts and core/characters.ts use no normalize(), no \\p{…} and no domainToASCII", () => {
    for (const file of ["core/address.ts", "core/characters.ts"]) {
      const text = readFileSync(path.resolve(__dirname, "../../../..", file), "utf8");
      assert.doesNotMatch(text, /\.normalize\(|\\p\{|domainToASCII|toLocale/, file);
    }
  });
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
    const schema = JSON.parse(
      readFileSync(path.resolve(__dirname, "../../../../schemas/mailboxes.schema.json"), "utf8"),
    ) as {
      $defs: { mailbox: { properties: { aliases: { maxItems: number } } } };
    };
    assert.equal(schema.$defs.mailbox.properties.aliases.maxItems, MAX_PROXY_ADDRESSES - 1);
  });
});
