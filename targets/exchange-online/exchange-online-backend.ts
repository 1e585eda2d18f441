// The exchange-online target: reads through Microsoft Graph (batched, or paged listings for many),
// writes through the Exchange Online admin API (Set-Mailbox -EmailAddresses, one per changed
// mailbox), and never writes twice when a retried write had already landed: before retrying a
// write whose outcome is unknown (503, 504, a dropped connection) it reads the mailbox (with the
// others failed at the same moment, in bulk) and stops if the list is there. A write is not read back: what it returns is the list it was taken against
// with its delta applied as Exchange applies it (exchange-rules `applyAddRemove`), or, when a
// retry found it landed, what that read showed. Both go through one HTTP
// pipeline (./pipeline/), which also paces writes through the write gate (./pipeline/write-gate.ts).
import { addressKey, parseProxyAddress } from "../../core/address";
import { chunked } from "../../core/chunked";
import { addressDelta, deltaLanded, isEmptyDelta } from "../../core/plan/address-delta";
import { ExchangeError } from "../../exchange/exchange-error";
import {
  applyAddRemove,
  DEFAULT_RECIPIENT_KIND,
  EXCHANGE_RECIPIENT_TYPE_DETAILS,
  MAILBOX_KINDS,
  RECIPIENT_KINDS,
  ALL_RECIPIENT_KINDS,
  parseRecipientKind,
  type AddressOwner,
  type RecipientKind,
} from "../../exchange/exchange-rules";
import type {
  BackendCapabilities,
  ListedHolders,
  ListedObject,
  LiveMailbox,
  MailboxPage,
  TenantBackend,
} from "../tenant-backend";
import type { ExchangeOnlineTargetSettings } from "./settings";
import { createCredential, diagnosingCredential } from "./credentials";
import {
  EXCHANGE_SCOPE,
  ExchangeAdminClient,
  type ExchangeAcceptedDomain,
  type ExchangeRecipient,
} from "./exchange-admin-client";
import {
  GRAPH_SCOPE,
  GraphReader,
  POLICY_USER_SELECT,
  type GraphDirectoryObject,
  type GraphUser,
} from "./graph-reader";
import type { MailboxAttributes } from "../../core/policy/policy-types";
import { MicrosoftHttp } from "./pipeline/microsoft-http";
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from "./pipeline/retry-options";
import { SCAN_THRESHOLD } from "../tenant-backend";
import { findHiddenHolders, holdingAny } from "./hidden-holders";

/** How long the reads before resending writes are gathered into one bulk read, in milliseconds. */
const VERIFY_WINDOW_MS = 100;

/** Addresses per Get-Recipient -Filter: each adds about 50 characters to the filter. */
const OWNER_FILTER_CHUNK = 20;

/** `EmailAddresses -eq 'smtp:a@x' -or EmailAddresses -eq 'smtp:b@x'` (OPATH: ' doubles inside quotes). */
export function emailAddressFilter(addresses: readonly string[]): string {
  return addresses.map((a) => `EmailAddresses -eq 'smtp:${a.replace(/'/g, "''")}'`).join(" -or ");
}

/**
 * Every kind, for Get-Recipient's -RecipientTypeDetails: without it, Exchange Online leaves
 * Microsoft 365 groups out ("to return Microsoft 365 Groups, you need to use the
 * RecipientTypeDetails parameter with the value GroupMailbox": Get-Recipient docs).
 */
const EVERY_KIND: readonly RecipientKind[] = ALL_RECIPIENT_KINDS;
/** Who holds an address: every kind Exchange lists, those this project writes and the others (public folders, linked, remote…). */
const OWNER_KINDS: readonly string[] = EXCHANGE_RECIPIENT_TYPE_DETAILS;
/** Kinds Graph does not show at all (dynamic distribution groups): listed from Exchange. */
const NOT_IN_GRAPH: readonly RecipientKind[] = ALL_RECIPIENT_KINDS.filter(
  (t) => RECIPIENT_KINDS[t].graph.collection === null,
);
/** Kinds Graph shows as plain users although they are not user mailboxes: told apart by Exchange. */
const SPECIAL_USER_KINDS: readonly RecipientKind[] = ALL_RECIPIENT_KINDS.filter(
  (t) => RECIPIENT_KINDS[t].graph.collection === "users" && t !== "UserMailbox",
);
/** The group kinds Graph tells apart by groupTypes, mailEnabled and securityEnabled (Groups overview). */
const GRAPH_GROUP_KINDS: readonly RecipientKind[] = ALL_RECIPIENT_KINDS.filter(
  (t) => RECIPIENT_KINDS[t].graph.collection === "groups",
);

