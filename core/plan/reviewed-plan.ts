// The reviewed-plan check: an apply refuses to do anything the plan a reviewer approved did not
// show. The pull request saves `mailbox-addresses plan --json`; the apply passes that file
// (`reviewedPlan` setting or MAILBOX_ADDRESSES_REVIEWED_PLAN) and the program compares the change
// it is about to make, mailbox by mailbox, with the reviewed rows before declaring anything. Pure.
//
// Why not Pulumi's own update plans (`preview --save-plan`, `up --plan`): they constrain each
// resource's operation and inputs, and our inputs hold what the spec wants, not what the tenant
// has. A mailbox the reviewed plan already updated, changed again by hand after the review, would
// pass the engine's check while the write differs from what was reviewed. The rows compared here
// are the writes themselves.
import { addressKey } from "../address";

/** What one mailbox's change is: the primary from → to, the addresses added and removed. */
export interface ChangeRow {
  readonly primary?: { readonly from: string | null; readonly to: string };
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Addresses the spec spells in another case than the mailbox, which keeps its spelling: shown, never written. */
  readonly caseKept?: readonly { readonly spec: string; readonly tenant: string }[];
  /** The user principal name, when the spec changes it (userPrincipalName). */
  readonly userPrincipalName?: { readonly from: string | null; readonly to: string };
  /** What is wrong with the live list as it stands (core/plan/live-findings.ts), repaired by the write. */
  readonly findings?: readonly string[];
}

/** The part of a `plan --json` report the check reads. */
export interface ReviewedPlan {
  readonly kind: string;
  readonly stack?: string;
  readonly specDigest?: string;
  readonly mailboxes: readonly (ChangeRow & { readonly identity: string; readonly change: string })[];
}

/** A difference between the reviewed plan and the change about to be made. */
export interface ReviewMismatch {
  readonly identity: string | undefined;
  readonly message: string;
}

const CHANGES = new Set(["create", "update", "adopt"]);

function describe(row: ChangeRow | undefined): string {
  if (row === undefined) return "no change";
  const parts: string[] = [];
  if (row.primary) parts.push(`primary ${row.primary.from ?? "(none)"} → ${row.primary.to}`);
  for (const a of row.added) parts.push(`+ ${a}`);
  for (const r of row.removed) parts.push(`- ${r}`);
  if (row.userPrincipalName) parts.push(`UPN ${row.userPrincipalName.from ?? "(none)"} → ${row.userPrincipalName.to}`);
  return parts.length === 0 ? "no change" : parts.join("; ");
}

const within = (list: readonly string[], reviewed: readonly string[]) => {
  const allowed = new Set(reviewed.map(addressKey));
  return list.every((a) => allowed.has(addressKey(a)));
};

/** True when every part of `now` was shown in `reviewed` (a part already done by hand may be missing). */
function shownIn(now: ChangeRow, reviewed: ChangeRow): boolean {
  const primaryShown =
    now.primary === undefined ||
    (reviewed.primary !== undefined && addressKey(reviewed.primary.to) === addressKey(now.primary.to));
  const upnShown =
    now.userPrincipalName === undefined ||
    (reviewed.userPrincipalName !== undefined &&
      reviewed.userPrincipalName.to.toLowerCase() === now.userPrincipalName.to.toLowerCase());
  return primaryShown && within(now.added, reviewed.added) && within(now.removed, reviewed.removed) && upnShown;
}

/**
 * Compares the change about to be made (changed mailboxes only) with the reviewed plan. Empty when
 * the apply would do nothing the reviewed plan did not show; a reviewed change that someone has
 * since made by hand is simply not repeated.
 */
export function compareWithReviewedPlan(
  reviewed: ReviewedPlan,
  specDigest: string,
  now: ReadonlyMap<string, ChangeRow>,
  stack?: string,
): ReviewMismatch[] {
  if (reviewed.kind !== "plan")
    return [{ identity: undefined, message: `the reviewed plan file is a "${reviewed.kind}" report, not a plan` }];
  const mismatches: ReviewMismatch[] = [];
  if (stack !== undefined && reviewed.stack !== undefined && reviewed.stack !== stack) {
    mismatches.push({
      identity: undefined,
      message: `the reviewed plan was made for stack "${reviewed.stack}", not "${stack}"`,
    });
  }
  if (reviewed.specDigest !== undefined && reviewed.specDigest !== specDigest) {
    mismatches.push({
      identity: undefined,
      message: "the spec is not the one the reviewed plan was made from (its digest differs)",
    });
  }
  const before = new Map(
    reviewed.mailboxes.filter((r) => CHANGES.has(r.change)).map((r) => [addressKey(r.identity), r]),
  );
  const after = new Map([...now].map(([identity, row]) => [addressKey(identity), { identity, row }]));
  for (const [key, { identity, row }] of after) {
    const seen = before.get(key);
    if (seen === undefined || !shownIn(row, seen)) {
      mismatches.push({
        identity,
        message: `the reviewed plan showed ${describe(seen)}; the tenant now needs ${describe(row)}`,
      });
    }
  }
  return mismatches;
}
