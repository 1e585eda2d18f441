// Holders of an address that Get-Recipient does not list (exchange/exchange-rules.ts HolderKind):
// Entra users, groups and contacts without an Exchange recipient (Graph /users, /groups, /contacts
// filtered on proxyAddresses), deleted users in Entra's recycle bin (Graph
// /directory/deletedItems/microsoft.graph.user, deletedDateTime and proxyAddresses) and soft-deleted
// mailboxes (Get-Mailbox -SoftDeletedMailbox -Filter). Few requests: the Graph lookups travel in
// the reader's $batch (3 items per 10 addresses, and one listing of the recycle bin, 20 items a
// batch), the soft-deleted mailboxes in one Get-Mailbox -Filter for up to 20 addresses and one
// listing of them all for more (soft-deleted mailboxes are few: kept 30 days). From SCAN_THRESHOLD
// addresses on (a rebrand), listings instead, as the owner lookup does: /users, /groups and
// /contacts paged (999 a page) and one Get-Mailbox -SoftDeletedMailbox of all. Where the run's
// refresh has listed /users, /groups and /contacts already (a spec of SCAN_THRESHOLD mailboxes or
// more: reconcile/read-tenant.ts), what that listing showed of the addresses answers for them
// (`listed`, handed over by runtime/refresh-handoff.ts): the directory is not listed a second time
// in one run; the recycle bin and the soft-deleted mailboxes, which no listing of the refresh
// shows, are still read.
import { addressKey, parseProxyAddress } from "../../core/address";
import { chunked } from "../../core/chunked";
import type { AddressOwner, HolderKind } from "../../exchange/exchange-rules";
import { SCAN_THRESHOLD, type ListedHolders, type ListedObject } from "../tenant-backend";
import type { ExchangeAdminClient } from "./exchange-admin-client";
import type { GraphReader } from "./graph-reader";

/** Addresses per Graph filter (`proxyAddresses/any(...) or ...`); Graph caps the terms of a filter. */
const GRAPH_FILTER_CHUNK = 10;
/** Addresses per Get-Mailbox -Filter, as the owner lookup (exchange-online-backend.ts); for more, a listing. */
const EXCHANGE_FILTER_CHUNK = 20;

interface HolderObject {
  readonly id: string;
  readonly displayName?: string | null;
  readonly userPrincipalName?: string | null;
  readonly proxyAddresses?: readonly string[] | null;
  readonly onPremisesSyncEnabled?: boolean | null;
  readonly deletedDateTime?: string | null;
}

interface SoftDeletedRow {
  readonly ExternalDirectoryObjectId?: string | null;
  readonly Guid?: string;
  readonly DisplayName: string;
  readonly UserPrincipalName?: string | null;
  readonly EmailAddresses: readonly string[];
  readonly WhenSoftDeleted?: string | null;
}

/** `proxyAddresses/any(x:x eq 'smtp:a@b') or …`, quotes doubled as OData wants. */
export function proxyAddressFilter(addresses: readonly string[]): string {
  return addresses.map((a) => `proxyAddresses/any(x:x eq 'smtp:${a.replace(/'/g, "''")}')`).join(" or ");
}

/** Exchange's filter for soft-deleted mailboxes holding the addresses. */
function emailAddressFilter(addresses: readonly string[]): string {
  return addresses.map((a) => `EmailAddresses -eq 'smtp:${a.replace(/'/g, "''")}'`).join(" -or ");
}

/**
 * Who holds each address (lower-case keys) among the objects Get-Recipient does not list. An
 * object Graph shows that is also an Exchange recipient is answered here too; the caller prefers
 * its own owner lookup's answer (reconcile/preflight.ts).
 */
