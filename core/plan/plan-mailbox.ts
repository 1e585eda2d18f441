// The planner for one mailbox: (what the spec wants, the live EmailAddresses) → what to write,
// with a reason for every address added, removed or kept. Pure.
import {
  addressKey,
  entryKey,
  formatSmtp,
  isMicrosoftRoutingAddress,
  parseProxyAddress,
  primaryOf,
  sameAddressList,
} from "../address";
import type { Mode } from "../desired/rules";

/** What the spec wants for one mailbox. Addresses are normalised, without prefixes. */
export interface DesiredAddresses {
  readonly primary: string;
  readonly aliases: readonly string[];
  readonly mode: Mode;
}

/** An SMTP address added or removed, and why. */
export interface AddressChange {
  readonly address: string;
  readonly reason: string;
}

/** An entry kept although the spec does not list it, and why. */
export interface PreservedEntry {
  readonly entry: string;
  readonly reason: string;
}

/** What must change on one mailbox to match the spec. */
export interface MailboxPlan {
  /** The primary before and after. `changed` ignores case: a case-only difference is not drift. */
  readonly primary: { readonly from: string | undefined; readonly to: string; readonly changed: boolean };
  /** SMTP addresses the mailbox gains (the new primary included, when it is new to the mailbox). */
  readonly add: readonly AddressChange[];
  /** SMTP addresses the mailbox loses. */
  readonly remove: readonly AddressChange[];
  /** Entries kept without being listed: non-SMTP, Microsoft routing (MOERA), additive mode. */
  readonly preserve: readonly PreservedEntry[];
  /**
   * Addresses the mailbox already has in another case than the spec writes them. Exchange compares
   * SMTP addresses case-insensitively and keeps the spelling an address has: a case-only change is
   * not written (exchange/exchange-rules.ts `applyAddRemove`, sources there), so the mailbox keeps
   * `tenant` and the plan says so. Not a change, not drift.
   */
  readonly caseKept: readonly { readonly spec: string; readonly tenant: string }[];
  /**
   * The whole EmailAddresses list the mailbox has once written: `SMTP:` primary first, then `smtp:`
   * aliases, then the rest; an address the mailbox has keeps the tenant's spelling.
   */
  readonly final: readonly string[];
  /** False when the live list already matches (case-insensitively, in any order): nothing to write. */
  readonly changed: boolean;
}

/** Options for {@link planMailbox}. */
export interface PlanOptions {
  /**
   * Addresses another mailbox in the spec claims: removed from this one even in additive mode,
   * so the move can happen.
   */
  readonly releaseTo?: ReadonlyMap<string, string>;
}

export const REASONS = {
  listed: "listed in the spec",
  newPrimary: "the spec's primary address",
  notListed: "not listed in the spec; strict mode removes unlisted aliases",
  oldPrimaryNotListed: "the old primary, not listed in the spec; strict mode removes it",
  nonSmtp: "non-SMTP entry: always kept",
  routing: "Microsoft routing address (*.onmicrosoft.com, the MOERA): always kept",
  additive: "not listed, kept: additive mode",
  movesTo: (owner: string) => `moves to ${owner}, which the spec gives it to`,
} as const;

/**
 * Plans one mailbox. Invariants (checked by property tests): the final list has exactly one
 * `SMTP:` entry, the spec's primary; it holds every listed alias; it keeps every non-SMTP and
 * routing entry; additive mode removes nothing but releases; planning the final list again
 * changes nothing.
 */
export function planMailbox(
  desired: DesiredAddresses,
  live: readonly string[],
  options: PlanOptions = {},
): MailboxPlan {
  const releaseTo = options.releaseTo ?? new Map<string, string>();
  const primaryKey = addressKey(desired.primary);
  const aliasKeys = new Set(desired.aliases.map(addressKey));
  const livePrimary = primaryOf(live);

  const liveKeys = new Set<string>();
  const add: AddressChange[] = [];
  const remove: AddressChange[] = [];
  const preserve: PreservedEntry[] = [];
  const keptSmtp: string[] = [];
  const keptOther: string[] = [];
  const seenOther = new Set<string>();
  const spelled = new Map([desired.primary, ...desired.aliases].map((a) => [addressKey(a), a]));
  /** address key → the spelling the mailbox has, for listed addresses it already holds */
  const liveSpelling = new Map<string, string>();
  const caseKept: { spec: string; tenant: string }[] = [];

  for (const entry of live) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "other") {
      const key = entryKey(entry);
      if (seenOther.has(key)) continue;
      seenOther.add(key);
      keptOther.push(entry);
      preserve.push({ entry, reason: REASONS.nonSmtp });
      continue;
    }
    const key = addressKey(parsed.value);
    if (liveKeys.has(key)) continue;
    liveKeys.add(key);
    if (key === primaryKey || aliasKeys.has(key)) {
      // listed: kept in the spelling the mailbox has (Exchange does not re-case an address)
      liveSpelling.set(key, parsed.value);
      if (parsed.value !== spelled.get(key)) caseKept.push({ spec: spelled.get(key)!, tenant: parsed.value });
      continue;
    }
    const owner = releaseTo.get(key);
    if (owner !== undefined) {
      remove.push({ address: parsed.value, reason: REASONS.movesTo(owner) });
    } else if (isMicrosoftRoutingAddress(parsed.value)) {
      keptSmtp.push(formatSmtp(parsed.value, false));
      preserve.push({ entry: formatSmtp(parsed.value, false), reason: REASONS.routing });
    } else if (desired.mode === "additive") {
      keptSmtp.push(formatSmtp(parsed.value, false));
      preserve.push({ entry: formatSmtp(parsed.value, false), reason: REASONS.additive });
    } else {
      remove.push({ address: parsed.value, reason: parsed.primary ? REASONS.oldPrimaryNotListed : REASONS.notListed });
    }
  }

  if (!liveKeys.has(primaryKey)) add.push({ address: desired.primary, reason: REASONS.newPrimary });
  for (const alias of desired.aliases) {
    if (!liveKeys.has(addressKey(alias))) add.push({ address: alias, reason: REASONS.listed });
  }

  const written = (address: string) => liveSpelling.get(addressKey(address)) ?? address;
  const final = [
    formatSmtp(written(desired.primary), true),
    ...desired.aliases.map((alias) => formatSmtp(written(alias), false)),
    ...keptSmtp,
    ...keptOther,
  ];
  return {
    primary: {
      from: livePrimary,
      to: written(desired.primary),
      changed: livePrimary === undefined || addressKey(livePrimary) !== primaryKey,
    },
    add,
    remove,
    preserve,
    caseKept,
    final,
    changed: !sameAddressList(live, final),
  };
}
