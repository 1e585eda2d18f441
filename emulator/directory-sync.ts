// The emulator's Entra Connect: reads the users of an on-premises Active Directory (LDAPS, through
// the active-directory target's directory client) and projects their address attributes into the
// emulated tenant as the cloud's proxy calculation (ProxyCalc) does, on demand
// (POST /_emulator/sync) or on an interval. The rules are those of Microsoft's article "How the
// proxyAddresses attribute is populated in Microsoft Entra ID" (KB 3190357,
// learn.microsoft.com/troubleshoot/azure/active-directory/proxyaddresses-attribute-populate);
// each cites what it follows, and test/fidelity/samples.ts has a row for each. The one module of
// the emulator that uses targets/: the directory client, loaded only when a directory is given.
// Exchange's own rules stay in exchange/exchange-rules.ts.
import { addressKey, domainOf, normalizeAddress, parseProxyAddress } from "../core/address";
import type { Tenant } from "../tenant/tenant";

/** Where the on-premises directory is. The bind account comes from the environment (MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD). */
export interface DirectorySyncSettings {
  readonly url: string;
  readonly caFile: string;
  readonly baseDn: string;
  readonly tlsServerName?: string;
  /** Sync on its own every so many milliseconds; absent: only on demand. */
  readonly intervalMs?: number;
}

/** An on-premises user, as the sync reads it. */
export interface DirectoryUser {
  readonly upn: string | undefined;
  readonly proxyAddresses: readonly string[];
  readonly mail: string | undefined;
  readonly immutableId: string;
  readonly sid: string;
}

/** What one sync cycle did. */
export interface SyncReport {
  readonly at: string;
  /** AD users read. */
  readonly read: number;
  /** Cloud users matched (by immutable id, else by UPN among the tenant's synced users). */
  readonly matched: number;
  /** Users whose cloud addresses changed. */
  readonly exported: number;
  /** Users the cloud refused, with the reason (a sync error: the object is left as it was). */
  readonly errors: readonly { readonly upn: string | undefined; readonly message: string }[];
}

/**
 * KB 3190357, "Remove on-premises ProxyAddresses with legacy protocols such as MSMAIL, X400":
 * address types the cloud drops. X500, SIP, EUM and SPO are kept.
 */
const LEGACY_TYPES = new Set(["msmail", "x400", "ccmail", "notes", "gwise", "fax", "ms"]);

/** KB 3190357, "Remove on-premises addresses with a reserved domain suffix such as @*.onmicrosoft.com, @*.microsoftonline.com". */
function reservedSuffix(address: string): boolean {
  const domain = domainOf(address);
  return (
    domain.endsWith(".onmicrosoft.com") || domain === "microsoftonline.com" || domain.endsWith(".microsoftonline.com")
  );
}

/**
 * The cloud's proxy addresses for an on-premises user (ProxyCalc). `moeraDomain` is the tenant's
 * initial domain; `cloudOnly` are entries Exchange Online stamped itself (its own X500), kept.
 */
export function proxyCalculation(user: DirectoryUser, moeraDomain: string, cloudOwn: readonly string[] = []): string[] {
  const smtp: { value: string; primary: boolean }[] = [];
  const other: string[] = [];
  const seen = new Set<string>();
  for (const entry of user.proxyAddresses) {
    const colon = entry.indexOf(":");
    const type = colon < 0 ? "" : entry.slice(0, colon).toLowerCase();
    if (LEGACY_TYPES.has(type)) continue; // KB 3190357: legacy protocols removed
    const parsed = parseProxyAddress(entry);
    if (parsed.kind !== "smtp") {
      if (colon > 0) other.push(entry); // X500, SIP, …: kept as on-premises has them
      continue;
    }
    const normalized = normalizeAddress(parsed.value);
    if (!normalized.ok) continue; // KB 3190357: "Remove on-premises addresses that are not valid"
    if (reservedSuffix(parsed.value)) continue; // KB 3190357: reserved domain suffixes removed
    const key = addressKey(parsed.value);
    if (seen.has(key)) continue;
    seen.add(key);
    smtp.push({ value: parsed.value, primary: parsed.primary });
  }
  // KB 3190357, "Set or update the primary SMTP address … based on on-premises ProxyAddresses or
  // UserPrincipalName": the uppercase SMTP: entry; with two, the first (the others are demoted).
  let primary = smtp.find((s) => s.primary)?.value;
  // KB 3190357 scenario "mail set, proxyAddresses without a primary": the mail attribute is the primary.
  if (primary === undefined && user.mail && normalizeAddress(user.mail).ok && !reservedSuffix(user.mail)) {
    primary = user.mail;
    if (!seen.has(addressKey(user.mail))) {
      seen.add(addressKey(user.mail));
      smtp.unshift({ value: user.mail, primary: true });
    }
  }
  // KB 3190357, "The MOERA … is added to the cloud account at the first sync": <UPN prefix>@<initial domain>.
  const prefix = (user.upn ?? "").split("@")[0];
  const moera = prefix ? `${prefix}@${moeraDomain}` : undefined;
  // KB 3190357 scenario "neither proxyAddresses nor mail": the primary comes from the UPN when its
  // domain can hold mail (else the MOERA: the reference note's "the cloud picks the onmicrosoft.com one").
  if (primary === undefined && smtp.length === 0 && user.upn && !reservedSuffix(user.upn)) {
    primary = user.upn;
    seen.add(addressKey(user.upn));
    smtp.push({ value: user.upn, primary: true });
  }
  if (primary === undefined) primary = moera;
  const entries = smtp.map((s) => `${addressKey(s.value) === addressKey(primary ?? "") ? "SMTP" : "smtp"}:${s.value}`);
  if (moera !== undefined && !seen.has(addressKey(moera)))
    entries.push(`${addressKey(moera) === addressKey(primary ?? "") ? "SMTP" : "smtp"}:${moera}`);
  // Entries the cloud stamped itself (Exchange Online's own X500): not on-premises values, kept.
  for (const entry of cloudOwn) if (!entries.includes(entry) && !other.includes(entry)) other.push(entry);
  return [...entries, ...other];
}

