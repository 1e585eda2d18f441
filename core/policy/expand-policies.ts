// Expanding a spec's policies into the per-mailbox desired state the planner uses today (the same
// MailboxDeclaration records explicit entries give), from the tenant's mailboxes read in bulk, and
// recording which policy gave each mailbox and each address (for `expand` and plans grouped by
// policy). Pure and deterministic: the same spec and the same mailboxes, in any order, give the
// same result. The rules are written out in docs/POLICIES.md.
import { addressKey, domainOf, isMicrosoftRoutingAddress, parseProxyAddress, primaryOf } from "../address";
import type { DocumentPath, SourcePosition, SpecProblem } from "../problems";
import type { MailboxDeclaration, Spec } from "../desired/rules";
import { quote } from "../text";
import { policyLabel } from "./load-policies";
import { matchesPolicy } from "./match-policy";
import type { MailboxAttributes, PlacedTemplate, PolicyDeclaration } from "./policy-types";
import { evaluateTemplate } from "./template";

/** Where a mailbox's desired state comes from. */
export type MailboxOrigin =
  | {
      readonly kind: "explicit";
      /** Policies that match the mailbox and would give its addresses but for this entry (explicit entries win). */
      readonly overrides?: readonly string[];
    }
  | {
      readonly kind: "policy";
      /** The policies that gave its addresses, in priority order: the first-wins one, then those that add. */
      readonly policies: readonly string[];
      /** Lower-cased address → the policy that gave it (`kept` addresses are not listed). */
      readonly addressFrom: ReadonlyMap<string, string>;
    };

/** One mailbox of the expanded spec. */
export interface ExpandedMailbox {
  readonly declaration: MailboxDeclaration;
  readonly origin: MailboxOrigin;
  /** The user principal name as read (policy-managed mailboxes are keyed by object id). */
  readonly upn: string | undefined;
  /** With `userPrincipalName: follows-primary`: the UPN the mailbox is to have. Not written yet. */
  readonly targetUserPrincipalName: string | undefined;
}

/** The expanded spec: explicit entries (spec order), then policy-managed mailboxes (by object id). */
export interface Expansion {
  readonly entries: readonly ExpandedMailbox[];
  /** The same declarations, as the planner takes them. */
  readonly mailboxes: readonly MailboxDeclaration[];
  readonly problems: readonly SpecProblem[];
}

interface Claim {
  readonly mailbox: MailboxAttributes;
  readonly policy: PolicyDeclaration;
  readonly placed: PlacedTemplate;
  readonly role: "primary" | "alias";
  /** Order of the claim within its mailbox: primary first, then aliases in policy order. */
  readonly slot: number;
  readonly address: string;
}

interface Owner {
  readonly label: string;
  readonly id: string | undefined;
}

/** How many mailboxes a grouped problem names before "and N more". */
const MAILBOXES_NAMED = 5;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function mailboxLabel(mailbox: MailboxAttributes): string {
  return mailbox.userPrincipalName ? quote(mailbox.userPrincipalName) : quote(mailbox.id);
}

/** A problem found by one step; `expandPolicies` adds the spec's file. */
interface Finding {
  readonly path: DocumentPath;
  readonly position: SourcePosition;
  readonly message: string;
}

/** The mailboxes as read, indexed once for every step. */
interface ReadIndex {
  /** By object id (lower case): the order every step walks them in, whatever order they were read in. */
  readonly sorted: readonly MailboxAttributes[];
  /** Lower-cased SMTP address → the first mailbox (in `sorted` order) that holds it now. */
  readonly liveHolder: ReadonlyMap<string, MailboxAttributes>;
  /** The mailbox an explicit entry's key names, if it was read. */
  readonly readOf: (identity: string) => MailboxAttributes | undefined;
  /** Whether the mailbox holds the (lower-cased) address now. */
  readonly holds: (mailbox: MailboxAttributes, key: string) => boolean;
}

/** What the explicit entries under `mailboxes` take from the policies. */
interface ExplicitEntries {
  /** Object ids (lower case) of the mailboxes they name: no policy manages these. */
  readonly ids: ReadonlySet<string>;
  /** Lower-cased address → the entry that gives it, with the line it is written on. */
  readonly owner: ReadonlyMap<string, { readonly identity: string; readonly line: number }>;
}

