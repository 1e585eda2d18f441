// The sign-in name (user principal name) a spec manages: `userPrincipalName: follows-primary` or an
// explicit value, on a mailbox entry or a policy. What each mailbox's UPN is to be, what changes,
// and the preview-time checks (Graph's rules: a domain the tenant accepts, unique among users;
// a directory-synced user's UPN is written on premises), each at the mailbox's file:line:col.
import { addressKey, domainOf } from "../core/address";
import type { SpecProblem } from "../core/problems";
import { problemAt } from "../core/desired/positions";
import type { MailboxDeclaration, Spec } from "../core/desired/rules";
import { quote } from "../core/text";
import type { LiveMailbox, TenantBackend } from "../targets/tenant-backend";

/** The UPN the spec asks for this mailbox, or undefined when the spec does not manage it. */
export function targetUpnOf(mailbox: MailboxDeclaration): string | undefined {
  if (mailbox.userPrincipalName === undefined) return undefined;
  return mailbox.userPrincipalName === "follows-primary" ? mailbox.primary : mailbox.userPrincipalName;
}

/** A UPN change: from (live) → to. Compared case-insensitively, as Entra compares UPNs. */
export interface UpnChange {
  readonly from: string | null;
  readonly to: string;
}

/** Whether `wanted` changes the `live` UPN (compared case-insensitively, as Entra compares UPNs). */
export function changesUpn(wanted: string | undefined, live: string | undefined): wanted is string {
  return wanted !== undefined && wanted.toLowerCase() !== (live ?? "").toLowerCase();
}

/** Per mailbox whose UPN the spec changes, from → to. */
export function upnChanges(spec: Spec, live: ReadonlyMap<string, LiveMailbox | undefined>): Map<string, UpnChange> {
  const changes = new Map<string, UpnChange>();
  for (const mailbox of spec.mailboxes) {
    const to = targetUpnOf(mailbox);
    const found = live.get(mailbox.identity);
    if (found !== undefined && changesUpn(to, found.upn))
      changes.set(mailbox.identity, { from: found.upn ?? null, to });
  }
  return changes;
}

/**
 * The preview-time checks of the UPN changes: the target can write UPNs; the user is not synced
 * (its UPN is AD's: write it there); the entry is keyed by object id (a key by the old UPN would
 * stop finding the mailbox); the domain is one the tenant accepts; no other user has the UPN; in
 * strict mode the new UPN is one of the mailbox's addresses (Exchange Online keeps an address for
 * the UPN of every mailbox user: strict would remove it at every run).
 */
export async function checkUpnChanges(
  spec: Spec,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  backend: TenantBackend,
): Promise<SpecProblem[]> {
  const changes = upnChanges(spec, live);
  if (changes.size === 0) return [];
  const problems: SpecProblem[] = [];
  const byIdentity = new Map(spec.mailboxes.map((m) => [m.identity, m]));
  const report = (identity: string, message: string) =>
    problems.push(problemAt(spec.file, byIdentity.get(identity)!, undefined, message, "userPrincipalName"));
  const capability = backend.capabilities.userPrincipalName;
  const accepted = backend.capabilities.acceptedDomains
    ? new Set(await backend.capabilities.acceptedDomains.list())
    : undefined;
  const candidates: [string, UpnChange][] = [];
  for (const [identity, change] of changes) {
    const mailbox = byIdentity.get(identity)!;
    const found = live.get(identity)!;
    const what = `the user principal name ${quote(change.from ?? "(none)")} → ${quote(change.to)}`;
    if (capability === undefined) {
      report(
        identity,
        `${what}: the ${backend.description} cannot write user principal names; remove userPrincipalName, or use a target that writes them (local, exchange-online)`,
      );
      continue;
    }
    if (found.synced) {
      report(
        identity,
        `${what}: this user is synced from on-premises AD, where its user principal name is mastered; change userPrincipalName in AD (Active Directory Users and Computers, or Set-ADUser -UserPrincipalName) and let Entra Connect sync it, then remove userPrincipalName here`,
      );
      continue;
    }
    if (found.upn !== undefined && addressKey(mailbox.identity) === addressKey(found.upn)) {
      report(
        identity,
        `${what}: this entry is keyed by the user principal name it changes; key it by its object id (${found.id}) so it keeps its place and its resource through the change`,
      );
      continue;
    }
    if (accepted !== undefined && !accepted.has(domainOf(change.to))) {
      report(
        identity,
        `${what}: the domain ${quote(domainOf(change.to))} is not a verified domain of the tenant; add it to the tenant first`,
      );
      continue;
    }
    const addresses = [mailbox.primary, ...mailbox.aliases].map(addressKey);
    if (mailbox.mode === "strict" && !addresses.includes(addressKey(change.to))) {
      report(
        identity,
        `${what}: Exchange Online gives every mailbox user an address for its UPN, which strict mode would remove at every run; list ${quote(change.to)} among the aliases, or use mode: additive`,
      );
      continue;
    }
    candidates.push([identity, change]);
  }
  // Unique among users (and, as Entra checks, among other objects' addresses): one batched read.
  if (candidates.length > 0) {
    const holders = await backend.readMailboxes(candidates.map(([, change]) => change.to));
    for (const [identity, change] of candidates) {
      const holder = holders.get(change.to);
      const self = live.get(identity)!;
      if (holder !== undefined && holder.id.toLowerCase() !== self.id.toLowerCase()) {
        const how =
          (holder.upn ?? "").toLowerCase() === change.to.toLowerCase()
            ? "is the user principal name of"
            : "is an address of";
        report(
          identity,
          `the user principal name ${quote(change.from ?? "(none)")} → ${quote(change.to)}: ${quote(change.to)} ${how} ${quote(holder.displayName)} (${holder.upn ?? holder.id}); a user principal name is unique in the tenant`,
        );
      }
    }
  }
  return problems;
}
