// The rules for a user's `proxyAddresses` and `mail` in on-premises Active Directory, which AD
// itself does not enforce and admins get wrong by hand (docs/reference/
// hybrid-active-directory.md): exactly one uppercase `SMTP:`; `mail` equal to the primary; entries
// the tool does not manage (X500, SIP, X400, routing addresses on *.onmicrosoft.com, anything
// invalid) kept byte for byte; no address added that the cloud's proxy calculation would drop.
// Pure: no I/O. The backend reads, applies these rules, and writes the delta.
import {
  addressKey,
  domainOf,
  formatSmtp,
  normalizeAddress,
  parseProxyAddress,
  proxyValueProblem,
} from "../../core/address";
import { quote } from "../../core/text";

/** What a user object holds. */
export interface DirectoryAddresses {
  readonly proxyAddresses: readonly string[];
  readonly mail: string | undefined;
}

/** What the spec wants for one user. */
export interface WantedAddresses {
  readonly primary: string;
  readonly aliases: readonly string[];
  /** Keep SMTP aliases the spec does not list (demoted to `smtp:`); strict removes them. */
  readonly additive?: boolean;
}

export type FindingCode = "NoPrimary" | "TwoPrimaries" | "MailMissing" | "MailNotPrimary";

/** A rule the directory's current values break. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
}

/** An address the rules refuse to write, and why. */
export interface Refusal {
  readonly address: string;
  readonly reason: string;
}

export type RuleOutcome =
  | {
      readonly ok: true;
      readonly proxyAddresses: string[];
      readonly mail: string;
      readonly repairs: readonly Finding[];
    }
  | { readonly ok: false; readonly refusals: readonly Refusal[] };

/** The exact values to delete and add in one LDAP modify (deletes apply first). */
export interface DirectoryDelta {
  readonly remove: readonly string[];
  readonly add: readonly string[];
}

const isSmtp = (entry: string) => parseProxyAddress(entry).kind === "smtp";
const isPrimaryEntry = (entry: string) => parseProxyAddress(entry).primary;
const valueOf = (entry: string) => parseProxyAddress(entry).value;

/**
 * Why the cloud would not keep `address` if it came from AD, or undefined when it would. Source:
 * "How the proxyAddresses attribute is populated in Microsoft Entra ID" (KB 3190357): reserved
 * suffixes and invalid addresses are dropped by the proxy calculation.
 */
export function cloudDropReason(address: string): string | undefined {
  const normalized = normalizeAddress(address);
  if (!normalized.ok) {
    // An international domain the spec opted in to: valid for AD, but no Microsoft 365 tenant can
    // verify it (docs/reference/exchange-online-addresses.md §7), so the cloud drops it.
    if (normalizeAddress(address, { internationalDomains: "any" }).ok) {
      return `${quote(address)} is on an international domain name, which a Microsoft 365 tenant cannot verify (docs/reference/exchange-online-addresses.md §7): the cloud drops it at sync (KB 3190357)`;
    }
    return `not a valid address, which the cloud drops at sync: ${normalized.reason}`;
  }
  const domain = domainOf(normalized.address);
  if (domain.endsWith(".mail.onmicrosoft.com")) {
    return `${quote(normalized.address)} is on ${domain}, a hybrid routing domain: the cloud drops addresses on *.mail.onmicrosoft.com synced from AD (KB 3190357)`;
  }
  if (domain.endsWith(".onmicrosoft.com")) {
    return `${quote(normalized.address)} is on ${domain}: the cloud drops addresses on *.onmicrosoft.com synced from AD and adds the tenant's own (KB 3190357)`;
  }
  if (domain === "microsoftonline.com" || domain.endsWith(".microsoftonline.com")) {
    return `${quote(normalized.address)} is on ${domain}: the cloud drops addresses on *.microsoftonline.com synced from AD (KB 3190357)`;
  }
  return undefined;
}

/** What is wrong with a user's values as they are in AD now. */
export function inspectAddresses(current: DirectoryAddresses): Finding[] {
  const findings: Finding[] = [];
  const primaries = current.proxyAddresses.filter(isPrimaryEntry);
  const smtp = current.proxyAddresses.filter(isSmtp);
  if (primaries.length === 0 && smtp.length > 0) {
    findings.push({
      code: "NoPrimary",
      message: `proxyAddresses has no uppercase SMTP: entry (${smtp.map((e) => quote(e)).join(", ")}): the cloud would pick the primary itself`,
    });
  }
  if (primaries.length > 1) {
    findings.push({
      code: "TwoPrimaries",
      message: `proxyAddresses has ${primaries.length} uppercase SMTP: entries: ${primaries.map((e) => quote(e)).join(", ")}`,
    });
  }
  if (primaries.length === 1) {
    const primary = valueOf(primaries[0]!);
    if (current.mail === undefined || current.mail === "") {
      findings.push({ code: "MailMissing", message: `mail is empty; the primary is ${quote(primary)}` });
    } else if (addressKey(current.mail) !== addressKey(primary)) {
      findings.push({
        code: "MailNotPrimary",
        message: `mail is ${quote(current.mail)}, not the primary ${quote(primary)}`,
      });
    }
  }
  return findings;
}

