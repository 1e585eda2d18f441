// Generated tenants and specs for the benchmarks: N user mailboxes on top of the shipped Contoso
// seed, a spec that matches them as they are, and a rebrand spec that changes every one of them
// (primary to @fabrikam.com, the old address kept as an alias).
import { loadSeedFile } from "../../tenant/load-seed";
import type { TenantSeed } from "../../tenant/seed-types.generated";

/** `bench00042`: the user part of the i-th generated mailbox. */
export const benchUser = (i: number): string => `bench${String(i).padStart(5, "0")}`;

/** The shipped seed plus `count` user mailboxes (UPN user@contoso.com, MOERA, X500). */
export function benchSeed(count: number): TenantSeed {
  const seed = loadSeedFile();
  const recipients = [...seed.recipients];
  for (let i = 0; i < count; i++) {
    const user = benchUser(i);
    recipients.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      upn: `${user}@contoso.com`,
      displayName: `Bench ${i}`,
      type: "UserMailbox",
      addresses: [
        `SMTP:${user}@contoso.com`,
        `smtp:${user}@contoso.onmicrosoft.com`,
        `X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${user}`,
      ],
    });
  }
  return { ...seed, recipients };
}

/** A spec for the `count` generated mailboxes: as they are, or all rebranded. */
export function benchSpec(count: number, variant: "as-is" | "rebrand"): string {
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = 0; i < count; i++) {
    const user = benchUser(i);
    lines.push(`  ${user}@contoso.com:`);
    if (variant === "as-is") lines.push(`    primary: ${user}@contoso.com`);
    else lines.push(`    primary: ${user}@fabrikam.com`, `    aliases: [${user}@contoso.com]`);
  }
  return `${lines.join("\n")}\n`;
}