/** Exchange Online's own X500 (its legacyExchangeDN, /o=ExchangeLabs): kept across syncs. */
const isCloudStamp = (entry: string) => /^x500:\/o=ExchangeLabs\//i.test(entry);

/** Runs sync cycles against one directory; `sync()` is one cycle. */
export class DirectorySync {
  readonly #tenant: Tenant;
  readonly #settings: DirectorySyncSettings;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SyncReport> | undefined;
  last: SyncReport | undefined;

  constructor(tenant: Tenant, settings: DirectorySyncSettings) {
    this.#tenant = tenant;
    this.#settings = settings;
    if (settings.intervalMs !== undefined && settings.intervalMs > 0) {
      this.#timer = setInterval(() => void this.sync().catch(() => undefined), settings.intervalMs);
      this.#timer.unref();
    }
  }

  /** One cycle; a cycle asked for while one runs shares it. */
  sync(): Promise<SyncReport> {
    this.#running ??= this.#cycle().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #cycle(): Promise<SyncReport> {
    const users = await this.#readDirectory();
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const moeraDomain = this.#tenant.info().moeraDomain;
    const synced = new Map<string, { id: string; immutableId: string | undefined }>();
    for (const r of this.#tenant.list({ usersOnly: true })) {
      if (!r.synced) continue;
      if (r.onPremises?.immutableId)
        synced.set(`guid:${r.onPremises.immutableId}`, { id: r.id, immutableId: r.onPremises.immutableId });
      if (r.upn) synced.set(`upn:${r.upn.toLowerCase()}`, { id: r.id, immutableId: r.onPremises?.immutableId });
    }
    let matched = 0;
    let exported = 0;
    const errors: { upn: string | undefined; message: string }[] = [];
    // Users that gave an address up first, so an address moving between two users lands in one cycle.
    const plans = users.flatMap((user) => {
      // Entra Connect joins on the source anchor (immutable id); a soft match by UPN links a cloud
      // user that has none yet. Only users the tenant already has as synced are joined here.
      const joined = synced.get(`guid:${user.immutableId}`) ?? synced.get(`upn:${(user.upn ?? "").toLowerCase()}`);
      if (joined === undefined || (joined.immutableId !== undefined && joined.immutableId !== user.immutableId))
        return [];
      const cloud = this.#tenant.find(joined.id)!;
      // IsExchangeCloudManaged: Exchange attributes are written in the cloud now; the sync leaves them.
      if (cloud.cloudManaged) return [];
      const addresses = proxyCalculation(user, moeraDomain, cloud.addresses.filter(isCloudStamp));
      const losing = cloud.addresses.some(
        (e) => parseProxyAddress(e).kind === "smtp" && !addresses.some((a) => a.toLowerCase() === e.toLowerCase()),
      );
      return [{ user, id: joined.id, addresses, losing, before: cloud.addresses }];
    });
    plans.sort((a, b) => Number(b.losing) - Number(a.losing));
    for (const plan of plans) {
      matched++;
      try {
        this.#tenant.applyDirectorySync(plan.id, plan.addresses, {
          immutableId: plan.user.immutableId,
          securityIdentifier: plan.user.sid,
          lastSyncDateTime: at,
        });
        if (JSON.stringify(plan.before) !== JSON.stringify(plan.addresses)) exported++;
      } catch (err) {
        errors.push({ upn: plan.user.upn, message: (err as Error).message });
      }
    }
    this.last = { at, read: users.length, matched, exported, errors };
    return this.last;
  }

  async #readDirectory(): Promise<DirectoryUser[]> {
    const { ActiveDirectoryBackend } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the emulator is given a directory
      require("../targets/active-directory/active-directory-backend") as typeof import("../targets/active-directory/active-directory-backend");
    const directory = new ActiveDirectoryBackend({
      url: this.#settings.url,
      caFile: this.#settings.caFile,
      baseDn: this.#settings.baseDn,
      ...(this.#settings.tlsServerName ? { tlsServerName: this.#settings.tlsServerName } : {}),
    });
    try {
      const users: DirectoryUser[] = [];
      let next: string | undefined;
      do {
        const page = await directory.listMailboxes(next);
        for (const m of page.mailboxes) {
          const d = m as import("../targets/active-directory/active-directory-backend").DirectoryMailbox;
          users.push({ upn: d.upn, proxyAddresses: d.addresses, mail: d.mail, immutableId: d.immutableId, sid: d.sid });
        }
        next = page.next;
      } while (next);
      return users;
    } finally {
      await directory.close();
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
