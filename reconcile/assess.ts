// One assessment of a spec against a tenant, shared by the Pulumi program (preview and up) and
// `drift`, so both reach the same verdict on the same inputs: read the mailboxes the spec names,
// resolve every key to one recipient, plan, and run the preview-time checks (./preflight.ts).
import { planChanges, type ChangePlan } from "../core/plan/plan-changes";
import type { SpecProblem } from "../core/problems";
import { placeOf } from "../core/spec/positions";
import type { MailboxDeclaration, Spec } from "../core/spec/rules";
import { quote } from "../core/text";
import type { LiveMailbox, TenantBackend } from "../targets/tenant-backend";
import { preflight } from "./preflight";

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
export function resolveIdentities(spec: Spec, live: ReadonlyMap<string, LiveMailbox | undefined>): { spec: Spec; problems: SpecProblem[] } {
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
    const place = placeOf(mailbox, undefined);
    problems.push({
      file: spec.file,
      position: place.position,
      path: place.path,
      message:
        `the keys ${quote(earlier.identity)} (${where(earlier)}) and ${quote(mailbox.identity)} (${where(mailbox)}) name the same recipient, ` +
        `${quote(recipient.displayName)} (object id ${recipient.id}); a recipient has one entry in the spec: keep one key and merge the addresses into it`,
    });
  }
  return { spec: { ...spec, mailboxes: kept }, problems };
}

/**
 * Reads, resolves, plans and checks. `live` may be passed when already read: by readMailboxes (the
 * program: `bulk` false), or by a bulk scan (drift), whose synced mailboxes are then read again one
 * by one, since only that read tells whether their Exchange attributes are cloud-managed, so the
 * verdict matches preview's.
 */
export async function assessSpec(spec: Spec, backend: TenantBackend, live?: ReadonlyMap<string, LiveMailbox | undefined>, bulk = true): Promise<Assessment> {
  let read: ReadonlyMap<string, LiveMailbox | undefined>;
  if (live === undefined) read = await backend.readMailboxes(spec.mailboxes.map((m) => m.identity));
  else if (!bulk) read = live;
  else {
    const synced = [...live].filter(([, m]) => m?.synced === true && !m.cloudManaged).map(([identity]) => identity);
    read = synced.length === 0 ? live : new Map([...live, ...(await backend.readMailboxes(synced))]);
  }
  const resolved = resolveIdentities(spec, read);
  const change = planChanges(
    resolved.spec.mailboxes.map((m) => ({
      identity: m.identity,
      desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
      live: read.get(m.identity)?.addresses,
    })),
  );
  const checked = await preflight(resolved.spec, read, change, backend);
  return { spec: resolved.spec, live: read, change, problems: [...resolved.problems, ...checked] };
}
