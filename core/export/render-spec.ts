// Export: a tenant's mailboxes as a spec that previews with zero changes. Sorted and stable (the
// same tenant gives the same bytes), each mailbox commented with its display name, shared
// mailboxes and synced users marked. Pure.
import { addressKey, domainOf, isMicrosoftRoutingAddress, normalizeAddress, parseProxyAddress } from "../address";
import { DEFAULT_RECIPIENT_KIND, type RecipientKind } from "../recipient-kind";

/** A mailbox as read for export. */
export interface ExportedMailbox {
  readonly id: string;
  readonly upn: string | undefined;
  readonly displayName: string;
  /** Its kind (Exchange's RecipientTypeDetails), where the target knows it; absent: a user mailbox. */
  readonly kind?: RecipientKind | undefined;
  /** A mail user's or mail contact's external address (never written; stated in the spec). */
  readonly externalEmailAddress?: string;
  readonly synced: boolean;
  readonly cloudManaged: boolean;
  readonly addresses: readonly string[];
}

export interface ExportFilter {
  /** Only mailboxes with an SMTP address on this domain. */
  readonly domain?: string;
  /** Only UPNs matching this pattern (`*` matches anything), case-insensitively. */
  readonly upn?: string;
  /** Only this kind (RecipientTypeDetails: UserMailbox, SharedMailbox, GroupMailbox, MailContact...). */
  readonly kind?: string;
}

export function matchesFilter(mailbox: ExportedMailbox, filter: ExportFilter): boolean {
  if (filter.kind && (mailbox.kind ?? DEFAULT_RECIPIENT_KIND).toLowerCase() !== filter.kind.toLowerCase()) return false;
  if (filter.upn) {
    const pattern = new RegExp(
      `^${filter.upn
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
      "i",
    );
    if (!pattern.test(mailbox.upn ?? "")) return false;
  }
  if (filter.domain) {
    const domain = filter.domain.toLowerCase();
    const smtp = mailbox.addresses.map(parseProxyAddress).filter((p) => p.kind === "smtp");
    if (!smtp.some((p) => domainOf(p.value) === domain)) return false;
  }
  return true;
}

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9.-]+$/;
/** A YAML scalar: plain when it is safe, else double-quoted (JSON strings are valid YAML). */
const scalar = (value: string) => (PLAIN.test(value) && !value.includes(": ") ? value : JSON.stringify(value));
const byKey = (a: string, b: string) => addressKey(a).localeCompare(addressKey(b)) || a.localeCompare(b);

const KIND_NOTES: Record<string, string> = {
  SharedMailbox: "shared mailbox",
  RoomMailbox: "room mailbox",
  EquipmentMailbox: "equipment mailbox",
  MailUniversalDistributionGroup: "distribution group",
  MailUniversalSecurityGroup: "mail-enabled security group",
  GroupMailbox: "Microsoft 365 group",
  DynamicDistributionGroup: "dynamic distribution group",
  MailUser: "mail user",
  MailContact: "mail contact",
};

/**
 * Renders the spec text. Mailboxes without a primary SMTP address are skipped (listed in
 * `skipped`). `acceptedDomains` stand in for allowedDomains when nothing is exported.
 */
export interface RenderOptions {
  /** The spec's JSON Schema as the file should name it for editors (yaml-language-server). */
  readonly schema?: string;
}

export function renderSpec(
  mailboxes: readonly ExportedMailbox[],
  acceptedDomains: readonly string[] = [],
  options: RenderOptions = {},
): { text: string; exported: number; skipped: string[] } {
  const entries: { identity: string; lines: string[] }[] = [];
  const domains = new Set<string>();
  const skipped: string[] = [];
  for (const mailbox of mailboxes) {
    const identity = mailbox.upn ?? mailbox.id;
    const smtp = mailbox.addresses.map(parseProxyAddress).filter((p) => p.kind === "smtp");
    const primary = smtp.find((p) => p.primary)?.value;
    if (primary === undefined || !normalizeAddress(primary).ok) {
      skipped.push(`${identity}: no usable primary SMTP address`);
      continue;
    }
    const aliases: string[] = [];
    let unexpressible = 0;
    for (const p of smtp) {
      if (p.primary || isMicrosoftRoutingAddress(p.value)) continue; // routing addresses are kept without being listed
      const normalized = normalizeAddress(p.value);
      if (normalized.ok) aliases.push(normalized.address);
      else unexpressible++;
    }
    const normalizedPrimary = (normalizeAddress(primary) as { address: string }).address;
    const kind = mailbox.kind ?? DEFAULT_RECIPIENT_KIND;
    const external =
      mailbox.externalEmailAddress !== undefined && normalizeAddress(mailbox.externalEmailAddress).ok
        ? (normalizeAddress(mailbox.externalEmailAddress) as { address: string }).address
        : undefined;
    // The external address's domain is outside the organization: the entry states it instead.
    for (const a of [normalizedPrimary, ...aliases])
      if (external === undefined || addressKey(a) !== addressKey(external)) domains.add(domainOf(a));
    const notes = [
      mailbox.displayName,
      KIND_NOTES[kind],
      mailbox.synced
        ? mailbox.cloudManaged
          ? "synced, Exchange attributes cloud-managed"
          : "synced from on-premises AD: changes must be made there, or set cloudManaged: true"
        : undefined,
    ].filter(Boolean);
    const lines = [`  ${scalar(identity)}:  # ${notes.join("; ").replace(/\n/g, " ")}`];
    // Every kind but user mailboxes names its kind, which preview then checks.
    if (kind !== DEFAULT_RECIPIENT_KIND && KIND_NOTES[kind] !== undefined) lines.push(`    kind: ${kind}`);
    if (external !== undefined) lines.push(`    externalEmailAddress: ${scalar(external)}`);
    lines.push(`    primary: ${scalar(normalizedPrimary)}`);
    const sorted = [...new Set(aliases)].sort(byKey);
    if (sorted.length > 0) {
      lines.push("    aliases:");
      for (const alias of sorted) lines.push(`      - ${scalar(alias)}`);
    }
    // An alias the spec cannot express must not be removed by a strict round trip.
    if (unexpressible > 0)
      lines.push(`    mode: additive  # ${unexpressible} alias(es) the spec format cannot express are kept`);
    entries.push({ identity, lines });
  }
  entries.sort((a, b) => a.identity.toLowerCase().localeCompare(b.identity.toLowerCase()));
  if (domains.size === 0) for (const d of acceptedDomains) domains.add(d.toLowerCase());
  const text = [
    ...(options.schema ? [`# yaml-language-server: $schema=${options.schema}`] : []),
    "# Exported by mailbox-addresses export. Review before committing: strict mode removes any",
    "# SMTP alias added later that this file does not list; MOERA and X500/SIP entries always stay.",
    "version: 1",
    `allowedDomains: [${[...domains].sort().join(", ")}]`,
    "defaults:",
    "  mode: strict",
    entries.length === 0 ? "mailboxes: {}" : "mailboxes:",
    ...entries.flatMap((e) => e.lines),
    "",
  ].join("\n");
  return { text, exported: entries.length, skipped };
}