export async function findHiddenHolders(
  graph: GraphReader,
  exchange: ExchangeAdminClient,
  addresses: readonly string[],
  listed?: ListedHolders,
): Promise<Map<string, AddressOwner>> {
  const wanted = [...new Set(addresses.map(addressKey))];
  const found = new Map<string, AddressOwner>();
  if (wanted.length === 0) return found;
  const wantedKeys = new Set(wanted);
  const keep = (o: HolderObject, kind: HolderKind, entries: readonly string[] | null | undefined) => {
    for (const entry of entries ?? []) {
      const parsed = parseProxyAddress(entry);
      const key = addressKey(parsed.value);
      if (parsed.kind !== "smtp" || !wantedKeys.has(key)) continue;
      // A deleted or soft-deleted holder names its deletion; it wins over a live Entra-only answer.
      if (found.has(key) && kind !== "SoftDeletedMailbox" && kind !== "DeletedUser") continue;
      found.set(key, {
        id: o.id,
        displayName: o.displayName ?? o.userPrincipalName ?? o.id,
        holder: {
          kind,
          deletedAt: o.deletedDateTime ?? undefined,
          synced: o.onPremisesSyncEnabled === true,
          upn: o.userPrincipalName ?? undefined,
        },
      });
    }
  };
  const [users, groups, contacts, deleted, softDeleted] = await (covers(listed, wanted)
    ? fromListing(graph, exchange, listed)
    : wanted.length >= SCAN_THRESHOLD
      ? scanAll(graph, exchange)
      : lookUp(graph, exchange, wanted));
  for (const u of users) keep(u, "EntraUser", u.proxyAddresses);
  for (const g of groups) keep(g, "EntraGroup", g.proxyAddresses);
  for (const c of contacts) keep(c, "EntraContact", c.proxyAddresses);
  for (const d of deleted) keep(d, "DeletedUser", d.proxyAddresses);
  for (const m of softDeleted) {
    keep(
      {
        id: m.ExternalDirectoryObjectId ?? m.Guid ?? m.DisplayName,
        displayName: m.DisplayName,
        userPrincipalName: m.UserPrincipalName ?? null,
        deletedDateTime: m.WhenSoftDeleted ?? null,
      },
      "SoftDeletedMailbox",
      m.EmailAddresses,
    );
  }
  return found;
}

/** A listing answers for every wanted address (lower case) only when it looked for each of them. */
function covers(listed: ListedHolders | undefined, wanted: readonly string[]): listed is ListedHolders {
  if (listed === undefined) return false;
  const covered = new Set(listed.covered);
  return wanted.every((address) => covered.has(address));
}

/**
 * Of `objects` (what a listing of /users, /groups or /contacts showed), those holding any of
 * `addresses` (lower case), each with those of its entries only: what {@link findHiddenHolders}
 * needs of a listing already made, small enough to hand to another process of the run.
 */
export function holdingAny(objects: Iterable<ListedObject>, addresses: ReadonlySet<string>): ListedObject[] {
  const holding: ListedObject[] = [];
  for (const o of objects) {
    const entries = o.proxyAddresses.filter((entry) => {
      const parsed = parseProxyAddress(entry);
      return parsed.kind === "smtp" && addresses.has(addressKey(parsed.value));
    });
    if (entries.length > 0)
      holding.push({
        id: o.id,
        displayName: o.displayName ?? null,
        userPrincipalName: o.userPrincipalName ?? null,
        proxyAddresses: entries,
        onPremisesSyncEnabled: o.onPremisesSyncEnabled ?? null,
      });
  }
  return holding;
}

type Found = [HolderObject[], HolderObject[], HolderObject[], HolderObject[], SoftDeletedRow[]];

const USER_FIELDS = "id,displayName,userPrincipalName,proxyAddresses,onPremisesSyncEnabled";

