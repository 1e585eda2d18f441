// A change to a mailbox's EmailAddresses as Exchange's `@{Add=...; Remove=...}` form instead of a
// whole list: entries the change does not touch (an alias an admin added meanwhile) stay as they
// are when it is written. Pure. Applying it is tenant/exchange-rules.ts `applyAddRemove`.
import { addressKey, parseProxyAddress } from "../address";

/** Entries to add (an `SMTP:` entry becomes the primary) and to remove, by value. */
export interface AddressDelta {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** What identifies an entry regardless of primary flag: SMTP values fold case, others do not. */
export function valueKey(entry: string): string {
  const parsed = parseProxyAddress(entry);
  return parsed.kind === "smtp" ? `smtp:${addressKey(parsed.value)}` : `${parsed.prefix.toUpperCase()}:${parsed.value}`;
}

/**
 * The smallest delta that turns `before` into `after`: entries of `before` whose value `after`
 * lacks are removed; entries new to the mailbox are added, and so is the primary when it changes
 * (Exchange then demotes the old primary to an alias). A case-only difference is no change.
 * Applied to `before` it gives `after` (property-tested); applied to a list that gained entries
 * meanwhile, it keeps them.
 */
export function addressDelta(before: readonly string[], after: readonly string[]): AddressDelta {
  const beforeByKey = new Map<string, string>();
  for (const entry of before) if (!beforeByKey.has(valueKey(entry))) beforeByKey.set(valueKey(entry), entry);
  const afterKeys = new Set(after.map(valueKey));
  const add: string[] = [];
  const seen = new Set<string>();
  for (const entry of after) {
    const key = valueKey(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    const was = beforeByKey.get(key);
    const primary = parseProxyAddress(entry).primary;
    if (was === undefined || (primary && !parseProxyAddress(was).primary)) add.push(entry);
  }
  const remove = [...beforeByKey.entries()].filter(([key]) => !afterKeys.has(key)).map(([, entry]) => entry);
  return { add, remove };
}

/** True when `live` shows the delta applied: every added entry there (a primary as primary), no removed one. */
export function deltaLanded(live: readonly string[], delta: AddressDelta): boolean {
  const byKey = new Map(live.map((entry) => [valueKey(entry), entry]));
  const added = delta.add.every((entry) => {
    const there = byKey.get(valueKey(entry));
    return there !== undefined && (!parseProxyAddress(entry).primary || parseProxyAddress(there).primary);
  });
  return added && delta.remove.every((entry) => !byKey.has(valueKey(entry)));
}

/** True when the delta changes nothing. */
export const isEmptyDelta = (delta: AddressDelta) => delta.add.length === 0 && delta.remove.length === 0;
