// The local target: the tenant model in a SQLite file inside the project. Seeds itself from the
// shipped fixture on first use only (tenant/local-store.ts): a store that was lost or damaged
// later is an error naming the path and `tenant reset`, never a silent re-seed.
import { existsSync } from "node:fs";
import path from "node:path";
import { addressKey } from "../../core/address";
import { addressDelta, isEmptyDelta } from "../../core/plan/address-delta";
import { DEFAULT_SEED_FILE, loadSeedFile } from "../../tenant/load-seed";
import { openLocalStore, StoreIdentity, storeFailure, TenantStoreError } from "../../tenant/local-store";
import { policyAttributesOf, UpnError, type Tenant, type Recipient } from "../../tenant/tenant";
import { MAILBOX_KINDS, type AddressOwner } from "../../exchange/exchange-rules";
import type { BackendCapabilities, LiveMailbox, MailboxPage, TenantBackend } from "../tenant-backend";
import { describeLocalTarget, LOCAL_DEFAULTS, type LocalTargetSettings } from "./settings";

/** `changedAt`: recipient id → when its addresses last changed (Tenant.addressesChangedAt). */
const toLive = (r: Recipient, changedAt: ReadonlyMap<string, string>): LiveMailbox => ({
  id: r.id,
  upn: r.upn,
  displayName: r.displayName,
  kind: r.kind,
  ...(r.externalEmailAddress ? { externalEmailAddress: r.externalEmailAddress } : {}),
  synced: r.synced,
  cloudManaged: r.cloudManaged,
  addresses: r.addresses,
  ...(changedAt.has(r.id) ? { addressesChangedAt: changedAt.get(r.id)! } : {}),
});

/** Opens the local tenant, seeding it on first use only. Paths resolve against `baseDir`. */
export function openLocalTenant(settings: LocalTargetSettings, baseDir = process.cwd()): Tenant {
  const database = path.resolve(baseDir, settings.database);
  return openLocalStore(database, () => {
    const seed = seedFileOf(settings, baseDir);
    if (!existsSync(seed)) {
      throw new TenantStoreError(
        database,
        `its seed ${path.relative(process.cwd(), seed) || seed} does not exist, so the tenant cannot be created`,
        `Nothing was created. Name a seed file with mailbox-addresses:localSeed (or --seed); the package ships one: ${DEFAULT_SEED_FILE}`,
      );
    }
    return loadSeedFile(seed);
  });
}

/**
 * The seed a local tenant is created from: the setting's file, relative to `baseDir`. The default
 * (tenant/seeds/contoso.yaml) is the package's shipped seed wherever the project keeps no file of
 * that name: a repository of one's own, whose package sits in node_modules.
 */
export function seedFileOf(settings: Pick<LocalTargetSettings, "seed">, baseDir = process.cwd()): string {
  const named = path.resolve(baseDir, settings.seed);
  return settings.seed === LOCAL_DEFAULTS.localSeed && !existsSync(named) ? DEFAULT_SEED_FILE : named;
}

