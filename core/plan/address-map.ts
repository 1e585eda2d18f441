// A mailbox's managed SMTP addresses as a map keyed by the address in lower case, valued by the
// EmailAddresses entry (`SMTP:` primary, `smtp:` alias, spelled as written). This is the shape of
// the MailboxAddresses resource's inputs and outputs: Pulumi diffs maps key by key, so
// `pulumi preview --diff` and `--json` name each added, removed and re-cased address and a primary
// change (`smtp:` → `SMTP:`) by the address itself, never by a list position. Pure.
import { addressKey, entryKey, formatSmtp, isMicrosoftRoutingAddress, parseProxyAddress } from "../address";
import type { DesiredAddresses } from "./plan-mailbox";
import type { Mode } from "../desired/rules";

/** `{ "mark@contoso.com": "SMTP:Mark@contoso.com", "mw@contoso.com": "smtp:mw@contoso.com" }` */
export type AddressMap = Readonly<Record<string, string>>;

/** What the spec wants, as a map: the primary and the listed aliases. */
export function desiredAddressMap(desired: Pick<DesiredAddresses, "primary" | "aliases">): AddressMap {
  const map: Record<string, string> = {};
  for (const alias of desired.aliases) map[addressKey(alias)] = formatSmtp(alias, false);
  map[addressKey(desired.primary)] = formatSmtp(desired.primary, true);
  return sortedMap(map);
}

/**
 * The map `up` leaves the mailbox with, given the spec's map and the mailbox's managed map from
 * the last read (the state's inputs after refresh): what the resource's inputs must be for
 * `pulumi preview --diff` to show exactly what `up` writes. Two differences from the spec's map:
 * - an address the mailbox has keeps the mailbox's spelling: Exchange does not re-case an address
 *   (exchange/exchange-rules.ts `applyAddRemove`), so no `"x" => "X"` is shown that no write makes;
 * - an address the spec drops but the planner keeps (a routing address such as the MOERA, always;
 *   any alias in additive mode), unless another mailbox takes it, stays as an `smtp:` alias, which
 *   is what it becomes (a dropped primary is demoted, not removed).
 */
export function addressMapAsWritten(
  desired: AddressMap,
  previous: AddressMap | undefined,
  options: { mode: Mode; releases?: Iterable<string> },
): AddressMap {
  if (previous === undefined) return desired;
  const released = new Set([...(options.releases ?? [])].map(addressKey));
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(desired)) {
    const had = previous[key];
    const wanted = parseProxyAddress(entry);
    map[key] = had === undefined ? entry : formatSmtp(parseProxyAddress(had).value, wanted.primary);
  }
  for (const [key, entry] of Object.entries(previous)) {
    if (key in map || released.has(key)) continue;
    const value = parseProxyAddress(entry).value;
    if (isMicrosoftRoutingAddress(value) || options.mode === "additive") map[key] = formatSmtp(value, false);
  }
  return sortedMap(map);
}

/** The primary and aliases a desired map holds (the inverse of {@link desiredAddressMap}). */
export function desiredFromMap(map: AddressMap): { primary: string; aliases: string[] } {
  let primary = "";
  const aliases: string[] = [];
  for (const entry of Object.values(map)) {
    const parsed = parseProxyAddress(entry);
    if (parsed.primary) primary = parsed.value;
    else aliases.push(parsed.value);
  }
  return { primary, aliases };
}

/** The live list split as the resource records it: the managed addresses and the entries kept. */
export interface LiveAddressMaps {
  /** The live SMTP addresses the spec manages for this mailbox, spelled as the tenant spells them. */
  readonly addresses: AddressMap;
  /** Entries the spec does not manage, kept as they are: non-SMTP, routing (MOERA), additive mode. */
  readonly kept: AddressMap;
}

/**
 * Splits a live EmailAddresses list. Managed: the primary, the listed aliases, the addresses given
 * to other mailboxes (`releases`) and, in strict mode, every other alias but the routing ones.
 * Everything else is kept. The union of both maps' values is the live list (without repeats).
 */
export function liveAddressMaps(
  desired: DesiredAddresses,
  live: readonly string[],
  releases: Iterable<string> = [],
): LiveAddressMaps {
  const listed = new Set([desired.primary, ...desired.aliases].map(addressKey));
  const released = new Set([...releases].map(addressKey));
  const addresses: Record<string, string> = {};
  const kept: Record<string, string> = {};
  for (const entry of live) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "other") {
      kept[entryKey(entry).toLowerCase()] ??= entry;
      continue;
    }
    const key = addressKey(parsed.value);
    const value = formatSmtp(parsed.value, parsed.primary);
    if (parsed.primary || listed.has(key) || released.has(key)) addresses[key] = value;
    else if (isMicrosoftRoutingAddress(parsed.value) || desired.mode === "additive") kept[key] = value;
    else addresses[key] = value;
  }
  return { addresses: sortedMap(addresses), kept: sortedMap(kept) };
}

/** The live list the two maps were made from. */
export function liveListOf(maps: { readonly addresses?: AddressMap; readonly kept?: AddressMap }): string[] {
  return [...Object.values(maps.addresses ?? {}), ...Object.values(maps.kept ?? {})];
}

/**
 * The list a mailbox's change causes are told against (core/plan/change-causes.ts): what the stack
 * last applied (the resource's `applied` output: the live list after the tool last wrote the
 * mailbox, or found it as the spec asks), which no refresh changes; without that output, the
 * live set the outputs hold: the resource records `applied` only where it differs from that list,
 * and a state from 0.1 has none (the live set was the record then). Undefined: no record.
 */
export function recordOf(outputs: {
  readonly applied?: readonly string[];
  readonly addresses?: AddressMap;
  readonly kept?: AddressMap;
}): string[] | undefined {
  if (Array.isArray(outputs.applied) && outputs.applied.every((entry) => typeof entry === "string"))
    return [...outputs.applied];
  return outputs.addresses && outputs.kept ? liveListOf(outputs) : undefined;
}

/** True when two maps hold the same entries, spelled the same, in any key order. */
export function sameAddressMap(a: AddressMap, b: AddressMap): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Keys in a stable order, so state and previews do not churn when the tenant reorders entries. */
function sortedMap(map: Record<string, string>): AddressMap {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
