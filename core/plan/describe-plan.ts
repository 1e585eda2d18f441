// What a mailbox plan changes, as report columns and as one log line. Pure.
import type { MailboxPlan } from "./plan-mailbox";

/**
 * The primary from → to (when it changes), the aliases added (the new primary shows in
 * `primary`, not here) and the addresses removed. `plan.add` holds only addresses the mailbox
 * lacks, so nothing here needs the live list again.
 */
export function summarizePlan(plan: MailboxPlan): { primary?: { from: string | null; to: string }; added: string[]; removed: string[]; recased?: string[] } {
  return {
    ...(plan.primary.changed ? { primary: { from: plan.primary.from ?? null, to: plan.primary.to } } : {}),
    added: plan.add.map((a) => a.address).filter((a) => !(plan.primary.changed && a === plan.primary.to)),
    removed: plan.remove.map((r) => r.address),
    // Re-cased addresses are rewritten only when the mailbox is written for another reason.
    ...(plan.changed && plan.recased.length > 0 ? { recased: [...plan.recased] } : {}),
  };
}

/** `primary a → b; + x; - y (reason); ~ Z (re-cased)`, or `no change`. */
export function describePlan(plan: MailboxPlan): string {
  const { primary, added, recased } = summarizePlan(plan);
  const parts: string[] = [];
  if (primary) parts.push(`primary ${primary.from ?? "(none)"} → ${primary.to}`);
  for (const address of added) parts.push(`+ ${address}`);
  for (const removed of plan.remove) parts.push(`- ${removed.address} (${removed.reason})`);
  for (const address of recased ?? []) parts.push(`~ ${address} (re-cased as the spec writes it)`);
  return parts.length === 0 ? "no change" : parts.join("; ");
}
