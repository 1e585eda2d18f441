// Why each planned address change happens (issue 31): the spec changed, the tenant drifted (changed
// outside git: merging reverts it), a policy gives the address, or an address moves to another
// mailbox. Computed from three inputs: the spec (the plan against the live tenant), the live list
// the stack recorded at its last apply (the state's outputs) and, when known, the spec at the
// pull request's base (to tell "this change" from "changed earlier, not applied yet"). `plan`,
// `pulumi preview --diff`, `drift` and `accept` all read the causes from here. Pure.
//
// The rule: the state records what the stack last applied (the resource's `applied` output: the
// list after the tool last wrote the mailbox, or found it as the spec asks; a refresh does not
// change it, core/plan/address-map.ts `recordOf`). A difference between that record and the live
// list is the tenant's (made outside git); a difference between the record and the spec is the
// spec's (or its policy's). So:
//   + a   (the spec has it, the tenant lacks it): drift when the record held it (removed by hand);
//   - r   (the tenant has it, the spec does not): drift when the record lacked it (added by hand),
//         a move when another mailbox of the spec takes it;
//   primary → p: drift when the record's primary was p (changed by hand);
//   (a case-only difference is no change: Exchange keeps an address's spelling, plan-mailbox.ts `caseKept`)
// Everything else is the spec's. Without a record (a mailbox new to the stack) the spec adopts it.
// A refresh (a standalone `pulumi refresh`, or the saved refresh of a refused `apply --plan`)
// records the drifted tenant as live, never as applied, so the causes stay the same after it.
import { addressKey, parseProxyAddress, primaryOf } from "../address";
import type { MailboxPlan } from "./plan-mailbox";

/** What the apply does to one address. */
export type CausedChange = "add" | "remove" | "primary" | "recase";

/** spec: the spec asks for it; policy: a policy of the spec does; drift: the tenant changed outside git (merging reverts it); move: another mailbox of the spec takes the address. */
export type CauseKind = "spec" | "policy" | "drift" | "move";

/**
 * For a spec or policy cause, when the spec changed: this-change (since the base the plan was given,
 * e.g. `--changed-since`), last-apply (since the stack's last apply; earlier than this change when a
 * base is known), adopt (the mailbox is new to the stack: its first apply).
 */
export type CauseSince = "this-change" | "last-apply" | "adopt";

export interface ChangeCause {
  readonly address: string;
  readonly change: CausedChange;
  readonly cause: CauseKind;
  readonly since?: CauseSince;
  /** policy: the policy's name. */
  readonly policy?: string;
  /** move: the mailbox the address moves to. */
  readonly to?: string;
  /** drift: when the tenant last changed the recipient's addresses, where the target tells (ISO 8601; LiveMailbox.addressesChangedAt). */
  readonly changedAt?: string;
}

/** What a mailbox's spec entry said at the base (primary and aliases), null when it had no entry. */
export interface BaseEntry {
  readonly primary: string;
  readonly aliases: readonly string[];
}

export interface CauseInputs {
  /** The plan of the spec against the live list (core/plan/plan-mailbox.ts). */
  readonly plan: MailboxPlan;
  /** The list the state recorded as last applied (`recordOf`); undefined: the stack has no record (new to it). */
  readonly recorded?: readonly string[] | undefined;
  /** The spec's entry at the base; null: no entry there; undefined: no base known. */
  readonly base?: BaseEntry | null | undefined;
  /** The policy that gives the mailbox its addresses (absent for an explicit entry). */
  readonly policy?: string | undefined;
  /** When the tenant last changed the recipient, if the target tells. */
  readonly changedAt?: string | undefined;
}

function smtpSpellings(list: readonly string[]): Map<string, string> {
  const spelled = new Map<string, string>();
  for (const entry of list) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "smtp" && !spelled.has(addressKey(parsed.value)))
      spelled.set(addressKey(parsed.value), parsed.value);
  }
  return spelled;
}

