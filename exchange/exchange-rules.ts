// Exchange Online's rules for a recipient's EmailAddresses, in one place. The local tenant, the
// emulator and the preview-time checks all ask this module, so they answer alike. The wording
// follows Exchange's messages where they are documented (see docs/reference/
// exchange-online-addresses.md §3); each rule names its source. Pure: the caller supplies lookups.
import {
  addressKey,
  domainOf,
  entryKey,
  MAX_PROXY_ADDRESSES,
  normalizeAddress,
  parseProxyAddress,
  proxyValueProblem,
} from "../core/address";
import { DEFAULT_RECIPIENT_KIND, type RecipientKind } from "../core/recipient-kind";

// The kind's type and default are core's (core/recipient-kind.ts); every layer above imports them from here.
export { DEFAULT_RECIPIENT_KIND, type RecipientKind };

/** Where Microsoft Graph shows a kind (`null`: Graph does not show it at all). */
export interface GraphView {
  readonly collection: "users" | "groups" | "contacts" | null;
  /** For /groups: the groupTypes, mailEnabled and securityEnabled that tell the kind apart. */
  readonly groupTypes?: readonly string[];
  readonly mailEnabled?: boolean;
  readonly securityEnabled?: boolean;
}

/** What Exchange does with one kind of recipient's addresses: one row per kind, used everywhere. */
export interface KindRow {
  readonly kind: RecipientKind;
  /** How an admin names the kind in a sentence: `shared mailbox "Sales"`. */
  readonly noun: string;
  /** Exchange's RecipientType (the coarser property Get-Recipient also returns). */
  readonly recipientType: string;
  /** The cmdlets that read and write the kind's EmailAddresses. */
  readonly getCmdlet: string;
  readonly setCmdlet: string;
  readonly graph: GraphView;
  /** Prefixes (upper case) the kind's EmailAddresses take; `undefined`: any prefix. */
  readonly prefixes: readonly string[] | undefined;
  /** The kind has an ExternalEmailAddress (the target address mail is forwarded to). */
  readonly external: boolean;
  /** Exchange Online takes -PrimarySmtpAddress on the kind's Set- cmdlet (else: on-premises only). */
  readonly primarySmtpAddressParameter: boolean;
  /** Set-Mailbox -IsExchangeCloudManaged moves a synced object's Exchange attributes to the cloud. */
  readonly cloudManageable: boolean;
}

const MAILBOX = {
  recipientType: "UserMailbox",
  getCmdlet: "Get-Mailbox",
  setCmdlet: "Set-Mailbox",
  graph: { collection: "users" },
  prefixes: undefined,
  external: false,
  primarySmtpAddressParameter: false,
  cloudManageable: true,
} as const;
/** Prefixes a group, a dynamic group, a mail user and a mail contact take (ours: see RECIPIENT-KINDS.md). */
const DIRECTORY_PREFIXES = ["SMTP", "X400", "X500"] as const;

