// Generated from schemas/report.schema.json by scripts/generate-types.js. Do not edit; edit the schema.

/**
 * none; create/update/delete (plan); drift (the tenant differs from the spec); missing (not in the tenant); error.
 */
export type MailboxChange = "none" | "create" | "update" | "delete" | "drift" | "missing" | "error";

/**
 * What `mailbox-addresses drift --json` and `mailbox-addresses plan --json` print. formatVersion: a minor bump only adds keys (ignore unknown ones); reject an unknown major.
 */
export interface Report {
  formatVersion: string;
  kind: "drift" | "plan";
  stack: string;
  /**
   * The tenant, e.g. "local tenant .tenant/local.sqlite".
   */
  target: string;
  summary: {
    /**
     * Mailboxes in the spec.
     */
    mailboxes: number;
    /**
     * Mailboxes that drifted (drift) or will change (plan).
     */
    changed: number;
    problems: number;
  };
  /**
   * Problems that belong to no single mailbox.
   */
  problems: string[];
  mailboxes: MailboxRow[];
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "mailboxRow".
 */
export interface MailboxRow {
  identity: string;
  change: MailboxChange;
  /**
   * Present when the primary differs: from (live) → to (spec).
   */
  primary?: {
    from: string | null;
    to: string;
  };
  /**
   * Addresses the spec adds (plan), or that are missing from the tenant (drift: removed outside git).
   */
  added: string[];
  /**
   * Addresses the spec removes (plan), or that appeared in the tenant (drift: added outside git).
   */
  removed: string[];
  problems: string[];
}
