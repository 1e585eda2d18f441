// Accepting drift into the spec: the other remedy to `pulumi up` (which reverts the tenant). Given
// a mailbox's live EmailAddresses, rewrites its entry in the spec's text so the spec says what the
// tenant has: the live primary, and the live aliases the spec manages. Everything else in the file
// (comments, order, quoting, the other mailboxes) stays as it was. Pure.
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { addressKey, isMicrosoftRoutingAddress, parseProxyAddress } from "../address";
import type { MailboxDeclaration } from "./rules";

/** What accepting changed in one mailbox's entry. */
export interface AcceptedChange {
  readonly identity: string;
  readonly primary?: { readonly from: string; readonly to: string };
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The primary and aliases the spec would need to describe the live list: the live primary, and
 * the live aliases that are not routing addresses (additive mode: only those the spec lists, or
 * its old primary); the spec's order first, new aliases after it in the tenant's order.
 */
export function acceptedAddresses(
  mailbox: MailboxDeclaration,
  live: readonly string[],
): { primary: string; aliases: string[] } | undefined {
  const smtp = live.map(parseProxyAddress).filter((p) => p.kind === "smtp");
  // Two uppercase SMTP: entries (an on-premises directory can hold them): the spec's primary stays
  // primary when it is one of them, and the others become aliases, never dropped from the spec.
  const primaries = smtp.filter((p) => p.primary).map((p) => p.value);
  const primary = primaries.find((p) => addressKey(p) === addressKey(mailbox.primary)) ?? primaries[0];
  if (primary === undefined) return undefined;
  const listed = new Set([mailbox.primary, ...mailbox.aliases].map(addressKey));
  const aliases = smtp
    .map((p) => p.value)
    .filter(
      (a, i, all) =>
        addressKey(a) !== addressKey(primary) && all.findIndex((o) => addressKey(o) === addressKey(a)) === i,
    )
    .filter((a) =>
      mailbox.mode === "additive"
        ? listed.has(addressKey(a))
        : listed.has(addressKey(a)) || !isMicrosoftRoutingAddress(a),
    );
  const order = new Map(mailbox.aliases.map((a, i) => [addressKey(a), i]));
  aliases.sort((a, b) => (order.get(addressKey(a)) ?? Infinity) - (order.get(addressKey(b)) ?? Infinity));
  return { primary, aliases };
}

/** Rewrites the spec's text for each accepted mailbox; returns the new text and what changed. */
export function acceptLive(
  text: string,
  accepted: readonly { mailbox: MailboxDeclaration; primary: string; aliases: readonly string[] }[],
): { text: string; changes: AcceptedChange[] } {
  const doc = parseDocument(text);
  const mailboxes = doc.get("mailboxes", true);
  if (!isMap(mailboxes)) throw new Error("the spec has no mailboxes mapping");
  const changes: AcceptedChange[] = [];
  const edits: Edit[] = [];
  for (const { mailbox, primary, aliases } of accepted) {
    const entry = mailboxes.get(mailbox.identity, true);
    if (!isMap(entry)) throw new Error(`mailbox "${mailbox.identity}" is not a mapping in the spec`);
    const change: { identity: string; primary?: { from: string; to: string }; added: string[]; removed: string[] } = {
      identity: mailbox.identity,
      added: [],
      removed: [],
    };
    if (addressKey(primary) !== addressKey(mailbox.primary)) {
      // a case-only difference is not drift
      const node = entry.get("primary", true);
      if (!isScalar(node) || node.range === undefined || node.range === null)
        throw new Error(`mailbox "${mailbox.identity}" has no primary scalar`);
      edits.push({ from: node.range[0], to: node.range[1], text: primary });
      change.primary = { from: mailbox.primary, to: primary };
    }
    const keep = new Set(aliases.map(addressKey));
    const had = new Set(mailbox.aliases.map(addressKey));
    change.removed.push(...mailbox.aliases.filter((a) => !keep.has(addressKey(a))));
    change.added.push(...aliases.filter((a) => !had.has(addressKey(a))));
    if (change.removed.length > 0 || change.added.length > 0) edits.push(aliasesEdit(text, entry, aliases));
    if (change.primary || change.added.length > 0 || change.removed.length > 0) changes.push(change);
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.from - a.from))
    out = out.slice(0, edit.from) + edit.text + out.slice(edit.to);
  return { text: out, changes };
}

/** A splice of the source text: everything outside it stays byte for byte. */
interface Edit {
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

const lineStart = (text: string, at: number) => text.lastIndexOf("\n", at - 1) + 1;
const lineEnd = (text: string, at: number) => {
  const end = text.indexOf("\n", at);
  return end < 0 ? text.length : end;
};

/**
 * The edit that makes a mailbox's alias list `aliases`: a flow list (`[a, b]`) is rewritten as
 * one; in a block list, the lines of the aliases that stay are kept whole (their comments too),
 * removed ones are dropped, new ones are added at the list's indentation. No list yet: one is
 * added after the mailbox's last line.
 */
function aliasesEdit(text: string, entry: YAMLMap, aliases: readonly string[]): Edit {
  const node = entry.get("aliases", true);
  const flow = `[${aliases.join(", ")}]`;
  if (!isSeq(node) || node.range === undefined || node.range === null) {
    const end = lineEnd(text, entry.range![1] - 1);
    const primary = entry.get("primary", true) as Scalar;
    const indent = " ".repeat(primary.range![0] - lineStart(text, primary.range![0]) - "primary: ".length);
    return { from: end, to: end, text: `\n${indent}aliases: ${flow}` };
  }
  const seq = node as YAMLSeq<unknown>;
  if (seq.flow || seq.items.length === 0) return { from: seq.range![0], to: seq.range![1], text: flow };
  const items = seq.items.filter(isScalar);
  const first = lineStart(text, items[0]!.range![0]);
  const last = lineEnd(text, items[items.length - 1]!.range![0]);
  const indent = text.slice(first, items[0]!.range![0]).replace(/-\s*$/, "");
  const lines = new Map(
    items.map((item) => [
      addressKey(String(item.value)),
      text.slice(lineStart(text, item.range![0]), lineEnd(text, item.range![0])),
    ]),
  );
  if (aliases.length === 0) return { from: first - 1, to: last, text: " []" }; // `aliases:` ends the line before
  return {
    from: first,
    to: last,
    text: aliases.map((alias) => lines.get(addressKey(alias)) ?? `${indent}- ${alias}`).join("\n"),
  };
}