/** The cause of every change the plan makes, in the order add (primary first), remove, re-case. */
export function causesOf(inputs: CauseInputs): ChangeCause[] {
  const { plan, recorded, base, policy, changedAt } = inputs;
  if (!plan.changed) return [];
  const had = recorded === undefined ? undefined : smtpSpellings(recorded);
  const recordedPrimary = recorded === undefined ? undefined : primaryOf(recorded);
  const inBase = base ? new Set([base.primary, ...base.aliases].map(addressKey)) : undefined;
  const drift = (address: string, change: CausedChange): ChangeCause => ({
    address,
    change,
    cause: "drift",
    ...(changedAt ? { changedAt } : {}),
  });
  // listedInBase: whether the base listed the address the way the spec now wants it.
  const spec = (address: string, change: CausedChange, sameAtBase: boolean): ChangeCause => {
    const since: CauseSince =
      had === undefined
        ? "adopt"
        : base === undefined
          ? "last-apply"
          : base === null
            ? "this-change"
            : sameAtBase
              ? "last-apply"
              : "this-change";
    return {
      address,
      change,
      cause: policy !== undefined ? "policy" : "spec",
      since,
      ...(policy !== undefined ? { policy } : {}),
    };
  };
  const causes: ChangeCause[] = [];
  if (plan.primary.changed) {
    const to = plan.primary.to;
    if (recordedPrimary !== undefined && addressKey(recordedPrimary) === addressKey(to))
      causes.push(drift(to, "primary"));
    else causes.push(spec(to, "primary", base != null && addressKey(base.primary) === addressKey(to)));
  }
  for (const added of plan.add) {
    if (plan.primary.changed && addressKey(added.address) === addressKey(plan.primary.to)) continue;
    const key = addressKey(added.address);
    if (had?.has(key)) causes.push(drift(added.address, "add"));
    else causes.push(spec(added.address, "add", inBase?.has(key) === true));
  }
  for (const removed of plan.remove) {
    const key = addressKey(removed.address);
    const moveTo = /^moves to (.*), which the spec gives it to$/.exec(removed.reason)?.[1];
    if (moveTo !== undefined) causes.push({ address: removed.address, change: "remove", cause: "move", to: moveTo });
    else if (had !== undefined && !had.has(key)) causes.push(drift(removed.address, "remove"));
    else causes.push(spec(removed.address, "remove", inBase !== undefined && !inBase.has(key)));
  }
  // No re-case is caused: none is written (Exchange keeps an address's spelling; plan-mailbox.ts
  // `caseKept` shows the spelling kept instead).
  return causes;
}

const VERB: Record<CausedChange, string> = { add: "+", remove: "-", primary: "primary →", recase: "~" };

/** `- rogue@contoso.com` */
export function changeText(cause: Pick<ChangeCause, "address" | "change">): string {
  return `${VERB[cause.change]} ${cause.address}`;
}

/** What the tenant's change was, in an admin's words (the apply does the opposite). */
function driftWords(cause: ChangeCause): string {
  const when = cause.changedAt ? ` (last changed ${cause.changedAt})` : "";
  switch (cause.change) {
    case "add":
      return `removed outside git${when}; merging adds it back`;
    case "remove":
      return `added outside git${when}; merging removes it`;
    case "primary":
      return `primary changed outside git${when}; merging sets it back`;
    case "recase":
      return `re-cased outside git${when}; merging writes the spec's case`;
  }
}

/** One cause in words: "changed outside git: added outside git …", "the spec (this change)", … */
export function causeWords(cause: ChangeCause): string {
  switch (cause.cause) {
    case "drift":
      return `changed outside git: ${driftWords(cause)}`;
    case "move":
      return `moves to ${cause.to}`;
    case "policy":
      return `policy "${cause.policy}"${cause.since ? ` (${sinceWords(cause.since)})` : ""}`;
    case "spec":
      return `the spec${cause.since ? ` (${sinceWords(cause.since)})` : ""}`;
  }
}

export function sinceWords(since: CauseSince): string {
  return since === "this-change"
    ? "this change"
    : since === "adopt"
      ? "adopted: the stack's first apply of this mailbox"
      : "changed since the last apply";
}

/** The command that keeps a drifted mailbox's tenant values instead of reverting them. */
export function acceptCommand(identity: string, tool = "mailbox-addresses"): string {
  return `${tool} accept ${identity}`;
}

/**
 * One line for `pulumi preview --diff` and the table: the causes grouped, drift first, e.g.
 * `changed outside git, merging reverts: - rogue@contoso.com (added outside git; merging removes it),
 * keep it instead: mailbox-addresses accept anna@contoso.com; the spec (this change): + info2@contoso.com`.
 */
