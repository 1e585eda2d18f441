// One line per mailbox plan, for preview logs and the CLI: what changes and why. Pure.
import type { MailboxPlan } from "./plan-mailbox";

/** `primary a → b; + x (reason); - y (reason)`, or `no change`. */
export function describePlan(plan: MailboxPlan): string {
  const parts: string[] = [];
  if (plan.primary.changed) parts.push(`primary ${plan.primary.from ?? "(none)"} → ${plan.primary.to}`);
  for (const added of plan.add) if (!(plan.primary.changed && added.address === plan.primary.to)) parts.push(`+ ${added.address}`);
  for (const removed of plan.remove) parts.push(`- ${removed.address} (${removed.reason})`);
  return parts.length === 0 ? "no change" : parts.join("; ");
}