/** A /groups or /contacts object as a recipient, its kind from Graph's own properties; undefined: not mail-enabled. */
function fromGraphObject(o: GraphDirectoryObject, collection: "groups" | "contacts"): LiveMailbox | undefined {
  if (o.proxyAddresses.length === 0) return undefined;
  const kind: RecipientKind | undefined =
    collection === "contacts"
      ? "MailContact"
      : GRAPH_GROUP_KINDS.find((t) => {
          const view = RECIPIENT_KINDS[t].graph;
          const unified = (o.groupTypes ?? []).some((g) => g.toLowerCase() === "unified");
          // A Microsoft 365 group is security-enabled or not ("true or false"): groupTypes decides.
          return unified
            ? t === "GroupMailbox"
            : (view.groupTypes ?? []).length === 0 &&
                o.mailEnabled === true &&
                o.securityEnabled === view.securityEnabled;
        });
  if (kind === undefined) return undefined;
  return {
    id: o.id,
    upn: undefined,
    displayName: o.displayName ?? o.id,
    kind,
    synced: o.onPremisesSyncEnabled === true,
    cloudManaged: false,
    addresses: [...o.proxyAddresses],
  };
}

/**
 * A user Graph read, with what Exchange's listing of the kinds Graph cannot tell says of it (its
 * kind, a mail user's ExternalEmailAddress); not in that listing: a user's mailbox.
 */
function withKindOf(user: LiveMailbox, listed: LiveMailbox | undefined): LiveMailbox {
  const external = listed?.externalEmailAddress;
  return {
    ...user,
    kind: listed?.kind ?? DEFAULT_RECIPIENT_KIND,
    ...(external ? { externalEmailAddress: external } : {}),
  };
}

/** Of the listing of what Graph cannot tell, the kinds Graph shows as plain users, by object id (lower case). */
const specialUsersOf = (others: readonly LiveMailbox[]): Map<string, LiveMailbox> =>
  new Map(others.filter((r) => SPECIAL_USER_KINDS.includes(r.kind!)).map((r) => [r.id.toLowerCase(), r]));

/** The kind of an Exchange row (its RecipientTypeDetails). */
const kindOfRow = (r: ExchangeRecipient): RecipientKind =>
  parseRecipientKind(String(r.RecipientTypeDetails)) ?? DEFAULT_RECIPIENT_KIND;

function fromExchange(r: ExchangeRecipient): LiveMailbox {
  const kind = kindOfRow(r);
  const external = (r as { ExternalEmailAddress?: string | null }).ExternalEmailAddress;
  return {
    id: r.ExternalDirectoryObjectId,
    upn: r.UserPrincipalName ?? undefined,
    displayName: r.DisplayName,
    kind,
    ...(external ? { externalEmailAddress: external.replace(/^smtp:/i, "") } : {}),
    synced: r.IsDirSynced,
    cloudManaged: r.IsExchangeCloudManaged,
    addresses: [...r.EmailAddresses],
  };
}

function fromGraph(u: GraphUser): LiveMailbox {
  return {
    id: u.id,
    upn: u.userPrincipalName ?? undefined,
    displayName: u.displayName ?? u.userPrincipalName ?? u.id,
    // Graph does not say which kind of mailbox a user has (no `kind`); Exchange does (see listMailboxes).
    synced: u.onPremisesSyncEnabled === true,
    cloudManaged: false,
    addresses: [...u.proxyAddresses],
    ...(u.onPremisesLastSyncDateTime ? { lastSyncAt: u.onPremisesLastSyncDateTime } : {}),
  };
}

