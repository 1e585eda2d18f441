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
 * An SMTP address without prefix, e.g. sales@contoso.com.
 *
 * This interface was referenced by `MailboxAddressesSpec`'s JSON-Schema
 * via the `definition` "address".
 */
export type Address = string;
export type Identity = string;
export type Identity1 = string;

/**
 * The addresses of Exchange Online mailboxes, as declared in git. Addresses are written without prefixes; the tool adds SMTP:/smtp:.
 */
export interface MailboxAddressesSpec {
  /**
   * Version of this file format. Only 1 exists.
   */
  version: 1;
  /**
   * Domains addresses may use. Each must also be an accepted domain of the tenant.
   *
   * @minItems 1
   * @maxItems 1000
   */
  allowedDomains: [Domain, ...Domain[]];
  defaults?: {
    mode?: Mode;
  };
  /**
   * One entry per managed mailbox, keyed by its identity: a user principal name or an Entra object id.
   */
  mailboxes: {
    [k: string]: MailboxSpec;
  };
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
}
