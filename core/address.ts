// Address algebra: parsing, normalising, classifying and comparing the entries of a mailbox's
// EmailAddresses (Entra: proxyAddresses). Pure: no I/O.
import { characterClass, describeCharacter } from "./characters";
import { decodePunycode, domainForms } from "./idn";
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

/**
 * Why an address string is not acceptable as an SMTP address. `index` is where in the value the
 * character or construct at fault starts (UTF-16 units), when the problem is about one; `at`
 * writes the message with the caller's place for it (`at column 17` in the spec file) instead of
 * the default `at character 9`.
 */
export interface AddressProblem {
  readonly ok: false;
  readonly reason: string;
  readonly index?: number;
  readonly at?: (where: string) => string;
}
/**
 * An address the checks accept: `address` is what is written to the tenant, the spec's spelling
 * except for an opted-in international domain, written as its A-label in lower case; `unicode` is
 * then the address as the spec's reader reads it (`john@bücher.example`).
 */
export type NormalizedAddress = { readonly ok: true; readonly address: string; readonly unicode?: string };

/** What the caller allows beyond plain ASCII addresses. */
export interface AddressOptions {
  /**
   * International domain names allowed, by their A-label in lower case (`xn--bcher-kva.example`):
   * the spec's `internationalDomains`. "any" takes every one that passes the checks (the provider,
   * the tenant model and the targets, which write what a checked spec declared). Absent: none.
   */
  readonly internationalDomains?: ReadonlySet<string> | "any";
}

/** Longest SMTP address Exchange accepts (RFC 5321 path limit). */
export const MAX_ADDRESS_LENGTH = 254;
/** Longest part before "@" (RFC 5321 §4.5.3.1.1; Exchange applies it). */
export const MAX_LOCAL_PART_LENGTH = 64;
/**
 * Longest proxyAddresses value, prefix included (`smtp:` + address), in Active Directory and Entra
 * (the attribute's rangeUpper, docs/reference/hybrid-active-directory.md): a 254-character address
 * does not fit there, 251 does.
 */
export const MAX_PROXY_VALUE_LENGTH = 256;

/** One step of the one normalization: what it does to an address, and where it applies. */
export interface Normalization {
  readonly step: "domain case" | "IDN A-label";
  readonly appliesTo: string;
  readonly effect: string;
}

/**
 * Everything the tool does to an address between the spec and the tenant, as `validate --explain`
 * prints it. Nothing else changes: whatever would need changing (white space, invisible,
 * compatibility or look-alike characters, a trailing dot, a prefix) is refused with the character
 * and its place instead. Comparisons fold ASCII case only ({@link addressKey}), as Exchange
 * compares SMTP proxy addresses; the case a mailbox already has is Exchange's to keep
 * (exchange/exchange-rules.ts, `applyAddRemove`) and the plan says so.
 */
export const ADDRESS_NORMALIZATIONS: readonly Normalization[] = [
  {
    step: "domain case",
    appliesTo: "a domain with upper-case letters",
    effect:
      "compared in lower case (allowedDomains, the tenant's accepted domains, one owner per address); the address is written as spelled, and one a mailbox already has keeps the spelling it has",
  },
  {
    step: "IDN A-label",
    appliesTo: "a domain listed in internationalDomains (opt-in)",
    effect:
      "written as its A-label, in lower case (john@Bücher.example is written john@xn--bcher-kva.example); plan and preview show both forms",
  },
];

/** One step applied to one address: `{ step: "IDN A-label", result: "written as info@xn--bcher-kva.example" }`. */
export interface AppliedNormalization {
  readonly step: Normalization["step"];
  readonly result: string;
}

/** The steps of {@link ADDRESS_NORMALIZATIONS} that apply to an address as written, with what each gives (none for an address refused). */
export function normalizationsOf(raw: string, options: AddressOptions = {}): AppliedNormalization[] {
  const checked = checkAddress(raw, options);
  return checked.ok ? normalizationSteps(raw, checked) : [];
}

/** {@link normalizationsOf} for an address already checked. */
export function normalizationSteps(raw: string, checked: NormalizedAddress): AppliedNormalization[] {
  const steps: AppliedNormalization[] = [];
  const domain = raw.slice(raw.lastIndexOf("@") + 1);
  if (/[A-Z]/.test(domain))
    steps.push({
      step: "domain case",
      result: `compared as ${asciiLower(raw.slice(0, raw.lastIndexOf("@") + 1))}${asciiLower(domain)}`,
    });
  if (checked.address !== raw) steps.push({ step: "IDN A-label", result: `written as ${checked.address}` });
  return steps;
}