/** A mailbox some policy manages: the policies that give its addresses, and the one giving its primary. */
interface Matched {
  readonly mailbox: MailboxAttributes;
  readonly contributing: readonly PolicyDeclaration[];
  readonly primaryBy: PolicyDeclaration | undefined;
}

/** One problem per template and cause, with the mailboxes it failed for. */
interface TemplateFailure {
  readonly policy: PolicyDeclaration;
  readonly path: DocumentPath;
  readonly position: SourcePosition;
  readonly message: string;
  readonly empty: boolean;
  readonly mailboxes: string[];
}

/** Per mailbox id: claim slot → the address it was given (numbered when it collided). */
type Given = ReadonlyMap<string, ReadonlyMap<number, string>>;

/**
 * Expands `spec.policies` over `mailboxesAsRead`. Explicit entries win: a mailbox with an entry
 * under `mailboxes` takes no policy. Among policies, the first that matches gives the mailbox its
 * addresses (Exchange's priority order), and every matching policy with `adds: true` adds its own.
 * The steps: index the mailboxes read, take what explicit entries claim, match, render the
 * templates, give each address one owner, then the verdicts (explicit entries, then policies').
 */
export function expandPolicies(spec: Spec, mailboxesAsRead: readonly MailboxAttributes[]): Expansion {
  const policies = spec.policies ?? [];
  const read = indexRead(mailboxesAsRead);
  const explicit = explicitEntriesOf(spec, read);
  const { candidates, overridden } = matchPolicies(policies, read.sorted, explicit.ids);
  const rendered = renderTemplates(candidates);
  const collisions = resolveCollisions(rendered.claims, explicit, read);
  const verdicts = policyVerdicts(rendered.managed, rendered.claims, collisions.given, collisions.assigned, explicit);
  const entries = [...explicitVerdicts(spec, read, overridden), ...verdicts.entries];
  const findings = [...templateFailureFindings(rendered.failures), ...collisions.findings, ...verdicts.findings];
  const problems: SpecProblem[] = findings.map(({ path, position, message }) => ({
    file: spec.file,
    position,
    path,
    message,
  }));
  return { entries, mailboxes: entries.map((entry) => entry.declaration), problems };
}

/**
 * Indexes the mailboxes read: sorted by object id, each address to the mailbox holding it now,
 * and each by id and UPN. An explicit entry names its mailbox by object id, UPN or, as Exchange
 * resolves an identity, by one of its SMTP addresses.
 */
function indexRead(mailboxesAsRead: readonly MailboxAttributes[]): ReadIndex {
  const sorted = [...mailboxesAsRead].sort((a, b) => byText(a.id.toLowerCase(), b.id.toLowerCase()));
  const byKey = new Map<string, MailboxAttributes>();
  for (const mailbox of sorted) {
    byKey.set(mailbox.id.toLowerCase(), mailbox);
    if (mailbox.userPrincipalName) byKey.set(mailbox.userPrincipalName.toLowerCase(), mailbox);
  }
  const liveHolder = new Map<string, MailboxAttributes>();
  for (const mailbox of sorted) {
    for (const entry of mailbox.addresses) {
      const parsed = parseProxyAddress(entry);
      if (parsed.kind === "smtp" && !liveHolder.has(addressKey(parsed.value)))
        liveHolder.set(addressKey(parsed.value), mailbox);
    }
  }
  const readOf = (identity: string) =>
    byKey.get(identity.toLowerCase()) ?? (identity.includes("@") ? liveHolder.get(addressKey(identity)) : undefined);
  const holds = (mailbox: MailboxAttributes, key: string) => liveHolder.get(key)?.id === mailbox.id;
  return { sorted, liveHolder, readOf, holds };
}

/**
 * Explicit-entry override: the mailboxes explicit entries name, however keyed, are each one
 * verdict (no policy also manages them, which `plan` would refuse as two keys for one recipient:
 * issue 24), and the addresses they list are theirs, whatever a policy's template gives.
 */