export class ExchangeOnlineBackend implements TenantBackend {
  readonly description: string;
  /** The port's Exchange-only operations (../tenant-backend.ts). */
  readonly capabilities: BackendCapabilities = {
    cloudManaged: { set: (identity) => this.setCloudManaged(identity) },
    acceptedDomains: { list: () => this.acceptedDomains() },
    policyAttributes: { readAll: () => this.readPolicyAttributes() },
    userPrincipalName: { set: (id, upn) => this.setUserPrincipalName(id, upn) },
  };
  readonly #graph: GraphReader;
  readonly #exchange: ExchangeAdminClient;
  /** The list last read per identity (lower-case): what a write's delta is taken against. */
  readonly #lastRead = new Map<string, readonly string[]>();
  /** The kind Exchange reported per identity (lower-case): which Set- cmdlet writes it. */
  readonly #kinds = new Map<string, RecipientKind>();
  /** The mailbox last read per identity (lower-case): what a write returns, its delta applied. */
  readonly #lastMailbox = new Map<string, LiveMailbox>();
  /** Users read from Graph (lower-case identity → object id): their kind comes from one listing. */
  readonly #graphUsers = new Map<string, string>();
  /**
   * The one Get-Recipient listing of what Graph cannot tell (#listOthers): made by a scan's first
   * page, or by the first kind asked for outside a scan; a scan started later lists again.
   */
  #others: Promise<LiveMailbox[]> | undefined;
  /** The kinds Graph shows as plain users, by object id (lower case), from the listing #specialFrom. */
  #specialKinds: Promise<Map<string, LiveMailbox>> | undefined;
  #specialFrom: Promise<LiveMailbox[]> | undefined;
  /** The Graph objects with addresses of the scan under way (users page by page, then groups and contacts). */
  #scanning: { users: ListedObject[]; groups: ListedObject[]; contacts: ListedObject[] } | undefined;
  /** The same, of the last scan that reached its last page: what `listedHolders` answers from. */
  #scanned: { users: ListedObject[]; groups: ListedObject[]; contacts: ListedObject[] } | undefined;

  constructor(settings: ExchangeOnlineTargetSettings, options: RetryOptions = DEFAULT_RETRY_OPTIONS) {
    this.description = `Exchange Online tenant ${settings.tenantId}`;
    const http = new MicrosoftHttp({
      credential: diagnosingCredential(createCredential(settings), settings),
      apiNames: new Map([
        [GRAPH_SCOPE, "Microsoft Graph"],
        [EXCHANGE_SCOPE, "the Exchange Online admin API"],
      ]),
      maxConcurrency: settings.maxConcurrency,
      retry: options,
    });
    this.#graph = new GraphReader(settings.graphBaseUrl, http, options, settings.clientId);
    this.#exchange = new ExchangeAdminClient(settings.exchangeBaseUrl, settings.tenantId, settings.clientId, http);
  }

