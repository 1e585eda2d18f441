// A cloud user mailbox as the tests generate them by the hundred: the UPN as its primary SMTP
// address, the tenant's routing address (MOERA, contoso.onmicrosoft.com), and, when asked, an X500
// from a past migration, which every write must keep byte for byte.
import { randomUUID } from "node:crypto";
import type { NewRecipient } from "../tenant/tenant";

/** The X500 address a migrated mailbox keeps (legacyExchangeDN), for the user part `user`. */
export const migratedX500 = (user: string): string =>
  `X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${user}`;

/** A user mailbox whose UPN and primary are `upn` (a contoso.com address); `extra` entries follow the MOERA. */
export function generatedMailbox(
  upn: string,
  options: { id?: string; x500?: boolean; extra?: readonly string[] } = {},
): NewRecipient {
  const user = upn.slice(0, upn.indexOf("@"));
  return {
    id: options.id ?? randomUUID(),
    upn,
    displayName: user,
    kind: "UserMailbox",
    synced: false,
    cloudManaged: false,
    addresses: [
      `SMTP:${upn}`,
      `smtp:${user}@contoso.onmicrosoft.com`,
      ...(options.x500 ? [migratedX500(user)] : []),
      ...(options.extra ?? []),
    ],
  };
}

/**
 * A cloud user mailbox for each user part in `users`, its UPN and only address on contoso.com,
 * with ids `00000000-0000-4000-<block>-<index>` (`block`: four hex digits, one per test, so the
 * ids are the same on every run and differ between tests).
 */
export function numberedMailboxes(users: readonly string[], block: string): NewRecipient[] {
  return users.map((u, i) => ({
    id: `00000000-0000-4000-${block}-${String(i).padStart(12, "0")}`,
    upn: `${u}@contoso.com`,
    displayName: u,
    kind: "UserMailbox",
    synced: false,
    cloudManaged: false,
    addresses: [`SMTP:${u}@contoso.com`],
  }));
}