/** Every kind, with its facts (sources: docs/RECIPIENT-KINDS.md). */
export const RECIPIENT_KINDS: Readonly<Record<RecipientKind, KindRow>> = {
  UserMailbox: { ...MAILBOX, kind: "UserMailbox", noun: "mailbox" },
  SharedMailbox: { ...MAILBOX, kind: "SharedMailbox", noun: "shared mailbox" },
  RoomMailbox: { ...MAILBOX, kind: "RoomMailbox", noun: "room mailbox" },
  EquipmentMailbox: { ...MAILBOX, kind: "EquipmentMailbox", noun: "equipment mailbox" },
  MailUniversalDistributionGroup: {
    kind: "MailUniversalDistributionGroup",
    noun: "distribution group",
    recipientType: "MailUniversalDistributionGroup",
    getCmdlet: "Get-DistributionGroup",
    setCmdlet: "Set-DistributionGroup",
    graph: { collection: "groups", groupTypes: [], mailEnabled: true, securityEnabled: false },
    prefixes: DIRECTORY_PREFIXES,
    external: false,
    primarySmtpAddressParameter: true,
    cloudManageable: false,
  },
  MailUniversalSecurityGroup: {
    kind: "MailUniversalSecurityGroup",
    noun: "mail-enabled security group",
    recipientType: "MailUniversalSecurityGroup",
    getCmdlet: "Get-DistributionGroup",
    setCmdlet: "Set-DistributionGroup",
    graph: { collection: "groups", groupTypes: [], mailEnabled: true, securityEnabled: true },
    prefixes: DIRECTORY_PREFIXES,
    external: false,
    primarySmtpAddressParameter: true,
    cloudManageable: false,
  },
  GroupMailbox: {
    kind: "GroupMailbox",
    noun: "Microsoft 365 group",
    recipientType: "MailUniversalDistributionGroup",
    getCmdlet: "Get-UnifiedGroup",
    setCmdlet: "Set-UnifiedGroup",
    graph: { collection: "groups", groupTypes: ["Unified"], mailEnabled: true, securityEnabled: false },
    prefixes: ["SMTP", "SPO", "X500"],
    external: false,
    primarySmtpAddressParameter: true,
    cloudManageable: false,
  },
  DynamicDistributionGroup: {
    kind: "DynamicDistributionGroup",
    noun: "dynamic distribution group",
    recipientType: "DynamicDistributionGroup",
    getCmdlet: "Get-DynamicDistributionGroup",
    setCmdlet: "Set-DynamicDistributionGroup",
    graph: { collection: null },
    prefixes: DIRECTORY_PREFIXES,
    external: false,
    primarySmtpAddressParameter: true,
    cloudManageable: false,
  },
  MailUser: {
    kind: "MailUser",
    noun: "mail user",
    recipientType: "MailUser",
    getCmdlet: "Get-MailUser",
    setCmdlet: "Set-MailUser",
    graph: { collection: "users" },
    prefixes: [...DIRECTORY_PREFIXES, "SIP"],
    external: true,
    primarySmtpAddressParameter: false,
    cloudManageable: false,
  },
  MailContact: {
    kind: "MailContact",
    noun: "mail contact",
    recipientType: "MailContact",
    getCmdlet: "Get-MailContact",
    setCmdlet: "Set-MailContact",
    graph: { collection: "contacts" },
    prefixes: DIRECTORY_PREFIXES,
    external: true,
    primarySmtpAddressParameter: false,
    cloudManageable: false,
  },
};

/**
 * Every RecipientTypeDetails value Get-Recipient's page lists (-RecipientTypeDetails): the kinds
 * this project writes and the ones it does not (linked, remote, discovery, team, guest…), which can
 * hold an address all the same. Preview's owner lookup asks for all of them.
 */
export const EXCHANGE_RECIPIENT_TYPE_DETAILS: readonly string[] = [
  "DiscoveryMailbox",
  "DynamicDistributionGroup",
  "EquipmentMailbox",
  "GroupMailbox",
  "GuestMailUser",
  "LegacyMailbox",
  "LinkedMailbox",
  "LinkedRoomMailbox",
  "MailContact",
  "MailForestContact",
  "MailNonUniversalGroup",
  "MailUniversalDistributionGroup",
  "MailUniversalSecurityGroup",
  "MailUser",
  "PublicFolder",
  "PublicFolderMailbox",
  "RemoteEquipmentMailbox",
  "RemoteRoomMailbox",
  "RemoteSharedMailbox",
  "RemoteTeamMailbox",
  "RemoteUserMailbox",
  "RoomList",
  "RoomMailbox",
  "SchedulingMailbox",
  "SharedMailbox",
  "SharedWithMailUser",
  "TeamMailbox",
  "UserMailbox",
];

/** Every kind, in the order above. */
export const ALL_RECIPIENT_KINDS: readonly RecipientKind[] = Object.keys(RECIPIENT_KINDS) as RecipientKind[];

/** The four mailbox kinds (Get-Mailbox, Set-Mailbox). */
export const MAILBOX_KINDS: ReadonlySet<RecipientKind> = new Set<RecipientKind>([
  "UserMailbox",
  "SharedMailbox",
  "RoomMailbox",
  "EquipmentMailbox",
]);

/** The kind of a RecipientTypeDetails value, case-insensitively; undefined for one this project does not hold. */
export function parseRecipientKind(value: string): RecipientKind | undefined {
  const wanted = value.trim().toLowerCase();
  // "Group" was this project's single group kind before the kinds were told apart.
  if (wanted === "group") return "MailUniversalDistributionGroup";
  return ALL_RECIPIENT_KINDS.find((t) => t.toLowerCase() === wanted);
}

/** `shared mailbox "Sales"`: a recipient as an admin names it. */
export function describeKind(kind: RecipientKind, displayName: string): string {
  return `${RECIPIENT_KINDS[kind]?.noun ?? kind} "${displayName}"`;
}

