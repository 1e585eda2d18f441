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
 * A tenant for the local target and the emulator: its domains and its recipients with their EmailAddresses.
 */
export interface TenantSeed {
  version: 1;
  tenant: TenantInfo;
  recipients: SeedRecipient[];
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
