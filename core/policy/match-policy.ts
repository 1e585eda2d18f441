// Does a policy apply to a mailbox? Exchange Server's precanned recipient filters, as Microsoft's
// "Email address policies in Exchange Server" describes them (docs/POLICIES.md): several values of
// one property are alternatives, several properties must all hold. Unlike Exchange, values compare
// case-insensitively, and UPNs and addresses take * and ? patterns. Pure.
import { domainOf, parseProxyAddress, primaryOf } from "../address";
import type { MailboxAttributes, PolicyMatch } from "./policy-types";

/** A `*` / `?` pattern as a case-insensitive regular expression over the whole value. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern.trim()]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "is");
}

const inSet = (set: ReadonlySet<string> | undefined, value: string | undefined): boolean =>
  set === undefined || (value !== undefined && set.has(value.trim().toLowerCase()));

/** True when every criterion of `match` holds for `mailbox`. */
export function matchesPolicy(match: PolicyMatch, mailbox: MailboxAttributes): boolean {
  if (match.recipientTypes && !match.recipientTypes.has(mailbox.kind)) return false;
  if (match.primaryDomains) {
    const primary = primaryOf(mailbox.addresses);
    if (primary === undefined || !match.primaryDomains.has(domainOf(primary))) return false;
  }
  if (match.upn) {
    const upn = mailbox.userPrincipalName;
    if (upn === undefined || !match.upn.some((re) => re.test(upn))) return false;
  }
  if (match.addresses) {
    const smtp = mailbox.addresses
      .map(parseProxyAddress)
      .filter((p) => p.kind === "smtp")
      .map((p) => p.value);
    if (!smtp.some((address) => match.addresses!.some((re) => re.test(address)))) return false;
  }
  if (match.identities) {
    const upn = mailbox.userPrincipalName?.toLowerCase();
    if (!match.identities.has(mailbox.id.toLowerCase()) && (upn === undefined || !match.identities.has(upn)))
      return false;
  }
  return (
    inSet(match.department, mailbox.department) &&
    inSet(match.company, mailbox.company) &&
    inSet(match.country, mailbox.country)
  );
}
