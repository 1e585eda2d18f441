// Checks a whole change against the tenant before anything is declared or written: the mailbox
// exists, Exchange's rules accept each new list (tenant/exchange-rules, the same rules the local
// tenant and the emulator enforce), no address belongs to a recipient outside the spec, cycles can
// be broken. Each problem points at the spec's file, line and column.
import { addressKey, domainOf, MAX_PROXY_VALUE_LENGTH, primaryOf } from "../core/address";
import type { ChangePlan } from "../core/plan/plan-changes";
import type { SpecProblem } from "../core/problems";
import { placeOf, problemAt } from "../core/desired/positions";
import type { MailboxDeclaration, Spec } from "../core/desired/rules";
import { quote } from "../core/text";
import {
  checkEmailAddresses,
  HOLDER_NOUNS,
  holderRemedy,
  kindOf,
  purgeDateOf,
  RECIPIENT_KINDS,
  ALL_RECIPIENT_KINDS,
  type AddressOwner,
  type RecipientKind,
} from "../exchange/exchange-rules";
import { TARGETS } from "../targets/registry";
import { writtenToOf } from "../targets/hybrid/hybrid-backend";
import { DIRECTORY, type ListedHolders, type LiveMailbox, type TenantBackend } from "../targets/tenant-backend";
import { remedyFor } from "./explain";

/**
 * The kinds a spec may name: every kind with an address list, each written with its own cmdlet
 * (docs/RECIPIENT-KINDS.md).
 */
export const WRITABLE_KINDS: ReadonlySet<RecipientKind> = new Set<RecipientKind>(ALL_RECIPIENT_KINDS);

/**
 * The precise kind of a recipient read for the spec: what the target says (`kind`), else who
 * holds its primary (Exchange's Get-Recipient: Graph reads every user as a mailbox, and only
 * Exchange knows a shared mailbox or a mail user from one), else the default kind.
 */
export function kindOfLive(current: LiveMailbox, owners: ReadonlyMap<string, AddressOwner>): RecipientKind {
  if (current.kind !== undefined) return current.kind;
  const livePrimary = primaryOf(current.addresses);
  const holder = livePrimary === undefined ? undefined : owners.get(addressKey(livePrimary));
  if (holder !== undefined && holder.id.toLowerCase() === current.id.toLowerCase()) return kindOf(holder);
  return kindOf(current);
}

/**
 * The precise kind of every recipient read, for reports and `--type` (drift, plan): the target's
 * answer where it has one; for the rest (users read through Graph), one owner lookup of their
 * primaries (Get-Recipient with every kind, 20 addresses a request).
 */
export async function resolveKinds(
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  backend: TenantBackend,
): Promise<Map<string, RecipientKind>> {
  const unknown = [...live.values()].filter((m): m is LiveMailbox => m !== undefined && m.kind === undefined);
  const primaries = unknown.flatMap((m) => [primaryOf(m.addresses)].filter((p): p is string => p !== undefined));
  const owners = primaries.length === 0 ? new Map<string, AddressOwner>() : await backend.ownersOf(primaries);
  const kinds = new Map<string, RecipientKind>();
  for (const [identity, mailbox] of live) if (mailbox !== undefined) kinds.set(identity, kindOfLive(mailbox, owners));
  return kinds;
}

/**
 * The tenant's MOERA domain among its accepted domains: the initial `<name>.onmicrosoft.com`
 * (one label before onmicrosoft.com; `<name>.mail.onmicrosoft.com` is the hybrid routing domain).
 */
export function moeraDomainOf(acceptedDomains: Iterable<string>): string | undefined {
  for (const domain of acceptedDomains)
    if (/^[a-z0-9-]+\.onmicrosoft\.com$/.test(domain.toLowerCase())) return domain.toLowerCase();
  return undefined;
}

/**
 * `shared mailbox "Sales"`: how an admin names a recipient; a holder that is not one by its kind,
 * a deleted one with when it was deleted and when it is purged.
 */
export function describeRecipient(owner: AddressOwner): string {
  if (owner.holder !== undefined) {
    const { kind, deletedAt, synced } = owner.holder;
    const when =
      deletedAt === undefined
        ? ""
        : ` (deleted ${deletedAt.slice(0, 10)}; it keeps its addresses until it is purged on ${purgeDateOf(deletedAt).slice(0, 10)})`;
    const origin =
      synced && (kind === "EntraUser" || kind === "EntraGroup" || kind === "EntraContact")
        ? " (synced from on-premises AD)"
        : "";
    const noun =
      kind === "OtherRecipient"
        ? `recipient of kind ${owner.holder.recipientTypeDetails ?? "unknown"}`
        : HOLDER_NOUNS[kind];
    return `${noun} ${quote(owner.displayName)}${origin}${when}`;
  }
  const kind = kindOf(owner);
  return `${RECIPIENT_KINDS[kind]?.noun ?? kind} ${quote(owner.displayName)}`;
}

