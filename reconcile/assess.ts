// One assessment of a spec against a tenant, shared by the Pulumi program (preview and up) and
// `drift`, so both reach the same verdict on the same inputs: read the mailboxes the spec names,
// confirm from the source what reads as changed, resolve every key to one recipient, plan, and
// run the preview-time checks (./preflight.ts).
import { sameAddressList } from "../core/address";
import { planEntries, type ChangePlan } from "../core/plan/plan-changes";
import { planMailbox } from "../core/plan/plan-mailbox";
import type { SpecProblem } from "../core/problems";
import { problemAt } from "../core/desired/positions";
import type { MailboxDeclaration, Spec } from "../core/desired/rules";
import { quote } from "../core/text";
import type { ListedHolders, LiveMailbox, TenantBackend } from "../targets/tenant-backend";
import { preflight } from "./preflight";
import { completeKinds, confirmChanged, needsOwnRead } from "./read-tenant";
import { checkUpnChanges } from "./upn";

/** What the spec and the tenant say together. `problems` empty: the change can be applied. */
export interface Assessment {
  /** The spec without the keys that repeat another key's recipient. */
  readonly spec: Spec;
  readonly live: ReadonlyMap<string, LiveMailbox | undefined>;
  readonly change: ChangePlan;
  readonly problems: readonly SpecProblem[];
}

/**
 * Two keys of the spec that resolve to one recipient (a UPN and the object id of the same user):
 * an error at the second key naming both places; the second key is left out of the plan.
 */
export function resolveIdentities(
  spec: Spec,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
): { spec: Spec; problems: SpecProblem[] } {
  const first = new Map<string, MailboxDeclaration>();
  const problems: SpecProblem[] = [];
  const kept: MailboxDeclaration[] = [];
  const where = (m: MailboxDeclaration) => `${spec.file}:${m.source.identity.line}:${m.source.identity.col}`;
  for (const mailbox of spec.mailboxes) {
    const recipient = live.get(mailbox.identity);
    if (recipient === undefined) {
      kept.push(mailbox);
      continue;
    }
    const id = recipient.id.toLowerCase();
    const earlier = first.get(id);
    if (earlier === undefined) {
      first.set(id, mailbox);
      kept.push(mailbox);
      continue;
    }
    problems.push(
      problemAt(
        spec.file,
        mailbox,
        undefined,
        `the keys ${quote(earlier.identity)} (${where(earlier)}) and ${quote(mailbox.identity)} (${where(mailbox)}) name the same recipient, ` +
          `${quote(recipient.displayName)} (object id ${recipient.id}); a recipient has one entry in the spec: keep one key and merge the addresses into it`,
      ),
    );
  }
  return { spec: { ...spec, mailboxes: kept }, problems };
}

/** How the spec's mailboxes were read, when the caller read them already. */
export interface AlreadyRead {
  readonly live: ReadonlyMap<string, LiveMailbox | undefined>;
  /**
   * A bulk scan (drift's listing): synced mailboxes are read again one by one, since only that read
   * tells whether their Exchange attributes are cloud-managed, so the verdict matches preview's.
   */
  readonly bulk: boolean;
  /**
   * A targeted run that read only its own mailboxes: the recipients the stack manages outside the
   * run (object id, lower case → the spec's key, from the state). An address a target claims from
   * one of them, or a key that resolves to one of them, is refused: only a full run sees both.
   */
  readonly managedElsewhere?: ReadonlyMap<string, string>;
  /**
   * What the stack last applied to each mailbox (the state's record, as this run's refresh found
   * it: runtime/refresh-handoff.ts). A read that shows exactly that shows the stack's own last
   * write: the replica has caught up with it, so it is not confirmed again from the source (the
   * provider's write makes the same call: providers/mailbox-addresses/implementation.ts `converge`).
   */
  readonly recorded?: ReadonlyMap<string, readonly string[]>;
  /**
   * What this run's listing of the directory (the refresh's, handed over) showed of the holders of
   * the spec's addresses: the preview checks' hidden holders are taken from it instead of a second
   * listing (targets/tenant-backend.ts `hiddenHoldersOf`).
   */
  readonly listedHolders?: ListedHolders;
}

/**
 * Reads (unless `read` is given), confirms, resolves, plans and checks. A mailbox whose read shows
 * a change is read again from the source of truth (Graph can lag behind Exchange right after a
 * write: ./read-tenant.ts), so drift and preview count only what the source confirms; unless
 * it shows exactly what the stack last applied (`read.recorded`): the replica has caught up with
 * the stack's last write.
 */
export async function assessSpec(spec: Spec, backend: TenantBackend, read?: AlreadyRead): Promise<Assessment> {
  let live: ReadonlyMap<string, LiveMailbox | undefined>;
  if (read === undefined) live = await backend.readMailboxes(spec.mailboxes.map((m) => m.identity));
  else if (!read.bulk) live = read.live;
  else {
    // Not those read from AD itself (target active-directory): the directory is their source.
    const synced = [...read.live].filter(([, m]) => needsOwnRead(m)).map(([identity]) => identity);
    live = synced.length === 0 ? read.live : new Map([...read.live, ...(await backend.readMailboxes(synced))]);
  }
  const entries = new Map(spec.mailboxes.map((m) => [m.identity, m]));
  const changes = (identity: string, mailbox: LiveMailbox) => {
    const entry = entries.get(identity);
    return entry !== undefined && planMailbox(entry, mailbox.addresses).changed;
  };
  const showsRecord = (identity: string, mailbox: LiveMailbox) => {
    const record = read?.recorded?.get(identity);
    return record !== undefined && sameAddressList(mailbox.addresses, record);
  };
  // What is to be written is checked with its precise kind (reconcile/preflight.ts): confirmed
  // from the source, or, for what needs no confirmation, from the backend's listing of kinds.
  const confirmed = await completeKinds(
    backend,
    await confirmChanged(
      backend,
      live,
      (identity, mailbox) => changes(identity, mailbox) && !showsRecord(identity, mailbox),
    ),
    changes,
  );
  const resolved = resolveIdentities(spec, confirmed);
  const elsewhere = read?.managedElsewhere ?? new Map<string, string>();
  const sameRecipient = resolved.spec.mailboxes.flatMap((m): SpecProblem[] => {
    const recipient = confirmed.get(m.identity);
    const other = recipient === undefined ? undefined : elsewhere.get(recipient.id.toLowerCase());
    if (other === undefined || other === m.identity) return [];
    return [
      problemAt(
        spec.file,
        m,
        undefined,
        `the key ${quote(m.identity)} names ${quote(recipient!.displayName)} (object id ${recipient!.id}), which the stack already manages as ${quote(other)}; a recipient has one entry in the spec: keep one key and merge the addresses into it`,
      ),
    ];
  });
  const change = planEntries(resolved.spec.mailboxes, (identity) => confirmed.get(identity)?.addresses);
  const checked = await preflight(resolved.spec, confirmed, change, backend, elsewhere, read?.listedHolders);
  // The sign-in names the spec changes (userPrincipalName): ./upn.ts.
  const upns = await checkUpnChanges(resolved.spec, confirmed, backend);
  return {
    spec: resolved.spec,
    live: confirmed,
    change,
    problems: [...resolved.problems, ...sameRecipient, ...checked, ...upns],
  };
}