export class LocalBackend implements TenantBackend {
  readonly description: string;
  /** The tenant model keeps accepted domains and cloud management as Exchange does. */
  readonly capabilities: BackendCapabilities = {
    cloudManaged: { set: (identity) => this.setCloudManaged(identity) },
    acceptedDomains: { list: () => this.acceptedDomains() },
    policyAttributes: {
      readAll: async () =>
        this.#use(() =>
          this.#tenant
            .list({ usersOnly: true, kinds: [...MAILBOX_KINDS] })
            .filter((r) => r.addresses.length > 0)
            .map(policyAttributesOf),
        ),
    },
    userPrincipalName: { set: async (id, upn) => this.setUserPrincipalName(id, upn) },
  };
  readonly #tenant: Tenant;
  readonly #database: string;
  readonly #store: StoreIdentity;
  /** The list last read per identity (lower-case): what a write's delta is taken against. */
  readonly #lastRead = new Map<string, readonly string[]>();

  constructor(settings: LocalTargetSettings, baseDir = process.cwd()) {
    this.description = describeLocalTarget(settings);
    this.#database = path.resolve(baseDir, settings.database);
    this.#tenant = openLocalTenant(settings, baseDir);
    this.#store = new StoreIdentity(this.#database);
  }

  /** Runs `work` on the store, after checking it is still the file this process opened. */
  #use<T>(work: () => T): T {
    this.#store.check();
    try {
      return work();
    } catch (err) {
      throw storeFailure(this.#database, err);
    }
  }

  async readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>> {
    return this.#use(
      () =>
        new Map(
          identities.map((identity) => {
            const found = this.#tenant.resolve(identity);
            if (found !== undefined) this.#lastRead.set(identity.toLowerCase(), found.addresses);
            return [
              identity,
              found === undefined ? undefined : toLive(found, this.#tenant.addressesChangedAt([found.id])),
            ];
          }),
        ),
    );
  }

  async ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>> {
    return this.#use(() => {
      const owners = new Map<string, AddressOwner>();
      for (const address of addresses) {
        const owner = this.#tenant.ownerOf(address);
        if (owner !== undefined) owners.set(addressKey(address), owner);
      }
      return owners;
    });
  }

  async acceptedDomains(): Promise<string[]> {
    return this.#use(() => this.#tenant.acceptedDomains());
  }

  async setEmailAddresses(
    identity: string,
    addresses: readonly string[],
    before?: readonly string[],
  ): Promise<LiveMailbox> {
    return this.#use(() => {
      // Every kind through the tenant model, which records the kind's cmdlet (Set-UnifiedGroup, …).
      const target = this.#tenant.resolve(identity);
      const base = before ?? this.#lastRead.get(identity.toLowerCase()) ?? target?.addresses;
      // An unknown mailbox: the full-list write raises Exchange's not-found error.
      // An alias resolves to the object id, as Exchange resolves -Identity.
      const id = target === undefined || this.#tenant.find(identity) !== undefined ? identity : target.id;
      if (base === undefined) this.#tenant.setEmailAddresses(id, addresses);
      else {
        const delta = addressDelta(base, addresses);
        if (!isEmptyDelta(delta)) this.#tenant.addRemoveEmailAddresses(id, delta.add, delta.remove);
      }
      const back = this.#tenant.find(target?.id ?? identity);
      if (back === undefined) throw new Error(`mailbox "${identity}" disappeared after the write`);
      this.#lastRead.set(identity.toLowerCase(), back.addresses);
      // What a write returns is planned with, not told as drift: no change time needed.
      return toLive(back, new Map());
    });
  }

  async setUserPrincipalName(id: string, upn: string): Promise<void> {
    this.#use(() => {
      try {
        this.#tenant.setUserPrincipalName(id, upn);
      } catch (err) {
        if (err instanceof UpnError)
          throw new UpnError(
            err.status,
            err.code,
            `the user principal name of "${id}" cannot become "${upn}": ${err.message}`,
          );
        throw err;
      }
    });
  }

  async setCloudManaged(identity: string): Promise<void> {
    this.#use(() => this.#tenant.setCloudManaged(identity, true));
  }

  async listMailboxes(next?: string): Promise<MailboxPage> {
    return this.#use(() => {
      // Every kind: mailboxes, groups, mail users, contacts (docs/RECIPIENT-KINDS.md).
      const page = this.#tenant.list({ after: next, limit: 1000 });
      const changedAt = this.#tenant.addressesChangedAt(page.map((r) => r.id));
      return {
        mailboxes: page.map((r) => toLive(r, changedAt)),
        next: page.length === 1000 ? page[page.length - 1]!.id : undefined,
      };
    });
  }

  async close(): Promise<void> {
    this.#tenant.close();
  }
}