/**
 * What every preview-time check reads, gathered once: the spec, the recipients as read and the
 * change, with what the target answered about them (owners of the addresses, accepted domains,
 * recipients confirmed from the source, rights to write).
 */
interface PreflightFacts {
  readonly spec: Spec;
  readonly live: ReadonlyMap<string, LiveMailbox | undefined>;
  readonly change: ChangePlan;
  /** The target, as messages name it ("local tenant", "Exchange Online tenant"…). */
  readonly targetDescription: string;
  /** Object id (lower case) → the spec's key, for recipients the stack manages outside a targeted run. */
  readonly managedElsewhere: ReadonlyMap<string, string>;
  /** Object ids (lower case) of the recipients the spec names that were read. */
  readonly managedIds: ReadonlySet<string>;
  /** Lower-cased address → who holds it: the owner lookup, over the holders it does not list. */
  readonly owners: ReadonlyMap<string, AddressOwner>;
  /** Lower-cased accepted domains; undefined for a target without them (an on-premises directory). */
  readonly acceptedDomains: ReadonlySet<string> | undefined;
  readonly moeraDomain: string | undefined;
  readonly canCloudManage: boolean;
  /** Recipients read again from the source (mail users whose external address Graph does not show). */
  readonly fromSource: ReadonlyMap<string, LiveMailbox>;
  /** The spec's key → why the target refuses to write that recipient (AD: the bind account's rights). */
  readonly writeRefusals: ReadonlyMap<string, string>;
}

/** A recipient of the spec as found: its precise kind and how messages name it. */
interface Recipient {
  readonly current: LiveMailbox;
  readonly kind: RecipientKind;
  readonly what: string;
}

/** A check of one entry of the spec against the recipient it names. */
type EntryCheck = (facts: PreflightFacts, mailbox: MailboxDeclaration, recipient: Recipient) => SpecProblem[];

/**
 * Every problem the tenant would raise for this change; empty when it can be applied.
 * `managedElsewhere` (a targeted run: object id → the spec's key of each recipient the stack
 * manages outside the run) turns an address held by one of them into a refusal of targeted mode.
 * The facts are gathered once (`gatherFacts`), then each check reads them: per entry of the spec
 * (`checkEntry`), then the rights to write, MOERA moves and cycles over the whole change.
 */
export async function preflight(
  spec: Spec,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  change: ChangePlan,
  backend: TenantBackend,
  managedElsewhere: ReadonlyMap<string, string> = new Map(),
  listedHolders?: ListedHolders,
): Promise<SpecProblem[]> {
  const facts = await gatherFacts(spec, live, change, backend, managedElsewhere, listedHolders);
  return [
    ...spec.mailboxes.flatMap((mailbox) => checkEntry(facts, mailbox)),
    ...checkWriteRights(facts),
    ...checkMoeraMoves(facts),
    ...checkCycles(facts),
  ];
}

/**
 * Asks the target, once, everything the checks need: the owners of the addresses added and of the
 * primaries of recipients whose kind the read did not tell, the holders Exchange's lookup does not
 * list and the accepted domains (these three at once), then the external addresses Graph does not
 * show, then the rights to write. A preview with nothing to write costs nothing more.
 */