/** Refusals for the spec's addresses: the primary always; an alias only when it would be added. */
function refusalsFor(current: DirectoryAddresses, wanted: WantedAddresses): Refusal[] {
  const present = new Set(current.proxyAddresses.filter(isSmtp).map((e) => addressKey(valueOf(e))));
  const refusals: Refusal[] = [];
  const primaryReason = cloudDropReason(wanted.primary) ?? proxyValueProblem(formatSmtp(wanted.primary, true));
  if (primaryReason !== undefined)
    refusals.push({ address: wanted.primary, reason: `cannot be the primary: ${primaryReason}` });
  for (const alias of wanted.aliases) {
    if (present.has(addressKey(alias))) continue; // already there: not managed, kept as it is
    // proxyAddresses' rangeUpper: 256 characters with the prefix (core/address.ts MAX_PROXY_VALUE_LENGTH).
    const reason = cloudDropReason(alias) ?? proxyValueProblem(formatSmtp(alias, false));
    if (reason !== undefined) refusals.push({ address: alias, reason });
  }
  return refusals;
}

/**
 * What the user's `proxyAddresses` and `mail` become under the spec. Entries keep their place and
 * spelling where they stay (a case-only difference is no change); only SMTP entries the tool
 * manages are added or removed; every other entry is kept byte for byte, an uppercase `SMTP:`
 * among them demoted so exactly one remains.
 */
export function applyRules(current: DirectoryAddresses, wanted: WantedAddresses): RuleOutcome {
  const refusals = refusalsFor(current, wanted);
  if (refusals.length > 0) return { ok: false, refusals };
  const primaryKey = addressKey(wanted.primary);
  const aliasKeys = new Set(wanted.aliases.map(addressKey));
  aliasKeys.delete(primaryKey);
  const result: string[] = [];
  const emitted = new Set<string>();
  let primaryEntry: string | undefined;
  for (const entry of current.proxyAddresses) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "other") {
      result.push(entry);
      continue;
    }
    const key = addressKey(parsed.value);
    if (emitted.has(key)) continue; // the same address twice: AD cannot hold it, keep one
    if (key === primaryKey) {
      primaryEntry = `SMTP:${parsed.value}`;
      result.push(primaryEntry);
    } else if (aliasKeys.has(key)) {
      result.push(`smtp:${parsed.value}`);
    } else if (cloudDropReason(parsed.value) !== undefined || wanted.additive) {
      // Not managed (routing address, invalid) or kept by additive mode: only demoted.
      result.push(parsed.primary ? `smtp:${parsed.value}` : entry);
    } else {
      continue; // strict: an SMTP alias the spec does not list goes
    }
    emitted.add(key);
  }
  if (primaryEntry === undefined) {
    primaryEntry = `SMTP:${wanted.primary}`;
    result.push(primaryEntry);
    emitted.add(primaryKey);
  }
  for (const alias of wanted.aliases) {
    const key = addressKey(alias);
    if (emitted.has(key)) continue;
    result.push(`smtp:${alias}`);
    emitted.add(key);
  }
  const mail = valueOf(primaryEntry);
  const repairs = inspectAddresses(current);
  return { ok: true, proxyAddresses: result, mail, repairs };
}

/**
 * The rules applied to a whole new list, as the backend port hands it over (one `SMTP:` entry, the
 * aliases as `smtp:`): strict for SMTP entries, non-SMTP entries left as AD has them (never
 * added or removed: a value someone else wrote meanwhile stays).
 */
export function applyRulesToList(current: DirectoryAddresses, target: readonly string[]): RuleOutcome {
  const primaries = target.filter(isPrimaryEntry);
  if (primaries.length !== 1) {
    return {
      ok: false,
      refusals: [
        {
          address: primaries.map(valueOf).join(", "),
          reason: `the new list must have exactly one uppercase SMTP: entry; it has ${primaries.length}`,
        },
      ],
    };
  }
  const primary = valueOf(primaries[0]!);
  const aliases = target.filter((e) => isSmtp(e) && !isPrimaryEntry(e)).map(valueOf);
  return applyRules(current, { primary, aliases });
}

/** The exact values to delete and to add: an entry whose prefix case changes is both. */
export function directoryDelta(before: readonly string[], after: readonly string[]): DirectoryDelta {
  const afterSet = new Set(after);
  const beforeSet = new Set(before);
  return {
    remove: [...beforeSet].filter((entry) => !afterSet.has(entry)),
    add: [...afterSet].filter((entry) => !beforeSet.has(entry)),
  };
}

/** Applies a delta the way AD does (values match case-insensitively), for tests and read-back checks. */
export function applyDelta(values: readonly string[], delta: DirectoryDelta): string[] {
  const removed = new Set(delta.remove.map((v) => v.toLowerCase()));
  return [...values.filter((v) => !removed.has(v.toLowerCase())), ...delta.add];
}
