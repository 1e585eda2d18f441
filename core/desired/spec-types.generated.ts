// Generated from schemas/mailboxes.schema.json by scripts/generate-types.js. Do not edit; edit the schema.

/**
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "domain".
 */
export type Domain = string;
/**
 * strict: SMTP aliases the spec does not list are removed. additive: they stay.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "mode".
 */
export type Mode = "strict" | "additive";
/**
 * Patterns of the user principal name, e.g. *@contoso.com.
 *
 * @minItems 1
 * @maxItems 1000
 */
export type StringList = [string, ...string[]];
/**
 * Patterns any current SMTP address of the mailbox matches.
 *
 * @minItems 1
 * @maxItems 1000
 */
export type StringList1 = [string, ...string[]];
export type Identity = string;
export type Identity1 = string;
/**
 * @minItems 1
 * @maxItems 1000
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "stringList".
 */
export type StringList2 = [string, ...string[]];
/**
 * Template of the primary address. Without it the mailbox keeps its current primary.
 */
export type AddressTemplate = string;
/**
 * An Exchange Server email address template: variables (%g given name, %s surname, %i initials, %m alias, %d display name, %u the user principal name's local part, %<n>g first n characters, %r<x><y> replace x by y) and literal characters, then @domain. See docs/POLICIES.md.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "template".
 */
export type AddressTemplate1 = string;
/**
 * strict: SMTP aliases the spec does not list are removed. additive: they stay.
 */
export type Mode1 = "strict" | "additive";
/**
 * An SMTP address without prefix, e.g. sales@contoso.com.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "address".
 */
export type Address = string;
/**
 * follows-primary: the user principal name is to follow the primary address. Or an explicit user principal name. Recorded in the expanded spec; writing UPNs is not implemented yet.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "userPrincipalName".
 */
export type UserPrincipalNameSetting = string;
/**
 * Exchange's RecipientTypeDetails of the recipient. Optional: taken from the tenant when absent; when given, preview checks the recipient is of this kind (docs/RECIPIENT-KINDS.md).
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "recipientKind".
 */
export type RecipientKind =
  | "UserMailbox"
  | "SharedMailbox"
  | "RoomMailbox"
  | "EquipmentMailbox"
  | "MailUniversalDistributionGroup"
  | "MailUniversalSecurityGroup"
  | "GroupMailbox"
  | "DynamicDistributionGroup"
  | "MailUser"
  | "MailContact";

/**
 * The addresses of Exchange Online mailboxes, as declared in git. Addresses are written without prefixes; the tool adds SMTP:/smtp:.
 */
export interface MailboxAddressesSpec {
  /**
   * Version of this file format. Only 1 exists: policies were added to it as an optional field (docs/POLICIES.md), so every earlier file is still valid.
   */
  version: 1;
  /**
   * Domains addresses may use. Each must also be an accepted domain of the tenant.
   *
   * @minItems 1
   * @maxItems 1000
   */
  allowedDomains: [Domain, ...Domain[]];
  /**
   * Opt-in for international domain names (IDN): domains of allowedDomains, in either form (bücher.example or xn--bcher-kva.example), that addresses may use. Microsoft 365 organizations cannot have IDN domains (the Exchange Team's EAI announcement, 2017), so list one only for a tenant or directory that holds it anyway (an on-premises Active Directory, a hybrid). An address in one is written as its A-label in lower case; plan and preview show both forms; look-alike letters and mixed scripts are refused still.
   *
   * @maxItems 100
   */
  internationalDomains?: Domain[];
  defaults?: {
    mode?: Mode;
  };
  /**
   * Address policies, in priority order (the first that matches a mailbox gives its addresses, unless a later one adds to it). Explicit entries under mailboxes override them. See docs/POLICIES.md.
   *
   * @maxItems 200
   */
  policies?: PolicySpec[];
  /**
   * One entry per managed recipient (a mailbox of any kind, a group, a mail user or a mail contact), keyed by its identity as Exchange resolves -Identity: a user principal name, an Entra object id, a primary (or any SMTP) address, or an alias.
   */
  mailboxes: {
    [k: string]: MailboxSpec;
  };
}
/**
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "policy".
 */
export interface PolicySpec {
  /**
   * Unique name, shown in expand output and plans.
   */
  name: string;
  match: PolicyMatch;
  primary?: AddressTemplate;
  /**
   * Templates of aliases.
   *
   * @maxItems 50
   */
  aliases?: AddressTemplate1[];
  mode?: Mode1;
  /**
   * When the primary changes, keep the old primary as an alias, so mail to it keeps arriving. Default true.
   */
  keepOldPrimary?: boolean;
  /**
   * Add this policy's addresses to those of an earlier matching policy instead of first-wins.
   */
  adds?: boolean;
  /**
   * error (default): two mailboxes given one address is an error. append-number: the later ones get 2, 3... appended to the local part, as Exchange Server does.
   */
  onCollision?: "error" | "append-number";
  /**
   * follows-primary: the user principal name is to follow the primary address (recorded; not written yet).
   */
  userPrincipalName?: "follows-primary";
}
/**
 * Which mailboxes a policy applies to. Every criterion given must hold (and); a list matches any of its values (or). Values compare case-insensitively; patterns take * and ?.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "policyMatch".
 */
export interface PolicyMatch {
  /**
   * Every mailbox read from the tenant.
   */
  all?: true;
  /**
   * @minItems 1
   */
  recipientTypes?: [
    "UserMailbox" | "SharedMailbox" | "RoomMailbox" | "EquipmentMailbox",
    ...("UserMailbox" | "SharedMailbox" | "RoomMailbox" | "EquipmentMailbox")[]
  ];
  /**
   * The domain of the mailbox's current primary address.
   *
   * @minItems 1
   * @maxItems 1000
   */
  primaryDomains?: [Domain, ...Domain[]];
  upn?: StringList;
  addresses?: StringList1;
  /**
   * User principal names or Entra object ids.
   *
   * @minItems 1
   * @maxItems 100000
   *
   * Items: A user principal name or SMTP address (name@domain), an Entra object id (GUID), or an Exchange alias (letters, digits and . - _ ' etc., no @).
   *
   * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
   * via the `definition` "identity".
   */
  identities?: [Identity & Identity1, ...(Identity & Identity1)[]];
  department?: StringList2;
  company?: StringList2;
  country?: StringList2;
}
/**
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "mailbox".
 */
export interface MailboxSpec {
  /**
   * The primary SMTP address (SMTP:), the one mail is sent from.
   */
  primary: string;
  /**
   * Secondary SMTP addresses (smtp:). MOERA and non-SMTP entries are kept without being listed.
   *
   * @maxItems 399
   */
  aliases?: Address[];
  mode?: Mode;
  /**
   * For a mailbox synced from on-premises AD: move its Exchange attributes to cloud management (IsExchangeCloudManaged) before writing. Opt-in.
   */
  cloudManaged?: boolean;
  userPrincipalName?: UserPrincipalNameSetting;
  kind?: RecipientKind;
  /**
   * An SMTP address without prefix, e.g. sales@contoso.com.
   */
  externalEmailAddress?: string;
}
