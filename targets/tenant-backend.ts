// What the provider, the program and the CLI need from a tenant, whichever it is: the embedded
// local tenant (SQLite) or Exchange Online (Graph reads, Exchange admin API writes; also the
// emulator). Settings here are never secret: credentials come from the environment at call time.
import { fields, flag, listOf, nullable, oneOf, strings, text, type Check } from "../core/json-check";
import type { MailboxAttributes } from "../core/policy/policy-types";
import type { WrittenTo } from "../core/report/report-types.generated";
import { ALL_RECIPIENT_KINDS, type AddressOwner, type RecipientKind } from "../exchange/exchange-rules";

/**
 * The targets a composed stack writes to, by their names in the registry: a subset of
 * `TargetName` (targets/registry.ts, which imports this file; its unit test checks each name).
 * The type is the report schema's (`writtenTo`, which reports carry); each place has its constant.
 */
export type { WrittenTo };
/** Exchange Online: where a cloud-only or cloud-managed mailbox is written. */
export const CLOUD = "exchange-online" satisfies WrittenTo;
/** Active Directory: where a synced mailbox is written (it is mastered there). */
export const DIRECTORY = "active-directory" satisfies WrittenTo;
/** Every place, for checks of what a file says. */
export const WRITTEN_TO: readonly WrittenTo[] = [CLOUD, DIRECTORY];

/** A mailbox as read from the tenant. */
export interface LiveMailbox {
  readonly id: string;
  readonly upn: string | undefined;
  readonly displayName: string;
  /**
   * Its kind (Exchange's RecipientTypeDetails), where the target knows it (local, exchange-online:
   * every kind; docs/RECIPIENT-KINDS.md). Absent: the target cannot tell (a Graph user; preview asks
   * Exchange's owner lookup, reconcile/preflight.ts `kindOfLive`), else exchange-rules `kindOf`.
   */
  readonly kind?: RecipientKind;
  /** A mail user's or mail contact's ExternalEmailAddress (no prefix): never one the spec manages. */
  readonly externalEmailAddress?: string;
  readonly synced: boolean;
  readonly cloudManaged: boolean;
  /** EmailAddresses, with prefixes, in the tenant's order. */
  readonly addresses: readonly string[];
  /**
   * The target a write of this mailbox goes to (its name in the registry), where a stack writes
   * to more than one (targets/hybrid/): "active-directory" for a synced mailbox, else
   * "exchange-online". Absent: the stack's one target.
   */
  readonly writtenTo?: WrittenTo;
  /**
   * When the mailbox's EmailAddresses last changed, ISO 8601, where the target can tell: the local
   * target from its tenant's write log. Exchange Online does not say (Graph has no change time for
   * proxyAddresses; Exchange's WhenChangedUTC moves with any attribute), nor does AD here.
   */
  readonly addressesChangedAt?: string;
  /** When the directory sync last touched this mailbox (Graph's onPremisesLastSyncDateTime), ISO 8601. */
  readonly lastSyncAt?: string;
  /**
   * A mailbox mastered in AD (targets/hybrid/): what the cloud shows now. `addresses` are AD's,
   * the truth; the cloud follows at the next sync, so a difference here is pending sync, not drift.
   */
  readonly cloudAddresses?: readonly string[];
  /**
   * Addresses a write left out because the cloud still shows them on a synced mailbox whose AD
   * entry let go of them: they can be taken once the next sync has run (targets/hybrid/).
   */
  readonly waitingForSync?: readonly string[];
}

/**
 * Operations only some targets offer, each absent where the target cannot do it. Every caller
 * handles absence explicitly (reconcile/preflight.ts refuses a spec that needs a missing one at
 * preview, with the mailbox's file:line:col). A composed backend (./registry.ts) offers the union
 * of its members' capabilities, routing each call to the member that has it.
 */