// RFC 5322 atext: the characters a dot-atom local part may hold besides dots. Exchange does not
// accept quoted local parts for proxy addresses either.
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]$/;
const LABEL_CHAR = /^[A-Za-z0-9-]$/;
const REFERENCE = "docs/reference/exchange-online-addresses.md";

type Check = NormalizedAddress | AddressProblem;

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
 * Checks an SMTP address as written in a spec or read from a tenant, and returns it unchanged
 * when Exchange would take it as is. Refuses, naming the character (code point and name) or the
 * construct and where it is: white space, control, invisible and non-ASCII characters (Exchange
 * Online takes no EAI addresses and Microsoft 365 no IDN domains: {@link REFERENCE} §7), punycode
 * labels (decoded and shown), a prefix (`SMTP:`), quoted local parts, comments, `<…>`, IP
 * literals, misplaced dots and hyphens, and the length limits. ASCII-only rules and tables of our
 * own (core/characters.ts): the verdict is the same on every Node version.
 */
export function checkAddress(raw: string, options: AddressOptions = {}): Check {
  const shown = quote(raw);
  const fail = (reason: string): AddressProblem => ({
    ok: false,
    reason: `${shown}${reason.startsWith(":") ? "" : " "}${reason}`,
  });
  const failAt = (index: number, what: string, rest: string): AddressProblem => ({
    ok: false,
    index,
    reason: `${shown}: ${what} at character ${index + 1}${rest}`,
    at: (where) => `${shown}: ${what} at ${where}${rest}`,
  });
  if (raw.length === 0) return { ok: false, reason: "the address is empty" };

  const prefix = /^([A-Za-z][A-Za-z0-9]*):/.exec(raw);
  if (prefix !== null) {
    const name = prefix[1]!;
    // Where it is needs no saying: an address starts with it.
    return {
      ok: false,
      index: 0,
      reason:
        name.toLowerCase() === "smtp"
          ? `${quote(`${name}:`)} is a prefix; write the address without it (the primary is set by "primary:")`
          : `${quote(`${name}:`)} is the prefix of a non-SMTP entry; the spec lists SMTP addresses only, without a prefix (non-SMTP entries stay on the mailbox as they are)`,
    };
  }

  if (raw.startsWith('"'))
    return failAt(
      0,
      'a quoted local part ("…"@)',
      "; Exchange does not accept quoted addresses: write it as a dot-atom, like first.last@contoso.com",
    );
  for (const [open, close, what] of [
    ["<", ">", "an angle-bracket form (<…>)"],
    ["(", ")", "a comment ((…))"],
  ] as const) {
    const index = [raw.indexOf(open), raw.indexOf(close)].filter((i) => i >= 0).sort((a, b) => a - b)[0];
    if (index !== undefined) return failAt(index, what, "; write only the address itself, like mark@contoso.com");
  }

  const at = raw.lastIndexOf("@");
  for (let i = 0; i < raw.length;) {
    const codePoint = raw.codePointAt(i)!;
    if (codePoint <= 0x20 || codePoint >= 0x7f) {
      const cls = characterClass(codePoint);
      // A letter of the domain is the international domain check's to judge (below).
      if (at >= 0 && i > at && (cls === "other" || cls === "look-alike")) {
        i += codePoint > 0xffff ? 2 : 1;
        continue;
      }
      const rest =
        cls === "other" || cls === "look-alike"
          ? at >= 0 && i > at
            ? `; Microsoft 365 does not accept international domain names (${REFERENCE} §7): write the domain in ASCII`
            : `; Exchange Online accepts only ASCII in an address (${REFERENCE} §7)`
          : `; an address is written exactly as it is sent, so it cannot hold one: remove it`;
      return failAt(i, describeCharacter(codePoint), rest);
    }
    i += codePoint > 0xffff ? 2 : 1;
  }

  if (at < 0) return fail(`is not an email address (no "@")`);
  const firstAt = raw.indexOf("@");
  if (firstAt !== at) return failAt(raw.indexOf("@", firstAt + 1), 'a second "@"', "; an address has exactly one");
  const local = raw.slice(0, at);
  const domain = raw.slice(at + 1);
  if (local.length === 0) return fail(`has nothing before the "@"`);
  if (domain.length === 0) return fail(`has no domain after the "@"`);

  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return fail(
      `: the part before "@" has ${local.length} characters; Exchange accepts at most ${MAX_LOCAL_PART_LENGTH} (RFC 5321)`,
    );
  }
  for (let i = 0; i < local.length; i++) {
    const ch = local[i]!;
    if (ch === ".") {
      if (i === 0) return failAt(i, 'a dot at the start of the part before "@"', "; remove it");
      if (i === local.length - 1) return failAt(i, 'a dot just before "@"', "; remove it");
      if (local[i + 1] === ".") return failAt(i, "two dots in a row", "; an address cannot hold them");
    } else if (!ATEXT.test(ch)) {
      return failAt(
        i,
        quote(ch),
        ' cannot be in the part before "@" (letters, digits, dots and !#$%&\'*+/=?^_`{|}~- only)',
      );
    }
  }

  let written = raw;
  let unicode: string | undefined;
  let domainProblem: ReturnType<typeof domainProblemOf>;
  if (/[^\x00-\x7f]|(^|\.)xn--/i.test(domain)) {
    const forms = domainForms(domain);
    if (!forms.ok) return failAt(at + 1 + forms.index, forms.what, forms.rest);
    const allowed = options.internationalDomains;
    if (allowed !== "any" && allowed?.has(forms.aDomain) !== true) {
      const { index, what } = firstInternational(domain);
      const hint =
        domainProblemOf(forms.aDomain, true) === undefined
          ? `; if the tenant holds ${quote(forms.aDomain)} anyway, opt in: list it under internationalDomains`
          : "";
      return failAt(
        at + 1 + index,
        what,
        `; Microsoft 365 organizations cannot have international domain names (${REFERENCE} §7): write the domain in ASCII${hint}`,
      );
    }
    domainProblem = domainProblemOf(forms.aDomain, true);
    if (domainProblem?.index !== undefined)
      domainProblem = { ...domainProblem, index: indexInOriginal(domain, forms.aDomain, domainProblem.index) };
    written = `${local}@${forms.aDomain}`;
    unicode = `${local}@${forms.uDomain}`;
  } else {
    domainProblem = domainProblemOf(domain);
  }
  if (domainProblem !== undefined) {
    if (domainProblem.index === undefined) return fail(domainProblem.what);
    return failAt(at + 1 + domainProblem.index, domainProblem.what, domainProblem.rest);
  }
  if (written.length > MAX_ADDRESS_LENGTH) {
    const asWritten =
      written === raw
        ? ""
        : ` with the domain written as its A-label (${quote(written.slice(written.lastIndexOf("@") + 1))})`;
    return fail(
      `has ${written.length} characters${asWritten}; an address has at most ${MAX_ADDRESS_LENGTH} (RFC 5321)`,
    );
  }
  return unicode === undefined ? { ok: true, address: written } : { ok: true, address: written, unicode };
}

