// The exchange-online target: reads through Microsoft Graph (batched), writes through the
// Exchange Online admin API (Set-Mailbox -EmailAddresses, one per changed mailbox), reads back
// from Exchange after every write (Graph can lag), and never writes twice when a retried write
// had already landed: before retrying a write whose outcome is unknown (503, 504, a dropped
// connection) it reads the mailbox and stops if the list is there. Both go through one HTTP
// pipeline (./http-pipeline.ts), which also paces writes through the write gate (./write-gate.ts).
import { addressKey, parseProxyAddress } from "../../core/address";
import { addressDelta, deltaLanded, isEmptyDelta } from "../../core/plan/address-delta";
import { ExchangeError } from "../../exchange/exchange-error";
import type { AddressOwner } from "../../exchange/exchange-rules";
import type { BackendCapabilities, LiveMailbox, MailboxPage, TenantBackend } from "../tenant-backend";
import type { ExchangeOnlineTargetSettings } from "./target";
import { createCredential, diagnosingCredential } from "./credentials";
import { EXCHANGE_SCOPE, ExchangeAdminClient, type ExchangeAcceptedDomain, type ExchangeRecipient } from "./exchange-admin-client";
import { GRAPH_SCOPE, GraphReader, POLICY_USER_SELECT, type GraphUser } from "./graph-reader";
import type { MailboxAttributes } from "../../core/policy/policy-types";
import { DEFAULT_RETRY_OPTIONS, MicrosoftHttp, type RetryOptions } from "./http-pipeline";
import { SCAN_THRESHOLD } from "../../reconcile/read-tenant";

/** Addresses per Get-Recipient -Filter: each adds about 50 characters to the filter. */
const OWNER_FILTER_CHUNK = 20;

/** `EmailAddresses -eq 'smtp:a@x' -or EmailAddresses -eq 'smtp:b@x'` (OPATH: ' doubles inside quotes). */
export function emailAddressFilter(addresses: readonly string[]): string {
  return addresses.map((a) => `EmailAddresses -eq 'smtp:${a.replace(/'/g, "''")}'`).join(" -or ");
}