/** The kind of a recipient: its `kind`, else {@link DEFAULT_RECIPIENT_KIND} (nothing tells otherwise). */
export function kindOf(recipient: { readonly kind?: RecipientKind | undefined }): RecipientKind {
  return recipient.kind ?? DEFAULT_RECIPIENT_KIND;
}

/** What the rules need to know about a recipient. */
export interface RecipientFacts {
  readonly id: string;
  readonly displayName: string;
  /** Its kind (Exchange's RecipientTypeDetails); absent where the reader cannot tell (see {@link kindOf}). */
  readonly kind?: RecipientKind | undefined;
  /** Synced from on-premises AD (Entra: onPremisesSyncEnabled). */
  readonly synced: boolean;
  /** Exchange attributes moved to cloud management (IsExchangeCloudManaged). */
  readonly cloudManaged: boolean;
  readonly addresses: readonly string[];
  /**
   * A mail user's or mail contact's ExternalEmailAddress (the address mail is sent on to), without
   * prefix. It is not one of the proxy addresses the spec manages: kept unless said otherwise.
   */
  readonly externalEmailAddress?: string | undefined;
  /**
   * Written where each entry is one value of a `proxyAddresses` attribute with its prefix (Active
   * Directory: the target active-directory, and synced mailboxes of the target hybrid), which
   * holds at most 256 characters (core/address.ts, MAX_PROXY_VALUE_LENGTH).
   */
  readonly writesProxyAddresses?: boolean | undefined;
}

/** Who else holds an address. */
export interface AddressOwner {
  readonly id: string;
  readonly displayName: string;
  /** Its kind, where known. */
  readonly kind?: RecipientKind | undefined;
  /**
   * Set when the holder is not a recipient this tool writes: a mail-enabled public folder, an
   * Entra object without a recipient, a deleted one, or an address still being released
   * ({@link HolderKind}). `kind` then says nothing about it.
   */
  readonly holder?: HolderFacts | undefined;
}

/**
 * Holders of an address that Get-Mailbox does not list, yet that make Exchange refuse it to
 * anyone else with "already being used" (docs/reference/exchange-online-addresses.md §3, "Holders
 * Exchange's cmdlets do not show"):
 * - PublicFolder: a mail-enabled public folder (Get-Recipient -RecipientTypeDetails PublicFolder);
 * - OtherRecipient: a recipient of a kind this project does not write (a linked, remote, team or
 *   discovery mailbox, a guest mail user…: EXCHANGE_RECIPIENT_TYPE_DETAILS), its kind in `recipientTypeDetails`;
 * - EntraUser, EntraGroup, EntraContact: an Entra user, group or contact without a recipient in
 *   Exchange (a synced user without a mailbox) whose proxyAddresses carry it (Graph only);
 * - SoftDeletedMailbox: a deleted mailbox, kept 30 days (Get-Mailbox -SoftDeletedMailbox), whose
 *   user is in Entra's recycle bin;
 * - DeletedUser: a deleted user in Entra's recycle bin, kept 30 days (Graph
 *   /directory/deletedItems/microsoft.graph.user);
 * - Releasing: an address just removed from a recipient, which Exchange still refuses to anyone
 *   else for a while (the release lag: MicrosoftDocs/OfficeDocs-Support#46 reports about an hour).
 */
export type HolderKind =
  | "PublicFolder"
  | "OtherRecipient"
  | "EntraUser"
  | "EntraGroup"
  | "EntraContact"
  | "SoftDeletedMailbox"
  | "DeletedUser"
  | "Releasing";

export interface HolderFacts {
  readonly kind: HolderKind;
  /** Deleted holders: when they were deleted (ISO 8601). */
  readonly deletedAt?: string | undefined;
  /** Releasing: when the address was removed (ISO 8601). */
  readonly releasedAt?: string | undefined;
  /** EntraUser, EntraContact: synced from on-premises AD (the change is made there). */
  readonly synced?: boolean | undefined;
  /** A user's principal name, where it has one. */
  readonly upn?: string | undefined;
  /** OtherRecipient: Exchange's RecipientTypeDetails of it. */
  readonly recipientTypeDetails?: string | undefined;
}

/** Days a deleted user stays in Entra's recycle bin, and a soft-deleted mailbox in Exchange, before they are purged. */
export const DELETED_RETENTION_DAYS = 30;

