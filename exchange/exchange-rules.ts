// Exchange Online's rules for a recipient's EmailAddresses, in one place. The local tenant, the
// emulator and the preview-time checks all ask this module, so they answer alike. The wording
// follows Exchange's messages where they are documented (see ../shared/reference/
// exchange-online-addresses.md §3); each rule names its source. Pure: the caller supplies lookups.
import { addressKey, domainOf, MAX_PROXY_ADDRESSES, normalizeAddress, parseProxyAddress } from "../core/address";

/** Kinds of recipient that hold addresses, as Exchange names them. */
export type RecipientType = "UserMailbox" | "SharedMailbox" | "RoomMailbox" | "EquipmentMailbox" | "Group" | "MailContact" | "MailUser";

/** What the rules need to know about a recipient. */
export interface RecipientFacts {
  readonly id: string;
  readonly displayName: string;
  readonly type: RecipientType;
  /** Synced from on-premises AD (Entra: onPremisesSyncEnabled). */
  readonly synced: boolean;
  /** Exchange attributes moved to cloud management (IsExchangeCloudManaged). */
  readonly cloudManaged: boolean;
  readonly addresses: readonly string[];
}

/** Who else holds an address. */
export interface AddressOwner {
  readonly id: string;
  readonly displayName: string;
  readonly type: RecipientType;
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

/** One rule a proposed change breaks. */
export interface RuleViolation {
  readonly code: ExchangeErrorCode;
  /** Exchange's own wording (or ours, where Exchange's is not documented: see the rule). */
  readonly message: string;
  readonly address?: string;
  readonly owner?: AddressOwner;
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

/** Source: Set-Mailbox docs; wording of the synced-object refusal from the hybrid docs (§3). */
export function writeScopeMessage(identity: string): string {
  return (
    `The operation on mailbox "${identity}" failed because it's out of the current user's write scope. ` +
    `The action 'Set-Mailbox', 'EmailAddresses', can't be performed on the object '${identity}' because the object is being synchronized from your on-premises organization. ` +
    `This action should be performed on the object in your on-premises organization.`
  );
}

/** Source: Microsoft's shared-mailbox docs (§3, "Duplicate address"). */
export function proxyAddressExistsMessage(entry: string, owner: AddressOwner): string {
  return `The proxy address "${entry}" is already being used by the proxy addresses or LegacyExchangeDN of "${describeOwner(owner)}". Please choose another proxy address.`;
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
export function checkEmailAddresses(recipient: RecipientFacts, proposed: readonly string[], tenant: TenantFacts, identity = recipient.displayName): RuleViolation[] {
  const violations: RuleViolation[] = [];
  if (recipient.synced && !recipient.cloudManaged) {
    violations.push({ code: "WriteScope", message: writeScopeMessage(identity) });
    return violations;
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
    const normalized = normalizeAddress(parsed.value);
    if (!normalized.ok) {
      violations.push({
        code: "InvalidAddress",
        address: parsed.value,
        message: `The email address "${parsed.value}" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.`,
      });
      continue;
    }
    proposedKeys.add(addressKey(parsed.value));
    const domain = domainOf(parsed.value);
    if (tenant.acceptedDomains !== undefined && !tenant.acceptedDomains.has(domain)) {
      violations.push({ code: "NotAcceptedDomain", address: parsed.value, message: notAcceptedDomainMessage(domain) });
    }
    const owner = tenant.ownerOf(parsed.value);
    if (owner !== undefined && owner.id !== recipient.id) {
      violations.push({ code: "ProxyAddressExists", address: parsed.value, owner, message: proxyAddressExistsMessage(entry, owner) });
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
    if (parsed.kind === "smtp" && domainOf(parsed.value) === tenant.moeraDomain && !proposedKeys.has(addressKey(parsed.value))) {
      violations.push({ code: "MoeraRemoval", address: parsed.value, message: moeraRemovalMessage(entry) });
    }
  }
  return violations;
}

/**
 * Applies Set-Mailbox's `@{Add=...; Remove=...}` form to a current list: removes by value
 * (SMTP case-insensitively), then adds; an added `SMTP:` entry becomes the primary and the old
 * primary becomes an alias, as Exchange does.
 */
export function applyAddRemove(current: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const key = (entry: string) => {
    const parsed = parseProxyAddress(entry);
    return parsed.kind === "smtp" ? `smtp:${addressKey(parsed.value)}` : `${parsed.prefix.toUpperCase()}:${parsed.value}`;
  };
  const removeKeys = new Set(remove.map(key));
  let list = current.filter((entry) => !removeKeys.has(key(entry)));
  for (const entry of add) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "smtp" && parsed.primary) {
      list = list.map((e) => (parseProxyAddress(e).primary ? `smtp:${parseProxyAddress(e).value}` : e));
    }
    list = list.filter((e) => key(e) !== key(entry));
    list.push(parsed.kind === "smtp" ? `${parsed.primary ? "SMTP" : "smtp"}:${parsed.value}` : entry);
  }
  return list;
}
