// The tenant model: recipients, their EmailAddresses and the tenant's domains, kept in SQLite
// (node:sqlite, built into Node 22.5+: no native addon to compile, nothing to download), with
// Exchange's rules (./exchange-rules) applied to every write. The local target uses it directly;
// the emulator serves it over Microsoft's protocols. Every write is one transaction.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { addressKey, parseProxyAddress } from "../core/address";
import { MailboxAddressesError } from "../core/errors";
import { ExchangeError } from "../exchange/exchange-error";
import {
  applyAddRemove,
  applyPrimarySmtpAddress,
  checkEmailAddresses,
  notFoundMessage,
  DEFAULT_RECIPIENT_KIND,
  kindOf,
  RECIPIENT_KINDS,
  parseRecipientKind,
  DELETED_RETENTION_DAYS,
  type AddressOwner,
  type HolderKind,
  type RecipientFacts,
  type RecipientKind,
  type TenantFacts,
} from "../exchange/exchange-rules";
import type { MailboxAttributes } from "../core/policy/policy-types";
import type { TenantSeed } from "./seed-types.generated";

/** Which recipients {@link Tenant.list} returns. */
export interface ListOptions {
  /** Start after this id (ids are ordered). */
  readonly after?: string;
  readonly limit?: number;
  /** Only recipients with a user principal name (mailboxes and mail users: Graph's users). */
  readonly usersOnly?: boolean;
  /** Only these kinds. */
  readonly kinds?: readonly RecipientKind[];
}

/** What the directory sync (Entra Connect) set on a synced recipient, as Graph names it. */
export interface OnPremisesAttributes {
  /** base64 of the AD objectGUID (onPremisesImmutableId). */
  readonly immutableId: string;
  /** The AD objectSid as a string (onPremisesSecurityIdentifier). */
  readonly securityIdentifier: string;
  /** ISO 8601, seconds, Z (onPremisesLastSyncDateTime). */
  readonly lastSyncDateTime: string;
}

/** Directory attributes address policies read (Graph's names; `initials` is Exchange's Initials). */
export interface DirectoryAttributes {
  readonly givenName?: string;
  readonly surname?: string;
  readonly initials?: string;
  /** Exchange's alias; absent: derived (emulator/exchange-endpoint.ts aliasOf). */
  readonly mailNickname?: string;
  readonly department?: string;
  readonly companyName?: string;
  readonly country?: string;
}

/** A recipient as the tenant holds it. */
export interface Recipient extends RecipientFacts {
  /** User principal name; groups and contacts have none. */
  readonly upn: string | undefined;
  /** Its kind: always known here (stored in the column `type`, the seed's name for it). */
  readonly kind: RecipientKind;
  /** Set by the emulator's directory sync (emulator/directory-sync.ts) on the users it synced. */
  readonly onPremises?: OnPremisesAttributes;
  /** Given name, surname, department…: what address policies match and template on. */
  readonly attributes?: DirectoryAttributes;
}

/** A recipient to add: its `kind` may be left out (a user mailbox, exchange-rules `kindOf`). */
export type NewRecipient = Omit<Recipient, "kind"> & { readonly kind?: RecipientKind | undefined };

/** One write recorded by the tenant: tests count them, `tenant show` lists them. */
export interface WriteRecord {
  readonly seq: number;
  readonly recipientId: string;
  readonly operation: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly at: string;
}

/**
 * An object holding addresses that is not a recipient Exchange lists (exchange-rules HolderKind):
 * a mail-enabled public folder, an Entra user or contact without a recipient, a soft-deleted
 * mailbox or a deleted user in Entra's recycle bin. Exchange refuses its addresses to anyone else.
 */
export interface DirectoryHolder {
  readonly id: string;
  readonly kind: Exclude<HolderKind, "Releasing" | "EntraGroup">;
  readonly displayName: string;
  readonly upn?: string | undefined;
  readonly synced: boolean;
  readonly addresses: readonly string[];
  /** Deleted holders (SoftDeletedMailbox, DeletedUser): when, ISO 8601. */
  readonly deletedAt?: string | undefined;
}

const DELETED_KINDS: ReadonlySet<string> = new Set(["SoftDeletedMailbox", "DeletedUser"]);

