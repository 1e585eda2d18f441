// A targeted run, as the CLI hands it to the program and records it in a saved plan: which
// mailboxes to declare and release, why each one is there, and the spec it was computed for
// (docs/TARGETED-RUNS.md). Also the two pure steps around it: merging the change sets computed
// from two `before`s (the spec at a git ref, the state's last applied inputs), and narrowing the
// planner's result for the whole spec to the declared mailboxes, refusing what would cross the
// set's boundary. Pure.
import type { ChangePlan } from "./plan-changes";
import type { ChangeSet, StackWideChange, TargetReason, TargetedChangeSet } from "./change-set";
import type { Spec } from "../desired/rules";

/** The file MAILBOX_ADDRESSES_TARGETS names, and the `scope` a saved targeted plan records. */
export interface TargetedRun {
  readonly scope: "targeted";
  /** The git ref the change set was computed from (for messages). */
  readonly since?: string;
  /** sha256 of the spec the set was computed for: the program refuses another spec. */
  readonly specDigest: string;
  readonly declare: readonly string[];
  readonly release: readonly string[];
  /** identity → why it is in the set, in words. */
  readonly reasons: Readonly<Record<string, readonly string[]>>;
  /**
   * Object id (lower case) → key of every mailbox the state records outside the set. With it the
   * program reads only the set and still knows which recipients the stack manages; not recorded
   * in a saved plan (the apply takes it from the state again).
   */
  readonly managedElsewhere?: Readonly<Record<string, string>>;
}

/** A change set in words, for reports and messages. */
export function describeReason(reason: TargetReason): string {
  switch (reason.kind) {
    case "changed":
      return `changed (${reason.fields.join(", ")})`;
    case "added":
      return "added to the spec";
    case "released":
      return "removed from the spec (released, left as it is)";
    case "gives":
      return `gives ${reason.address} to ${reason.to}`;
    case "dependsOn":
      return `depends in the state on ${reason.target} (an earlier move)`;
  }
}

/**
 * The union of two change sets of the same `after`: everything when either one says so (with every
 * reason), otherwise every target of both, declared in `after`'s order.
 */
export function unionChangeSets(a: ChangeSet, b: ChangeSet, after: Spec): ChangeSet {
  if (a.scope === "everything" || b.scope === "everything") {
    const reasons: StackWideChange[] = [];
    for (const set of [a, b])
      for (const r of set.scope === "everything" ? set.reasons : [])
        if (!reasons.some((x) => x.message === r.message)) reasons.push(r);
    return { scope: "everything", reasons };
  }
  const reasons = new Map<string, TargetReason[]>();
  for (const set of [a, b]) {
    for (const [identity, list] of set.targets) {
      const merged = reasons.get(identity) ?? [];
      for (const r of list) if (!merged.some((m) => JSON.stringify(m) === JSON.stringify(r))) merged.push(r);
      reasons.set(identity, merged);
    }
  }
  const inAfter = new Set(after.mailboxes.map((m) => m.identity));
  const declare = after.mailboxes.map((m) => m.identity).filter((identity) => reasons.has(identity));
  const release = [...new Set([...a.release, ...b.release])].filter((identity) => !inAfter.has(identity));
  const targets = new Map([...declare, ...release].map((identity) => [identity, reasons.get(identity)!] as const));
  return { scope: "targeted", targets, declare, release } satisfies TargetedChangeSet;
}

/** A move the planner found over the whole spec that crosses the targeted set's boundary. */
export interface CrossingMove {
  readonly address: string;
  readonly from: string;
  readonly to: string;
}

/**
 * The planner's result for the whole spec, narrowed to the declared mailboxes. A move between a
 * declared and an undeclared mailbox (drift since the state was written: a managed holder outside
 * the set) cannot be done by a targeted run; those are returned, and the caller refuses.
 */
export function narrowChangePlan(
  change: ChangePlan,
  declare: ReadonlySet<string>,
): { change: ChangePlan; crossing: CrossingMove[] } {
  const crossing = change.moves
    .filter((m) => declare.has(m.from) !== declare.has(m.to))
    .map((m) => ({ address: m.address, from: m.from, to: m.to }));
  const keep = <V>(map: ReadonlyMap<string, V>) => new Map([...map].filter(([identity]) => declare.has(identity)));
  const among = (map: ReadonlyMap<string, readonly string[]>) =>
    new Map([...keep(map)].map(([identity, list]) => [identity, list.filter((d) => declare.has(d))] as const));
  return {
    change: {
      plans: keep(change.plans),
      moves: change.moves.filter((m) => declare.has(m.from) && declare.has(m.to)),
      dependsOn: among(change.dependsOn),
      dependsOnRelease: among(change.dependsOnRelease),
      releases: keep(change.releases),
      problems: change.problems,
    },
    crossing,
  };
}