async function gatherFacts(
  spec: Spec,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  change: ChangePlan,
  backend: TenantBackend,
  managedElsewhere: ReadonlyMap<string, string>,
  listedHolders: ListedHolders | undefined,
): Promise<PreflightFacts> {
  const managedIds = new Set(
    [...live.values()].filter((m): m is LiveMailbox => m !== undefined).map((m) => m.id.toLowerCase()),
  );
  const adding = [...change.plans.values()].flatMap((p) => p.add.map((a) => a.address));
  // The primary of each mailbox about to be written, too: who holds it tells the recipient's kind
  // (Graph reads every user as a mailbox; Exchange knows a mail user from one). Batched with the
  // owner lookups; a preview with nothing to write costs nothing more.
  const primaries = spec.mailboxes
    .filter(
      (m) =>
        change.plans.get(m.identity)?.changed === true || m.kind !== undefined || m.externalEmailAddress !== undefined,
    )
    .filter((m) => live.get(m.identity)?.kind === undefined)
    .flatMap((m) => [primaryOf(live.get(m.identity)?.addresses ?? [])].filter((p): p is string => p !== undefined));
  // A target without accepted domains (an on-premises directory) refuses no domain here: the
  // spec's allowedDomains, checked when it was loaded, are then the only domain rule.
  // Holders Exchange's recipient lookup does not list (Entra-only objects, deleted users, soft-
  // deleted mailboxes: targets/tenant-backend.ts hiddenHoldersOf) are looked up for the addresses
  // added only, in the same moment (the exchange-online target batches them); the lookup's own
  // answer wins where both know the address. `listedHolders`: what this run's listing of the
  // directory showed, so it is not listed again (the owner lookup, Exchange's, is always asked).
  const [found, hidden, accepted] = await Promise.all([
    backend.ownersOf([...adding, ...primaries]),
    adding.length > 0 && backend.hiddenHoldersOf !== undefined
      ? backend.hiddenHoldersOf(adding, listedHolders)
      : new Map<string, AddressOwner>(),
    backend.capabilities.acceptedDomains?.list(),
  ]);
  const owners = new Map([...hidden, ...found]);
  const acceptedDomains = accepted === undefined ? undefined : new Set(accepted.map((d) => d.toLowerCase()));
  const moeraDomain = acceptedDomains === undefined ? undefined : moeraDomainOf(acceptedDomains);
  // A mail user read where its kind does not show (Graph's /users) has its ExternalEmailAddress in
  // Exchange only: those about to be written, or whose external address the spec states, are read
  // there (a preview with nothing to write and no external address stated costs nothing more).
  const external = spec.mailboxes
    .filter((m) => change.plans.get(m.identity)?.changed === true || m.externalEmailAddress !== undefined)
    .filter((m) => {
      const current = live.get(m.identity);
      return (
        current !== undefined &&
        current.kind === undefined &&
        current.externalEmailAddress === undefined &&
        RECIPIENT_KINDS[kindOfLive(current, owners)].external
      );
    })
    .map((m) => m.identity);
  const fromSource =
    external.length > 0 && backend.confirmMailboxes !== undefined
      ? await backend.confirmMailboxes(external, live)
      : new Map<string, LiveMailbox>();
  // Rights the target can tell before writing (AD: the bind account's effective rights on each
  // object to be written, one search).
  let writeRefusals = new Map<string, string>();
  if (backend.writeRefusals !== undefined) {
    const toWrite = spec.mailboxes.flatMap((m) => {
      const current = live.get(m.identity);
      return change.plans.get(m.identity)?.changed === true && current !== undefined
        ? [{ identity: m.identity, live: current, mailbox: m }]
        : [];
    });
    if (toWrite.length > 0) writeRefusals = await backend.writeRefusals(toWrite);
  }
  return {
    spec,
    live,
    change,
    targetDescription: backend.description,
    managedElsewhere,
    managedIds,
    owners,
    acceptedDomains,
    moeraDomain,
    canCloudManage: backend.capabilities.cloudManaged !== undefined,
    fromSource,
    writeRefusals,
  };
}

/**
 * One entry of the spec: the recipient it names exists; then, the first that fails refusing the
 * entry, the checks of the entry itself (`ENTRY_CHECKS`); then, when it is to be written, the
 * checks of its new list (`WRITE_CHECKS`), all of them.
 */
function checkEntry(facts: PreflightFacts, mailbox: MailboxDeclaration): SpecProblem[] {
  const current = facts.fromSource.get(mailbox.identity) ?? facts.live.get(mailbox.identity);
  if (current === undefined)
    return [
      problemAt(
        facts.spec.file,
        mailbox,
        undefined,
        `not found in the ${facts.targetDescription}; ${remedyFor("NotFound", mailbox)}`,
      ),
    ];
  const kind = kindOfLive(current, facts.owners);
  const recipient: Recipient = {
    current,
    kind,
    what: describeRecipient({ id: current.id, displayName: current.displayName, kind }),
  };
  for (const check of ENTRY_CHECKS) {
    const problems = check(facts, mailbox, recipient);
    if (problems.length > 0) return problems;
  }
  const plan = facts.change.plans.get(mailbox.identity);
  if (plan === undefined || !plan.changed) return [];
  return WRITE_CHECKS.flatMap((check) => check(facts, mailbox, recipient));
}

/** The spec's kind, when it says one, is a check: a key that names a recipient of another kind is a mistake. */
const checkKind: EntryCheck = (facts, mailbox, { kind, what }) => {
  if (mailbox.kind === undefined || mailbox.kind === kind) return [];
  const place = mailbox.source.kind ?? mailbox.source.identity;
  return [
    {
      file: facts.spec.file,
      position: place,
      path: ["mailboxes", mailbox.identity, "kind"],
      message: `${quote(mailbox.identity)} is ${what} (${kind}), not a ${RECIPIENT_KINDS[mailbox.kind].noun} (${mailbox.kind}); fix \`kind\` or the key`,
    },
  ];
};