/** The first international part of a domain: a character outside ASCII, or an `xn--` label (decoded). */
function firstInternational(domain: string): { index: number; what: string } {
  const nonAscii = /[^\x00-\x7f]/.exec(domain);
  let start = 0;
  for (const label of domain.split(".")) {
    if (nonAscii !== null && nonAscii.index < start + label.length) break;
    if (/^xn--/i.test(label))
      return {
        index: start,
        what: `${quote(label)}, an international domain name label (it reads ${quote(decodePunycode(label.slice(4).toLowerCase()) ?? "?")})`,
      };
    start += label.length + 1;
  }
  const index = nonAscii!.index;
  return { index, what: describeCharacter(domain.codePointAt(index)!) };
}

/** An index into the A-form of a domain, as the start of the same label in the domain as written (or the same place, in an ASCII label). */
function indexInOriginal(original: string, aDomain: string, index: number): number {
  const written = original.split(".");
  const ascii = aDomain.split(".");
  let aStart = 0;
  let start = 0;
  for (let n = 0; n < ascii.length; n++) {
    const label = ascii[n]!;
    if (index <= aStart + label.length)
      return written[n] === label || written[n]?.toLowerCase() === label ? start + (index - aStart) : start;
    aStart += label.length + 1;
    start += (written[n]?.length ?? 0) + 1;
  }
  return index;
}

/**
 * The address check under its old name: it no longer normalises anything (see
 * {@link ADDRESS_NORMALIZATIONS}); the address it returns is the one it was given.
 */
export const normalizeAddress = checkAddress;

/** The SMTP entry a target that writes proxyAddresses (Active Directory, Entra) would refuse as too long, if so. */
export function proxyValueProblem(entry: string): string | undefined {
  if (entry.length <= MAX_PROXY_VALUE_LENGTH) return undefined;
  return `${quote(entry)} has ${entry.length} characters with its prefix; a proxyAddresses value holds at most ${MAX_PROXY_VALUE_LENGTH} (the address at most ${MAX_PROXY_VALUE_LENGTH - "smtp:".length})`;
}