function explicitEntriesOf(spec: Spec, read: ReadIndex): ExplicitEntries {
  const ids = new Set<string>();
  const owner = new Map<string, { identity: string; line: number }>();
  for (const entry of spec.mailboxes) {
    const mailbox = read.readOf(entry.identity);
    if (mailbox) ids.add(mailbox.id.toLowerCase());
    owner.set(addressKey(entry.primary), { identity: entry.identity, line: entry.source.primary.line });
    entry.aliases.forEach((alias, i) =>
      owner.set(addressKey(alias), {
        identity: entry.identity,
        line: entry.source.aliases[i]?.line ?? entry.source.identity.line,
      }),
    );
  }
  return { ids, owner };
}

/**
 * Match: which policies give each mailbox its addresses, the first matching one that does not
 * add (priority order) and every matching one that adds. A mailbox an explicit entry names is not
 * a candidate: the policies it would have had are recorded as overridden (object id → names).
 */
function matchPolicies(
  policies: readonly PolicyDeclaration[],
  sorted: readonly MailboxAttributes[],
  explicitIds: ReadonlySet<string>,
): { candidates: Matched[]; overridden: Map<string, string[]> } {
  const candidates: Matched[] = [];
  const overridden = new Map<string, string[]>();
  if (policies.length === 0) return { candidates, overridden };
  for (const mailbox of sorted) {
    const matching = policies.filter((policy) => matchesPolicy(policy.match, mailbox));
    const first = matching.find((policy) => !policy.adds);
    const contributing = matching.filter((policy) => policy === first || policy.adds);
    if (explicitIds.has(mailbox.id.toLowerCase())) {
      if (contributing.length > 0)
        overridden.set(
          mailbox.id.toLowerCase(),
          contributing.map((policy) => policy.name),
        );
      continue;
    }
    if (contributing.length === 0) continue;
    candidates.push({ mailbox, contributing, primaryBy: contributing.find((policy) => policy.primary !== undefined) });
  }
  return { candidates, overridden };
}

/**
 * Render: each candidate's templates filled in, primary first, then the aliases in policy order
 * (the claim's slot). A mailbox with a template that fails is not managed; the failures are
 * grouped by template and cause (id → group, in the order first met).
 */
function renderTemplates(candidates: readonly Matched[]): {
  managed: Matched[];
  claims: Claim[];
  failures: Map<string, TemplateFailure>;
} {
  const managed: Matched[] = [];
  const claims: Claim[] = [];
  const failures = new Map<string, TemplateFailure>();
  for (const candidate of candidates) {
    const { mailbox, contributing, primaryBy } = candidate;
    let slot = 0;
    let failed = false;
    const evaluate = (policy: PolicyDeclaration, placed: PlacedTemplate, role: "primary" | "alias") => {
      const result = evaluateTemplate(placed.template, mailbox);
      if (result.ok) {
        claims.push({ mailbox, policy, placed, role, slot: slot++, address: result.address });
        return;
      }
      failed = true;
      const part = placed.template.parts.findIndex((p) => p.offset === result.offset);
      const position = placed.partPositions[part] ?? placed.position;
      const id = `${policy.index} ${placed.path.join(".")} ${result.offset} ${result.message}`;
      const group = failures.get(id) ?? {
        policy,
        path: placed.path,
        position,
        message: result.message,
        empty: result.reason === "empty",
        mailboxes: [],
      };
      group.mailboxes.push(mailboxLabel(mailbox));
      failures.set(id, group);
    };
    if (primaryBy?.primary) evaluate(primaryBy, primaryBy.primary, "primary");
    for (const policy of contributing) for (const placed of policy.aliases) evaluate(policy, placed, "alias");
    if (!failed) managed.push(candidate);
  }
  return { managed, claims, failures };
}

/**
 * One problem per template and cause, naming the mailboxes: 500 mailboxes without a given name
 * are one line to act on, not 500.
 */
function templateFailureFindings(failures: ReadonlyMap<string, TemplateFailure>): Finding[] {
  return [...failures.values()].map((group) => {
    const shown = group.mailboxes.slice(0, MAILBOXES_NAMED);
    const more = group.mailboxes.length - shown.length;
    const who =
      group.mailboxes.length === 1
        ? `mailbox ${shown[0]}`
        : `${group.mailboxes.length} mailboxes (${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""})`;
    const remedy = `${group.empty ? "set it in the tenant, or" : "or"} give ${group.mailboxes.length === 1 ? "the mailbox an explicit entry" : "them explicit entries"} under mailboxes`;
    return {
      path: group.path,
      position: group.position,
      message: `${policyLabel(group.policy.name)}: ${who}: ${group.message}; ${remedy}`,
    };
  });
}

