// What the Active Directory tests share around a Samba DC (./samba-dc.ts): a user's address
// attributes read as Administrator, an account's SID, and the delegation an admin gives a bind
// account ("Write proxyAddresses" and "Write mail" on user objects), as dsacls or the Delegation
// wizard would write it; the hybrid fixture's synced users, and a CA the DC's certificate does not
// verify against. One place, so the AD-only, findings, hybrid and backend tests (and the hybrid
// lab) set the directory up and read it back the same way.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migratedX500 } from "./generated-mailbox";
import { selfSignedCaArgs, type SambaDc, type SeedUser } from "./samba-dc";
import { sidToString } from "../targets/active-directory/identities";

/** The schemaIDGUIDs of the user class, proxyAddresses and mail: what an object ACE names. */
export const SCHEMA_GUIDS = {
  user: "bf967aba-0de6-11d0-a285-00aa003049e2",
  proxyAddresses: "bf967a06-0de6-11d0-a285-00aa003049e2",
  mail: "bf967961-0de6-11d0-a285-00aa003049e2",
} as const;

/** What AD holds for a user: proxyAddresses sorted (AD keeps no order), mail, and uSNChanged (any write moves it). */
export interface DirectoryUser {
  readonly proxyAddresses: string[];
  readonly mail: string | undefined;
  readonly usn: string;
}

const list = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/** Reads a user by its userPrincipalName, as Administrator over LDAPS. */
export async function readUser(dc: SambaDc, upn: string): Promise<DirectoryUser> {
  const client = await dc.adminClient();
  try {
    const { searchEntries } = await client.search(dc.baseDn, {
      filter: `(userPrincipalName=${upn})`,
      attributes: ["proxyAddresses", "mail", "uSNChanged"],
    });
    const entry = searchEntries[0];
    if (entry === undefined) throw new Error(`no user with userPrincipalName ${upn} under ${dc.baseDn}`);
    return {
      proxyAddresses: list(entry.proxyAddresses).sort(),
      mail: list(entry.mail)[0],
      usn: String(entry.uSNChanged),
    };
  } finally {
    await client.unbind();
  }
}

/** Reads a user's address attributes only (for comparisons that must not depend on uSNChanged). */
export async function readAddresses(
  dc: SambaDc,
  upn: string,
): Promise<{ proxyAddresses: string[]; mail: string | undefined }> {
  const { proxyAddresses, mail } = await readUser(dc, upn);
  return { proxyAddresses, mail };
}

/** The objectSid of the object at `dn`, as a string (S-1-5-21-…). */
export async function sidOf(dc: SambaDc, dn: string): Promise<string> {
  const client = await dc.adminClient();
  try {
    const { searchEntries } = await client.search(dn, {
      scope: "base",
      attributes: ["objectSid"],
      explicitBufferAttributes: ["objectSid"],
    });
    return sidToString(searchEntries[0]!.objectSid as Buffer);
  } finally {
    await client.unbind();
  }
}

/**
 * Grants `sid` "Write proxyAddresses" and "Write mail": on the user objects below a container
 * (`below`: inherited, as the Delegation wizard on an OU) or on one object itself (`object`).
 */
export async function delegateAddressWrites(
  dc: SambaDc,
  dn: string,
  sid: string,
  scope: "below" | "object",
): Promise<void> {
  const ace = (attribute: string) =>
    scope === "below" ? `(OA;CIIO;WP;${attribute};${SCHEMA_GUIDS.user};${sid})` : `(OA;;WP;${attribute};;${sid})`;
  await dc.addAces(dn, ace(SCHEMA_GUIDS.proxyAddresses) + ace(SCHEMA_GUIDS.mail));
}

/** The X500 address ada keeps from her on-premises mailbox (its legacyExchangeDN). */
export const ADA_X500 = migratedX500("ada-onprem");

/**
 * The synced users of the hybrid fixture tenant (test/fixtures/hybrid/tenant.yaml) as AD holds
 * them: ada and ben in `ou`, cy in CN=Users. The hybrid lab and the hybrid tests seed these.
 */
export function hybridSyncedUsers(ou: string): SeedUser[] {
  return [
    {
      name: "ada",
      upn: "ada@contoso.com",
      parent: ou,
      mail: "ada@contoso.com",
      proxyAddresses: ["SMTP:ada@contoso.com", "smtp:ada.alias@contoso.com", ADA_X500],
    },
    {
      name: "ben",
      upn: "ben@contoso.com",
      parent: ou,
      mail: "ben@contoso.com",
      proxyAddresses: ["SMTP:ben@contoso.com", "smtp:sales@contoso.com"],
    },
    { name: "cy", upn: "cy@contoso.com", mail: "cy@contoso.com", proxyAddresses: ["SMTP:cy@contoso.com"] },
  ];
}

/**
 * A self-signed CA of its own, in a temporary folder: a CA file the DC's certificate does not
 * verify against. `remove` deletes the folder.
 */
export function otherCa(): { readonly caFile: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "other-ca-"));
  execFileSync("openssl", selfSignedCaArgs(join(dir, "key.pem"), join(dir, "ca.pem"), 2, "/CN=Some other CA"), {
    stdio: "ignore",
  });
  return { caFile: join(dir, "ca.pem"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
