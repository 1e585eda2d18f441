// Hybrid routing: one TenantBackend over two members. Exchange Online is read for every mailbox;
// a synced mailbox (onPremisesSyncEnabled and not cloud-managed) is then read again from Active
// Directory, where it is mastered, and AD's values are its live addresses (the truth): what the
// cloud shows meanwhile rides along as `cloudAddresses`, so a difference that only the next sync
// will close is pending sync, never drift and never a second write. Each write goes to where the
// mailbox is mastered. Uniqueness is checked across both: AD's objects (AD does not refuse
// duplicates) and the cloud's recipients.
import { addressKey, parseProxyAddress, sameAddressList } from "../../core/address";
import type { AddressOwner } from "../../exchange/exchange-rules";
import type { ActiveDirectoryBackend, DirectoryMailbox } from "../active-directory/active-directory-backend";
import {
  CLOUD,
  DIRECTORY,
  type BackendCapabilities,
  type LiveMailbox,
  type ListedHolders,
  type MailboxPage,
  type TenantBackend,
  type WrittenTo,
} from "../tenant-backend";

/**
 * Where a mailbox is mastered, so where its writes go: Active Directory for a synced one whose
 * Exchange attributes are not cloud-managed, Exchange Online for the rest. `takeOver`: the spec
 * sets `cloudManaged: true`, which moves a synced mailbox's writes to the cloud. The one place the
 * route is decided: this backend routes by it, and the program asks it (writtenToOf).
 */
export function masterOf(mailbox: Pick<LiveMailbox, "synced" | "cloudManaged">, takeOver = false): WrittenTo {
  return mailbox.synced && !mailbox.cloudManaged && !takeOver ? DIRECTORY : CLOUD;
}

/**
 * Where a write of a mailbox read from a stack that writes to more than one place goes (once the
 * spec's `cloudManaged` takes it over); undefined where the stack writes to one (no `writtenTo`).
 */
export function writtenToOf(mailbox: LiveMailbox, takeOver = false): WrittenTo | undefined {
  return mailbox.writtenTo === undefined ? undefined : masterOf(mailbox, takeOver);
}

/** A synced mailbox that Exchange cannot write: AD masters it. */
const masteredInDirectory = (mailbox: LiveMailbox) => masterOf(mailbox) === DIRECTORY;

const smtpKeys = (entries: readonly string[]) =>
  entries
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp")
    .map((p) => addressKey(p.value));

export class HybridBackend implements TenantBackend {
  readonly description: string;
  readonly capabilities: BackendCapabilities;
  /** Where each identity read last is mastered, and its AD key (UPN) and cloud id. */
  readonly #mastered = new Map<string, { where: WrittenTo; directoryKey?: string; cloudId: string }>();
  /** AD DN (lower-case) → cloud object id, for the synced mailboxes read: owners become recipients. */
  readonly #cloudIdOfDn = new Map<string, string>();

  constructor(
    readonly cloud: TenantBackend,
    readonly directory: ActiveDirectoryBackend,
  ) {
    this.description = `${cloud.description} with ${directory.description}`;
    const takeOver = cloud.capabilities.cloudManaged;
    // A synced mailbox taken over (`cloudManaged: true`) is written in Exchange Online from then on.
    this.capabilities = {
      ...cloud.capabilities,
      ...(takeOver
        ? {
            cloudManaged: {
              set: async (identity: string) => {
                await takeOver.set(identity);
                const known = this.#mastered.get(identity);
                this.#mastered.set(identity, { where: CLOUD, cloudId: known?.cloudId ?? identity });
              },
            },
          }
        : {}),
    };
  }

  /** The cloud for all; AD again for the synced ones (by their UPN), in one bulk read. */
  async readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>> {
    const cloud = await this.cloud.readMailboxes(identities);
    return this.#withDirectory(identities, cloud);
  }