/** Few addresses: filtered lookups in Graph's $batch; soft-deleted mailboxes filtered (up to 20 addresses) or listed. */
function lookUp(graph: GraphReader, exchange: ExchangeAdminClient, wanted: readonly string[]): Promise<Found> {
  const filters = chunked(wanted, GRAPH_FILTER_CHUNK).map((chunk) => encodeURIComponent(proxyAddressFilter(chunk)));
  const list = (collection: string, select: string, filter: string) =>
    graph
      .getBatched(`/${collection}?$filter=${filter}&$select=${select}&$top=999`, `/${collection}`)
      .then((body) => (body as { value?: HolderObject[] }).value ?? []);
  return Promise.all([
    Promise.all(filters.map((f) => list("users", USER_FIELDS, f))).then((p) => p.flat()),
    Promise.all(filters.map((f) => list("groups", "id,displayName,proxyAddresses,onPremisesSyncEnabled", f))).then(
      (p) => p.flat(),
    ),
    Promise.all(filters.map((f) => list("contacts", "id,displayName,proxyAddresses,onPremisesSyncEnabled", f))).then(
      (p) => p.flat(),
    ),
    listDeletedUsers(graph),
    wanted.length <= EXCHANGE_FILTER_CHUNK
      ? exchange.read<SoftDeletedRow>(
          "Get-Mailbox",
          { SoftDeletedMailbox: true, Filter: emailAddressFilter(wanted), ResultSize: "Unlimited" },
          wanted[0],
        )
      : listSoftDeleted(exchange),
  ]);
}

/**
 * Every soft-deleted mailbox (kept 30 days after deletion), 1,000 a page: for more addresses than
 * one filter holds, one request (a tenant with more than 1,000 soft-deleted mailboxes: one per
 * 1,000) instead of one per 20 addresses.
 */
function listSoftDeleted(exchange: ExchangeAdminClient): Promise<SoftDeletedRow[]> {
  return exchange.read<SoftDeletedRow>(
    "Get-Mailbox",
    { SoftDeletedMailbox: true, ResultSize: "Unlimited" },
    "(soft-deleted mailboxes)",
  );
}

/** Many addresses (a rebrand): every user, group and contact (999 a page), the recycle bin, and one Get-Mailbox -SoftDeletedMailbox of all. */
async function scanAll(graph: GraphReader, exchange: ExchangeAdminClient): Promise<Found> {
  const users = async () => {
    const all: HolderObject[] = [];
    let next: string | undefined;
    do {
      const page = await graph.listUsers(next, USER_FIELDS);
      all.push(...page.users.map((u) => ({ ...u, proxyAddresses: [...u.proxyAddresses] })));
      next = page.next;
    } while (next !== undefined);
    return all;
  };
  return Promise.all([
    users(),
    graph.listAll("groups"),
    graph.listAll("contacts"),
    listDeletedUsers(graph),
    listSoftDeleted(exchange),
  ]);
}

/** The users, groups and contacts as the run's listing showed them; the recycle bin and the soft-deleted mailboxes read. */
async function fromListing(graph: GraphReader, exchange: ExchangeAdminClient, listed: ListedHolders): Promise<Found> {
  const objects = (list: readonly ListedObject[]): HolderObject[] =>
    list.map((o) => ({ ...o, proxyAddresses: [...o.proxyAddresses] }));
  const [deleted, softDeleted] = await Promise.all([listDeletedUsers(graph), listSoftDeleted(exchange)]);
  return [objects(listed.users), objects(listed.groups), objects(listed.contacts), deleted, softDeleted];
}

/** Every user in Entra's recycle bin (deleted less than 30 days ago), 999 a page: the first page in the batch. */
async function listDeletedUsers(graph: GraphReader): Promise<HolderObject[]> {
  const select = "id,displayName,userPrincipalName,proxyAddresses,deletedDateTime,onPremisesSyncEnabled";
  const all: HolderObject[] = [];
  let url: string | undefined = `/directory/deletedItems/microsoft.graph.user?$select=${select}&$top=999`;
  while (url !== undefined) {
    const page = (await graph.getBatched(url, "/directory/deletedItems/microsoft.graph.user")) as {
      value?: HolderObject[];
      "@odata.nextLink"?: string;
    };
    all.push(...(page.value ?? []));
    const next = page["@odata.nextLink"];
    url = next === undefined ? undefined : next.slice(next.indexOf("/v1.0") + "/v1.0".length);
  }
  return all;
}
