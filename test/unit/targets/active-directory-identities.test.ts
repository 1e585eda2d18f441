// How spec keys name AD users (UPN, immutable id, SID) and where uniqueness is checked. Pure.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { domainRootOf } from "../../../targets/active-directory/active-directory-backend";
import { keysOf, parseIdentity, sidToBytes, sidToString } from "../../../targets/active-directory/identities";

describe("Active Directory identities", () => {
  it("tells a UPN, an immutable id and a SID apart; anything else has no filter", () => {
    assert.equal(parseIdentity("Mark.Wilson@contoso.com")?.kind, "upn");
    assert.equal(parseIdentity("7HyMT+hWKkijFr51O4f/EA==")?.kind, "immutableId");
    assert.equal(parseIdentity("S-1-5-21-1334167024-2980591876-1299013596-1103")?.kind, "sid");
    assert.equal(parseIdentity("mark"), undefined);
    assert.equal(parseIdentity("0b5e1c3a-4d2f-4c1e-9a8b-7f6e5d4c3b2a"), undefined, "an Entra object id is not an AD objectGUID");
  });

  it("an entry's keys match the identities that name it, UPN and SID case-insensitively", () => {
    const keys = keysOf({ upn: "Mark@contoso.com", immutableId: "7HyMT+hWKkijFr51O4f/EA==", sid: "S-1-5-21-1-2-3-1103" });
    for (const identity of ["mark@CONTOSO.com", "7HyMT+hWKkijFr51O4f/EA==", "s-1-5-21-1-2-3-1103"]) assert.ok(keys.includes(parseIdentity(identity)!.key), identity);
  });

  it("SID strings and bytes round-trip (MS-DTYP 2.4.2.2)", () => {
    const known = Buffer.from("AQUAAAAAAAUVAAAA8MWFTwQ5qLHcX21N9AEAAA==", "base64");
    assert.equal(sidToString(known), "S-1-5-21-1334167024-2980591876-1299013596-500");
    assert.deepEqual(sidToBytes("S-1-5-21-1334167024-2980591876-1299013596-500"), known);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 8 }), (subs) => {
        const sid = `S-1-5-${subs.join("-")}`;
        assert.equal(sidToString(sidToBytes(sid)), sid);
      }),
    );
  });

  it("uniqueness is checked from the domain's root, also when the base DN is an OU", () => {
    assert.equal(domainRootOf("OU=Mailboxes,OU=Paris\\, FR,DC=corp,DC=contoso,DC=com"), "DC=corp,DC=contoso,DC=com");
    assert.equal(domainRootOf("DC=corp,DC=contoso,DC=com"), "DC=corp,DC=contoso,DC=com");
  });
});