function fromExchange(r: ExchangeRecipient): LiveMailbox {
  return {
    id: r.ExternalDirectoryObjectId,
    upn: r.UserPrincipalName ?? undefined,
    displayName: r.DisplayName,
    type: r.RecipientTypeDetails,
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
    // Graph does not say which kind of mailbox a user has; Exchange does (see listMailboxes).
    type: "UserMailbox",
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

  async readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>> {
    const users = await Promise.all(identities.map((identity) => this.#graph.getUser(identity)));
    const result = new Map<string, LiveMailbox | undefined>();
    await Promise.all(
      identities.map(async (identity, i) => {
        const user = users[i];
        if (user === undefined || user.proxyAddresses.length === 0) {
          result.set(identity, undefined);
          return;
        }
        // Only Exchange knows whether a synced mailbox's Exchange attributes are cloud-managed.
        const mailbox = user.onPremisesSyncEnabled
          ? { ...(await this.#readFromExchange(user.id)), ...(user.onPremisesLastSyncDateTime ? { lastSyncAt: user.onPremisesLastSyncDateTime } : {}) }
          : fromGraph(user);
        this.#lastRead.set(identity.toLowerCase(), mailbox.addresses);
        result.set(identity, mailbox);
      }),
    );
    return new Map(identities.map((identity) => [identity, result.get(identity)]));
  }

  async #readFromExchange(identity: string): Promise<LiveMailbox> {
    const rows = await this.#exchange.read("Get-Mailbox", { Identity: identity });
    const mailbox = fromExchange(rows[0]!);
    this.#lastRead.set(identity.toLowerCase(), mailbox.addresses);
    return mailbox;
  }

  /**
   * Graph lags behind Exchange after a write (replication has no SLA): what Graph shows as a
   * change is read again from Exchange. Few mailboxes: one Get-Mailbox each; many: one listing
   * of all mailboxes (1,000 a page), as cheap as reading them through Graph.
   */
  async confirmMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox>> {
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
    await Promise.all(
      identities.map(async (identity) => {
        try {
          confirmed.set(identity, await this.#readFromExchange(identity));
        } catch (err) {
          // Not a mailbox in Exchange (a mail user, say): Graph's answer stands.
          if (!(ExchangeError.isInstance(err) && err.code === "NotFound")) throw err;
        }
      }),
    );
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
          if (parsed.kind === "smtp" && wanted.has(key)) owners.set(key, { id: r.ExternalDirectoryObjectId, displayName: r.DisplayName, type: r.RecipientTypeDetails });
        }
      }
    };
    if (wanted.size >= SCAN_THRESHOLD) {
      keep(await this.#exchange.read("Get-Recipient", { ResultSize: "Unlimited" }, "(all recipients)"));
      return owners;
    }
    const all = [...wanted];
    const chunks = Array.from({ length: Math.ceil(all.length / OWNER_FILTER_CHUNK) }, (_, i) => all.slice(i * OWNER_FILTER_CHUNK, (i + 1) * OWNER_FILTER_CHUNK));
    await Promise.all(chunks.map(async (chunk) => keep(await this.#exchange.read("Get-Recipient", { Filter: emailAddressFilter(chunk), ResultSize: "Unlimited" }, chunk[0]))));
    return owners;
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
  async setEmailAddresses(identity: string, addresses: readonly string[], before?: readonly string[]): Promise<LiveMailbox> {
    const base = before ?? this.#lastRead.get(identity.toLowerCase()) ?? (await this.#readFromExchange(identity)).addresses;
    const delta = addressDelta(base, addresses);
    if (!isEmptyDelta(delta)) {
      const table = { "@odata.type": "#Exchange.GenericHashTable", ...(delta.add.length > 0 ? { Add: [...delta.add] } : {}), ...(delta.remove.length > 0 ? { Remove: [...delta.remove] } : {}) };
      await this.#writeOnce(identity, { Identity: identity, EmailAddresses: table }, (live) => deltaLanded(live.addresses, delta));
    }
    return this.#readFromExchange(identity);
  }

  async setCloudManaged(identity: string): Promise<void> {
    await this.#writeOnce(identity, { Identity: identity, IsExchangeCloudManaged: true }, (live) => live.cloudManaged);
  }

  /**
   * One write, applied once: the pipeline retries it (a 429 waits in the write gate; after a
   * 503/504, a dropped connection or a timeout it first reads the mailbox, and resends only if
   * the change is not there).
   */
  async #writeOnce(identity: string, parameters: Record<string, unknown>, landed: (live: LiveMailbox) => boolean): Promise<void> {
    await this.#exchange.write("Set-Mailbox", parameters, identity, async () => landed(await this.#readFromExchange(identity)));
  }

  /**
   * Pages through every user with addresses (Graph /users, 999 a page). Graph cannot tell a
   * shared, room or equipment mailbox from a user's: one Exchange listing of those kinds, made
   * with the first page, marks them.
   */
  async listMailboxes(next?: string): Promise<MailboxPage> {
    if (next === undefined || this.#specialTypes === undefined) {
      this.#specialTypes = this.#exchange
        .read("Get-Mailbox", { RecipientTypeDetails: ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"], ResultSize: "Unlimited" }, "(all)")
        .then((rows) => new Map(rows.map((r) => [r.ExternalDirectoryObjectId.toLowerCase(), r.RecipientTypeDetails])));
    }
    const [page, types] = await Promise.all([this.#graph.listUsers(next), this.#specialTypes]);
    const mailboxes = page.users
      .filter((u) => u.proxyAddresses.length > 0)
      .map((u) => ({ ...fromGraph(u), type: types.get(u.id.toLowerCase()) ?? "UserMailbox" }));
    return { mailboxes, next: page.next };
  }

  /** Every mailbox with the attributes address policies read: /users pages ($select) and one Exchange listing of the special kinds. */
  async readPolicyAttributes(): Promise<MailboxAttributes[]> {
    const types = await this.#exchange
      .read("Get-Mailbox", { RecipientTypeDetails: ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"], ResultSize: "Unlimited" }, "(all)")
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
          type: types.get(u.id.toLowerCase()) ?? "UserMailbox",
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

  #specialTypes: Promise<Map<string, LiveMailbox["type"]>> | undefined;

  async close(): Promise<void> {}
}
