// Which mailboxes a spec change touches, so that a run can declare and target only those (the
// engine's --target; docs/TARGETED-RUNS.md) and still leave nothing for the next full run to do.
//
// From two versions of the spec: the mailboxes whose desired state changed (their resource's inputs
// differ), those added and those released (removed from the spec), plus every mailbox holding an
// address that one of those claims: it has to let go of it first (a move, or a swap broken by a
// release), so its write belongs to the same run. That last step repeats until nothing is added,
// because a mailbox pulled in may itself claim an address held elsewhere when the tenant drifted.
// A stack-wide setting that changed (allowedDomains, defaults, policies, any setting added to the
// spec later) widens the set to everything, with the reason: it is a statement about every mailbox,
// and a reviewer expects it applied to every mailbox. Pure.
import { addressKey } from "../address";
import type { MailboxDeclaration, Spec } from "../desired/rules";
import { desiredAddressMap } from "./address-map";

/** The parts of a mailbox's desired state that its resource's inputs carry (or will: the UPN). */
export type DesiredField = "addresses" | "mode" | "cloudManaged" | "userPrincipalName";

/** Why a mailbox is in a targeted run. */
export type TargetReason =
  | { readonly kind: "changed"; readonly fields: readonly DesiredField[] }
  | { readonly kind: "added" }
  | { readonly kind: "released" }
  /** It holds `address`, which the spec now gives to `to`: it writes first, so `to` can take it. */
  | { readonly kind: "gives"; readonly address: string; readonly to: string }
  /**
   * Its state entry depends on a target (a taker's dependsOn from an earlier move): the engine
   * counts it among the target's dependents, and one left undeclared is a delete it refuses only
   * after the target was written (docs/TARGETED-RUNS.md, fact 8).
   */
  | { readonly kind: "dependsOn"; readonly target: string };

/** A spec setting that applies to every mailbox and differs between the two versions. */
export interface StackWideChange {
  readonly setting: string;
  readonly message: string;
}

/** A targeted run: what to declare, what to release, and why each one is there. */
export interface TargetedChangeSet {
  readonly scope: "targeted";
  /** identity → why it is targeted; in `after`'s order, then the released ones in `before`'s order. */
  readonly targets: ReadonlyMap<string, readonly TargetReason[]>;
  /** The mailboxes the program declares: targeted identities of `after`, in `after`'s order. */
  readonly declare: readonly string[];
  /** Targeted identities the program does not declare: their state entries go (retainOnDelete). */
  readonly release: readonly string[];
}

/** Every mailbox: a stack-wide setting changed. */
export interface EverythingChangeSet {
  readonly scope: "everything";
  readonly reasons: readonly StackWideChange[];
}

export type ChangeSet = TargetedChangeSet | EverythingChangeSet;

export interface ChangeSetOptions {
  /**
   * Who holds each address now (address key → the identity it is keyed by in `before`), as last
   * recorded: the state's outputs of each mailbox, or a live lookup. An additive mailbox keeps
   * aliases the spec does not list, and a drifted one may hold anything, so `before` alone cannot
   * say who gives an address away. Addresses `before` declares count as held by their mailbox too:
   * a holder too many is declared and found unchanged, a holder too few makes a write Exchange refuses.
   */
  readonly holders?: ReadonlyMap<string, string>;
}

/** Spec fields that are not stack-wide settings: where it was read from, and the mailboxes. */
const NOT_STACK_WIDE: ReadonlySet<string> = new Set(["file", "mailboxes"]);

/** Where things are written in the file: a moved line changes no setting. */
const POSITION_FIELDS: ReadonlySet<string> = new Set(["source", "position", "partPositions"]);

/**
 * The change set from `before` to `after`, both specs that loaded without problems (the caller
 * refuses a targeted run otherwise). Identities are compared as written, as the resource's name
 * is: a key written differently is another resource (the old one released, the new one added).
 */