export interface BackendCapabilities {
  /**
   * Set-Mailbox -IsExchangeCloudManaged $true: a directory-synced mailbox's Exchange attributes
   * become writable in the cloud. Absent: the target cannot take a synced mailbox over, so a
   * spec's `cloudManaged: true` is a preview error (an on-premises directory, where a synced
   * mailbox is written at its source instead).
   */
  readonly cloudManaged?: CloudManagedCapability;
  /**
   * The tenant's accepted domains. Absent: the target keeps no such list (an on-premises
   * directory takes any suffix); preview then checks domains against the spec's allowedDomains
   * only, and `export` writes allowedDomains from the exported addresses alone.
   */
  readonly acceptedDomains?: AcceptedDomainsCapability;
  /**
   * The directory attributes address policies match and template on (given name, surname,
   * initials, display name, alias, department, company, country, recipient type, UPN), for every
   * mailbox in one pass (Graph: /users with $select, paged). Absent: a spec with policies is
   * refused at preview (the target cannot say whom a policy matches).
   */
  readonly policyAttributes?: PolicyAttributesCapability;
  /**
   * Writes a user's principal name (Graph: PATCH /users/{id} with userPrincipalName, permission
   * User.ReadWrite.All). Absent: a spec that manages a UPN is refused at preview.
   */
  readonly userPrincipalName?: UserPrincipalNameCapability;
}

/** The name of one optional capability: "cloudManaged", "acceptedDomains". */
export type CapabilityName = keyof BackendCapabilities;

export interface CloudManagedCapability {
  /** Set-Mailbox -IsExchangeCloudManaged $true. */
  set(identity: string): Promise<void>;
}

export interface PolicyAttributesCapability {
  /** Every mailbox (users with a UPN and addresses), with the attributes policies read. */
  readAll(): Promise<MailboxAttributes[]>;
}

export interface UserPrincipalNameCapability {
  /**
   * Sets the user principal name of the user `id` (object id). Throws with the tenant's message
   * when refused (another user has it, a domain the tenant does not accept, a synced user).
   */
  set(id: string, userPrincipalName: string): Promise<void>;
}

export interface AcceptedDomainsCapability {
  /** Accepted domains, lower-case. */
  list(): Promise<string[]>;
}

/**
 * From this many mailboxes on, a full scan (999 or 1,000 per request) is cheaper than reading them
 * one by one (20 per request): the bulk readers (reconcile/read-tenant.ts, the provider's sweep) and
 * the backends that choose between a listing and lookups (exchange-online) all switch here.
 */
export const SCAN_THRESHOLD = 500;

/** A full scan's page of mailboxes, for export and drift. */
export interface MailboxPage {
  readonly mailboxes: readonly LiveMailbox[];
  readonly next: string | undefined;
}