/** An external address the spec states: only kinds that have one, and it must be the one the recipient has (never changed here). */
const checkExternalAddress: EntryCheck = (facts, mailbox, { current, kind, what }) => {
  if (mailbox.externalEmailAddress === undefined) return [];
  const liveExternal = current.externalEmailAddress;
  if (!RECIPIENT_KINDS[kind].external) {
    return [
      problemAt(
        facts.spec.file,
        mailbox,
        undefined,
        `${quote(mailbox.identity)} is ${what}, which has no external email address; remove \`externalEmailAddress\` (only mail users and mail contacts have one)`,
      ),
    ];
  }
  if (liveExternal === undefined || addressKey(liveExternal) !== addressKey(mailbox.externalEmailAddress)) {
    return [
      problemAt(
        facts.spec.file,
        mailbox,
        undefined,
        `the external email address of ${what} is ${liveExternal === undefined ? "not set" : quote(liveExternal)}, not ${quote(mailbox.externalEmailAddress)}; this tool never changes it (${RECIPIENT_KINDS[kind].setCmdlet} -ExternalEmailAddress does): fix \`externalEmailAddress\` in the spec`,
      ),
    ];
  }
  return [];
};

/** `cloudManaged: true` applies to mailboxes only. */
const checkCloudManagedKind: EntryCheck = (facts, mailbox, { kind, what }) =>
  mailbox.cloudManaged && !RECIPIENT_KINDS[kind].cloudManageable
    ? [
        problemAt(
          facts.spec.file,
          mailbox,
          undefined,
          `${quote(mailbox.identity)} is ${what}: \`cloudManaged: true\` applies to mailboxes only (Set-Mailbox -IsExchangeCloudManaged); remove it from this entry`,
        ),
      ]
    : [];

/** `cloudManaged: true` needs a target that can move a mailbox's Exchange attributes to the cloud. */
const checkCloudManagedTarget: EntryCheck = (facts, mailbox) => {
  if (!mailbox.cloudManaged || facts.canCloudManage) return [];
  const able = TARGETS.filter((t) => t.capabilities.includes("cloudManaged")).map((t) => t.name);
  return [
    problemAt(
      facts.spec.file,
      mailbox,
      undefined,
      `${quote(mailbox.identity)} has \`cloudManaged: true\`, but the ${facts.targetDescription} cannot move a mailbox's Exchange attributes to the cloud (Set-Mailbox -IsExchangeCloudManaged); ` +
        `remove \`cloudManaged\` from this mailbox, or converge it on a target that can (${able.join(", ")})`,
    ),
  ];
};

/** The checks of an entry itself, in order; the first that fails refuses the entry. */
const ENTRY_CHECKS: readonly EntryCheck[] = [
  checkKind,
  checkExternalAddress,
  checkCloudManagedKind,
  checkCloudManagedTarget,
];

/** Held by a mailbox this stack manages outside a targeted run: that run cannot order the move. */
const checkTargetedMoves: EntryCheck = (facts, mailbox) => {
  const plan = facts.change.plans.get(mailbox.identity)!;
  const problems: SpecProblem[] = [];
  for (const added of plan.add) {
    const owner = facts.owners.get(addressKey(added.address));
    const elsewhere = owner === undefined ? undefined : facts.managedElsewhere.get(owner.id.toLowerCase());
    if (elsewhere === undefined || elsewhere === mailbox.identity) continue;
    problems.push(
      problemAt(
        facts.spec.file,
        mailbox,
        added.address,
        `${quote(added.address)} is on ${quote(elsewhere)}, a mailbox of this spec outside the targeted run (the tenant changed since the state was written); targeted mode refused: run the full plan (without --changed-since), which sees and orders the move`,
      ),
    );
  }
  return problems;
};

/**
 * Every kind is written with its own cmdlet; its own rules (prefixes, the external address,
 * synced groups) are checked here with the kind named (exchange/exchange-rules.ts).
 */