  async #withDirectory(
    identities: readonly string[],
    cloud: ReadonlyMap<string, LiveMailbox | undefined>,
  ): Promise<Map<string, LiveMailbox | undefined>> {
    const synced = identities.filter((identity) => {
      const mailbox = cloud.get(identity);
      return mailbox !== undefined && masteredInDirectory(mailbox);
    });
    const keyOf = (identity: string) => cloud.get(identity)!.upn ?? identity;
    const directory =
      synced.length === 0
        ? new Map<string, DirectoryMailbox | undefined>()
        : await this.directory.readMailboxes([...new Set(synced.map(keyOf))]);
    const result = new Map<string, LiveMailbox | undefined>();
    for (const identity of identities) {
      const mailbox = cloud.get(identity);
      if (mailbox === undefined) {
        result.set(identity, undefined);
        continue;
      }
      if (!masteredInDirectory(mailbox)) {
        this.#mastered.set(identity, { where: CLOUD, cloudId: mailbox.id });
        result.set(identity, { ...mailbox, writtenTo: CLOUD });
        continue;
      }
      const user = directory.get(keyOf(identity));
      if (user === undefined) {
        // Synced, but not under the AD base DN: nothing can write it. Preview says "not found".
        result.set(identity, undefined);
        continue;
      }
      this.#mastered.set(identity, { where: DIRECTORY, directoryKey: keyOf(identity), cloudId: mailbox.id });
      this.#cloudIdOfDn.set(user.dn.toLowerCase(), mailbox.id);
      result.set(identity, {
        id: mailbox.id,
        upn: mailbox.upn ?? user.upn,
        displayName: mailbox.displayName,
        ...(mailbox.kind ? { kind: mailbox.kind } : {}),
        synced: true,
        cloudManaged: false,
        addresses: user.addresses,
        writtenTo: DIRECTORY,
        cloudAddresses: mailbox.addresses,
        ...(mailbox.lastSyncAt ? { lastSyncAt: mailbox.lastSyncAt } : {}),
      });
    }
    return result;
  }

  /** Only the cloud's replica can lag behind a write: AD's reads are exact. */
  async confirmMailboxes(
    identities: readonly string[],
    seen?: ReadonlyMap<string, LiveMailbox | undefined>,
  ): Promise<Map<string, LiveMailbox>> {
    const cloudOnes = identities.filter((identity) => this.#mastered.get(identity)?.where !== DIRECTORY);
    if (cloudOnes.length === 0 || this.cloud.confirmMailboxes === undefined) return new Map();
    const confirmed = await this.cloud.confirmMailboxes(cloudOnes, seen);
    const result = new Map<string, LiveMailbox>();
    // A mailbox the cloud now reads as synced is left to the replica's answer (read with AD).
    for (const [identity, mailbox] of confirmed)
      if (!masteredInDirectory(mailbox)) result.set(identity, { ...mailbox, writtenTo: CLOUD });
    return result;
  }

  /**
   * Who holds each address: AD's objects first (users, groups, contacts, anywhere in the domain),
   * a synced user read this run named as its cloud recipient; then the cloud's recipients for
   * what AD does not hold, except synced ones (their AD entry, just searched, let go of it).
   */
  /** The cloud's hidden holders (Entra-only, deleted): AD's own objects are what AD's owner lookup sees. */
  async hiddenHoldersOf(addresses: readonly string[], listed?: ListedHolders): Promise<Map<string, AddressOwner>> {
    return (await this.cloud.hiddenHoldersOf?.(addresses, listed)) ?? new Map();
  }

  /** What the cloud's last scan (this backend's listMailboxes pages through it) showed of the holders. */
  listedHolders(addresses: readonly string[]): ListedHolders | undefined {
    return this.cloud.listedHolders?.(addresses);
  }

  async ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>> {
    const [cloud, directory] = await Promise.all([this.cloud.ownersOf(addresses), this.directory.ownersOf(addresses)]);
    const owners = new Map<string, AddressOwner>();
    // AD users this process has not read yet (the program gets its reads from the refresh): their
    // cloud recipient, by UPN, in one bulk read.
    const unknown = [
      ...new Set(
        [...directory.values()]
          .filter((o) => !this.#cloudIdOfDn.has(o.dn.toLowerCase()) && o.upn !== undefined)
          .map((o) => o.upn!),
      ),
    ];
    if (unknown.length > 0) {
      const found = await this.cloud.readMailboxes(unknown);
      for (const owner of directory.values()) {
        const mailbox = owner.upn === undefined ? undefined : found.get(owner.upn);
        if (mailbox !== undefined && masteredInDirectory(mailbox)) {
          this.#cloudIdOfDn.set(owner.dn.toLowerCase(), mailbox.id);
          this.#mastered.set(owner.upn!, { where: DIRECTORY, directoryKey: owner.upn!, cloudId: mailbox.id });
        }
      }
    }
    for (const [key, owner] of directory) {
      const cloudId = this.#cloudIdOfDn.get(owner.dn.toLowerCase());
      owners.set(
        key,
        cloudId !== undefined
          ? { id: cloudId, displayName: owner.displayName, ...(owner.kind ? { kind: owner.kind } : {}) }
          : owner,
      );
    }
    for (const [key, owner] of cloud)
      if (!owners.has(key) && !(await this.#heldOnlyInCloudBySynced(key, owner))) owners.set(key, owner);
    return owners;
  }

  async #heldOnlyInCloudBySynced(_key: string, owner: AddressOwner): Promise<boolean> {
    // An owner read this run as mastered in AD: AD's answer (above) is the truth for it.
    return [...this.#mastered.values()].some(
      (m) => m.where === DIRECTORY && m.cloudId.toLowerCase() === owner.id.toLowerCase(),
    );
  }

  /** Addresses the cloud still shows on a synced mailbox whose AD entry no longer holds them. */
  async waitingForSync(addresses: readonly string[]): Promise<Set<string>> {
    if (addresses.length === 0) return new Set();
    const [cloud, directory] = await Promise.all([this.cloud.ownersOf(addresses), this.directory.ownersOf(addresses)]);
    const held = [...cloud].filter(([key]) => !directory.has(key));
    if (held.length === 0) return new Set();
    const owners = await this.cloud.readMailboxes([...new Set(held.map(([, owner]) => owner.id))]);
    return new Set(
      held
        .filter(([, owner]) => {
          const m = owners.get(owner.id);
          return m !== undefined && masteredInDirectory(m);
        })
        .map(([key]) => key),
    );
  }

  /**
   * Writes where the mailbox is mastered. A cloud write leaves out an address the cloud still
   * shows on a synced mailbox that AD already let go of (Exchange would refuse it until the next
   * sync): the mailbox read back names it in `waitingForSync`, and the next run takes it.
   */
  async setEmailAddresses(
    identity: string,
    addresses: readonly string[],
    before?: readonly string[],
  ): Promise<LiveMailbox> {
    let where = this.#mastered.get(identity);
    if (where === undefined) {
      await this.readMailboxes([identity]);
      where = this.#mastered.get(identity);
    }
    if (where?.where === DIRECTORY) {
      await this.directory.setEmailAddresses(where.directoryKey!, addresses, before);
      return (await this.readMailboxes([identity])).get(identity)!;
    }
    const had = new Set(smtpKeys(before ?? []));
    const adding = addresses
      .map(parseProxyAddress)
      .filter((p) => p.kind === "smtp" && !had.has(addressKey(p.value)))
      .map((p) => p.value);
    const waiting = await this.waitingForSync(adding);
    const list =
      waiting.size === 0
        ? addresses
        : addresses.filter((e) => {
            const p = parseProxyAddress(e);
            return !(p.kind === "smtp" && waiting.has(addressKey(p.value)));
          });
    // Nothing left to write now: read, write nothing.
    const back =
      waiting.size > 0 && before !== undefined && sameAddressList(list, before)
        ? (await this.cloud.readMailboxes([identity])).get(identity)!
        : await this.cloud.setEmailAddresses(identity, list, before);
    return {
      ...back,
      writtenTo: CLOUD,
      ...(waiting.size > 0 ? { waitingForSync: adding.filter((a) => waiting.has(addressKey(a))) } : {}),
    };
  }

  /** AD's refusals for the synced mailboxes to be written (by their UPN there); the cloud tells none ahead. */
  async writeRefusals(
    mailboxes: readonly { readonly identity: string; readonly live: LiveMailbox }[],
  ): Promise<Map<string, string>> {
    const synced = mailboxes
      .filter((m) => m.live.writtenTo === DIRECTORY)
      .map((m) => ({ identity: m.identity, key: m.live.upn ?? m.identity }));
    if (synced.length === 0) return new Map();
    const refused = await this.directory.writeRefusals(synced.map((m) => ({ identity: m.key })));
    return new Map(synced.flatMap((m) => (refused.has(m.key) ? [[m.identity, refused.get(m.key)!] as const] : [])));
  }

  /** The cloud's pages, each synced mailbox with its AD values (one AD read per page). */
  async listMailboxes(next?: string): Promise<MailboxPage> {
    const page = await this.cloud.listMailboxes(next);
    const keys = page.mailboxes.map((m) => m.upn ?? m.id);
    const cloud = new Map(page.mailboxes.map((m, i) => [keys[i]!, m]));
    const merged = await this.#withDirectory(keys, cloud);
    return { mailboxes: keys.flatMap((k) => (merged.get(k) ? [merged.get(k)!] : [])), next: page.next };
  }

  async close(): Promise<void> {
    await Promise.all([this.cloud.close(), this.directory.close()]);
  }
}