export interface TenantInfo {
  readonly name: string;
  readonly id: string;
  readonly moeraDomain: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenant (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accepted_domains (domain TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS recipients (
  id TEXT PRIMARY KEY,
  upn TEXT,
  upn_key TEXT UNIQUE,
  display_name TEXT NOT NULL,
  type TEXT NOT NULL,
  synced INTEGER NOT NULL DEFAULT 0,
  cloud_managed INTEGER NOT NULL DEFAULT 0,
  addresses TEXT NOT NULL,
  external_address TEXT
);
-- One row per SMTP address, lower-cased: the primary key makes an address unique across recipients.
CREATE TABLE IF NOT EXISTS smtp_addresses (
  address TEXT PRIMARY KEY,
  recipient_id TEXT NOT NULL REFERENCES recipients(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS smtp_addresses_recipient ON smtp_addresses(recipient_id);
-- Objects holding addresses that are not recipients Exchange lists (DirectoryHolder), and their
-- SMTP addresses (lower-cased), unique among themselves; the model keeps them apart from recipients'.
CREATE TABLE IF NOT EXISTS holders (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  display_name TEXT NOT NULL,
  upn TEXT,
  synced INTEGER NOT NULL DEFAULT 0,
  addresses TEXT NOT NULL,
  deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS holder_addresses (
  address TEXT PRIMARY KEY,
  holder_id TEXT NOT NULL REFERENCES holders(id) ON DELETE CASCADE
);
-- Addresses removed from a recipient, kept while the tenant's release lag lasts (addressReleaseLagMs).
CREATE TABLE IF NOT EXISTS released_addresses (
  address TEXT PRIMARY KEY,
  recipient_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  released_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS writes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS writes_by_recipient ON writes (recipient_id, seq);
`;

interface RecipientRow {
  id: string;
  upn: string | null;
  display_name: string;
  type: string;
  synced: number;
  cloud_managed: number;
  addresses: string;
  external_address: string | null;
  on_premises?: string | null;
  attributes?: string | null;
}

interface HolderRow {
  id: string;
  kind: string;
  display_name: string;
  upn: string | null;
  synced: number;
  addresses: string;
  deleted_at: string | null;
}

function toHolder(row: HolderRow): DirectoryHolder {
  return {
    id: row.id,
    kind: row.kind as DirectoryHolder["kind"],
    displayName: row.display_name,
    upn: row.upn ?? undefined,
    synced: row.synced === 1,
    addresses: JSON.parse(row.addresses) as string[],
    deletedAt: row.deleted_at ?? undefined,
  };
}

/** A deleted holder past its retention: purged, its addresses free. */
const purged = (h: DirectoryHolder) =>
  h.deletedAt !== undefined && Date.parse(h.deletedAt) + DELETED_RETENTION_DAYS * 86_400_000 <= Date.now();

function toRecipient(row: RecipientRow): Recipient {
  // A tenant file written before the kinds were told apart holds "Group": a distribution group.
  const kind = parseRecipientKind(row.type) ?? DEFAULT_RECIPIENT_KIND;
  return {
    id: row.id,
    upn: row.upn ?? undefined,
    displayName: row.display_name,
    kind,
    synced: row.synced === 1,
    cloudManaged: row.cloud_managed === 1,
    addresses: JSON.parse(row.addresses) as string[],
    ...(row.external_address ? { externalEmailAddress: row.external_address } : {}),
    ...(row.on_premises ? { onPremises: JSON.parse(row.on_premises) as OnPremisesAttributes } : {}),
    ...(row.attributes ? { attributes: JSON.parse(row.attributes) as DirectoryAttributes } : {}),
  };
}

/**
 * A mail contact's external address when the seed does not name it: its primary SMTP address
 * (Set-MailContact docs: "By default, this value is used as the primary email address").
 */
function defaultExternalAddress(kind: RecipientKind, addresses: readonly string[]): string | undefined {
  if (kind !== "MailContact") return undefined;
  return addresses.map(parseProxyAddress).find((p) => p.primary)?.value;
}

/** The Exchange alias (docs/RECIPIENT-KINDS.md): {@link mailNicknameOf}; -Identity resolves by it. */
export function aliasOf(r: Recipient): string {
  return mailNicknameOf(r);
}

const smtpKeysOf = (addresses: readonly string[]) =>
  addresses
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp")
    .map((p) => addressKey(p.value));

/** Exchange's alias of a recipient: the stored one, else the MOERA's local part, the UPN's, the primary's. */
export function mailNicknameOf(r: Recipient): string {
  if (r.attributes?.mailNickname) return r.attributes.mailNickname;
  const smtp = r.addresses.map(parseProxyAddress).filter((p) => p.kind === "smtp");
  const moera = smtp.find((p) => /\.onmicrosoft\.com$/i.test(p.value) && !/\.mail\.onmicrosoft\.com$/i.test(p.value));
  const from = moera?.value ?? r.upn ?? smtp.find((p) => p.primary)?.value ?? "";
  return from.split("@")[0] || r.id;
}

/** What address policies read of a recipient (core/policy/policy-types.ts). */
export function policyAttributesOf(r: Recipient): MailboxAttributes {
  const a = r.attributes ?? {};
  return {
    id: r.id,
    userPrincipalName: r.upn,
    kind: r.kind,
    displayName: r.displayName,
    givenName: a.givenName,
    surname: a.surname,
    initials: a.initials,
    alias: mailNicknameOf(r),
    department: a.department,
    company: a.companyName,
    country: a.country,
    addresses: r.addresses,
  };
}

/** A refusal of Graph's PATCH of userPrincipalName, with Graph's status and error code. */
export class UpnError extends MailboxAddressesError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "UpnError";
  }
}

/** A tenant kept in a SQLite file (or `:memory:`). */
export class Tenant {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating if needed) the tenant database at `file`. Several processes may share it. */
  static open(file: string): Tenant {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new DatabaseSync(file);
    db.exec("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;");
    if (file !== ":memory:") db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(SCHEMA);
    // Tenant files from before ExternalEmailAddress was kept gain the column (empty).
    const columns = db.prepare("PRAGMA table_info(recipients)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "external_address"))
      db.exec("ALTER TABLE recipients ADD COLUMN external_address TEXT");
    // Tenant files from before the emulator's directory sync gain its column (empty).
    if (!columns.some((c) => c.name === "on_premises")) db.exec("ALTER TABLE recipients ADD COLUMN on_premises TEXT");
    // Tenant files from before address policies gain the directory attributes (empty).
    if (!columns.some((c) => c.name === "attributes")) db.exec("ALTER TABLE recipients ADD COLUMN attributes TEXT");
    return new Tenant(db);
  }

  close(): void {
    this.#db.close();
  }

  /** Opens the tenant at `file`, runs `work`, and closes it again (also when `work` throws). */
  static withFile<T>(file: string, work: (tenant: Tenant) => T): T {
    const tenant = Tenant.open(file);
    try {
      return work(tenant);
    } finally {
      tenant.close();
    }
  }

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE: writers queue, readers go on). */
  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** True once the tenant has been seeded. */
  isSeeded(): boolean {
    return this.#db.prepare("SELECT 1 FROM tenant WHERE key = 'name'").get() !== undefined;
  }

  info(): TenantInfo {
    const rows = this.#db.prepare("SELECT key, value FROM tenant").all() as { key: string; value: string }[];
    const get = (key: string) => rows.find((r) => r.key === key)?.value ?? "";
    return { name: get("name"), id: get("id"), moeraDomain: get("moeraDomain") };
  }

  acceptedDomains(): string[] {
    return (this.#db.prepare("SELECT domain FROM accepted_domains ORDER BY domain").all() as { domain: string }[]).map(
      (r) => r.domain,
    );
  }

  /** Replaces the whole tenant with a seed. */
  seed(seed: TenantSeed): void {
    this.#transaction(() => {
      this.#db.exec(
        "DELETE FROM smtp_addresses; DELETE FROM recipients; DELETE FROM holder_addresses; DELETE FROM holders; DELETE FROM released_addresses; DELETE FROM accepted_domains; DELETE FROM tenant; DELETE FROM writes;",
      );
      const setInfo = this.#db.prepare("INSERT INTO tenant (key, value) VALUES (?, ?)");
      setInfo.run("name", seed.tenant.name);
      setInfo.run("id", seed.tenant.id);
      setInfo.run("moeraDomain", seed.tenant.moeraDomain.toLowerCase());
      if (seed.tenant.addressReleaseLagMs !== undefined)
        setInfo.run("addressReleaseLagMs", String(seed.tenant.addressReleaseLagMs));
      const addDomain = this.#db.prepare("INSERT INTO accepted_domains (domain) VALUES (?)");
      for (const domain of seed.tenant.acceptedDomains) addDomain.run(domain.toLowerCase());
      for (const r of seed.recipients) {
        this.#insertRecipient({
          id: r.id,
          upn: r.upn,
          displayName: r.displayName,
          kind: parseRecipientKind(r.type) ?? DEFAULT_RECIPIENT_KIND,
          synced: r.synced ?? false,
          cloudManaged: r.cloudManaged ?? false,
          addresses: r.addresses,
          externalEmailAddress:
            r.externalEmailAddress?.replace(/^smtp:/i, "") ??
            defaultExternalAddress(parseRecipientKind(r.type) ?? DEFAULT_RECIPIENT_KIND, r.addresses),
          ...(r.attributes ? { attributes: r.attributes } : {}),
        });
      }
      // Deleted holders are seeded as deleted so many days before the seeding: the seed stays valid.
      for (const h of seed.holders ?? []) {
        this.#insertHolder({
          id: h.id,
          kind: h.kind,
          displayName: h.displayName,
          upn: h.upn,
          synced: h.synced ?? false,
          addresses: h.addresses,
          deletedAt:
            h.deletedDaysAgo === undefined
              ? undefined
              : new Date(Date.now() - h.deletedDaysAgo * 86_400_000).toISOString(),
        });
      }
    });
  }

  /** Adds an object that holds addresses without being a recipient Exchange lists (tests, seeds). Fails on a duplicate address. */
  addHolder(holder: DirectoryHolder): void {
    this.#transaction(() => this.#insertHolder(holder));
  }

  #insertHolder(h: DirectoryHolder): void {
    if (DELETED_KINDS.has(h.kind) !== (h.deletedAt !== undefined))
      throw new Error(
        `holder "${h.displayName}": a ${h.kind} ${h.deletedAt === undefined ? "needs" : "has no"} deletion time`,
      );
    this.#db
      .prepare(
        "INSERT INTO holders (id, kind, display_name, upn, synced, addresses, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        h.id.toLowerCase(),
        h.kind,
        h.displayName,
        h.upn ?? null,
        h.synced ? 1 : 0,
        JSON.stringify(h.addresses),
        h.deletedAt ?? null,
      );
    const index = this.#db.prepare("INSERT INTO holder_addresses (address, holder_id) VALUES (?, ?)");
    for (const key of new Set(smtpKeysOf(h.addresses))) {
      if (this.#recipientOwnerOf(key) !== undefined)
        throw new Error(`seed: the address ${key} of "${h.displayName}" already belongs to a recipient`);
      try {
        index.run(key, h.id.toLowerCase());
      } catch {
        throw new Error(`seed: the address ${key} of "${h.displayName}" already belongs to another holder`);
      }
    }
  }

  /** Removes a holder, freeing its addresses at once: a purge (Remove-Mailbox -PermanentlyDelete, a permanent delete from the recycle bin), or a test's cleanup. */
  removeHolder(id: string): void {
    this.#db.prepare("DELETE FROM holders WHERE id = ?").run(id.toLowerCase());
  }

  /**
   * The holders of `kinds` that still hold their addresses: deleted ones until they are purged,
   * {@link DELETED_RETENTION_DAYS} days after their deletion.
   */
  holders(kinds?: readonly DirectoryHolder["kind"][]): DirectoryHolder[] {
    const rows = this.#db.prepare("SELECT * FROM holders ORDER BY id").all() as unknown as HolderRow[];
    return rows.map(toHolder).filter((h) => (kinds === undefined || kinds.includes(h.kind)) && !purged(h));
  }

  /** The tenant's release lag (0: an address removed is free at once). */
  addressReleaseLagMs(): number {
    const row = this.#db.prepare("SELECT value FROM tenant WHERE key = 'addressReleaseLagMs'").get() as
      { value: string } | undefined;
    return row === undefined ? 0 : Number(row.value) || 0;
  }

  /** Sets the release lag: for so long after an address leaves a recipient, Exchange refuses it to any other. */
  setAddressReleaseLagMs(ms: number): void {
    this.#db
      .prepare("INSERT OR REPLACE INTO tenant (key, value) VALUES ('addressReleaseLagMs', ?)")
      .run(String(Math.max(0, ms)));
  }

  /** Adds a recipient (seeding, generated benchmark tenants). Fails on a duplicate address. */
  addRecipient(recipient: NewRecipient): void {
    this.#transaction(() => this.#insertRecipient(recipient));
  }

  #insertRecipient(r: NewRecipient): void {
    const kind = kindOf(r);
    for (const key of new Set(smtpKeysOf(r.addresses))) {
      if (this.#holderOf(key) !== undefined)
        throw new Error(`seed: the address ${key} of "${r.displayName}" already belongs to a holder`);
    }
    this.#db
      .prepare(
        "INSERT INTO recipients (id, upn, upn_key, display_name, type, synced, cloud_managed, addresses, external_address, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        r.id.toLowerCase(),
        r.upn ?? null,
        r.upn?.toLowerCase() ?? null,
        r.displayName,
        kind,
        r.synced ? 1 : 0,
        r.cloudManaged ? 1 : 0,
        JSON.stringify(r.addresses),
        RECIPIENT_KINDS[kind].external
          ? (r.externalEmailAddress ?? defaultExternalAddress(kind, r.addresses) ?? null)
          : null,
        r.attributes && Object.keys(r.attributes).length > 0 ? JSON.stringify(r.attributes) : null,
      );
    const index = this.#db.prepare("INSERT INTO smtp_addresses (address, recipient_id) VALUES (?, ?)");
    for (const key of new Set(smtpKeysOf(r.addresses))) {
      try {
        index.run(key, r.id.toLowerCase());
      } catch {
        throw new Error(`seed: the address ${key} of "${r.displayName}" already belongs to another recipient`);
      }
    }
  }

  /**
   * Finds a recipient by Entra object id, user principal name or any of its SMTP addresses
   * (the identities Get-Mailbox and Graph accept), case-insensitively.
   */
  find(identity: string): Recipient | undefined {
    const key = identity.trim().toLowerCase();
    const row =
      this.#db.prepare("SELECT * FROM recipients WHERE id = ?").get(key) ??
      this.#db.prepare("SELECT * FROM recipients WHERE upn_key = ?").get(key) ??
      this.#db
        .prepare("SELECT r.* FROM recipients r JOIN smtp_addresses s ON s.recipient_id = r.id WHERE s.address = ?")
        .get(key);
    return row === undefined ? undefined : toRecipient(row as unknown as RecipientRow);
  }

  /**
   * The recipient an -Identity names, as Exchange resolves it: object id, UPN, any SMTP address
   * (with or without its prefix), or alias (docs/RECIPIENT-KINDS.md).
   */
  resolve(identity: string): Recipient | undefined {
    const text = identity.trim();
    const direct = this.find(text) ?? this.find(text.replace(/^smtp:/i, ""));
    if (direct !== undefined || text.includes("@")) return direct;
    const wanted = text.toLowerCase();
    return this.list({}).find((r) => aliasOf(r).toLowerCase() === wanted);
  }

  /**
   * Every recipient, ordered by id; `after` and `limit` page through them. `usersOnly` keeps
   * those with a user principal name (mailboxes and mail users: what Graph lists as users).
   */
  list(options: ListOptions = {}): Recipient[] {
    const clauses = ["id > ?"];
    const values: string[] = [options.after?.toLowerCase() ?? ""];
    if (options.usersOnly) clauses.push("upn_key IS NOT NULL");
    if (options.kinds !== undefined) {
      // "Group" too: a tenant file from before the kinds were told apart.
      const stored = options.kinds.flatMap((t) => (t === "MailUniversalDistributionGroup" ? [t, "Group"] : [t]));
      clauses.push(`type IN (${stored.map(() => "?").join(", ") || "NULL"})`);
      values.push(...stored);
    }
    const rows = this.#db
      .prepare(`SELECT * FROM recipients WHERE ${clauses.join(" AND ")} ORDER BY id LIMIT ?`)
      .all(...values, options.limit ?? -1) as unknown as RecipientRow[];
    return rows.map(toRecipient);
  }

  count(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM recipients").get() as { n: number }).n;
  }

  /**
   * Who holds an SMTP address (case-insensitive), if anyone: a recipient, else an object Exchange
   * does not list as one (a public folder, an Entra-only or a deleted holder, with `holder` set).
   */
  ownerOf(address: string): AddressOwner | undefined {
    return this.#recipientOwnerOf(address) ?? this.#holderOf(address);
  }

  #recipientOwnerOf(address: string): AddressOwner | undefined {
    const row = this.#db
      .prepare(
        "SELECT r.id, r.display_name, r.type FROM recipients r JOIN smtp_addresses s ON s.recipient_id = r.id WHERE s.address = ?",
      )
      .get(addressKey(address)) as { id: string; display_name: string; type: string } | undefined;
    if (row === undefined) return undefined;
    const kind = parseRecipientKind(row.type) ?? DEFAULT_RECIPIENT_KIND;
    return { id: row.id, displayName: row.display_name, kind };
  }

  #holderOf(address: string): AddressOwner | undefined {
    const row = this.#db
      .prepare("SELECT h.* FROM holders h JOIN holder_addresses a ON a.holder_id = h.id WHERE a.address = ?")
      .get(addressKey(address)) as unknown as HolderRow | undefined;
    if (row === undefined) return undefined;
    const holder = toHolder(row);
    if (purged(holder)) return undefined;
    return {
      id: holder.id,
      displayName: holder.displayName,
      holder: { kind: holder.kind, deletedAt: holder.deletedAt, synced: holder.synced, upn: holder.upn },
    };
  }

  /** The recipient that let go of an address less than the release lag ago, if any. */
  #releasingOwnerOf(address: string): AddressOwner | undefined {
    const lag = this.addressReleaseLagMs();
    if (lag <= 0) return undefined;
    const row = this.#db
      .prepare("SELECT * FROM released_addresses WHERE address = ? AND released_at > ?")
      .get(addressKey(address), Date.now() - lag) as
      { recipient_id: string; display_name: string; released_at: number } | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.recipient_id,
      displayName: row.display_name,
      holder: { kind: "Releasing", releasedAt: new Date(row.released_at).toISOString() },
    };
  }

  /**
   * The facts Exchange's rules consult, read from this tenant: who holds an address is also, for
   * the release lag, the recipient that let go of it a moment ago (any other recipient's add is
   * refused; its own is not).
   */
  facts(): TenantFacts {
    return {
      acceptedDomains: new Set(this.acceptedDomains()),
      moeraDomain: this.info().moeraDomain,
      ownerOf: (a) => this.ownerOf(a) ?? this.#releasingOwnerOf(a),
    };
  }

  #require(identity: string): Recipient {
    const recipient = this.find(identity);
    if (recipient === undefined) {
      throw new ExchangeError(identity, [{ code: "NotFound", message: notFoundMessage(identity, this.info().name) }]);
    }
    return recipient;
  }

  /**
   * Set-Mailbox -EmailAddresses with a full list: replaces the recipient's list after checking
   * Exchange's rules. Throws an {@link ExchangeError} and writes nothing when a rule is broken.
   */
  setEmailAddresses(identity: string, addresses: readonly string[], operation?: string): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(identity);
      return this.#write(
        recipient,
        identity,
        addresses,
        operation ?? `${RECIPIENT_KINDS[recipient.kind].setCmdlet} -EmailAddresses`,
      );
    });
  }

  /** Set-… -EmailAddresses @{Add=...; Remove=...} (the kind's cmdlet): changes entries, keeps the rest. */
  addRemoveEmailAddresses(identity: string, add: readonly string[], remove: readonly string[]): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(identity);
      return this.#write(
        recipient,
        identity,
        applyAddRemove(recipient.addresses, add, remove),
        `${RECIPIENT_KINDS[recipient.kind].setCmdlet} -EmailAddresses @{Add;Remove}`,
      );
    });
  }

  /**
   * Set-… -PrimarySmtpAddress (or -WindowsEmailAddress): the address becomes the primary, the old
   * primary an alias, under the same rules as any other write.
   */
  setPrimarySmtpAddress(identity: string, address: string, parameter = "PrimarySmtpAddress"): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(identity);
      return this.#write(
        recipient,
        identity,
        applyPrimarySmtpAddress(recipient.addresses, address),
        `${RECIPIENT_KINDS[recipient.kind].setCmdlet} -${parameter}`,
      );
    });
  }

  /**
   * Set-MailContact / Set-MailUser -ExternalEmailAddress: the new target address replaces the old
   * one; "the old external email address isn't kept as a proxy address" (Set-MailContact docs).
   * Where the old one was in EmailAddresses, the new one takes its place (primary if it was).
   */
  setExternalEmailAddress(identity: string, external: string): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(identity);
      const address = external.replace(/^smtp:/i, "");
      const old = recipient.externalEmailAddress;
      const wasPrimary =
        old !== undefined &&
        recipient.addresses.some(
          (e) => parseProxyAddress(e).primary && addressKey(parseProxyAddress(e).value) === addressKey(old),
        );
      const held = old !== undefined && smtpKeysOf(recipient.addresses).includes(addressKey(old));
      const rest = recipient.addresses.filter((e) => {
        const p = parseProxyAddress(e);
        return !(
          p.kind === "smtp" &&
          (addressKey(p.value) === addressKey(address) ||
            (old !== undefined && addressKey(p.value) === addressKey(old)))
        );
      });
      const addresses = held
        ? wasPrimary
          ? [`SMTP:${address}`, ...rest]
          : [...rest, `smtp:${address}`]
        : recipient.addresses;
      // The old external address leaves the list: the rules see the new one as the external one.
      const updated = this.#write(
        { ...recipient, externalEmailAddress: address },
        identity,
        addresses,
        `${RECIPIENT_KINDS[recipient.kind].setCmdlet} -ExternalEmailAddress`,
        recipient.addresses,
      );
      this.#db.prepare("UPDATE recipients SET external_address = ? WHERE id = ?").run(address, recipient.id);
      return { ...updated, externalEmailAddress: address };
    });
  }

  #write(
    recipient: Recipient,
    identity: string,
    addresses: readonly string[],
    operation: string,
    before: readonly string[] = recipient.addresses,
  ): Recipient {
    const violations = checkEmailAddresses(recipient, addresses, this.facts(), identity);
    if (violations.length > 0) throw new ExchangeError(identity, violations);
    return this.#store(recipient, addresses, operation, before);
  }

  #store(
    recipient: Recipient,
    addresses: readonly string[],
    operation: string,
    before: readonly string[] = recipient.addresses,
  ): Recipient {
    // The release lag: each address this write lets go of is remembered with the time; an address
    // it takes is no longer being released.
    const kept = new Set(smtpKeysOf(addresses));
    if (this.addressReleaseLagMs() > 0) {
      const release = this.#db.prepare(
        "INSERT OR REPLACE INTO released_addresses (address, recipient_id, display_name, released_at) VALUES (?, ?, ?, ?)",
      );
      for (const key of new Set(smtpKeysOf(recipient.addresses)))
        if (!kept.has(key)) release.run(key, recipient.id, recipient.displayName, Date.now());
    }
    const taken = this.#db.prepare("DELETE FROM released_addresses WHERE address = ?");
    for (const key of kept) taken.run(key);
    this.#db.prepare("UPDATE recipients SET addresses = ? WHERE id = ?").run(JSON.stringify(addresses), recipient.id);
    this.#db.prepare("DELETE FROM smtp_addresses WHERE recipient_id = ?").run(recipient.id);
    const index = this.#db.prepare("INSERT INTO smtp_addresses (address, recipient_id) VALUES (?, ?)");
    for (const key of new Set(smtpKeysOf(addresses))) index.run(key, recipient.id);
    this.#db
      .prepare("INSERT INTO writes (recipient_id, operation, before, after, at) VALUES (?, ?, ?, ?, ?)")
      .run(recipient.id, operation, JSON.stringify(before), JSON.stringify(addresses), new Date().toISOString());
    return { ...recipient, addresses: [...addresses] };
  }

  /**
   * The directory sync's export into the cloud (emulator/directory-sync.ts): the synced user's
   * computed proxy addresses and on-premises attributes, written without Exchange's write-scope
   * rule (the sync is the one writer of a synced object) but with its uniqueness: an address
   * another recipient holds fails the whole object, as a sync error does, and writes nothing.
   */
  applyDirectorySync(id: string, addresses: readonly string[], onPremises: OnPremisesAttributes): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(id);
      for (const key of new Set(smtpKeysOf(addresses))) {
        const owner = this.ownerOf(key);
        if (owner !== undefined && owner.id !== recipient.id) {
          throw new Error(`AttributeValueMustBeUnique: ${key} is already held by ${owner.displayName} (${owner.id})`);
        }
      }
      const changed = JSON.stringify(addresses) !== JSON.stringify(recipient.addresses);
      this.#db
        .prepare("UPDATE recipients SET on_premises = ?, synced = 1 WHERE id = ?")
        .run(JSON.stringify(onPremises), recipient.id);
      if (!changed) return { ...recipient, synced: true, onPremises };
      return { ...this.#store(recipient, addresses, "directory sync"), synced: true, onPremises };
    });
  }

  /**
   * Graph's PATCH /users/{id} with userPrincipalName, under Entra's rules: a user (not a group or
   * contact), cloud-only (a synced user's UPN is written on premises), a domain the tenant accepts
   * (the MOERA's included), unique among users. Exchange Online's proxy rule for cloud users: the
   * old UPN stays where it is in EmailAddresses (nothing removes it), and when the new UPN is an
   * SMTP address nobody holds on an accepted domain, it is added as an alias, as Entra adds the
   * UPN to a cloud user's proxyAddresses. Throws a {@link UpnError} and writes nothing when a rule is broken.
   */
  setUserPrincipalName(identity: string, upn: string): Recipient {
    return this.#transaction(() => {
      const recipient = this.find(identity);
      if (recipient === undefined || recipient.upn === undefined)
        throw new UpnError(
          404,
          "Request_ResourceNotFound",
          `Resource '${identity}' does not exist or one of its queried reference-property objects are not present.`,
        );
      const value = upn.trim();
      const at = value.lastIndexOf("@");
      const local = value.slice(0, at);
      const domain = value.slice(at + 1).toLowerCase();
      if (
        at <= 0 ||
        at === value.length - 1 ||
        !/^[A-Za-z0-9'._~!#^&{}-]+$/.test(local) ||
        local.startsWith(".") ||
        local.endsWith(".") ||
        local.length > 64
      ) {
        throw new UpnError(
          400,
          "Request_BadRequest",
          "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        );
      }
      if (recipient.synced) {
        throw new UpnError(
          400,
          "Request_BadRequest",
          "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
        );
      }
      if (!this.acceptedDomains().includes(domain)) {
        throw new UpnError(
          400,
          "Request_BadRequest",
          `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.`,
        );
      }
      const holder = this.#db.prepare("SELECT id FROM recipients WHERE upn_key = ?").get(value.toLowerCase()) as
        { id: string } | undefined;
      if (holder !== undefined && holder.id !== recipient.id) {
        throw new UpnError(
          400,
          "Request_BadRequest",
          "Another object with the same value for property userPrincipalName already exists.",
        );
      }
      this.#db
        .prepare("UPDATE recipients SET upn = ?, upn_key = ? WHERE id = ?")
        .run(value, value.toLowerCase(), recipient.id);
      let addresses = recipient.addresses;
      const owner = this.ownerOf(value);
      if (owner === undefined) {
        addresses = [...recipient.addresses, `smtp:${value}`];
        const index = this.#db.prepare("INSERT INTO smtp_addresses (address, recipient_id) VALUES (?, ?)");
        this.#db
          .prepare("UPDATE recipients SET addresses = ? WHERE id = ?")
          .run(JSON.stringify(addresses), recipient.id);
        index.run(addressKey(value), recipient.id);
      }
      this.#db
        .prepare("INSERT INTO writes (recipient_id, operation, before, after, at) VALUES (?, ?, ?, ?, ?)")
        .run(
          recipient.id,
          `PATCH /users userPrincipalName ${recipient.upn} -> ${value}`,
          JSON.stringify(recipient.addresses),
          JSON.stringify(addresses),
          new Date().toISOString(),
        );
      return { ...recipient, upn: value, addresses };
    });
  }

  /** Sets directory attributes (tests and generated tenants). */
  setAttributes(identity: string, attributes: DirectoryAttributes): void {
    const recipient = this.#require(identity);
    this.#db
      .prepare("UPDATE recipients SET attributes = ? WHERE id = ?")
      .run(JSON.stringify({ ...recipient.attributes, ...attributes }), recipient.id);
  }

  /** Set-Mailbox -IsExchangeCloudManaged: moves a synced mailbox's Exchange attributes to the cloud. */
  setCloudManaged(identity: string, value: boolean): Recipient {
    return this.#transaction(() => {
      const recipient = this.#require(identity);
      this.#db.prepare("UPDATE recipients SET cloud_managed = ? WHERE id = ?").run(value ? 1 : 0, recipient.id);
      this.#db
        .prepare("INSERT INTO writes (recipient_id, operation, before, after, at) VALUES (?, ?, ?, ?, ?)")
        .run(
          recipient.id,
          `Set-Mailbox -IsExchangeCloudManaged $${value}`,
          JSON.stringify(recipient.addresses),
          JSON.stringify(recipient.addresses),
          new Date().toISOString(),
        );
      return { ...recipient, cloudManaged: value };
    });
  }

  /**
   * When each recipient's EmailAddresses last changed (ISO 8601), from the write log: recipient id
   * → the time of its last write that changed the list, whoever made it (the tool, an admin by
   * hand, the directory sync), for the recipients `ids` names. A recipient not written since it was
   * seeded is absent. One lookup each on the log's index (writes_by_recipient), however long the log.
   */
  addressesChangedAt(ids: readonly string[]): Map<string, string> {
    const last = this.#db.prepare(
      "SELECT at FROM writes WHERE recipient_id = ? AND before <> after ORDER BY seq DESC LIMIT 1",
    );
    const changed = new Map<string, string>();
    for (const id of ids) {
      const row = last.get(id.toLowerCase()) as { at: string } | undefined;
      if (row !== undefined) changed.set(id, row.at);
    }
    return changed;
  }

  /** Writes recorded so far, oldest first; `recipientId` narrows them to one recipient. */
  writes(recipientId?: string): WriteRecord[] {
    const rows = (
      recipientId === undefined
        ? this.#db.prepare("SELECT * FROM writes ORDER BY seq").all()
        : this.#db.prepare("SELECT * FROM writes WHERE recipient_id = ? ORDER BY seq").all(recipientId.toLowerCase())
    ) as { seq: number; recipient_id: string; operation: string; before: string; after: string; at: string }[];
    return rows.map((r) => ({
      seq: r.seq,
      recipientId: r.recipient_id,
      operation: r.operation,
      before: JSON.parse(r.before) as string[],
      after: JSON.parse(r.after) as string[],
      at: r.at,
    }));
  }
}
