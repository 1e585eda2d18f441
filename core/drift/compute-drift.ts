// Drift: the spec against the live tenant, decided by the same planner `pulumi preview` uses, so
// the fast path (`mailbox-addresses drift`) and `pulumi preview --refresh` never disagree. Pure.
import { causesOfPlan } from "../plan/change-causes";
import { liveListFindings } from "../plan/live-findings";
import { summarizePlan } from "../plan/describe-plan";
import { planEntries, type ChangePlan } from "../plan/plan-changes";
import type { MailboxRow, SyncState, WrittenTo } from "../report/report";
import type { Spec } from "../desired/rules";

/**
 * What a stack that writes to more than one place (target hybrid) knows of a mailbox besides its
 * addresses: where it is written and, for a synced one, what the cloud shows until the next sync.
 */
export interface MailboxFacts {
  readonly writtenTo?: WrittenTo;
  /** A synced mailbox: the cloud's list (its `addresses` are Active Directory's, the truth). */
  readonly cloudAddresses?: readonly string[];
  readonly lastSyncAt?: string;
  /** When the tenant last changed the mailbox's addresses, where the target tells: a drift cause's `changedAt`. */
  readonly addressesChangedAt?: string;
}

/** The sync state of one mailbox, when the directory sync carries it (it has `cloudAddresses`). */
export function syncStateOf(
  spec: Spec,
  identity: string,
  facts: MailboxFacts | undefined,
  sourceChanged: boolean,
  now = Date.now(),
): SyncState | undefined {
  if (facts?.cloudAddresses === undefined) return undefined;
  const age = facts.lastSyncAt ? Math.max(0, Math.round((now - Date.parse(facts.lastSyncAt)) / 1000)) : undefined;
  const when = {
    ...(facts.lastSyncAt ? { lastSyncAt: facts.lastSyncAt } : {}),
    ...(age !== undefined && Number.isFinite(age) ? { lastSyncAgeSeconds: age } : {}),
  };
  if (sourceChanged) return { state: "drift", ...when };
  // AD matches the spec; the cloud is pending when the same planner still finds a change against it.
  const entry = spec.mailboxes.find((m) => m.identity === identity);
  const cloud: ChangePlan = planEntries(entry ? [entry] : [], () => facts.cloudAddresses);
  return { state: cloud.plans.get(identity)?.changed ? "pending" : "in-sync", ...when };
}

/**
 * One row per mailbox of the spec. `added` lists what the spec has and the tenant lacks (removed
 * outside git), `removed` what the tenant has and strict mode would remove (added outside git).
 * With `facts` (target hybrid), rows say where each mailbox is written and, for synced ones,
 * in sync / drift / pending sync: AD is the truth, and a cloud that has not caught up is not drift.
 * With `recorded` (the lists the stack's state recorded), each row says why it differs, as `plan`
 * does (core/plan/change-causes.ts): changed outside git, or the spec changed and is not applied yet.
 */
export function computeDrift(
  spec: Spec,
  live: ReadonlyMap<string, readonly string[] | undefined>,
  facts?: ReadonlyMap<string, MailboxFacts | undefined>,
  recorded?: ReadonlyMap<string, readonly string[]>,
  policies?: ReadonlyMap<string, string>,
): MailboxRow[] {
  const change = planEntries(spec.mailboxes, (identity) => live.get(identity));
  const changedAt = new Map(spec.mailboxes.map((m) => [m.identity, facts?.get(m.identity)?.addressesChangedAt]));
  const causes = causesOfPlan(change.plans, recorded, { ...(policies ? { policies } : {}), changedAt });
  return spec.mailboxes.map((m): MailboxRow => {
    const plan = change.plans.get(m.identity);
    const fact = facts?.get(m.identity);
    const where = fact?.writtenTo ? { writtenTo: fact.writtenTo } : {};
    if (plan === undefined)
      return { identity: m.identity, change: "missing", added: [], removed: [], problems: ["not found in the tenant"] };
    const sync = syncStateOf(spec, m.identity, fact, plan.changed);
    const synced = sync ? { sync } : {};
    if (!plan.changed)
      return { identity: m.identity, change: "none", ...where, ...synced, added: [], removed: [], problems: [] };
    const why = causes.get(m.identity);
    const findings = liveListFindings(live.get(m.identity) ?? [], m.primary);
    return {
      identity: m.identity,
      change: "drift",
      ...where,
      ...synced,
      ...summarizePlan(plan),
      ...(why && why.length > 0 ? { causes: why } : {}),
      ...(findings.length > 0 ? { findings } : {}),
      problems: [],
    };
  });
}