export function describeCauses(identity: string, causes: readonly ChangeCause[], tool = "mailbox-addresses"): string {
  const parts: string[] = [];
  const drifted = causes.filter((c) => c.cause === "drift");
  if (drifted.length > 0) {
    parts.push(
      `changed outside git, merging reverts: ${drifted.map((c) => `${changeText(c)} (${driftWords(c)})`).join(", ")}; keep ${drifted.length === 1 ? "it" : "them"} instead: ${acceptCommand(identity, tool)}`,
    );
  }
  const groups = new Map<string, ChangeCause[]>();
  for (const c of causes.filter((x) => x.cause !== "drift")) {
    const words = causeWords(c);
    groups.set(words, [...(groups.get(words) ?? []), c]);
  }
  for (const [words, list] of groups) parts.push(`${words}: ${list.map(changeText).join(", ")}`);
  return parts.join("; ");
}

/**
 * The spec with the tenant's drift taken in and the spec's own changes kept (`accept`): the
 * primary and aliases the spec's entry would need so that the drift is no longer a change.
 */
export function acceptDrift(
  desired: BaseEntry,
  causes: readonly ChangeCause[],
  live: readonly string[],
): { primary: string; aliases: string[] } {
  const drifted = causes.filter((c) => c.cause === "drift");
  const gone = new Set(drifted.filter((c) => c.change === "add").map((c) => addressKey(c.address)));
  let aliases = desired.aliases.filter((a) => !gone.has(addressKey(a)));
  for (const c of drifted)
    if (c.change === "remove" && !aliases.some((a) => addressKey(a) === addressKey(c.address))) aliases.push(c.address);
  let primary = desired.primary;
  const livePrimary = primaryOf(live);
  if (drifted.some((c) => c.change === "primary") && livePrimary !== undefined) {
    primary = livePrimary;
    aliases = aliases.filter((a) => addressKey(a) !== addressKey(livePrimary));
    // The spec's old primary stays as an alias where the tenant still has it.
    const onTenant = smtpSpellings(live).has(addressKey(desired.primary));
    if (onTenant && !aliases.some((a) => addressKey(a) === addressKey(desired.primary))) aliases.push(desired.primary);
  }
  const respelled = new Map(
    drifted
      .filter((c) => c.change === "recase")
      .map((c) => [addressKey(c.address), smtpSpellings(live).get(addressKey(c.address)) ?? c.address]),
  );
  if (respelled.size > 0) {
    aliases = aliases.map((a) => respelled.get(addressKey(a)) ?? a);
    primary = respelled.get(addressKey(primary)) ?? primary;
  }
  return { primary, aliases };
}

/** What the CLI tells the program besides the spec (MAILBOX_ADDRESSES_CAUSES): the base and, without a refresh, the state's record. */
export interface CauseContext {
  /** The git ref of the base (for messages). */
  readonly since?: string;
  /** identity → the spec's entry at the base, null when it had none. */
  readonly base?: Readonly<Record<string, BaseEntry | null>>;
  /** identity → the live list the state recorded (a run without refresh). */
  readonly recorded?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The causes of every changed mailbox of a plan. `recorded` undefined: the run has no record of
 * the last apply (no refresh, no state read), so no cause is claimed.
 */
export function causesOfPlan(
  plans: ReadonlyMap<string, MailboxPlan>,
  recorded: ReadonlyMap<string, readonly string[]> | undefined,
  options: {
    readonly base?: ReadonlyMap<string, BaseEntry | null> | undefined;
    readonly policies?: ReadonlyMap<string, string>;
    /** identity → when the tenant last changed the mailbox's addresses, where the target tells (LiveMailbox.addressesChangedAt). */
    readonly changedAt?: ReadonlyMap<string, string | undefined>;
  } = {},
): Map<string, ChangeCause[]> {
  const causes = new Map<string, ChangeCause[]>();
  if (recorded === undefined) return causes;
  for (const [identity, plan] of plans) {
    if (!plan.changed) continue;
    const policy = options.policies?.get(identity);
    // A policy's mailbox has no entry of its own at the base: its since is the last apply.
    const base = options.base === undefined || policy !== undefined ? undefined : (options.base.get(identity) ?? null);
    causes.set(
      identity,
      causesOf({ plan, recorded: recorded.get(identity), base, policy, changedAt: options.changedAt?.get(identity) }),
    );
  }
  return causes;
}