/**
 * Collisions: one owner per address. Claims are taken address by address; for one address a
 * mailbox that already holds it comes first, then object ids in order: the result does not depend
 * on the order mailboxes were read in, and a later run keeps what an earlier one gave. An address
 * an explicit entry, another claim or another mailbox has is a problem, or with
 * `onCollision: append-number` a numbered address. Returns what each claim was given (a claim
 * refused has no slot) and the owner of each address given.
 */
function resolveCollisions(
  claims: readonly Claim[],
  explicit: ExplicitEntries,
  read: ReadIndex,
): { given: Given; assigned: ReadonlyMap<string, MailboxAttributes>; findings: Finding[] } {
  const findings: Finding[] = [];
  const baseClaimants = new Map<string, Set<string>>();
  for (const claim of claims) {
    const key = addressKey(claim.address);
    const set = baseClaimants.get(key) ?? new Set<string>();
    set.add(claim.mailbox.id);
    baseClaimants.set(key, set);
  }
  const ordered = claims
    .map((claim) => ({
      claim,
      key: addressKey(claim.address),
      away: Number(!read.holds(claim.mailbox, addressKey(claim.address))),
      id: claim.mailbox.id.toLowerCase(),
    }))
    .sort((a, b) => byText(a.key, b.key) || a.away - b.away || byText(a.id, b.id) || a.claim.slot - b.claim.slot)
    .map(({ claim }) => claim);
  /** Per numbered base address, the last number given: the next search starts after it. */
  const lastNumber = new Map<string, number>();
  /** "base key, mailbox id" → the numbered address that mailbox got for it. */
  const numberedFor = new Map<string, string>();
  const assigned = new Map<string, MailboxAttributes>();
  const given = new Map<string, Map<number, string>>(); // mailbox id → slot → address
  const ownerOf = (key: string, mailbox: MailboxAttributes): Owner | undefined => {
    const entry = explicit.owner.get(key);
    if (entry) return { label: `the explicit entry ${quote(entry.identity)} at line ${entry.line}`, id: undefined };
    const other = assigned.get(key);
    if (other && other.id !== mailbox.id) return { label: `mailbox ${mailboxLabel(other)}`, id: other.id };
    const live = read.liveHolder.get(key);
    if (live && live.id !== mailbox.id)
      return { label: `mailbox ${mailboxLabel(live)}, which has it now`, id: live.id };
    return undefined;
  };
  for (const claim of ordered) {
    const key = addressKey(claim.address);
    let address = claim.address;
    const owner = ownerOf(key, claim.mailbox);
    if (owner !== undefined) {
      if (claim.policy.onCollision !== "append-number") {
        const numbered = numberedAddress(claim.address, 2);
        findings.push({
          path: claim.placed.path,
          position: claim.placed.position,
          message: `${policyLabel(claim.policy.name)}: ${quote(claim.address)} for mailbox ${mailboxLabel(claim.mailbox)} already goes to ${owner.label}; add "onCollision: append-number" to the policy (as Exchange Server does: ${quote(numbered)}), or give one of them an explicit entry`,
        });
        continue;
      }
      const already = numberedFor.get(`${key} ${claim.mailbox.id}`);
      if (already !== undefined) {
        // The same address from two templates of one mailbox: one number.
        const slots = given.get(claim.mailbox.id) ?? new Map<number, string>();
        slots.set(claim.slot, already);
        given.set(claim.mailbox.id, slots);
        continue;
      }
      const found = freeNumberedAddress(
        claim,
        (k) => ownerOf(k, claim.mailbox) === undefined && !otherClaims(baseClaimants, k, claim.mailbox.id),
        read.holds,
        lastNumber.get(key) ?? 1,
      );
      address = found.address;
      if (found.searched) lastNumber.set(key, found.n);
      numberedFor.set(`${key} ${claim.mailbox.id}`, address);
    }
    assigned.set(addressKey(address), claim.mailbox);
    const slots = given.get(claim.mailbox.id) ?? new Map<number, string>();
    slots.set(claim.slot, address);
    given.set(claim.mailbox.id, slots);
  }
  return { given, assigned, findings };
}