export function computeChangeSet(before: Spec, after: Spec, options: ChangeSetOptions = {}): ChangeSet {
  const stackWide = stackWideChanges(before, after);
  if (stackWide.length > 0) return { scope: "everything", reasons: stackWide };

  const was = new Map(before.mailboxes.map((m) => [m.identity, m]));
  const now = new Map(after.mailboxes.map((m) => [m.identity, m]));
  const reasons = new Map<string, TargetReason[]>();
  const add = (identity: string, reason: TargetReason) =>
    reasons.set(identity, [...(reasons.get(identity) ?? []), reason]);

  for (const mailbox of after.mailboxes) {
    const old = was.get(mailbox.identity);
    if (old === undefined) {
      add(mailbox.identity, { kind: "added" });
      continue;
    }
    const fields = changedFields(old, mailbox);
    if (fields.length > 0) add(mailbox.identity, { kind: "changed", fields });
  }
  for (const mailbox of before.mailboxes) {
    if (!now.has(mailbox.identity)) add(mailbox.identity, { kind: "released" });
  }

  // Who may hold each address: what `before` declares, and what the caller knows beyond that.
  const holders = new Map<string, Set<string>>();
  const holds = (key: string, identity: string) => holders.set(key, (holders.get(key) ?? new Set()).add(identity));
  for (const mailbox of before.mailboxes)
    for (const address of declared(mailbox)) holds(addressKey(address), mailbox.identity);
  for (const [key, identity] of options.holders ?? []) holds(addressKey(key), identity);

  // Every declared target's claims, to a fixpoint: a giver pulled in is declared too, so its own
  // claims count. A holder the spec no longer declares is released (or never was managed): the
  // preview-time conflict check refuses that, in a targeted run as in a full one.
  const queue = after.mailboxes.filter((m) => reasons.has(m.identity)).map((m) => m.identity);
  // A holder neither spec declares is, in a spec with policies, possibly a mailbox a policy
  // manages (keyed by object id, known only once the policies are expanded against the tenant):
  // whether it must give the address up is not known here.
  const hasPolicies = (after.policies ?? []).length > 0;
  for (let i = 0; i < queue.length; i++) {
    const taker = now.get(queue[i]!)!;
    for (const address of declared(taker)) {
      for (const holder of holders.get(addressKey(address)) ?? []) {
        if (hasPolicies && !now.has(holder) && !was.has(holder)) {
          return {
            scope: "everything",
            reasons: [
              {
                setting: "policies",
                message: `${address}, which ${taker.identity} now claims, is held by ${holder}, which the spec's policies may manage: only a full run expands them`,
              },
            ],
          };
        }
        if (holder === taker.identity || !now.has(holder)) continue;
        if (!reasons.has(holder)) queue.push(holder);
        if (
          !(reasons.get(holder) ?? []).some((r) => r.kind === "gives" && addressKey(r.address) === addressKey(address))
        ) {
          add(holder, { kind: "gives", address, to: taker.identity });
        }
      }
    }
  }

  const declare = after.mailboxes.map((m) => m.identity).filter((identity) => reasons.has(identity));
  const release = before.mailboxes
    .map((m) => m.identity)
    .filter((identity) => !now.has(identity) && reasons.has(identity));
  const targets = new Map([...declare, ...release].map((identity) => [identity, reasons.get(identity)!] as const));
  return { scope: "targeted", targets, declare, release };
}