const checkExchangeRules: EntryCheck = (facts, mailbox, { current, kind }) => {
  const plan = facts.change.plans.get(mailbox.identity)!;
  // A mailbox written in AD, where it is mastered, is in the write scope (targets/hybrid/ routes it).
  // AD holds each entry as one proxyAddresses value of at most 256 characters, prefix included.
  const writtenTo = writtenToOf(current, mailbox.cloudManaged === true);
  const written = {
    ...current,
    kind,
    cloudManaged: current.cloudManaged || mailbox.cloudManaged || writtenTo === DIRECTORY,
    writesProxyAddresses: writtenTo === DIRECTORY,
  };
  const violations = checkEmailAddresses(
    written,
    plan.final,
    {
      acceptedDomains: facts.acceptedDomains,
      moeraDomain: "", // the planner never removes *.onmicrosoft.com addresses
      // An address held by another mailbox of the spec moves in order; only outsiders conflict.
      ownerOf: (address) => {
        const owner = facts.owners.get(addressKey(address));
        return owner !== undefined &&
          !facts.managedIds.has(owner.id.toLowerCase()) &&
          !facts.managedElsewhere.has(owner.id.toLowerCase())
          ? owner
          : undefined;
      },
    },
    mailbox.identity,
  );
  return violations.map((v) => {
    const role = placeOf(mailbox, v.address).role;
    const remedy = remedyFor(v.code, {
      identity: mailbox.identity,
      address: v.address,
      owner: v.owner?.displayName,
      kind,
    });
    const message =
      v.code === "ProxyAddressExists" && v.owner?.holder !== undefined
        ? `${role} "${v.address}" is held by ${describeRecipient(v.owner)}, which Exchange's mailbox listings do not show, and Exchange refuses it to any other recipient; what to do: ${holderRemedy(v.owner, v.address!)}`
        : v.code === "ProxyAddressExists" && v.owner
          ? `${role} "${v.address}" already belongs to ${describeRecipient(v.owner)}; ${remedy}`
          : v.rule === "ProxyValueTooLong"
            ? `${role} ${v.message.replace(/\.$/, "")}: the ${facts.targetDescription} cannot hold it; nothing is written. What to do: shorten the address to at most ${MAX_PROXY_VALUE_LENGTH - "smtp:".length} characters in the spec, or drop it`
            : v.rule === "ExternalAddressRemoval"
              ? `${v.message} What to do: list it in the spec (as primary or alias) or set this entry's mode to additive; this tool never removes a recipient's external address`
              : `${v.message} What to do: ${remedy}`;
    return problemAt(facts.spec.file, mailbox, v.address, message);
  });
};

/** The checks of an entry about to be written, all of them: targeted moves first, then Exchange's rules. */
const WRITE_CHECKS: readonly EntryCheck[] = [checkTargetedMoves, checkExchangeRules];

/**
 * Rights the target can tell before writing (AD: the bind account's effective rights on each
 * object to be written): refused here, naming the object and the right, rather than halfway
 * through up. The whole run is refused, so no write is left half done.
 */
function checkWriteRights(facts: PreflightFacts): SpecProblem[] {
  const written = (m: MailboxDeclaration) =>
    facts.change.plans.get(m.identity)?.changed === true && facts.live.get(m.identity) !== undefined;
  return facts.spec.mailboxes.flatMap((m) =>
    written(m) && facts.writeRefusals.has(m.identity)
      ? [problemAt(facts.spec.file, m, undefined, facts.writeRefusals.get(m.identity)!)]
      : [],
  );
}

/** A MOERA stays with its recipient: Exchange refuses to remove it, so it cannot move. */
function checkMoeraMoves(facts: PreflightFacts): SpecProblem[] {
  const { spec, moeraDomain } = facts;
  const byIdentity = new Map(spec.mailboxes.map((m) => [m.identity, m]));
  const problems: SpecProblem[] = [];
  for (const move of facts.change.moves) {
    if (moeraDomain === undefined || domainOf(move.address) !== moeraDomain) continue;
    const taker = byIdentity.get(move.to);
    const giver = byIdentity.get(move.from);
    if (taker === undefined) continue;
    const giverPlace = giver ? ` (${spec.file}:${giver.source.identity.line}:${giver.source.identity.col})` : "";
    problems.push(
      problemAt(
        spec.file,
        taker,
        move.address,
        `${quote(move.address)} is the routing address (MOERA) of mailbox ${quote(move.from)}${giverPlace}, which Exchange never lets go of; ${remedyFor("MoeraRemoval", { identity: move.from, address: move.address })}: drop it from this mailbox in the spec`,
      ),
    );
  }
  return problems;
}

/** Cycles the planner could not break, at the entry they start from. */
function checkCycles(facts: PreflightFacts): SpecProblem[] {
  return facts.change.problems.flatMap((cycle) => {
    const mailbox = facts.spec.mailboxes.find((m) => m.identity === cycle.identity);
    return mailbox ? [problemAt(facts.spec.file, mailbox, undefined, cycle.message)] : [];
  });
}