/** Verdicts of the explicit entries, in spec order: each as written, with the policies it overrides. */
function explicitVerdicts(
  spec: Spec,
  read: ReadIndex,
  overridden: ReadonlyMap<string, readonly string[]>,
): ExpandedMailbox[] {
  return spec.mailboxes.map((declaration) => {
    const mailbox = read.readOf(declaration.identity);
    const overrides = mailbox ? overridden.get(mailbox.id.toLowerCase()) : undefined;
    return {
      declaration,
      origin: { kind: "explicit" as const, ...(overrides ? { overrides } : {}) },
      upn: mailbox?.userPrincipalName,
      targetUserPrincipalName:
        declaration.userPrincipalName === "follows-primary" ? declaration.primary : declaration.userPrincipalName,
    };
  });
}

/**
 * Verdicts of the policy-managed mailboxes, by object id: the declarations explicit entries would
 * give, from the addresses each claim was given. A mailbox with a refused claim has none (the
 * collision was reported); one left without a primary is a problem.
 */
function policyVerdicts(
  managed: readonly Matched[],
  claims: readonly Claim[],
  given: Given,
  assigned: ReadonlyMap<string, MailboxAttributes>,
  explicit: ExplicitEntries,
): { entries: ExpandedMailbox[]; findings: Finding[] } {
  const entries: ExpandedMailbox[] = [];
  const findings: Finding[] = [];
  const claimsOf = new Map<string, Claim[]>();
  for (const claim of claims) claimsOf.set(claim.mailbox.id, [...(claimsOf.get(claim.mailbox.id) ?? []), claim]);
  for (const matched of managed) {
    const slots = given.get(matched.mailbox.id) ?? new Map<number, string>();
    const mine = (claimsOf.get(matched.mailbox.id) ?? []).sort((a, b) => a.slot - b.slot);
    if (mine.some((claim) => !slots.has(claim.slot))) continue; // a collision was reported
    const verdict = policyVerdict(matched, mine, slots, assigned, explicit);
    if (verdict.kind === "entry") entries.push(verdict.entry);
    else findings.push(verdict.finding);
  }
  return { entries, findings };
}

/**
 * One policy-managed mailbox's declaration from its claims (`mine`, by slot) and the addresses
 * they were given (`slots`): the policy's primary, else the live one; the aliases in claim order;
 * the old primary kept as an alias where its policy says so and nothing else takes it.
 */
