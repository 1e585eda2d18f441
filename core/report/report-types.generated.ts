// Generated from schemas/report.schema.json by scripts/generate-types.js. Do not edit; edit the schema.

/**
 * none; adopt (plan: a mailbox new to the stack, nothing is created in the tenant), update, release (plan: removed from the spec, left as it is); drift (the tenant differs from the spec); missing (not in the tenant); error. create and delete: written by format 1.0 for adopt and release.
 */
export type MailboxChange =
  "none" | "adopt" | "create" | "update" | "release" | "delete" | "drift" | "missing" | "error";
/**
 * Where a write of this mailbox goes, when the stack writes to more than one place (target hybrid): active-directory (a synced mailbox, written where it is mastered) or exchange-online. Since 1.2.
 */
export type WrittenTo = "exchange-online" | "active-directory";

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
  /**
   * plan: sha256 of the spec the plan was made from; an apply given this report (MAILBOX_ADDRESSES_REVIEWED_PLAN) refuses another spec. Since 1.1.
   */
  specDigest?: string;
  /**
   * plan: what the plan covers. targeted (`plan --changed-since`): only the mailboxes the change touches, listed in declare and release, each row saying why; full: every mailbox, with the reasons a targeted plan was widened. An apply given this report (`apply --plan`) runs the same scope. Since 1.3.
   */
  scope?: {
    kind: "targeted" | "full";
    /**
     * The git ref the change was computed from.
     */
    since?: string;
    /**
     * full: why targeted mode was refused.
     */
    reasons?: string[];
    /**
     * targeted: the mailboxes the run declares.
     */
    declare?: string[];
    /**
     * targeted: the mailboxes the run releases.
     */
    release?: string[];
    /**
     * targeted: mailbox → why it is in the change set.
     */
    why?: {
      [k: string]: string[];
    };
    /**
     * targeted: the mailboxes outside the change set. read: whether the run read them (it does when the spec has policies); drifted: those of them that differ from the tenant, which a full apply would revert and this targeted apply leaves as they are. Not read: a targeted apply leaves any drift on them as it is. Since 1.4.
     */
    outside?: {
      read: boolean;
      mailboxes: number;
      drifted: string[];
    };
  };
  summary: {
    /**
     * Mailboxes in the spec.
     */
    mailboxes: number;
    /**
     * Mailboxes that drifted (drift) or whose addresses will be written (plan).
     */
    changed: number;
    /**
     * plan: mailboxes new to the stack (nothing is created in the tenant; counted in changed too when their addresses are written). Since 1.1.
     */
    adopted?: number;
    /**
     * plan: mailboxes removed from the spec, left as they are. Since 1.1.
     */
    released?: number;
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
  /**
   * plan: addresses the spec spells in another case than the mailbox has them. Nothing is written for them: Exchange compares addresses case-insensitively and keeps the spelling an address has (a case-only change is not drift). Replaces 1.1's recased, which announced a re-case no write made. Since 1.3.
   */
  caseKept?: {
    /**
     * The spelling in the spec.
     */
    spec: string;
    /**
     * The spelling the mailbox has and keeps.
     */
    tenant: string;
  }[];
  /**
   * The recipient's kind: Exchange's RecipientTypeDetails (UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox, MailUniversalDistributionGroup, MailUniversalSecurityGroup, GroupMailbox, DynamicDistributionGroup, MailUser, MailContact), where known. Since 1.3.
   */
  kind?: string;
  /**
   * plan: the address policy that gives this mailbox its addresses (the first that matches it); absent for explicit entries. Rows are grouped by it. Since 1.3.
   */
  policy?: string;
  /**
   * plan: the mailbox's user principal name as read, for a mailbox a policy manages (its identity is then its object id). Since 1.3.
   */
  upn?: string;
  /**
   * Present when the user principal name differs from what the spec asks for (userPrincipalName): from (live) → to; plan: the change, drift: the difference. Since 1.3.
   */
  userPrincipalName?: {
    from: string | null;
    to: string;
  };
  writtenTo?: WrittenTo;
  sync?: SyncState;
  /**
   * What is wrong with the tenant's list as it stands, whatever the spec says, naming the entries (two uppercase SMTP: entries in Active Directory's proxyAddresses); an apply repairs it to the spec's one primary. Since 1.3.
   */
  findings?: string[];
  problems: string[];
  /**
   * plan --changed-since: why the mailbox is in the change set. Since 1.3.
   */
  why?: string[];
  /**
   * Why each change happens (plan: what the apply does; drift: what differs), one per address: the spec changed, the tenant changed outside git (drift: merging reverts it; `mailbox-addresses accept <identity>` keeps it instead), a policy, a move to another mailbox of the spec. Absent when the run had no record of the last apply (no refresh, no state). Since 1.4.
   */
  causes?: ChangeCause[];
}
/**
 * A mailbox whose addresses the directory sync carries to the cloud (target hybrid): in-sync; drift (Active Directory differs from the spec); pending (Active Directory matches the spec, the cloud does not yet: the next sync closes it; not a change, exit code 0). lastSyncAt and lastSyncAgeSeconds: when the tenant last synced it, where the tenant tells. waitingForSync: addresses the cloud still shows on another, synced mailbox until the next sync. Since 1.2.
 */
export interface SyncState {
  state: "in-sync" | "drift" | "pending";
  lastSyncAt?: string;
  lastSyncAgeSeconds?: number;
  waitingForSync?: string[];
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "changeCause".
 */
export interface ChangeCause {
  address: string;
  /**
   * What the apply does to the address: add, remove, primary (makes it the primary), recase (writes the spec's case).
   */
  change: "add" | "remove" | "primary" | "recase";
  /**
   * spec: the spec asks for it; policy: a policy of the spec does; drift: the tenant changed outside git since the stack last recorded it, and merging reverts that; move: another mailbox of the spec takes the address.
   */
  cause: "spec" | "policy" | "drift" | "move";
  /**
   * spec and policy: this-change (since the base the plan was given, plan --changed-since), last-apply (since the stack's last apply, before this change when a base is known), adopt (the mailbox is new to the stack).
   */
  since?: "this-change" | "last-apply" | "adopt";
  /**
   * policy: its name.
   */
  policy?: string;
  /**
   * move: the mailbox the address moves to.
   */
  to?: string;
  /**
   * drift: when the tenant last changed the recipient's addresses (ISO 8601), where the target tells: the local target from its tenant's write log; Exchange Online and Active Directory do not tell it (absent).
   */
  changedAt?: string;
}