/** The operations every target offers, and the optional ones it has (`capabilities`). */
export interface TenantBackend {
  /** A short description for messages: "local tenant .tenant/local.sqlite". */
  readonly description: string;
  /** What this backend offers beyond the operations every target has; see BackendCapabilities. */
  readonly capabilities: BackendCapabilities;
  /**
   * Reads recipients of every kind by identity, resolved as Exchange resolves -Identity (UPN,
   * object id, primary or any SMTP address, alias); a missing one maps to undefined.
   */
  readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>>;
  /**
   * Reads mailboxes again from the source of truth, where `readMailboxes` reads a replica that can
   * lag behind writes (Exchange Online: Graph lags behind Exchange). Absent when reads are exact.
   * A mailbox the source cannot find keeps the replica's answer (absent from the map). `seen`: what
   * the replica showed of them, which tells the source where to look (their addresses).
   */
  confirmMailboxes?(
    identities: readonly string[],
    seen?: ReadonlyMap<string, LiveMailbox | undefined>,
  ): Promise<Map<string, LiveMailbox>>;
  /**
   * The mailboxes with their precise kind where the read did not tell it (exchange-online: users
   * read through Graph, which shows shared, room and equipment mailboxes and mail users as plain
   * users), and a mail user's external address: from one listing of those kinds per backend, not
   * a lookup per mailbox. Absent where every read tells the kind.
   */
  withKinds?(mailboxes: readonly LiveMailbox[]): Promise<LiveMailbox[]>;
  /** Who holds each address (case-insensitive keys); addresses nobody holds are absent. */
  ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>>;
  /**
   * Who holds each address where `ownersOf` does not look (exchange-rules HolderKind): Entra
   * objects without a recipient, deleted users in the recycle bin, soft-deleted mailboxes; each
   * with `holder` set. Absent where `ownersOf` already answers for them (the local tenant model).
   * Preview asks it for the addresses a change adds (reconcile/preflight.ts). `listed`: what a
   * listing this run already made showed ({@link listedHolders}); where it covers every address,
   * the directory is not listed again, only what no such listing shows (deleted, soft-deleted).
   */
  hiddenHoldersOf?(addresses: readonly string[], listed?: ListedHolders): Promise<Map<string, AddressOwner>>;
  /**
   * Of the directory objects this backend's last complete `listMailboxes` scan showed (exchange-
   * online: Graph's users, groups and contacts, mail-enabled or not), those holding any of
   * `addresses`, for `hiddenHoldersOf` in another process of the same run (the refresh's hand-off,
   * runtime/refresh-handoff.ts). Undefined when no scan was made; absent where nothing is hidden.
   */
  listedHolders?(addresses: readonly string[]): ListedHolders | undefined;
  /**
   * Makes a recipient's EmailAddresses `addresses` with its kind's cmdlet (Set-Mailbox,
   * Set-DistributionGroup, Set-UnifiedGroup, …) and returns it read back.
   * Sent as `@{Add=...; Remove=...}`: the difference between `before` (default: the list this
   * backend last read for the identity, or a fresh read) and `addresses`, so an entry someone
   * else added or removed meanwhile stays as they left it (core/plan/address-delta.ts).
   */
  setEmailAddresses(identity: string, addresses: readonly string[], before?: readonly string[]): Promise<LiveMailbox>;
  /**
   * Of `addresses`, those the cloud still shows on a synced mailbox although AD no longer holds
   * them: they move at the next directory sync. Absent on targets without a sync (all but hybrid).
   */
  waitingForSync?(addresses: readonly string[]): Promise<Set<string>>;
  /**
   * Why this target would refuse to write each of these mailboxes, known before any write (AD:
   * the bind account's effective rights on each object, one search), keyed by identity; absent
   * ones are writable. Preview refuses with the message. Absent on targets that cannot tell.
   */
  writeRefusals?(
    mailboxes: readonly { readonly identity: string; readonly live: LiveMailbox }[],
  ): Promise<Map<string, string>>;
  /** Pages through every recipient with addresses, of every kind the target holds. */
  listMailboxes(next?: string): Promise<MailboxPage>;
  close(): Promise<void>;
}

/** A directory object a listing showed holding addresses, as Graph names its properties (/users, /groups, /contacts). */
export interface ListedObject {
  readonly id: string;
  readonly displayName?: string | null;
  readonly userPrincipalName?: string | null;
  readonly proxyAddresses: readonly string[];
  readonly onPremisesSyncEnabled?: boolean | null;
}

/**
 * What a listing of the directory showed of the holders of the addresses `covered` (lower case):
 * the users, groups and contacts holding any of them, each with those of its entries only. An
 * address covered and held by none of them is held by no such object.
 */
export interface ListedHolders {
  readonly covered: readonly string[];
  readonly users: readonly ListedObject[];
  readonly groups: readonly ListedObject[];
  readonly contacts: readonly ListedObject[];
}

const listedObject: Check<ListedObject> = fields<ListedObject>(
  { id: text, proxyAddresses: strings },
  { displayName: nullable(text), userPrincipalName: nullable(text), onPremisesSyncEnabled: nullable(flag) },
);

/** {@link ListedHolders} read back from the refresh's hand-off (runtime/refresh-handoff.ts). */
export const checkListedHolders: Check<ListedHolders> = fields<ListedHolders>({
  covered: strings,
  users: listOf(listedObject),
  groups: listOf(listedObject),
  contacts: listOf(listedObject),
});

/**
 * A mailbox read back from JSON another process of the run wrote (the refresh's hand-off between
 * the provider and the program, runtime/refresh-handoff.ts): what a plan rests on (the id, the
 * list) is required; what a backend may leave out is checked when present. Kept beside
 * {@link LiveMailbox}: a field added there is added here.
 */
export const checkLiveMailbox: Check<LiveMailbox> = fields<LiveMailbox>(
  { id: text, addresses: strings },
  {
    upn: text,
    displayName: text,
    kind: oneOf<RecipientKind>(...ALL_RECIPIENT_KINDS),
    externalEmailAddress: text,
    synced: flag,
    cloudManaged: flag,
    writtenTo: oneOf<WrittenTo>(...WRITTEN_TO),
    addressesChangedAt: text,
    lastSyncAt: text,
    cloudAddresses: strings,
    waitingForSync: strings,
  },
);
