// The tenant port for directory-synced mailboxes, where they are mastered: on-premises Active
// Directory over LDAPS. Reads many users with one paged search per chunk of identities (an OR
// filter), never one search per mailbox; writes `proxyAddresses` as the exact values to delete
// and add in one LDAP modify, plus `mail` replaced, so a value someone else changed meanwhile
// stays as they left it; checks that no other object holds an added address (AD does not).
import {
  AndFilter,
  EqualityFilter,
  NoSuchAttributeError,
  OrFilter,
  PresenceFilter,
  TypeOrValueExistsError,
  type Entry,
  type Filter,
} from "ldapts";
import { addressKey, parseProxyAddress } from "../../core/address";
import { chunked } from "../../core/chunked";
import type { AddressOwner, RecipientKind } from "../../exchange/exchange-rules";
import {
  DIRECTORY,
  type BackendCapabilities,
  type LiveMailbox,
  type MailboxPage,
  type TenantBackend,
} from "../tenant-backend";
import { DirectoryClient, DirectoryError, type DirectorySettings, type ModifyStep } from "./directory-client";
import { keysOf, parseIdentity, sidToString } from "./identities";
import {
  applyDelta,
  applyRules,
  applyRulesToList,
  directoryDelta,
  inspectAddresses,
  type Finding,
} from "./proxy-addresses";

/** A mailbox as AD holds it: the port's view plus what the directory adds. */
export interface DirectoryMailbox extends LiveMailbox {
  readonly dn: string;
  readonly mail: string | undefined;
  readonly mailNickname: string | undefined;
  /** base64 of the objectGUID's bytes: the cloud's onPremisesImmutableId. */
  readonly immutableId: string;
  /** objectSid as a string: the cloud's onPremisesSecurityIdentifier. */
  readonly sid: string;
  /** Rules the values in AD break now (no primary, two primaries, mail not the primary). */
  readonly findings: readonly Finding[];
}

/** Another object holding an address, with its DN. */
export interface DirectoryOwner extends AddressOwner {
  readonly dn: string;
  /** A user's userPrincipalName: how a hybrid stack finds the cloud recipient it syncs to. */
  readonly upn?: string;
}

export interface ActiveDirectoryBackendSettings extends DirectorySettings {
  /** Identities (or addresses) per OR filter: one search each. */
  readonly chunkSize?: number;
  /**
   * How many users are read: "filter", one OR filter per chunk of identities; "scan", one paged
   * search of every user under the base DN, matched here; "auto" (default), a scan when the
   * identities fill more than one chunk. Samba evaluates an OR filter against every candidate,
   * so 1,000-term filters cost seconds there where a scan of the same users costs less.
   */
  readonly readStrategy?: "auto" | "filter" | "scan";
}

const USER_ATTRIBUTES = [
  "userPrincipalName",
  "displayName",
  "cn",
  "proxyAddresses",
  "mail",
  "mailNickname",
  "objectGUID",
  "objectSid",
];
const BINARY_ATTRIBUTES = ["objectGUID", "objectSid"];
/** What a write changes on a user: the bind account needs "Write" on both. */
const WRITTEN_ATTRIBUTES = ["proxyAddresses", "mail"];
const USERS: Filter[] = [
  new EqualityFilter({ attribute: "objectCategory", value: "person" }),
  new EqualityFilter({ attribute: "objectClass", value: "user" }),
];
const equals = (attribute: string, value: string) => new EqualityFilter({ attribute, value });

