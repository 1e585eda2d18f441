// What is wrong with a live address list as it stands, whatever the spec says. Exchange keeps one
// primary; an on-premises directory's proxyAddresses can hold two uppercase `SMTP:` entries (set
// by hand), and the cloud then picks one itself (docs/reference/hybrid-active-directory.md). Such
// a list is a finding that names every such entry, shown by preview, plan and drift; a write
// repairs it to the spec's one primary. Pure.
import { addressKey, parseProxyAddress } from "../address";
import { quote } from "../text";

/** One sentence per finding, naming the entries; empty when the list is sound. */
export function liveListFindings(live: readonly string[], specPrimary?: string): string[] {
  const primaries = new Map<string, string>();
  for (const entry of live) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "smtp" && parsed.primary && !primaries.has(addressKey(parsed.value)))
      primaries.set(addressKey(parsed.value), entry);
  }
  if (primaries.size < 2) return [];
  const entries = [...primaries.values()].map((e) => quote(e)).join(", ");
  const repair =
    specPrimary === undefined
      ? "a write keeps the spec's primary as the only SMTP: entry"
      : `a write keeps ${quote(specPrimary)} as the only primary and makes the others aliases (smtp:)`;
  return [`${primaries.size} uppercase SMTP: entries (${entries}): a mailbox has one primary; ${repair}`];
}
