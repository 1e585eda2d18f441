// The local target: the tenant model in a SQLite file inside the project. Seeds itself from the
// shipped fixture the first time, so a fresh clone's first `pulumi up` has a tenant to converge.
import path from "node:path";
import { addressKey } from "../../core/address";
import { loadSeedFile } from "../../tenant/load-seed";
import { Tenant, type Recipient } from "../../tenant/tenant";
import type { AddressOwner } from "../../tenant/exchange-rules";
import type { LiveMailbox, LocalTargetSettings, MailboxPage, TenantBackend } from "../backend";

const toLive = (r: Recipient): LiveMailbox => ({
  id: r.id,
  upn: r.upn,
  displayName: r.displayName,
  type: r.type,
  synced: r.synced,
  cloudManaged: r.cloudManaged,
  addresses: r.addresses,
});

/** Opens the local tenant, seeding it when empty. Paths resolve against `baseDir`. */
export function openLocalTenant(settings: LocalTargetSettings, baseDir = process.cwd()): Tenant {
  const tenant = Tenant.open(path.resolve(baseDir, settings.database));
  if (!tenant.isSeeded()) tenant.seed(loadSeedFile(path.resolve(baseDir, settings.seed)));
  return tenant;
}

export class LocalBackend implements TenantBackend {
  readonly description: string;
  readonly #tenant: Tenant;

  constructor(settings: LocalTargetSettings, baseDir = process.cwd()) {
    this.description = `local tenant ${settings.database}`;
    this.#tenant = openLocalTenant(settings, baseDir);
  }

  async readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>> {
    return new Map(identities.map((identity) => {
      const found = this.#tenant.find(identity);
      return [identity, found === undefined ? undefined : toLive(found)];
    }));
  }

  async ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>> {
    const owners = new Map<string, AddressOwner>();
    for (const address of addresses) {
      const owner = this.#tenant.ownerOf(address);
      if (owner !== undefined) owners.set(addressKey(address), owner);
    }
    return owners;
  }

  async acceptedDomains(): Promise<string[]> {
    return this.#tenant.acceptedDomains();
  }

  async setEmailAddresses(identity: string, addresses: readonly string[]): Promise<LiveMailbox> {
    this.#tenant.setEmailAddresses(identity, addresses);
    const back = this.#tenant.find(identity);
    if (back === undefined) throw new Error(`mailbox "${identity}" disappeared after the write`);
    return toLive(back);
  }

  async setCloudManaged(identity: string): Promise<void> {
    this.#tenant.setCloudManaged(identity, true);
  }

  async listMailboxes(next?: string): Promise<MailboxPage> {
    const page = this.#tenant.list({ after: next, limit: 1000, usersOnly: true });
    return { mailboxes: page.map(toLive), next: page.length === 1000 ? page[page.length - 1]!.id : undefined };
  }

  async close(): Promise<void> {
    this.#tenant.close();
  }
}