/** When a deleted holder is purged, and its addresses free: deletion + {@link DELETED_RETENTION_DAYS}. */
export function purgeDateOf(deletedAt: string): string {
  return new Date(Date.parse(deletedAt) + DELETED_RETENTION_DAYS * 86_400_000).toISOString();
}

/** How an admin names each kind of holder that is not a recipient the tool writes. */
export const HOLDER_NOUNS: Readonly<Record<HolderKind, string>> = {
  PublicFolder: "mail-enabled public folder",
  OtherRecipient: "recipient",
  EntraUser: "Entra user without a mailbox",
  EntraGroup: "Entra group without a mail-enabled recipient",
  EntraContact: "Entra contact without a mail contact",
  SoftDeletedMailbox: "soft-deleted mailbox",
  DeletedUser: "deleted user in Entra's recycle bin",
  Releasing: "recipient that just let go of it",
};

/**
 * What an admin can do about an address a holder of this kind keeps: for a deleted one, restore
 * it, purge it, or wait until it is purged (the date); for the others, where to remove it.
 */
export function holderRemedy(owner: AddressOwner, address: string): string {
  const holder = owner.holder;
  const name = owner.displayName.replace(/"/g, "'");
  switch (holder?.kind) {
    case "PublicFolder":
      return `remove it from the public folder (Set-MailPublicFolder "${name}" -EmailAddresses @{Remove="smtp:${address}"}), or drop it from this mailbox in the spec`;
    case "OtherRecipient":
      return `remove it from that recipient first (Get-Recipient "${name}" shows it; its kind, ${holder.recipientTypeDetails ?? "unknown"}, is not one this tool writes), or drop it from this mailbox in the spec`;
    case "EntraUser":
    case "EntraGroup":
    case "EntraContact":
      return holder.synced
        ? `remove it from the proxyAddresses of "${name}" in on-premises AD and let Entra Connect sync it (Exchange does not list this object), or drop it from this mailbox in the spec`
        : `remove it from the proxyAddresses of "${name}" in Entra ID (Exchange does not list this object), or drop it from this mailbox in the spec`;
    case "SoftDeletedMailbox":
      return (
        `restore the mailbox (restore the user in the Microsoft 365 admin center > Deleted users) and remove the address from it, ` +
        `purge it (Remove-Mailbox "${name}" -PermanentlyDelete, or delete the user permanently from Entra's recycle bin), ` +
        `or wait until ${holder.deletedAt ? purgeDateOf(holder.deletedAt).slice(0, 10) : `${DELETED_RETENTION_DAYS} days after its deletion`}, when it is purged; or drop it from this mailbox in the spec`
      );
    case "DeletedUser":
      return (
        `restore the user (Entra admin center > Deleted users > Restore, or POST /directory/deletedItems/${owner.id}/restore) and remove the address from it, ` +
        `delete it permanently (DELETE /directory/deletedItems/${owner.id}), ` +
        `or wait until ${holder.deletedAt ? purgeDateOf(holder.deletedAt).slice(0, 10) : `${DELETED_RETENTION_DAYS} days after its deletion`}, when it is purged; or drop it from this mailbox in the spec`
      );
    case "Releasing":
      return `wait: Exchange frees an address some time after it was removed (up to about an hour), then run the command again`;
    default:
      return `remove "${address}" from "${owner.displayName}" first (that recipient is not in the spec), or drop it from this mailbox in the spec`;
  }
}

/** The tenant-wide facts the rules consult. */
export interface TenantFacts {
  /**
   * Accepted domains, lower-case; undefined where the target keeps no such list (its backend has
   * no acceptedDomains capability: targets/tenant-backend.ts), and then no domain is refused here.
   */
  readonly acceptedDomains: ReadonlySet<string> | undefined;
  /** The tenant's MOERA domain, e.g. contoso.onmicrosoft.com. */
  readonly moeraDomain: string;
  /** The other recipient holding an SMTP address (case-insensitive), if any. */
  readonly ownerOf: (address: string) => AddressOwner | undefined;
}

export type ExchangeErrorCode =
  | "InvalidAddress"
  | "PrimaryAddressCount"
  | "ProxyAddressExists"
  | "NotAcceptedDomain"
  | "MoeraRemoval"
  | "WriteScope"
  | "TooManyAddresses"
  | "NotFound";

/**
 * Rules that belong to one kind of recipient. Their violations carry the code InvalidAddress (the
 * address can't be written to that recipient; the remedy is to fix the spec) and name the rule.
 */
export type KindRule = "PrefixNotAccepted" | "ExternalAddressRemoval";

/**
 * Rules of where the recipient is written rather than of its kind, with the code InvalidAddress:
 * an entry longer than a proxyAddresses value holds (RecipientFacts.writesProxyAddresses).
 */
export type TargetRule = "ProxyValueTooLong";

/** One rule a proposed change breaks. */
export interface RuleViolation {
  readonly code: ExchangeErrorCode;
  /** Exchange's own wording (or ours, where Exchange's is not documented: see the rule). */
  readonly message: string;
  readonly address?: string;
  readonly owner?: AddressOwner;
  /** The kind's (or the target's) own rule this violation breaks, if it is one. */
  readonly rule?: KindRule | TargetRule;
}

/** The .NET exception type Exchange reports for each code, used in the admin API's error body. */
export const EXCEPTION_TYPES: Record<ExchangeErrorCode, string> = {
  InvalidAddress: "Microsoft.Exchange.Data.DataValidationException",
  PrimaryAddressCount: "Microsoft.Exchange.Data.DataValidationException",
  ProxyAddressExists: "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException",
  NotAcceptedDomain: "Microsoft.Exchange.Configuration.Tasks.NotAcceptedDomainException",
  MoeraRemoval: "Microsoft.Exchange.Data.DataValidationException",
  WriteScope: "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException",
  TooManyAddresses: "Microsoft.Exchange.Data.DataValidationException",
  NotFound: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
};

export { MAX_PROXY_ADDRESSES };

const describeOwner = (owner: AddressOwner) => owner.displayName;

/**
 * Source: Set-Mailbox docs; wording of the synced-object refusal from the hybrid docs (§3). For the
 * other kinds, the widely reported text without the mailbox's "write scope" preamble, naming the
 * kind's cmdlet (not found on a Microsoft page: see docs/RECIPIENT-KINDS.md).
 */
export function writeScopeMessage(identity: string, kind: RecipientKind = DEFAULT_RECIPIENT_KIND): string {
  const row = RECIPIENT_KINDS[kind] ?? RECIPIENT_KINDS[DEFAULT_RECIPIENT_KIND];
  const refusal =
    `The action '${row.setCmdlet}', 'EmailAddresses', can't be performed on the object '${identity}' because the object is being synchronized from your on-premises organization. ` +
    `This action should be performed on the object in your on-premises organization.`;
  return MAILBOX_KINDS.has(kind)
    ? `The operation on mailbox "${identity}" failed because it's out of the current user's write scope. ${refusal}`
    : refusal;
}

/** Ours: which prefixes a kind takes (docs/RECIPIENT-KINDS.md, "Prefixes"). */
export function prefixNotAcceptedMessage(kind: RecipientKind, displayName: string, entry: string): string {
  const row = RECIPIENT_KINDS[kind];
  const prefix = parseProxyAddress(entry).prefix.toUpperCase();
  const taken = (row.prefixes ?? []).map((p) => (p === "SMTP" ? "SMTP (SMTP:/smtp:)" : p));
  const list = taken.length > 1 ? `${taken.slice(0, -1).join(", ")} and ${taken[taken.length - 1]}` : taken.join("");
  return `The ${describeKind(kind, displayName)} can't take the address "${entry}": a ${row.noun}'s EmailAddresses take ${list} addresses, not ${prefix}.`;
}

/**
 * Ours: a mail user's or mail contact's ExternalEmailAddress stays in its EmailAddresses (Set-MailContact
 * docs: the external address is the primary by default; changing it is -ExternalEmailAddress's job).
 */
export function externalAddressRemovalMessage(kind: RecipientKind, displayName: string, external: string): string {
  return (
    `The address "SMTP:${external}" is the external email address (ExternalEmailAddress) of the ${describeKind(kind, displayName)}; it can't be removed from EmailAddresses. ` +
    `To change it, use ${RECIPIENT_KINDS[kind].setCmdlet} -ExternalEmailAddress.`
  );
}

/**
 * Source: Microsoft's shared-mailbox docs (§3, "Duplicate address"). For a holder Exchange does
 * not name (an Entra object, a deleted one, an address being released), the form without the
 * name, as administrators report it on Microsoft's page "Proxy address is already being used"
 * (learn.microsoft.com/exchange/troubleshoot/add-users/proxy-address-being-used; its feedback
 * threads MicrosoftDocs/OfficeDocs-Support#22, #46, MicrosoftDocs/OfficeDocs-Exchange#1821).
 */
export function proxyAddressExistsMessage(entry: string, owner: AddressOwner): string {
  if (owner.holder !== undefined && owner.holder.kind !== "PublicFolder" && owner.holder.kind !== "OtherRecipient")
    return proxyAddressInUseMessage(entry);
  return `The proxy address "${entry}" is already being used by the proxy addresses or LegacyExchangeDN of "${describeOwner(owner)}". Please choose another proxy address.`;
}

/** The "already being used" refusal without a holder's name (see {@link proxyAddressExistsMessage}). */
export function proxyAddressInUseMessage(entry: string): string {
  return `The proxy address "${entry}" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`;
}

/** Source: NotAcceptedDomainException's documented text (§3); Set-Mailbox's own wording is unconfirmed. */
export function notAcceptedDomainMessage(domain: string): string {
  return `You can't use the domain "${domain}" because it's not an accepted domain for your organization.`;
}

/** Ours: Exchange's exact wording for removing the MOERA is not documented (§3, "MOERA"). */
export function moeraRemovalMessage(entry: string): string {
  return `The address "${entry}" is the recipient's Microsoft Online Email Routing Address (MOERA) and can't be removed.`;
}

/** Source: Set-Mailbox's object-not-found error (§2, "Error shape"). */
export function notFoundMessage(identity: string, tenant: string): string {
  return `The operation couldn't be performed because object '${identity}' couldn't be found on '${tenant}'.`;
}

/**
 * Checks a proposed EmailAddresses list for a recipient. Returns every rule it breaks (empty when
 * Exchange would accept it). `current` is the recipient as it is now.
 */
export function checkEmailAddresses(
  recipient: RecipientFacts,
  proposed: readonly string[],
  tenant: TenantFacts,
  identity = recipient.displayName,
): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const kind = kindOf(recipient);
  const row = RECIPIENT_KINDS[kind] ?? RECIPIENT_KINDS[DEFAULT_RECIPIENT_KIND];
  if (recipient.synced && !recipient.cloudManaged) {
    violations.push({ code: "WriteScope", message: writeScopeMessage(identity, kind) });
    return violations;
  }
  const external =
    row.external && recipient.externalEmailAddress ? addressKey(recipient.externalEmailAddress) : undefined;
  if (row.prefixes !== undefined) {
    // Only entries this change adds: whatever the recipient already holds stays writable.
    const held = new Set(recipient.addresses.map(entryKey));
    for (const entry of proposed) {
      const parsed = parseProxyAddress(entry);
      if (held.has(entryKey(entry)) || row.prefixes.includes(parsed.prefix.toUpperCase())) continue;
      violations.push({
        code: "InvalidAddress",
        rule: "PrefixNotAccepted",
        address: entry,
        message: prefixNotAcceptedMessage(kind, recipient.displayName, entry),
      });
    }
  }
  if (proposed.length > MAX_PROXY_ADDRESSES) {
    violations.push({
      code: "TooManyAddresses",
      message: `The EmailAddresses property holds ${proposed.length} entries; a recipient can have at most ${MAX_PROXY_ADDRESSES}.`,
    });
  }
  let primaries = 0;
  const proposedKeys = new Set<string>();
  for (const entry of proposed) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind !== "smtp") continue;
    if (parsed.primary) primaries++;
    // An international domain (A-label) is refused by the accepted-domain rule below unless the
    // tenant holds it (Microsoft 365 organizations cannot; an on-premises or seeded one may).
    const normalized = normalizeAddress(parsed.value, { internationalDomains: "any" });
    if (!normalized.ok || normalized.address !== parsed.value) {
      violations.push({
        code: "InvalidAddress",
        address: parsed.value,
        message: `The email address "${parsed.value}" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.`,
      });
      continue;
    }
    proposedKeys.add(addressKey(parsed.value));
    // Only entries this change adds: AD holds no longer value, so whatever is there fits.
    const held =
      recipient.writesProxyAddresses &&
      recipient.addresses.some(
        (e) =>
          parseProxyAddress(e).kind === "smtp" && addressKey(parseProxyAddress(e).value) === addressKey(parsed.value),
      );
    const tooLong = recipient.writesProxyAddresses && !held ? proxyValueProblem(entry) : undefined;
    if (tooLong !== undefined)
      violations.push({
        code: "InvalidAddress",
        rule: "ProxyValueTooLong",
        address: parsed.value,
        message: `${tooLong}.`,
      });
    const domain = domainOf(parsed.value);
    // A mail user's or mail contact's external address is outside the organization by design.
    if (
      tenant.acceptedDomains !== undefined &&
      !tenant.acceptedDomains.has(domain) &&
      addressKey(parsed.value) !== external
    ) {
      violations.push({ code: "NotAcceptedDomain", address: parsed.value, message: notAcceptedDomainMessage(domain) });
    }
    const owner = tenant.ownerOf(parsed.value);
    if (owner !== undefined && owner.id !== recipient.id) {
      violations.push({
        code: "ProxyAddressExists",
        address: parsed.value,
        owner,
        message: proxyAddressExistsMessage(entry, owner),
      });
    }
  }
  if (primaries !== 1) {
    // Ours: the documented rule is that SMTP "can use this value only once" (Set-Mailbox docs).
    violations.push({
      code: "PrimaryAddressCount",
      message:
        primaries === 0
          ? "The EmailAddresses property must contain exactly one primary SMTP address (SMTP:); it has none."
          : `The EmailAddresses property must contain exactly one primary SMTP address (SMTP:); it has ${primaries}.`,
    });
  }
  for (const entry of recipient.addresses) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind !== "smtp" || proposedKeys.has(addressKey(parsed.value))) continue;
    if (domainOf(parsed.value) === tenant.moeraDomain) {
      violations.push({ code: "MoeraRemoval", address: parsed.value, message: moeraRemovalMessage(entry) });
    } else if (external !== undefined && addressKey(parsed.value) === external) {
      violations.push({
        code: "InvalidAddress",
        rule: "ExternalAddressRemoval",
        address: parsed.value,
        message: externalAddressRemovalMessage(kind, recipient.displayName, parsed.value),
      });
    }
  }
  return violations;
}