/** What is wrong with an ASCII domain name, and where (an index into it), if anything is. */
function domainProblemOf(
  domain: string,
  international = false,
): { index?: number; what: string; rest: string } | undefined {
  if (domain.startsWith("["))
    return {
      index: 0,
      what: "an IP address literal ([…])",
      rest: "; an Exchange address needs a domain name, like contoso.com",
    };
  const labels = domain.split(".");
  let start = 0;
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n]!;
    if (label.length === 0) {
      if (n === labels.length - 1 && n > 0)
        return {
          index: start - 1,
          what: "a trailing dot",
          rest: "; the domain is written without it (contoso.com, not contoso.com.)",
        };
      if (n === 0) return { index: 0, what: "a dot at the start of the domain", rest: "; remove it" };
      return { index: start - 1, what: "two dots in a row", rest: "; a domain cannot hold them" };
    }
    for (let i = 0; i < label.length; i++) {
      if (!LABEL_CHAR.test(label[i]!))
        return {
          index: start + i,
          what: quote(label[i]!),
          rest: " cannot be in a domain name (letters, digits, hyphens and dots only)",
        };
    }
    if (label.startsWith("-"))
      return { index: start, what: "a hyphen at the start of a domain label", rest: "; remove it" };
    if (label.endsWith("-"))
      return { index: start + label.length - 1, what: "a hyphen at the end of a domain label", rest: "; remove it" };
    if (label.length > 63)
      return {
        index: start,
        what: `the label ${quote(label)}, of ${label.length} characters,`,
        rest: "; a domain label has at most 63",
      };
    if (/^xn--/i.test(label) && !international) {
      const decoded = decodePunycode(label.slice(4));
      return decoded === undefined
        ? { index: start, what: `${quote(label)}, which is not valid punycode`, rest: "; fix the domain" }
        : {
            index: start,
            what: `${quote(label)}, an international domain name label (it reads ${quote(decoded)})`,
            rest: `; Microsoft 365 does not accept international domain names (${REFERENCE} §7)`,
          };
    }
    start += label.length + 1;
  }
  if (labels.length < 2)
    return {
      what: `: the domain ${quote(domain)} has no dot; a domain has at least two labels, like contoso.com`,
      rest: "",
    };
  const last = labels[labels.length - 1]!;
  if (/^[0-9]+$/.test(last))
    return {
      index: domain.length - last.length,
      what: `the last label ${quote(last)}, all digits,`,
      rest: "; a domain ends in a name, like .com",
    };
  if (domain.length > 253)
    return { what: `: the domain has ${domain.length} characters; a domain name has at most 253`, rest: "" };
  return undefined;
}

/**
 * What is wrong with a domain written alone (allowedDomains, a policy's domain), with the character
 * or construct and its place, as {@link checkAddress} says it of an address's domain.
 */
export function checkDomain(
  raw: string,
  options: AddressOptions = {},
): { ok: true; domain: string; unicode?: string } | AddressProblem {
  const result = checkAddress(`postmaster@${raw}`, options);
  if (result.ok) {
    const domain = result.address.slice("postmaster@".length);
    return result.unicode === undefined
      ? { ok: true, domain }
      : { ok: true, domain, unicode: result.unicode.slice("postmaster@".length) };
  }
  const shift = "postmaster@".length;
  const shown = quote(raw);
  const original = quote(`postmaster@${raw}`);
  const reword = (text: string) =>
    text.replace(original, shown).replace(/at character (\d+)/, (_m, n: string) => `at character ${Number(n) - shift}`);
  if (result.index === undefined || result.at === undefined || result.index < shift)
    return { ok: false, reason: reword(result.reason) };
  const at = result.at;
  return {
    ok: false,
    reason: reword(result.reason),
    index: result.index - shift,
    at: (where) => at(where).replace(original, shown),
  };
}

/**
 * A domain as a comparison key (allowed domains, accepted domains, policy templates): checked
 * like an address's domain and lower-cased (ASCII). Undefined for a name an address could not
 * have: white space, a trailing dot, non-ASCII, punycode (international) labels.
 */
export function normalizeDomain(raw: string): string | undefined {
  if (raw.length === 0 || /[^\x21-\x7e]/.test(raw)) return undefined;
  return domainProblemOf(raw) === undefined ? asciiLower(raw) : undefined;
}

/** Lower-cases ASCII letters only: the same on every runtime, whatever its Unicode tables. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** The case-insensitive identity of an address: what two spellings of one address share. */
export function addressKey(address: string): string {
  return asciiLower(address.trim());
}

/** The domain part of an address, lower-cased. */
export function domainOf(address: string): string {
  return asciiLower(address.slice(address.lastIndexOf("@") + 1));
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
