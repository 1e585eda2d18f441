// Drift: the spec against the live tenant, decided by the same planner `pulumi preview` uses, so
// the fast path (`mailbox-addresses drift`) and `pulumi preview --refresh` never disagree. Pure.
import { summarizePlan } from "../plan/describe-plan";
import { planEntries } from "../plan/plan-changes";
import type { MailboxRow } from "../report/report";
import type { Spec } from "../spec/rules";

/**
 * One row per mailbox of the spec. `added` lists what the spec has and the tenant lacks (removed
 * outside git), `removed` what the tenant has and strict mode would remove (added outside git).
 */
export function computeDrift(spec: Spec, live: ReadonlyMap<string, readonly string[] | undefined>): MailboxRow[] {
  const change = planEntries(spec.mailboxes, (identity) => live.get(identity));
  return spec.mailboxes.map((m): MailboxRow => {
    const plan = change.plans.get(m.identity);
    if (plan === undefined) return { identity: m.identity, change: "missing", added: [], removed: [], problems: ["not found in the tenant"] };
    if (!plan.changed) return { identity: m.identity, change: "none", added: [], removed: [], problems: [] };
    return { identity: m.identity, change: "drift", ...summarizePlan(plan), problems: [] };
  });
}