/**
 * Applies Set-Mailbox's `@{Add=...; Remove=...}` form to a current list: removes by value
 * (SMTP case-insensitively), then adds; an added `SMTP:` entry becomes the primary and the old
 * primary becomes an alias, as Exchange does.
 *
 * Adding an address the list already holds in another case changes its primary flag at most,
 * never its spelling: Exchange compares SMTP proxy addresses case-insensitively and keeps the
 * address it has. Administrators report that neither -WindowsEmailAddress/-PrimarySmtpAddress
 * nor an address policy changes the case of an existing address; the way they report is to
 * change it to another address first and back (an Exchange 2007 write-up, "Email Address Policy
 * and Capital Letters", ficility.net, 2013; docs/reference/exchange-online-addresses.md §3).
 * So this tool never announces a re-case (core/plan/plan-mailbox.ts `caseKept`), and the local
 * tenant and the emulator keep the spelling the same way.
 */
export function applyAddRemove(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const key = (entry: string) => {
    const parsed = parseProxyAddress(entry);
    return parsed.kind === "smtp"
      ? `smtp:${addressKey(parsed.value)}`
      : `${parsed.prefix.toUpperCase()}:${parsed.value}`;
  };
  const removeKeys = new Set(remove.map(key));
  let list = current.filter((entry) => !removeKeys.has(key(entry)));
  for (const entry of add) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "smtp" && parsed.primary) {
      list = list.map((e) => (parseProxyAddress(e).primary ? `smtp:${parseProxyAddress(e).value}` : e));
    }
    const held = list.find((e) => key(e) === key(entry));
    const value = held !== undefined && parsed.kind === "smtp" ? parseProxyAddress(held).value : parsed.value;
    list = list.filter((e) => key(e) !== key(entry));
    list.push(parsed.kind === "smtp" ? `${parsed.primary ? "SMTP" : "smtp"}:${value}` : entry);
  }
  return list;
}

/**
 * -PrimarySmtpAddress (or -WindowsEmailAddress on a recipient no email address policy governs):
 * the address becomes the primary, the old primary an alias; added when the list lacks it
 * (Set-DistributionGroup docs: it "updates the primary email address and WindowsEmailAddress
 * property to the same value").
 */
export function applyPrimarySmtpAddress(current: readonly string[], address: string): string[] {
  return applyAddRemove(current, [`SMTP:${address.replace(/^smtp:/i, "")}`], []);
}
