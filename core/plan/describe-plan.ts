// What a mailbox plan changes, as report columns and as one log line. Pure.
import { addressKey } from "../address";
import { withUnicodeForm as shown } from "../idn";
import type { MailboxPlan } from "./plan-mailbox";

/**
 * The primary from → to (when it changes), the aliases added (the new primary shows in
 * `primary`, not here) and the addresses removed. `plan.add` holds only addresses the mailbox
 * lacks, so nothing here needs the live list again.
 */
export function summarizePlan(plan: MailboxPlan): {
  primary?: { from: string | null; to: string };
  added: string[];
  removed: string[];
  caseKept?: { spec: string; tenant: string }[];
} {
  return {
    ...(plan.primary.changed ? { primary: { from: plan.primary.from ?? null, to: plan.primary.to } } : {}),
    added: plan.add
      .map((a) => a.address)
      .filter((a) => !(plan.primary.changed && addressKey(a) === addressKey(plan.primary.to))),
    removed: plan.remove.map((r) => r.address),
    // Shown, never written: the mailbox keeps its spelling of these (plan-mailbox.ts `caseKept`).
    ...(plan.caseKept.length > 0 ? { caseKept: plan.caseKept.map((c) => ({ ...c })) } : {}),
  };
}

/** `Mark@contoso.com (the mailbox keeps "mark@contoso.com")`. */
export function caseKeptText(c: { readonly spec: string; readonly tenant: string }): string {
  return `${c.spec} (the mailbox keeps ${JSON.stringify(c.tenant)}: Exchange does not re-case an address)`;
}

/** `primary a → b; + x; - y (reason); = Z (the mailbox keeps "z": …)`, or `no change`. */
export function describePlan(plan: MailboxPlan): string {
  const { primary, added, caseKept } = summarizePlan(plan);
  const parts: string[] = [];
  // An international domain's address in both forms (core/idn.ts): what is written, what it reads.
  if (primary) parts.push(`primary ${primary.from ? shown(primary.from) : "(none)"} → ${shown(primary.to)}`);
  for (const address of added) parts.push(`+ ${shown(address)}`);
  for (const removed of plan.remove) parts.push(`- ${shown(removed.address)} (${removed.reason})`);
  if (parts.length === 0) return "no change";
  for (const kept of caseKept ?? []) parts.push(`= ${caseKeptText(kept)}`);
  return parts.join("; ");
}
