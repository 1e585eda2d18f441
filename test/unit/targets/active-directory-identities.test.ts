// How spec keys name AD users (UPN, immutable id, SID), where uniqueness is checked, and the
// target's settings. No directory needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { domainRootOf } from "../../../targets/active-directory/active-directory-backend";
import { keysOf, parseIdentity, sidToBytes, sidToString } from "../../../targets/active-directory/identities";
import { activeDirectoryTarget } from "../../../targets/active-directory/target";
import { readTargetSettings } from "../../../targets/target-definition";

describe("Active Directory identities", () => {
  it("tells a UPN, an immutable id and a SID apart; anything else has no filter", () => {
    assert.equal(parseIdentity("Mark.Wilson@contoso.com")?.kind, "upn");
    assert.equal(parseIdentity("7HyMT+hWKkijFr51O4f/EA==")?.kind, "immutableId");
    assert.equal(parseIdentity("S-1-5-21-1334167024-2980591876-1299013596-1103")?.kind, "sid");
    assert.equal(parseIdentity("mark"), undefined);
    assert.equal(
      parseIdentity("0b5e1c3a-4d2f-4c1e-9a8b-7f6e5d4c3b2a"),
      undefined,
      "an Entra object id is not an AD objectGUID",
    );
  });

  it("an entry's keys match the identities that name it, UPN and SID case-insensitively", () => {
    const keys = keysOf({
      upn: "Mark@contoso.com",
      immutableId: "7HyMT+hWKkijFr51O4f/EA==",
      sid: "S-1-5-21-1-2-3-1103",
    });
    for (const identity of ["mark@CONTOSO.com", "7HyMT+hWKkijFr51O4f/EA==", "s-1-5-21-1-2-3-1103"])
      assert.ok(keys.includes(parseIdentity(identity)!.key), identity);
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

describe("active-directory target", () => {
  const config = (values: Record<string, string>) => ({
    get: (key: string) => values[key],
    require: (key: string) => {
      if (values[key] === undefined) throw new Error(`missing ${key}`);
      return values[key];
    },
  });
  const minimal = {
    adUrl: "ldaps://dc1.corp.contoso.com:636",
    adCaFile: "certs/corp-ca.pem",
    adBaseDn: "OU=Mailboxes,DC=corp,DC=contoso,DC=com",
  };

  it("reads its settings (defaults applied, values checked) and builds a backend with no optional capabilities", async () => {
    const settings = readTargetSettings(activeDirectoryTarget, config(minimal));
    assert.deepEqual(settings, {
      target: "active-directory",
      url: minimal.adUrl,
      caFile: "certs/corp-ca.pem",
      baseDn: minimal.adBaseDn,
      tlsServerName: undefined,
      readStrategy: "auto",
      bindDn: undefined,
      bindPassword: undefined,
    });
    const backend = activeDirectoryTarget.create(settings, { baseDir: "/srv/project" });
    assert.deepEqual(backend.capabilities, {});
    assert.equal(backend.description, activeDirectoryTarget.describe(settings));
    await backend.close();
    assert.throws(
      () => readTargetSettings(activeDirectoryTarget, config({ ...minimal, adReadStrategy: "scna" })),
      /did you mean "scan"|use one of auto, filter, scan/,
    );
    assert.throws(
      () => readTargetSettings(activeDirectoryTarget, config({ adUrl: minimal.adUrl })),
      /missing adCaFile/,
    );
  });

  it("refuses a plain ldap:// URL: the password would cross the network in clear", () => {
    const settings = readTargetSettings(
      activeDirectoryTarget,
      config({ ...minimal, adUrl: "ldap://dc1.corp.contoso.com" }),
    );
    assert.throws(
      () => activeDirectoryTarget.create(settings, { baseDir: "/srv/project" }),
      /only ldaps:\/\/ is supported/,
    );
  });
});