function attribute(entry: Entry, name: string): Buffer | Buffer[] | string[] | string | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : entry[key];
}
function strings(entry: Entry, name: string): string[] {
  const value = attribute(entry, name);
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
const first = (entry: Entry, name: string) => strings(entry, name)[0];
function bytes(entry: Entry, name: string): Buffer {
  const value = attribute(entry, name);
  const one = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(one) ? one : Buffer.alloc(0);
}

function toMailbox(entry: Entry): DirectoryMailbox {
  const proxyAddresses = strings(entry, "proxyAddresses");
  const mail = first(entry, "mail");
  const upn = first(entry, "userPrincipalName");
  return {
    id: bytes(entry, "objectGUID").toString("base64"),
    upn,
    displayName: first(entry, "displayName") ?? first(entry, "cn") ?? entry.dn,
    synced: true,
    cloudManaged: false,
    addresses: proxyAddresses,
    writtenTo: DIRECTORY,
    dn: entry.dn,
    mail,
    mailNickname: first(entry, "mailNickname"),
    immutableId: bytes(entry, "objectGUID").toString("base64"),
    sid: sidToString(bytes(entry, "objectSid")),
    findings: inspectAddresses({ proxyAddresses, mail }),
  };
}

/**
 * The kind of an AD object holding an address, as Exchange will show it once synced: a group by
 * its groupType's security bit (0x80000000: a mail-enabled security group), a contact; a user's
 * mailbox kind AD does not tell (undefined: exchange-rules `kindOf`).
 */
function ownerKind(entry: Entry): RecipientKind | undefined {
  const classes = strings(entry, "objectClass").map((c) => c.toLowerCase());
  if (classes.includes("group"))
    return (Number(first(entry, "groupType") ?? 0) & 0x80000000) !== 0
      ? "MailUniversalSecurityGroup"
      : "MailUniversalDistributionGroup";
  if (classes.includes("contact")) return "MailContact";
  return undefined;
}

/** Files each entry under every key that can name it (UPN, immutable id, SID). */
function index(entries: readonly Entry[], byKey: Map<string, DirectoryMailbox>): void {
  for (const entry of entries) {
    const mailbox = toMailbox(entry);
    for (const key of keysOf(mailbox)) byKey.set(key, mailbox);
  }
}

/** The domain's root (its DC= components): uniqueness is checked there, not only under the base DN. */
export function domainRootOf(baseDn: string): string {
  return baseDn
    .split(/(?<!\\),/)
    .filter((rdn) => /^\s*dc=/i.test(rdn))
    .join(",");
}

export class ActiveDirectoryBackend implements TenantBackend {
  readonly directory: DirectoryClient;
  /** Neither optional capability: AD keeps no accepted-domain list, and AD is where a synced mailbox is written, not taken over from. */
  readonly capabilities: BackendCapabilities = {};
  /** What each identity read as last: the base of the next write's delta. */
  private readonly lastRead = new Map<string, readonly string[]>();
  private readonly scans = new Map<string, AsyncGenerator<Entry[]>>();
  private scanCount = 0;

  constructor(readonly settings: ActiveDirectoryBackendSettings) {
    this.directory = new DirectoryClient(settings);
  }

  get description(): string {
    return this.directory.description;
  }

  /** Users by UPN, immutable id or SID: one paged search per chunk of identities. */
  async readMailboxes(identities: readonly string[]): Promise<Map<string, DirectoryMailbox | undefined>> {
    const result = new Map<string, DirectoryMailbox | undefined>();
    const parsed = identities.map((identity) => ({ identity, parsed: parseIdentity(identity) }));
    for (const { identity } of parsed) result.set(identity, undefined);
    const known = [...new Map(parsed.flatMap((p) => (p.parsed ? [[p.parsed.key, p.parsed] as const] : []))).values()];
    const byKey = new Map<string, DirectoryMailbox>();
    const chunkSize = this.settings.chunkSize ?? 1000;
    const strategy = this.settings.readStrategy ?? "auto";
    const scan = strategy === "scan" || (strategy === "auto" && known.length > chunkSize);
    const groups = scan ? [] : chunked(known, chunkSize);
    if (scan && known.length > 0) {
      const entries = await this.directory.search(
        {
          filter: new AndFilter({ filters: USERS }),
          attributes: USER_ATTRIBUTES,
          explicitBufferAttributes: BINARY_ATTRIBUTES,
        },
        { action: "reading", scope: `${known.length} mailboxes from "${known[0]!.identity}"` },
      );
      index(entries, byKey);
    }
    for (const group of groups) {
      const filter = new AndFilter({ filters: [...USERS, new OrFilter({ filters: group.map((p) => p.filter) })] });
      const shown =
        group.length === 1
          ? { mailbox: group[0]!.identity }
          : { scope: `${group.length} mailboxes from "${group[0]!.identity}"` };
      const entries = await this.directory.search(
        { filter, attributes: USER_ATTRIBUTES, explicitBufferAttributes: BINARY_ATTRIBUTES },
        { action: "reading", ...shown },
      );
      index(entries, byKey);
    }
    for (const { identity, parsed: p } of parsed) {
      const mailbox = p ? byKey.get(p.key) : undefined;
      result.set(identity, mailbox);
      if (mailbox) this.lastRead.set(identity, mailbox.addresses);
    }
    return result;
  }

  /** One user, or a UserNotFound error naming the mailbox and where it was looked for. */
  async findUser(identity: string): Promise<DirectoryMailbox> {
    const user = (await this.readMailboxes([identity])).get(identity);
    if (user === undefined) {
      const how = parseIdentity(identity);
      throw new DirectoryError(
        "UserNotFound",
        `mailbox "${identity}": no user with this ${how ? { upn: "userPrincipalName", immutableId: "objectGUID (immutable id)", sid: "objectSid" }[how.kind] : "identity (use a UPN, an immutable id or a SID)"} under DN "${this.settings.baseDn}" in ${this.directory.settings.url}`,
        {
          mailbox: identity,
          dn: this.settings.baseDn,
          remedy: "Check the spec's key and the base DN; a user outside the base DN is not seen",
        },
      );
    }
    return user;
  }

  /**
   * Who holds each address in proxyAddresses or mail, anywhere in the domain (from its root, even
   * when the base DN is an OU): users, groups, contacts. Two terms per address, so half a chunk
   * of addresses per search.
   */
  async ownersOf(addresses: readonly string[]): Promise<Map<string, DirectoryOwner>> {
    const owners = new Map<string, DirectoryOwner>();
    const keys = [...new Set(addresses.map(addressKey))];
    const base = domainRootOf(this.settings.baseDn) || this.settings.baseDn;
    for (const group of chunked(keys, Math.max(1, Math.floor((this.settings.chunkSize ?? 1000) / 2)))) {
      const wanted = new Set(group);
      const terms = group.flatMap((a) => [equals("proxyAddresses", `smtp:${a}`), equals("mail", a)]);
      const entries = await this.directory.search(
        {
          base,
          filter: new OrFilter({ filters: terms }),
          attributes: [
            "displayName",
            "cn",
            "objectClass",
            "groupType",
            "proxyAddresses",
            "mail",
            "objectGUID",
            "userPrincipalName",
          ],
          explicitBufferAttributes: ["objectGUID"],
        },
        {
          action: "checking who holds",
          ...(group.length === 1 ? { scope: `address "${group[0]}"` } : { scope: `${group.length} addresses` }),
        },
      );
      for (const entry of entries) {
        const held = [
          ...strings(entry, "proxyAddresses")
            .filter((e) => parseProxyAddress(e).kind === "smtp")
            .map((e) => addressKey(parseProxyAddress(e).value)),
          ...strings(entry, "mail").map(addressKey),
        ];
        const upn = first(entry, "userPrincipalName");
        const kind = ownerKind(entry);
        // One identity for a recipient: the objectGUID, as a mailbox read here has (toMailbox), so
        // a user holding its own address is never taken for another owner. The DN is for messages.
        const owner: DirectoryOwner = {
          id: bytes(entry, "objectGUID").toString("base64"),
          dn: entry.dn,
          // Named with its DN: an admin finds the object in AD by it (the name alone may repeat).
          displayName: `${first(entry, "displayName") ?? first(entry, "cn") ?? "object"} (${entry.dn})`,
          ...(kind ? { kind } : {}),
          ...(upn ? { upn } : {}),
        };
        for (const key of held) if (wanted.has(key) && !owners.has(key)) owners.set(key, owner);
      }
    }
    return owners;
  }

  /**
   * Makes the user's proxyAddresses `addresses` under the rules (one SMTP:, mail = primary,
   * unmanaged entries kept), as the delta from `before` (default: the last read) applied to what
   * AD holds now. Refuses, writing nothing, an address another object holds or the cloud drops.
   */
  async setEmailAddresses(
    identity: string,
    addresses: readonly string[],
    before?: readonly string[],
  ): Promise<DirectoryMailbox> {
    const base = before ?? this.lastRead.get(identity);
    for (let attempt = 1; ; attempt++) {
      const user = await this.findUser(identity);
      const planned = applyRulesToList({ proxyAddresses: base ?? user.addresses, mail: user.mail }, addresses);
      if (!planned.ok) {
        throw new DirectoryError(
          "AddressRefused",
          `mailbox "${identity}" (DN "${user.dn}"): ${planned.refusals.map((r) => `${r.address}: ${r.reason}`).join("; ")}`,
          {
            mailbox: identity,
            dn: user.dn,
            remedy: "Change the spec: the directory is left as it is",
          },
        );
      }
      // The delta planned from `before`, applied to what AD holds now, then the rules once more
      // (a concurrent edit may have added a second SMTP:): the final values for this user.
      const current = user.addresses;
      const intended = directoryDelta(base ?? current, planned.proxyAddresses);
      const merged = applyDelta(current, {
        remove: intended.remove.filter((v) => current.some((c) => c.toLowerCase() === v.toLowerCase())),
        add: intended.add,
      }).filter((v, i, all) => all.findIndex((o) => o.toLowerCase() === v.toLowerCase()) === i);
      const primary = parseProxyAddress(addresses.find((a) => parseProxyAddress(a).primary)!).value;
      const final = applyRules({ proxyAddresses: merged, mail: user.mail }, { primary, aliases: [], additive: true });
      if (!final.ok)
        throw new DirectoryError(
          "AddressRefused",
          `mailbox "${identity}" (DN "${user.dn}"): ${final.refusals.map((r) => r.reason).join("; ")}`,
          { mailbox: identity, dn: user.dn },
        );
      const delta = directoryDelta(current, final.proxyAddresses);
      await this.refuseTaken(identity, user, delta.add);
      const steps: ModifyStep[] = [];
      if (delta.remove.length > 0)
        steps.push({ operation: "delete", attribute: "proxyAddresses", values: delta.remove });
      if (delta.add.length > 0) steps.push({ operation: "add", attribute: "proxyAddresses", values: delta.add });
      if (user.mail !== final.mail) steps.push({ operation: "replace", attribute: "mail", values: [final.mail] });
      if (steps.length === 0) return user;
      try {
        await this.directory.modify(user.dn, steps, {
          action: "writing proxyAddresses and mail",
          mailbox: identity,
          dn: user.dn,
        });
      } catch (error) {
        // A value deleted or added by someone else between our read and our write: the modify
        // changed nothing (LDAP applies it whole or not at all); read again and recompute once.
        const cause = (error as { cause?: unknown }).cause;
        if (attempt < 2 && (cause instanceof NoSuchAttributeError || cause instanceof TypeOrValueExistsError)) continue;
        throw error;
      }
      return this.findUser(identity);
    }
  }

  /** Refuses, before any write, an address another directory object already holds. */
  private async refuseTaken(identity: string, user: DirectoryMailbox, added: readonly string[]): Promise<void> {
    const smtp = added
      .map(parseProxyAddress)
      .filter((p) => p.kind === "smtp")
      .map((p) => p.value);
    if (smtp.length === 0) return;
    const owners = await this.ownersOf(smtp);
    const taken = smtp.flatMap((a) => {
      const owner = owners.get(addressKey(a));
      return owner && owner.dn.toLowerCase() !== user.dn.toLowerCase() ? [{ address: a, owner }] : [];
    });
    if (taken.length === 0) return;
    throw new DirectoryError(
      "AddressTaken",
      `mailbox "${identity}" (DN "${user.dn}"): ${taken.map((t) => `${t.address} is already held by "${t.owner.dn}"`).join("; ")}; AD does not refuse duplicates, but Entra Connect stops syncing both objects (AttributeValueMustBeUnique)`,
      { mailbox: identity, dn: user.dn, remedy: "Remove the address from the other object first, or choose another" },
    );
  }

  /**
   * The mailboxes the bind account may not write (proxyAddresses and mail), from AD's own answer:
   * allowedAttributesEffective, the attributes the bound account can write on each object
   * ([MS-ADTS] 3.1.1.4.5.2). One search per chunk of identities, only over the mailboxes to be
   * written, so preview names the DN and the missing right before anything is written.
   */
  async writeRefusals(
    mailboxes: readonly { readonly identity: string; readonly live?: LiveMailbox }[],
  ): Promise<Map<string, string>> {
    const refusals = new Map<string, string>();
    const parsed = mailboxes.flatMap(({ identity }) => {
      const p = parseIdentity(identity);
      return p ? [{ identity, parsed: p }] : [];
    });
    for (const group of chunked(parsed, this.settings.chunkSize ?? 1000)) {
      const entries = await this.directory.search(
        {
          filter: new AndFilter({ filters: [...USERS, new OrFilter({ filters: group.map((p) => p.parsed.filter) })] }),
          attributes: ["allowedAttributesEffective", "userPrincipalName", "objectGUID", "objectSid"],
          explicitBufferAttributes: BINARY_ATTRIBUTES,
        },
        {
          action: "reading the bind account's rights",
          ...(group.length === 1
            ? { mailbox: group[0]!.identity }
            : { scope: `on ${group.length} mailboxes from "${group[0]!.identity}"` }),
        },
      );
      const byKey = new Map<string, Entry>();
      for (const entry of entries) {
        for (const key of keysOf({
          upn: first(entry, "userPrincipalName"),
          immutableId: bytes(entry, "objectGUID").toString("base64"),
          sid: sidToString(bytes(entry, "objectSid")),
        }))
          byKey.set(key, entry);
      }
      for (const { identity, parsed: p } of group) {
        const entry = byKey.get(p.key);
        if (entry === undefined) continue; // not found: preview says so on its own
        const allowed = new Set(strings(entry, "allowedAttributesEffective").map((a) => a.toLowerCase()));
        const missing = WRITTEN_ATTRIBUTES.filter((a) => !allowed.has(a.toLowerCase()));
        if (missing.length > 0) refusals.set(identity, this.directory.missingRights(identity, entry.dn, missing));
      }
    }
    return refusals;
  }

  /** Pages through every user with proxyAddresses or mail: one paged search for the whole scan. */
  async listMailboxes(next?: string): Promise<MailboxPage> {
    const token = next ?? `scan-${++this.scanCount}`;
    let pages = this.scans.get(token);
    if (pages === undefined) {
      if (next !== undefined)
        throw new DirectoryError(
          "DirectoryError",
          `listing mailboxes: the page token "${next}" is unknown (a scan continues only in the process that began it)`,
        );
      pages = this.directory.searchPages(
        {
          filter: new AndFilter({
            filters: [
              ...USERS,
              new OrFilter({
                filters: [
                  new PresenceFilter({ attribute: "proxyAddresses" }),
                  new PresenceFilter({ attribute: "mail" }),
                ],
              }),
            ],
          }),
          attributes: USER_ATTRIBUTES,
          explicitBufferAttributes: BINARY_ATTRIBUTES,
        },
        { action: "listing mailboxes" },
      );
      this.scans.set(token, pages);
    }
    const page = await pages.next();
    if (page.done) {
      this.scans.delete(token);
      return { mailboxes: [], next: undefined };
    }
    return { mailboxes: page.value.map(toMailbox), next: token };
  }

  async close(): Promise<void> {
    for (const scan of this.scans.values()) await scan.return(undefined).catch(() => undefined);
    this.scans.clear();
    await this.directory.close();
  }
}
