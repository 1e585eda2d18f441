// Address algebra: parsing, normalising, classifying and comparing the entries of a mailbox's
// EmailAddresses (Entra: proxyAddresses). Pure: no I/O.
import { domainToASCII } from "node:url";
import { quote } from "./text";

/**
 * Exchange Online keeps at most this many entries in one recipient's EmailAddresses: the
 * "Recipient proxy address limit" of the Exchange Online limits service description, and the
 * "Too many proxy addresses" error of Microsoft's support article on adding or removing addresses
 * (200 until the end of 2016, 400 since). Writes through Graph (DualWrite) were seen refused above
 * 333; this tool writes through Exchange. The spec's schema allows the primary plus 399 aliases
 * (a unit test ties the two).
 */
export const MAX_PROXY_ADDRESSES = 400;

/** One entry of an EmailAddresses list, parsed. */
export interface ProxyAddress {
  /** The prefix as written (`SMTP`, `smtp`, `X500`, `SIP`...). */
  readonly prefix: string;
  /** `smtp` for SMTP entries (either case), `other` for X500, SIP, SPO, EUM, X400 and the rest. */
  readonly kind: "smtp" | "other";
  /** True for the one upper-case `SMTP:` entry. */
  readonly primary: boolean;
  /** The value after the prefix, unchanged. */
  readonly value: string;
}

/** Why an address string is not acceptable as an SMTP address. */
export type AddressProblem = { readonly ok: false; readonly reason: string };
export type NormalizedAddress = { readonly ok: true; readonly address: string };

/** Longest SMTP address Exchange accepts (RFC 5321 path limit). */
export const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;

// RFC 5322 dot-atom for the local part, without quoted strings: Exchange does not accept those
// for proxy addresses either.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parses `PREFIX:value`. An entry without a prefix is an SMTP alias, as Set-Mailbox treats it.
 * Only the prefix is interpreted here; the value is validated by {@link normalizeAddress}.
 */
export function parseProxyAddress(entry: string): ProxyAddress {
  const colon = entry.indexOf(":");
  // An "@" before the first colon means there is no prefix (a bare address).
  if (colon <= 0 || entry.slice(0, colon).includes("@")) {
    return { prefix: "smtp", kind: "smtp", primary: false, value: entry };
  }
  const prefix = entry.slice(0, colon);
  const value = entry.slice(colon + 1);
  if (prefix.toLowerCase() === "smtp") {
    return { prefix, kind: "smtp", primary: prefix === "SMTP", value };
  }
  return { prefix, kind: "other", primary: false, value };
}

/** Writes an SMTP entry with the prefix that marks it primary (`SMTP:`) or secondary (`smtp:`). */
export function formatSmtp(address: string, primary: boolean): string {
  return `${primary ? "SMTP" : "smtp"}:${address}`;
}

/**
 * Normalises an SMTP address as written by an admin: trims white space, lower-cases the domain,
 * turns an internationalised (Unicode) domain into its ASCII form (`xn--`), and keeps the local
 * part's case (the case written is the case written to the mailbox). Rejects what Exchange would.
 */
export function normalizeAddress(raw: string): NormalizedAddress | AddressProblem {
  const text = raw.trim();
  if (text.length === 0) return { ok: false, reason: "the address is empty" };
  const at = text.lastIndexOf("@");
  if (at < 0) return { ok: false, reason: `${quote(text)} is not an email address (no "@")` };
  if (text.indexOf("@") !== at) return { ok: false, reason: `${quote(text)} has more than one "@"` };
  const local = text.slice(0, at);
  const domainRaw = text.slice(at + 1);
  if (local.length === 0) return { ok: false, reason: `${quote(text)} has nothing before the "@"` };
  if (domainRaw.length === 0) return { ok: false, reason: `${quote(text)} has no domain after the "@"` };
  if (/\s/.test(text)) return { ok: false, reason: `${quote(text)} contains white space` };
  if (/[^\x00-\x7f]/.test(local)) {
    return {
      ok: false,
      reason: `${quote(text)}: the part before "@" has non-ASCII characters, which Exchange Online does not accept for proxy addresses`,
    };
  }
  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return { ok: false, reason: `${quote(text)}: the part before "@" is longer than ${MAX_LOCAL_PART_LENGTH} characters` };
  }
  if (!LOCAL_PART.test(local)) {
    return { ok: false, reason: `${quote(text)}: the part before "@" has characters or dots an email address cannot have` };
  }
  const domain = normalizeDomain(domainRaw);
  if (domain === undefined) return { ok: false, reason: `${quote(text)}: ${quote(domainRaw)} is not a valid domain name` };
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, reason: `${quote(text)} is longer than ${MAX_ADDRESS_LENGTH} characters` };
  }
  return { ok: true, address };
}

/**
 * Lower-cases a domain and converts Unicode labels to ASCII (punycode), so `bücher.example` and
 * `xn--bcher-kva.example` are the same domain. Returns undefined for an invalid name.
 */
export function normalizeDomain(raw: string): string | undefined {
  const trimmed = raw.trim().replace(/\.$/, "");
  if (trimmed.length === 0 || trimmed.length > 253) return undefined;
  const ascii = /[^\x00-\x7f]/.test(trimmed) ? domainToASCII(trimmed) : trimmed.toLowerCase();
  if (ascii === "") return undefined;
  const labels = ascii.split(".");
  if (labels.length < 2) return undefined;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return undefined;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return ascii;
}

/** The case-insensitive identity of an address: what two spellings of one address share. */
export function addressKey(address: string): string {
  return address.trim().toLowerCase();
}

/** The domain part of an address, lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * True for addresses on `*.onmicrosoft.com`, including the hybrid routing domain
 * `*.mail.onmicrosoft.com`: the tenant's MOERA and routing addresses. They are never removed.
 */
export function isMicrosoftRoutingAddress(address: string): boolean {
  return domainOf(address).endsWith(".onmicrosoft.com");
}

/** How one entry of a live list relates to the managed set. */
export type EntryClass = "primary" | "alias" | "routing" | "non-smtp";

/** Classifies a live entry: the SMTP primary, an SMTP alias, a MOERA/routing address, or non-SMTP. */
export function classifyEntry(entry: string): EntryClass {
  const parsed = parseProxyAddress(entry);
  if (parsed.kind === "other") return "non-smtp";
  if (parsed.primary) return "primary";
  if (isMicrosoftRoutingAddress(parsed.value)) return "routing";
  return "alias";
}

/** The primary SMTP address of a live list, if it has one. */
export function primaryOf(entries: readonly string[]): string | undefined {
  for (const entry of entries) {
    const parsed = parseProxyAddress(entry);
    if (parsed.primary) return parsed.value;
  }
  return undefined;
}

/**
 * True when two live lists hold the same entries, comparing SMTP values case-insensitively and
 * ignoring order (order carries no meaning in EmailAddresses).
 */
export function sameAddressList(a: readonly string[], b: readonly string[]): boolean {
  const canon = (list: readonly string[]) => [...new Set(list.map(entryKey))].sort();
  const ca = canon(a);
  const cb = canon(b);
  return ca.length === cb.length && ca.every((value, i) => value === cb[i]);
}

/** A comparable key for an entry: its kind and primary flag, and its value (SMTP values folded). */
export function entryKey(entry: string): string {
  const parsed = parseProxyAddress(entry);
  if (parsed.kind === "smtp") return `${parsed.primary ? "SMTP" : "smtp"}:${addressKey(parsed.value)}`;
  return `${parsed.prefix.toUpperCase()}:${parsed.value}`;
}