function policyVerdict(
  { mailbox, contributing, primaryBy }: Matched,
  mine: readonly Claim[],
  slots: ReadonlyMap<number, string>,
  assigned: ReadonlyMap<string, MailboxAttributes>,
  explicit: ExplicitEntries,
): { kind: "entry"; entry: ExpandedMailbox } | { kind: "problem"; finding: Finding } {
  const livePrimary = primaryOf(mailbox.addresses);
  const policyPrimary = mine.find((claim) => claim.role === "primary");
  const primary = policyPrimary ? slots.get(policyPrimary.slot)! : livePrimary;
  const lead = contributing[0]!;
  if (primary === undefined) {
    return {
      kind: "problem",
      finding: {
        path: ["policies", lead.index, "name"],
        position: lead.source.name,
        message: `${policyLabel(lead.name)}: mailbox ${mailboxLabel(mailbox)} has no primary address and no matching policy gives one; add a primary template`,
      },
    };
  }
  const addressFrom = new Map<string, string>();
  if (policyPrimary) addressFrom.set(addressKey(primary), policyPrimary.policy.name);
  const aliases: string[] = [];
  const aliasPositions: SourcePosition[] = [];
  const seen = new Set([addressKey(primary)]);
  const addAlias = (address: string, position: SourcePosition, from: string | undefined) => {
    if (seen.has(addressKey(address))) return;
    seen.add(addressKey(address));
    aliases.push(address);
    aliasPositions.push(position);
    if (from !== undefined) addressFrom.set(addressKey(address), from);
  };
  for (const claim of mine)
    if (claim.role === "alias") addAlias(slots.get(claim.slot)!, claim.placed.position, claim.policy.name);
  // Mail to the old primary keeps arriving: it stays, as an alias, listed so the plan shows why.
  if (
    primaryBy?.keepOldPrimary &&
    livePrimary !== undefined &&
    addressKey(livePrimary) !== addressKey(primary) &&
    !isMicrosoftRoutingAddress(livePrimary) &&
    // Not when the spec gives it to another mailbox: then it moves (the planner releases it).
    !explicit.owner.has(addressKey(livePrimary)) &&
    (assigned.get(addressKey(livePrimary)) ?? mailbox).id === mailbox.id
  ) {
    addAlias(livePrimary, primaryBy.source.keepOldPrimary, undefined);
  }
  const upnPolicy = contributing.find((policy) => policy.userPrincipalName !== undefined);
  const declaration: MailboxDeclaration = {
    identity: mailbox.id,
    primary,
    aliases,
    mode: modeOf(contributing, primaryBy),
    cloudManaged: false,
    ...(upnPolicy ? { userPrincipalName: "follows-primary" } : {}),
    source: {
      identity: lead.source.name,
      primary: policyPrimary?.placed.position ?? lead.source.name,
      aliases: aliasPositions,
    },
  };
  return {
    kind: "entry",
    entry: {
      declaration,
      origin: { kind: "policy", policies: contributing.map((policy) => policy.name), addressFrom },
      upn: mailbox.userPrincipalName,
      targetUserPrincipalName: upnPolicy ? primary : undefined,
    },
  };
}

/**
 * The mailbox's mode: the first-wins policy's (else the first adding one's), except that a primary
 * from a policy keeping the old primary makes it additive. Strict would remove the kept address at
 * the next run, once it is an ordinary alias: the result would not stay put. The safe side wins.
 */
function modeOf(
  contributing: readonly PolicyDeclaration[],
  primaryBy: PolicyDeclaration | undefined,
): "strict" | "additive" {
  const deciding = contributing.find((policy) => !policy.adds) ?? contributing[0]!;
  if (primaryBy?.keepOldPrimary) return "additive";
  return deciding.mode;
}

/** `local` + n + `@domain`: Exchange Server's way to tell two generated addresses apart. */
export function numberedAddress(address: string, n: number): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}${n}${address.slice(at)}`;
}

function otherClaims(baseClaimants: ReadonlyMap<string, ReadonlySet<string>>, key: string, id: string): boolean {
  const set = baseClaimants.get(key);
  return set !== undefined && [...set].some((other) => other !== id);
}

/**
 * The numbered address a colliding claim gets: the one the mailbox already holds when it is free
 * (a later run keeps what an earlier one gave), else the smallest free number from 2. A number
 * never takes an address another mailbox's template gives as is.
 */
function freeNumberedAddress(
  claim: Claim,
  free: (key: string) => boolean,
  holds: (mailbox: MailboxAttributes, key: string) => boolean,
  after: number,
): { address: string; n: number; searched: boolean } {
  const at = claim.address.lastIndexOf("@");
  const local = claim.address.slice(0, at).toLowerCase();
  const domain = domainOf(claim.address);
  const held = claim.mailbox.addresses
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp" && domainOf(p.value) === domain)
    .map((p) => p.value.slice(0, p.value.lastIndexOf("@")).toLowerCase())
    .filter((l) => l.startsWith(local) && /^[2-9][0-9]*$/.test(l.slice(local.length)))
    .map((l) => Number(l.slice(local.length)))
    .sort((a, b) => a - b);
  for (const n of held) {
    const candidate = numberedAddress(claim.address, n);
    if (free(addressKey(candidate)) && holds(claim.mailbox, addressKey(candidate)))
      return { address: candidate, n, searched: false };
  }
  // Numbers below `after` were given or found taken by earlier claims of the same address.
  for (let n = Math.max(2, after + 1); ; n++) {
    const candidate = numberedAddress(claim.address, n);
    if (free(addressKey(candidate))) return { address: candidate, n, searched: true };
  }
}