/** The stack-wide settings that differ, each with a message an admin reads in the refusal. */
export function stackWideChanges(before: Spec, after: Spec): StackWideChange[] {
  const changes: StackWideChange[] = [];
  const settings = new Set([...Object.keys(before), ...Object.keys(after)].filter((key) => !NOT_STACK_WIDE.has(key)));
  for (const setting of [...settings].sort()) {
    // An empty list is no setting: a spec built in code may leave out what the loader sets to [].
    const value = (spec: Spec) => {
      const v = (spec as unknown as Record<string, unknown>)[setting];
      return Array.isArray(v) && v.length === 0 ? undefined : v;
    };
    const [a, b] = [value(before), value(after)];
    if (setting === "allowedDomains") {
      // A list read as a set: reordering the domains changes nothing.
      const was = new Set((a ?? []) as readonly string[]);
      const now = new Set((b ?? []) as readonly string[]);
      const added = [...now].filter((d) => !was.has(d));
      const removed = [...was].filter((d) => !now.has(d));
      if (added.length + removed.length === 0) continue;
      const parts = [
        ...(added.length > 0 ? [`added ${added.join(", ")}`] : []),
        ...(removed.length > 0 ? [`removed ${removed.join(", ")}`] : []),
      ];
      changes.push({ setting, message: `allowedDomains changed (${parts.join("; ")}): it applies to every mailbox` });
      continue;
    }
    if (canonical(a, POSITION_FIELDS) === canonical(b, POSITION_FIELDS)) continue;
    if (setting === "policies") {
      changes.push({ setting, message: "policies changed: a policy applies to every mailbox it matches" });
      continue;
    }
    const label = setting === "defaultMode" ? "defaults.mode" : setting;
    changes.push({
      setting,
      message: `${label} changed (${canonical(a) ?? "unset"} → ${canonical(b) ?? "unset"}): it applies to every mailbox`,
    });
  }
  return changes;
}

/** The desired-state fields of one mailbox that differ: those its resource's inputs carry. */
function changedFields(before: MailboxDeclaration, after: MailboxDeclaration): DesiredField[] {
  const fields: DesiredField[] = [];
  // The inputs' address map: primary and aliases, spelled as written (the case is written too).
  if (canonical(desiredAddressMap(before)) !== canonical(desiredAddressMap(after))) fields.push("addresses");
  if (before.mode !== after.mode) fields.push("mode");
  if (before.cloudManaged !== after.cloudManaged) fields.push("cloudManaged");
  if (before.userPrincipalName !== after.userPrincipalName) fields.push("userPrincipalName");
  return fields;
}

function declared(mailbox: MailboxDeclaration): string[] {
  return [mailbox.primary, ...mailbox.aliases];
}

/** JSON with object keys sorted (and `omit` keys left out), so equal values compare equal as text. */
function canonical(value: unknown, omit: ReadonlySet<string> = new Set()): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([k]) => !omit.has(k))
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

/**
 * Widens a targeted set by the state's dependency edges (identity → the identities its entry
 * depends on, from `pulumi stack export`), transitively. A dependent still in `after` is declared
 * with its unchanged desired state (the diff finds nothing); one `after` no longer has is released,
 * as a full run would release it.
 */
export function withStateDependents(
  set: ChangeSet,
  after: Spec,
  dependencies: ReadonlyMap<string, readonly string[]>,
): ChangeSet {
  if (set.scope === "everything") return set;
  const dependents = new Map<string, string[]>();
  for (const [identity, on] of dependencies)
    for (const target of on) dependents.set(target, [...(dependents.get(target) ?? []), identity]);
  const reasons = new Map([...set.targets].map(([identity, r]) => [identity, [...r]]));
  const queue = [...reasons.keys()];
  for (let i = 0; i < queue.length; i++) {
    for (const dependent of dependents.get(queue[i]!) ?? []) {
      if (!reasons.has(dependent)) queue.push(dependent);
      const list = reasons.get(dependent) ?? [];
      if (!list.some((r) => r.kind === "dependsOn" && r.target === queue[i]))
        reasons.set(dependent, [...list, { kind: "dependsOn", target: queue[i]! }]);
    }
  }
  const inAfter = new Set(after.mailboxes.map((m) => m.identity));
  const declare = after.mailboxes.map((m) => m.identity).filter((identity) => reasons.has(identity));
  const release = [
    ...set.release,
    ...[...reasons.keys()].filter((identity) => !inAfter.has(identity) && !set.release.includes(identity)),
  ];
  return {
    scope: "targeted",
    targets: new Map([...declare, ...release].map((identity) => [identity, reasons.get(identity)!] as const)),
    declare,
    release,
  };
}
