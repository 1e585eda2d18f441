// Bulk reads for export and drift, over any backend: a full scan page by page, or reads by
// identity when the spec names few mailboxes of a large tenant.
import { DIRECTORY, SCAN_THRESHOLD, type LiveMailbox, type TenantBackend } from "../targets/tenant-backend";
import { chunked } from "../core/chunked";

/** Every mailbox of the tenant. `onPage` reports progress. */
export async function scanMailboxes(backend: TenantBackend, onPage?: (count: number) => void): Promise<LiveMailbox[]> {
  const all: LiveMailbox[] = [];
  let next: string | undefined;
  do {
    const page = await backend.listMailboxes(next);
    all.push(...page.mailboxes);
    next = page.next;
    onPage?.(all.length);
  } while (next);
  return all;
}

/** Identities per progress report of `readSpecMailboxes`: one Graph $batch. */
const READ_CHUNK = 20;

/**
 * The live mailboxes a spec names, keyed by the spec's identities: read one by one below
 * SCAN_THRESHOLD (targets/tenant-backend.ts), a full scan from there on. `onRead` reports progress:
 * how many mailboxes were read so far.
 */
export async function readSpecMailboxes(
  backend: TenantBackend,
  identities: readonly string[],
  onRead?: (count: number) => void,
): Promise<Map<string, LiveMailbox | undefined>> {
  if (identities.length < SCAN_THRESHOLD) {
    if (onRead === undefined) return backend.readMailboxes(identities);
    // All chunks are asked for at once, so the backend batches and limits them as one call.
    let read = 0;
    const chunks = chunked(identities, READ_CHUNK);
    const results = await Promise.all(
      chunks.map(async (chunk) => {
        const result = await backend.readMailboxes(chunk);
        onRead((read += chunk.length));
        return result;
      }),
    );
    const all = new Map(results.flatMap((r) => [...r]));
    return new Map(identities.map((identity) => [identity, all.get(identity)]));
  }
  const byKey = new Map<string, LiveMailbox>();
  for (const mailbox of await scanMailboxes(backend, onRead)) {
    byKey.set(mailbox.id.toLowerCase(), mailbox);
    if (mailbox.upn) byKey.set(mailbox.upn.toLowerCase(), mailbox);
  }
  return new Map(identities.map((identity) => [identity, byKey.get(identity.toLowerCase())]));
}

/**
 * A mailbox a bulk listing cannot answer for: a synced one (only its own read tells whether its
 * Exchange attributes are cloud-managed), unless read from AD itself (target active-directory).
 */
export function needsOwnRead(mailbox: LiveMailbox | undefined): boolean {
  return (
    mailbox?.synced === true &&
    !mailbox.cloudManaged &&
    !(mailbox.writtenTo === DIRECTORY && mailbox.cloudAddresses === undefined)
  );
}

/**
 * The spec's mailboxes as `backend.readMailboxes` would answer, at the cost of a listing when
 * they are many: from SCAN_THRESHOLD on, one paged listing (ceil(N/999) requests, like `drift`),
 * then one read each for what a listing cannot answer: keys it does not show (an alias, a
 * group's address) and synced mailboxes (`needsOwnRead`).
 */
export async function readManyMailboxes(
  backend: TenantBackend,
  identities: readonly string[],
): Promise<Map<string, LiveMailbox | undefined>> {
  if (identities.length < SCAN_THRESHOLD) return backend.readMailboxes(identities);
  const listed = await readSpecMailboxes(backend, identities);
  const again = [...listed]
    .filter(([, mailbox]) => mailbox === undefined || needsOwnRead(mailbox))
    .map(([identity]) => identity);
  if (again.length === 0) return listed;
  const read = await backend.readMailboxes(again);
  return new Map(
    identities.map((identity) => [identity, read.has(identity) ? read.get(identity) : listed.get(identity)]),
  );
}

/**
 * Graph is a replica of Exchange and can lag behind a write, so right after an apply it may still
 * show the old list (issue 13). A mailbox whose read shows a change (`changed`) is read again
 * from the source of truth before anything is planned, reported or written from it: drift is
 * only what the source confirms. Mailboxes that show no change cost nothing more; those that do are
 * confirmed in bulk (the exchange-online target: 20 per request, or one listing for many).
 */
export async function confirmChanged(
  backend: TenantBackend,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  changed: (identity: string, mailbox: LiveMailbox) => boolean,
): Promise<Map<string, LiveMailbox | undefined>> {
  const result = new Map(live);
  if (backend.confirmMailboxes === undefined) return result;
  const suspects = [...live]
    .filter(([identity, mailbox]) => mailbox !== undefined && changed(identity, mailbox))
    .map(([identity]) => identity);
  if (suspects.length === 0) return result;
  for (const [identity, mailbox] of await backend.confirmMailboxes(suspects, live)) result.set(identity, mailbox);
  return result;
}

/**
 * The recipients `wanted` picks, with their precise kind where the read did not tell it
 * (`backend.withKinds`: exchange-online lists the kinds Graph cannot tell apart once, instead of
 * an owner lookup of each primary). Unchanged where the backend has no such listing.
 */
export async function completeKinds(
  backend: TenantBackend,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  wanted: (identity: string, mailbox: LiveMailbox) => boolean,
): Promise<Map<string, LiveMailbox | undefined>> {
  const result = new Map(live);
  if (backend.withKinds === undefined) return result;
  const missing = [...live].filter(
    (entry): entry is [string, LiveMailbox] =>
      entry[1] !== undefined && entry[1].kind === undefined && wanted(entry[0], entry[1]),
  );
  if (missing.length === 0) return result;
  const completed = await backend.withKinds(missing.map(([, mailbox]) => mailbox));
  missing.forEach(([identity], i) => result.set(identity, completed[i]));
  return result;
}