  /** What a read found, under the identity it was asked by (and the object id and UPN). */
  #remember(identity: string, mailbox: LiveMailbox): void {
    for (const key of new Set([identity, mailbox.id, mailbox.upn ?? ""].filter(Boolean).map((k) => k.toLowerCase()))) {
      this.#lastRead.set(key, mailbox.addresses);
      this.#lastMailbox.set(key, mailbox);
      if (mailbox.kind !== undefined) this.#kinds.set(key, mailbox.kind);
    }
  }

  async readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>> {
    // Many: filtered lookups of 15 users in the $batch (300 a request); one: its own GET.
    const users =
      identities.length > 1
        ? await this.#graph.getUsers(identities).then((found) => identities.map((identity) => found.get(identity)))
        : await Promise.all(identities.map((identity) => this.#graph.getUser(identity)));
    const result = new Map<string, LiveMailbox | undefined>();
    await Promise.all(
      identities.map(async (identity, i) => {
        const user = users[i];
        if (user === undefined || user.proxyAddresses.length === 0) {
          // Not a user by UPN or id: a group, a contact, or a key Exchange resolves otherwise
          // (a primary address, an alias). One Get-Recipient for every kind.
          const other = await this.#resolveInExchange(identity);
          if (other !== undefined) this.#remember(identity, other);
          result.set(identity, other);
          return;
        }
        // Only Exchange knows whether a synced mailbox's Exchange attributes are cloud-managed.
        const mailbox = user.onPremisesSyncEnabled
          ? {
              ...(await this.#readFromExchange(user.id)),
              ...(user.onPremisesLastSyncDateTime ? { lastSyncAt: user.onPremisesLastSyncDateTime } : {}),
            }
          : fromGraph(user);
        if (!user.onPremisesSyncEnabled) this.#graphUsers.set(identity.toLowerCase(), user.id.toLowerCase());
        this.#remember(identity, mailbox);
        result.set(identity, mailbox);
      }),
    );
    return new Map(identities.map((identity) => [identity, result.get(identity)]));
  }

  /** Get-Recipient -Identity with every kind; undefined when Exchange finds none. */
  async #resolveInExchange(identity: string): Promise<LiveMailbox | undefined> {
    try {
      const rows = await this.#exchange.read("Get-Recipient", {
        Identity: identity,
        RecipientTypeDetails: [...EVERY_KIND],
      });
      if (rows[0] === undefined) return undefined;
      const kind = kindOfRow(rows[0]);
      this.#kinds.set(identity.toLowerCase(), kind);
      // Mailboxes are read with Get-Mailbox (IsExchangeCloudManaged); the other kinds with their Get- cmdlet.
      return this.#readFromExchange(identity, kind);
    } catch (err) {
      if (ExchangeError.isInstance(err) && err.code === "NotFound") return undefined;
      throw err;
    }
  }

  /** The kind's Get- cmdlet (Get-Mailbox when the kind is not known). */
  async #readFromExchange(identity: string, kind = this.#kinds.get(identity.toLowerCase())): Promise<LiveMailbox> {
    const cmdlet = kind === undefined ? "Get-Mailbox" : RECIPIENT_KINDS[kind].getCmdlet;
    const rows = await this.#exchange.read(cmdlet, { Identity: identity });
    const mailbox = fromExchange(rows[0]!);
    this.#remember(identity, mailbox);
    return mailbox;
  }

  /** The kind of a recipient, from an earlier Exchange read or one Get-Recipient (Graph cannot tell a mail user from a mailbox). */
  async #kindOf(identity: string): Promise<RecipientKind> {
    const known = this.#kinds.get(identity.toLowerCase());
    if (known !== undefined) return known;
    // A user Graph read: Graph cannot tell a shared mailbox or a mail user from a user's mailbox,
    // but one listing of those kinds can, for every write of the run (instead of one read each).
    const userId = this.#graphUsers.get(identity.toLowerCase());
    if (userId !== undefined) {
      const kind = (await this.#specialUsers()).get(userId)?.kind ?? DEFAULT_RECIPIENT_KIND;
      this.#kinds.set(identity.toLowerCase(), kind);
      return kind;
    }
    const rows = await this.#exchange.read("Get-Recipient", {
      Identity: identity,
      RecipientTypeDetails: [...EVERY_KIND],
    });
    const kind = rows[0] === undefined ? DEFAULT_RECIPIENT_KIND : kindOfRow(rows[0]);
    this.#kinds.set(identity.toLowerCase(), kind);
    return kind;
  }

  /**
   * One Get-Recipient listing for what Graph cannot tell: the kinds it shows as plain users
   * (shared, room, equipment mailboxes, mail users: their kind and a mail user's
   * ExternalEmailAddress) and the kind it does not show (dynamic distribution groups).
   * docs/RECIPIENT-KINDS.md, "Reading each kind".
   */
  #listOthers(): Promise<LiveMailbox[]> {
    const listing = this.#exchange
      .read(
        "Get-Recipient",
        { RecipientTypeDetails: [...SPECIAL_USER_KINDS, ...NOT_IN_GRAPH], ResultSize: "Unlimited" },
        "(all)",
      )
      .then((rows) => rows.map(fromExchange));
    this.#others = listing;
    return listing;
  }

  /**
   * The recipients Graph shows as plain users although they are not user mailboxes: from the one
   * listing of what Graph cannot tell (a scan's, or made now), not a listing of their own.
   */
  #specialUsers(): Promise<Map<string, LiveMailbox>> {
    const others = this.#others ?? this.#listOthers();
    if (this.#specialFrom !== others) {
      this.#specialFrom = others;
      this.#specialKinds = others.then(specialUsersOf);
    }
    return this.#specialKinds!;
  }

  /**
   * Users read through Graph with their kind: a shared, room or equipment mailbox or a mail user
   * (with its ExternalEmailAddress) when the one listing of those kinds names it, else a user's
   * mailbox (as listMailboxes tells them apart). One request per run, not an owner lookup of each
   * primary per 20 mailboxes.
   */
  async withKinds(mailboxes: readonly LiveMailbox[]): Promise<LiveMailbox[]> {
    if (mailboxes.every((m) => m.kind !== undefined)) return [...mailboxes];
    const special = await this.#specialUsers();
    return mailboxes.map((m) => {
      if (m.kind !== undefined) return m;
      return withKindOf(m, special.get(m.id.toLowerCase()));
    });
  }

  /**
   * Graph lags behind Exchange after a write (replication has no SLA): what Graph shows as a
   * change is read again from Exchange, in bulk. Few mailboxes: Get-Mailbox -Filter on addresses
   * they hold (their key when it is an address, the primary Graph or an earlier read showed), 20
   * addresses a request, each row matched to its mailbox by object id; one Get-Mailbox each only
   * for those no such row answers (an address gone from the mailbox meanwhile, a mail user). Many:
   * one listing of all mailboxes (1,000 a page), as cheap as reading them through Graph.
   */
  async confirmMailboxes(
    identities: readonly string[],
    seen?: ReadonlyMap<string, LiveMailbox | undefined>,
  ): Promise<Map<string, LiveMailbox>> {
    const confirmed = new Map<string, LiveMailbox>();
    if (identities.length >= SCAN_THRESHOLD) {
      const byKey = new Map<string, LiveMailbox>();
      for (const row of await this.#exchange.read("Get-Mailbox", { ResultSize: "Unlimited" }, "(all)")) {
        const mailbox = fromExchange(row);
        byKey.set(mailbox.id.toLowerCase(), mailbox);
        if (mailbox.upn) byKey.set(mailbox.upn.toLowerCase(), mailbox);
      }
      for (const identity of identities) {
        const mailbox = byKey.get(identity.toLowerCase());
        if (mailbox) confirmed.set(identity, mailbox);
      }
      return confirmed;
    }
    // Read from Exchange already (a group, a contact): nothing lags.
    const wanted = identities.filter((identity) => {
      const kind = this.#kinds.get(identity.toLowerCase());
      return kind === undefined || MAILBOX_KINDS.has(kind);
    });
    for (const [identity, mailbox] of await this.#confirmByAddress(wanted, seen)) confirmed.set(identity, mailbox);
    await Promise.all(
      wanted
        .filter((identity) => !confirmed.has(identity))
        .map(async (identity) => {
          try {
            confirmed.set(identity, await this.#readFromExchange(identity));
          } catch (err) {
            if (!(ExchangeError.isInstance(err) && err.code === "NotFound")) throw err;
            // Not a mailbox (a mail user, say): read with its own Get- cmdlet; else Graph's answer stands.
            const other = await this.#resolveInExchange(identity);
            if (other !== undefined) confirmed.set(identity, other);
          }
        }),
    );
    return confirmed;
  }

  /**
   * Mailboxes read from Exchange by addresses they are known to hold, OWNER_FILTER_CHUNK addresses
   * a Get-Mailbox -Filter; a row counts for a mailbox only when its object id (or UPN) is the one
   * Graph showed, so an address that moved meanwhile answers for nobody. Those not answered are absent.
   */
  async #confirmByAddress(
    identities: readonly string[],
    seen?: ReadonlyMap<string, LiveMailbox | undefined>,
  ): Promise<Map<string, LiveMailbox>> {
    const keysOf = new Map<string, Set<string>>();
    const addresses = new Set<string>();
    for (const identity of identities) {
      const known = seen?.get(identity) ?? this.#lastMailbox.get(identity.toLowerCase());
      const keys = new Set(
        [identity.toLowerCase(), known?.id.toLowerCase(), known?.upn?.toLowerCase()].filter(
          (k): k is string => k !== undefined && k !== "",
        ),
      );
      keysOf.set(identity, keys);
      const primary = known?.addresses.map(parseProxyAddress).find((p) => p.kind === "smtp" && p.primary)?.value;
      for (const address of [identity.includes("@") ? identity : undefined, primary])
        if (address !== undefined) addresses.add(addressKey(address));
    }
    const all = [...addresses];
    const chunks = chunked(all, OWNER_FILTER_CHUNK);
    const rows = (
      await Promise.all(
        chunks.map((chunk) =>
          this.#exchange.read("Get-Mailbox", { Filter: emailAddressFilter(chunk), ResultSize: "Unlimited" }, chunk[0]),
        ),
      )
    ).flat();
    const byKey = new Map<string, LiveMailbox>();
    const byAddress = new Map<string, LiveMailbox>();
    for (const row of rows) {
      const mailbox = fromExchange(row);
      for (const key of [mailbox.id, mailbox.upn]) if (key) byKey.set(key.toLowerCase(), mailbox);
      for (const entry of mailbox.addresses) {
        const parsed = parseProxyAddress(entry);
        if (parsed.kind === "smtp") byAddress.set(addressKey(parsed.value), mailbox);
      }
    }
    const confirmed = new Map<string, LiveMailbox>();
    for (const identity of identities) {
      // A key Graph did not answer for: the mailbox holding it, as -Identity resolves an address.
      const unseen = seen?.get(identity) === undefined && !this.#lastMailbox.has(identity.toLowerCase());
      const mailbox =
        [...keysOf.get(identity)!].map((k) => byKey.get(k)).find((m) => m !== undefined) ??
        (unseen && identity.includes("@") ? byAddress.get(addressKey(identity)) : undefined);
      if (mailbox === undefined) continue;
      this.#remember(identity, mailbox);
      confirmed.set(identity, mailbox);
    }
    return confirmed;
  }

  /**
   * Who holds each address, recipients of every kind. Few addresses: Get-Recipient -Filter with
   * up to 20 addresses per request; many (a rebrand): one paged listing of all recipients, which
   * costs ceil(recipients / 1,000) requests instead of ceil(addresses / 20).
   */
  async ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>> {
    const wanted = new Set(addresses.map(addressKey));
    const owners = new Map<string, AddressOwner>();
    const keep = (rows: readonly ExchangeRecipient[]) => {
      for (const r of rows) {
        for (const entry of r.EmailAddresses) {
          const parsed = parseProxyAddress(entry);
          const key = addressKey(parsed.value);
          if (parsed.kind !== "smtp" || !wanted.has(key)) continue;
          // A mail-enabled public folder, or a kind this project does not write: named as a holder (exchange-rules HolderKind).
          const details = String(r.RecipientTypeDetails);
          const id = r.ExternalDirectoryObjectId ?? (r as { Guid?: string }).Guid ?? r.DisplayName;
          if (details === "PublicFolder")
            owners.set(key, { id, displayName: r.DisplayName, holder: { kind: "PublicFolder" } });
          else if (parseRecipientKind(details) === undefined)
            owners.set(key, {
              id,
              displayName: r.DisplayName,
              holder: { kind: "OtherRecipient", recipientTypeDetails: details },
            });
          else
            owners.set(key, {
              id: r.ExternalDirectoryObjectId,
              displayName: r.DisplayName,
              kind: kindOfRow(r),
            });
        }
      }
    };
    if (wanted.size >= SCAN_THRESHOLD) {
      keep(
        await this.#exchange.read(
          "Get-Recipient",
          { RecipientTypeDetails: [...OWNER_KINDS], ResultSize: "Unlimited" },
          "(all recipients)",
        ),
      );
      return owners;
    }
    const all = [...wanted];
    const chunks = chunked(all, OWNER_FILTER_CHUNK);
    await Promise.all(
      chunks.map(async (chunk) =>
        keep(
          await this.#exchange.read(
            "Get-Recipient",
            { Filter: emailAddressFilter(chunk), RecipientTypeDetails: [...OWNER_KINDS], ResultSize: "Unlimited" },
            chunk[0],
          ),
        ),
      ),
    );
    return owners;
  }

  /** Entra-only, deleted and soft-deleted holders (./hidden-holders.ts): Graph in the $batch; soft-deleted mailboxes by one Get-Mailbox -SoftDeletedMailbox (filtered for up to 20 addresses, else listed). */
  async hiddenHoldersOf(addresses: readonly string[], listed?: ListedHolders): Promise<Map<string, AddressOwner>> {
    return findHiddenHolders(this.#graph, this.#exchange, addresses, listed);
  }

  /** What this backend's last complete scan (listMailboxes) showed of the holders of `addresses`. */
  listedHolders(addresses: readonly string[]): ListedHolders | undefined {
    const scanned = this.#scanned;
    if (scanned === undefined) return undefined;
    const covered = new Set(addresses.map(addressKey));
    return {
      covered: [...covered],
      users: holdingAny(scanned.users, covered),
      groups: holdingAny(scanned.groups, covered),
      contacts: holdingAny(scanned.contacts, covered),
    };
  }

  async acceptedDomains(): Promise<string[]> {
    const rows = await this.#exchange.read<ExchangeAcceptedDomain>("Get-AcceptedDomain", {}, "(tenant)");
    return rows.map((r) => r.DomainName.toLowerCase());
  }

  /**
   * Set-Mailbox -EmailAddresses @{Add=...; Remove=...}: the difference between the list last read
   * (or `before`) and `addresses`, so an alias an admin added during the run is kept; then
   * Get-Mailbox to read it back. A retry (after 429/503/504 or a dropped connection) first reads
   * the mailbox: if the change is already there, the earlier attempt landed and nothing more is
   * written. The hashtable travels as `{"@odata.type":"#Exchange.GenericHashTable","Add":[...],
   * "Remove":[...]}`, as the admin API expects hashtable parameters.
   */
  async setEmailAddresses(
    identity: string,
    addresses: readonly string[],
    before?: readonly string[],
  ): Promise<LiveMailbox> {
    const kind = await this.#kindOf(identity);
    const known = this.#lastMailbox.get(identity.toLowerCase());
    const mailbox = known ?? (await this.#readFromExchange(identity, kind));
    const base = before ?? this.#lastRead.get(identity.toLowerCase()) ?? mailbox.addresses;
    const delta = addressDelta(base, addresses);
    if (isEmptyDelta(delta)) return { ...mailbox, kind, addresses: base };
    const table = {
      "@odata.type": "#Exchange.GenericHashTable",
      ...(delta.add.length > 0 ? { Add: [...delta.add] } : {}),
      ...(delta.remove.length > 0 ? { Remove: [...delta.remove] } : {}),
    };
    const { setCmdlet } = RECIPIENT_KINDS[kind];
    // Set-DistributionGroup refuses a caller not in the group's ManagedBy without this switch (its docs).
    const bypass = setCmdlet === "Set-DistributionGroup" ? { BypassSecurityGroupManagerCheck: true } : {};
    const verified = await this.#writeOnce(
      identity,
      { Identity: identity, EmailAddresses: table, ...bypass },
      (live) => deltaLanded(live.addresses, delta),
      setCmdlet,
    );
    // A retry found the write already applied: what that read showed. Otherwise the delta applied
    // to the list it was taken against, as Exchange applies it: no read-back.
    const written = verified
      ? (this.#lastMailbox.get(identity.toLowerCase()) ?? mailbox)
      : { ...mailbox, kind, addresses: applyAddRemove(base, delta.add, delta.remove) };
    this.#remember(identity, written);
    return written;
  }

  async setCloudManaged(identity: string): Promise<void> {
    await this.#writeOnce(identity, { Identity: identity, IsExchangeCloudManaged: true }, (live) => live.cloudManaged);
  }

  /**
   * One write, applied once: the pipeline retries it (a 429 waits in the write gate; after a
   * 503/504, a dropped connection or a timeout it first reads the mailbox, and resends only if
   * the change is not there). Those reads are made in bulk (#verifyRead).
   */
  async #writeOnce(
    identity: string,
    parameters: Record<string, unknown>,
    landed: (live: LiveMailbox) => boolean,
    cmdlet = "Set-Mailbox",
  ): Promise<boolean> {
    return this.#exchange.write(cmdlet, parameters, identity, async () => landed(await this.#verifyRead(identity)));
  }

  /** Mailboxes to read before a resend, gathered for VERIFY_WINDOW_MS, each with who waits for it. */
  #toVerify: Map<string, { resolve: (m: LiveMailbox) => void; reject: (err: unknown) => void }[]> | undefined;

  /**
   * The mailbox from Exchange, for a write whose outcome is unknown: a service failing (503/504,
   * dropped connections) fails many writes at once, so the reads asked for within
   * VERIFY_WINDOW_MS go together, as the lag confirmation does (#confirmByAddress: 20 addresses a
   * Get-Mailbox -Filter, rows matched by object id), and one Get-Mailbox each only for those no
   * row answers.
   */
  #verifyRead(identity: string): Promise<LiveMailbox> {
    return new Promise((resolve, reject) => {
      if (this.#toVerify === undefined) {
        this.#toVerify = new Map();
        setTimeout(() => void this.#verifyNow(), VERIFY_WINDOW_MS);
      }
      const waiting = this.#toVerify.get(identity) ?? [];
      waiting.push({ resolve, reject });
      this.#toVerify.set(identity, waiting);
    });
  }

  async #verifyNow(): Promise<void> {
    const batch = this.#toVerify!;
    this.#toVerify = undefined;
    const identities = [...batch.keys()];
    // A failed bulk read leaves each to its own read, which reports its own failure.
    const found =
      identities.length > 1
        ? await this.#confirmByAddress(identities).catch(() => new Map<string, LiveMailbox>())
        : new Map<string, LiveMailbox>();
    await Promise.all(
      identities.map(async (identity) => {
        const waiting = batch.get(identity)!;
        try {
          const mailbox = found.get(identity) ?? (await this.#readFromExchange(identity));
          for (const w of waiting) w.resolve(mailbox);
        } catch (err) {
          for (const w of waiting) w.reject(err);
        }
      }),
    );
  }

  /**
   * Pages through every user with addresses (Graph /users, 999 a page). Graph cannot tell a
   * shared, room or equipment mailbox from a user's: one Exchange listing of those kinds, made
   * with the first page, marks them.
   */
  async listMailboxes(next?: string): Promise<MailboxPage> {
    // One Get-Recipient listing, with the first page, for what Graph cannot tell (#listOthers);
    // groups and contacts come from Graph /groups and /contacts with the last page.
    if (next === undefined || this.#others === undefined) {
      void this.#listOthers();
      this.#scanning = { users: [], groups: [], contacts: [] };
    }
    const [page, others] = await Promise.all([this.#graph.listUsers(next), this.#others!]);
    const kinds = new Map(others.map((r) => [r.id.toLowerCase(), r]));
    const holders = page.users.filter((u) => u.proxyAddresses.length > 0);
    this.#scanning?.users.push(...holders);
    const mailboxes: LiveMailbox[] = holders.map((u) => withKindOf(fromGraph(u), kinds.get(u.id.toLowerCase())));
    for (const mailbox of mailboxes) this.#remember(mailbox.id, mailbox);
    if (page.next === undefined) {
      const [groups, contacts] = await Promise.all([this.#graph.listAll("groups"), this.#graph.listAll("contacts")]);
      // Every group and contact with addresses, mail-enabled or not: an Entra-only one holds its
      // addresses too (hidden-holders.ts).
      if (this.#scanning !== undefined) {
        this.#scanned = {
          ...this.#scanning,
          groups: groups.filter((g) => g.proxyAddresses.length > 0),
          contacts: contacts.filter((c) => c.proxyAddresses.length > 0),
        };
        this.#scanning = undefined;
      }
      for (const [collection, objects] of [
        ["groups", groups],
        ["contacts", contacts],
      ] as const) {
        for (const o of objects) {
          const recipient = fromGraphObject(o, collection);
          if (recipient !== undefined) {
            mailboxes.push(recipient);
            this.#remember(recipient.id, recipient);
          }
        }
      }
      for (const other of others.filter((r) => NOT_IN_GRAPH.includes(r.kind!))) {
        mailboxes.push(other);
        this.#remember(other.id, other);
      }
    }
    return { mailboxes, next: page.next };
  }

  /** Every mailbox with the attributes address policies read: /users pages ($select) and one Exchange listing of the special kinds. */
  async readPolicyAttributes(): Promise<MailboxAttributes[]> {
    const types = await this.#exchange
      .read(
        "Get-Mailbox",
        { RecipientTypeDetails: ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"], ResultSize: "Unlimited" },
        "(all)",
      )
      .then((rows) => new Map(rows.map((r) => [r.ExternalDirectoryObjectId.toLowerCase(), r.RecipientTypeDetails])));
    const all: MailboxAttributes[] = [];
    let next: string | undefined;
    do {
      const page = await this.#graph.listUsers(next, POLICY_USER_SELECT);
      for (const u of page.users) {
        if (u.proxyAddresses.length === 0) continue;
        all.push({
          id: u.id,
          userPrincipalName: u.userPrincipalName ?? undefined,
          kind: parseRecipientKind(types.get(u.id.toLowerCase()) ?? "") ?? DEFAULT_RECIPIENT_KIND,
          displayName: u.displayName ?? undefined,
          givenName: u.givenName ?? undefined,
          surname: u.surname ?? undefined,
          alias: u.mailNickname ?? undefined,
          department: u.department ?? undefined,
          company: u.companyName ?? undefined,
          country: u.country ?? undefined,
          addresses: [...u.proxyAddresses],
        });
      }
      next = page.next;
    } while (next !== undefined);
    return all;
  }

  /** Graph's PATCH /users/{id} of userPrincipalName. */
  async setUserPrincipalName(id: string, upn: string): Promise<void> {
    await this.#graph.setUserPrincipalName(id, upn);
  }

  async close(): Promise<void> {}
}
