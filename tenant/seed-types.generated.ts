// Generated from schemas/tenant-seed.schema.json by scripts/generate-types.js. Do not edit; edit the schema.

/**
 * Exchange's RecipientTypeDetails: mailboxes (user, shared, room, equipment), distribution groups (MailUniversalDistributionGroup), mail-enabled security groups (MailUniversalSecurityGroup), Microsoft 365 groups (GroupMailbox), dynamic distribution groups, mail users, mail contacts. Facts per kind: docs/RECIPIENT-KINDS.md. Group (deprecated, seeds written before the kinds were told apart) is a distribution group.
 */
export type SeedRecipientType =
  | "UserMailbox"
  | "SharedMailbox"
  | "RoomMailbox"
  | "EquipmentMailbox"
  | "MailUniversalDistributionGroup"
  | "MailUniversalSecurityGroup"
  | "GroupMailbox"
  | "DynamicDistributionGroup"
  | "MailUser"
  | "MailContact"
  | "Group";
/**
 * PublicFolder: a mail-enabled public folder (Get-Recipient -RecipientTypeDetails PublicFolder). EntraUser, EntraContact: an Entra user or contact without an Exchange recipient whose proxyAddresses carry the addresses (Graph /users, /contacts). SoftDeletedMailbox: a deleted mailbox (Get-Mailbox -SoftDeletedMailbox) whose user is in Entra's recycle bin. DeletedUser: a deleted user in Entra's recycle bin (Graph /directory/deletedItems/microsoft.graph.user). Deleted ones hold their addresses for 30 days.
 */
export type SeedHolderKind =
  "PublicFolder" | "EntraUser" | "EntraContact" | "SoftDeletedMailbox" | "DeletedUser";

/**
 * A tenant for the local target and the emulator: its domains and its recipients with their EmailAddresses.
 */
export interface TenantSeed {
  version: 1;
  tenant: TenantInfo;
  recipients: SeedRecipient[];
  /**
   * Objects that hold addresses without being recipients Get-Mailbox lists; Exchange refuses their addresses to anyone else.
   */
  holders?: SeedHolder[];
}
export interface TenantInfo {
  /**
   * The tenant's name, e.g. contoso.
   */
  name: string;
  /**
   * The tenant (directory) id.
   */
  id: string;
  /**
   * The initial domain, e.g. contoso.onmicrosoft.com: every recipient's MOERA is on it.
   */
  moeraDomain: string;
  /**
   * @minItems 1
   */
  acceptedDomains: [string, ...string[]];
  /**
   * The release lag, in milliseconds: for so long after an address is removed from a recipient, Exchange still refuses it to any other with "already being used" (administrators report about an hour). Absent or 0: free at once.
   */
  addressReleaseLagMs?: number;
}
/**
 * This interface was referenced by `TenantSeed`'s JSON-Schema
 * via the `definition` "recipient".
 */
export interface SeedRecipient {
  /**
   * Entra object id.
   */
  id: string;
  /**
   * User principal name (mailboxes and mail users).
   */
  upn?: string;
  displayName: string;
  type: SeedRecipientType;
  /**
   * Synced from on-premises AD.
   */
  synced?: boolean;
  /**
   * IsExchangeCloudManaged: Exchange attributes managed in the cloud.
   */
  cloudManaged?: boolean;
  /**
   * EmailAddresses with prefixes (SMTP:, smtp:, X500:, SIP:...).
   *
   * @minItems 1
   */
  addresses: [string, ...string[]];
  attributes?: SeedAttributes;
  /**
   * Mail users and mail contacts: ExternalEmailAddress, the address mail is sent on to (not a proxy address the spec manages). A mail contact without one uses its primary SMTP address.
   */
  externalEmailAddress?: string;
}
/**
 * Directory attributes address policies match and template on (Graph's names; initials is Exchange's Initials). Absent: none set.
 */
export interface SeedAttributes {
  givenName?: string;
  surname?: string;
  initials?: string;
  /**
   * Exchange's alias. Absent: the local part of the MOERA address, else of the UPN.
   */
  mailNickname?: string;
  department?: string;
  companyName?: string;
  country?: string;
}
/**
 * This interface was referenced by `TenantSeed`'s JSON-Schema
 * via the `definition` "holder".
 */
export interface SeedHolder {
  /**
   * Object id (Entra's; a public folder's own).
   */
  id: string;
  kind: SeedHolderKind;
  displayName: string;
  /**
   * User principal name (users).
   */
  upn?: string;
  /**
   * Synced from on-premises AD.
   */
  synced?: boolean;
  /**
   * EmailAddresses (proxyAddresses) with prefixes.
   *
   * @minItems 1
   */
  addresses: [string, ...string[]];
  /**
   * SoftDeletedMailbox, DeletedUser: deleted this many days before the tenant was seeded (0 to 29).
   */
  deletedDaysAgo?: number;
}
