// What the Pulumi program does, and what a program of your own gets from the package: load the
// spec, check it (every problem at once, with file:line:col), read the managed mailboxes, check the
// change against the tenant, and declare one MailboxAddresses resource per mailbox, ordered so an
// address leaves one mailbox before it joins another. Nothing is declared, so nothing is written,
// when any check fails. `declareMailboxAddresses` is the program (infra/index.ts);
// `MailboxAddressSpec` is the same as a component resource.
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { addressKey } from "../core/address";
import { unicodeFormOf } from "../core/idn";
import { desiredAddressMap } from "../core/plan/address-map";
import { describePlan, summarizePlan } from "../core/plan/describe-plan";
import { narrowChangePlan, type TargetedRun } from "../core/plan/targeted-run";
import { liveListFindings } from "../core/plan/live-findings";
import { compareWithReviewedPlan, type ChangeRow, type ReviewedPlan } from "../core/plan/reviewed-plan";
import { declarationOrder, type ChangePlan } from "../core/plan/plan-changes";
import { formatProblem, type SpecProblem } from "../core/problems";
import { loadSpecBytes } from "../core/desired/load-spec";
import type { MailboxDeclaration, Spec } from "../core/desired/rules";
import type { MailboxAddressesSpec, MailboxSpec } from "../core/desired/spec-types.generated";
import { desiredFromMap, type AddressMap } from "../core/plan/address-map";
import { createBackend } from "../targets/registry";
import { MailboxAddresses } from "../providers/mailbox-addresses/resource";
import { assessSpec } from "../reconcile/assess";
import { readManyMailboxes } from "../reconcile/read-tenant";
import { resolveKinds } from "../reconcile/preflight";
import { expandSpec, type ExpandedSpec } from "../reconcile/expand-spec";
import { targetUpnOf, upnChanges, type UpnChange } from "../reconcile/upn";
import { syncStateOf } from "../core/drift/compute-drift";
import { checkListedHolders, checkLiveMailbox, type LiveMailbox } from "../targets/tenant-backend";
import { writtenToOf } from "../targets/hybrid/hybrid-backend";
import { stopWhenEngineIsGone } from "../runtime/engine-watchdog";
import { memoryStage, startMemoryLog } from "../runtime/memory-stages";
import { describeExpected, isExpectedError } from "../core/errors";
import { leaveForProvider, takeFromRefresh, takeHolders, takeRecorded } from "../runtime/refresh-handoff";
import { causesOfPlan, describeCauses, type CauseContext, type ChangeCause } from "../core/plan/change-causes";
import { findProjectRoot } from "../runtime/project-root";
import { toolCommands } from "../runtime/commands-here";
import { readSpecFile, SpecFileError } from "../runtime/spec-file";
import { readReviewedPlan } from "../runtime/reviewed-plan-file";
import {
  channelFile,
  readChannelFile,
  RUN_CHANNEL,
  writeChannelFileAt,
  type MailboxWhere,
  type OutsideDrift,
  type PlannedChangesFile,
  type PolicyOfMailbox,
} from "../runtime/run-channel";
import {
  backendUrl,
  describeConflict,
  findOwnershipConflicts,
  recordStoreFor,
  writeOwnershipRecord,
  type OwnedRecipient,
} from "../runtime/stack-ownership";
import { checkDeclaredSettings, readSettings, SETTINGS_NAMESPACE, type ProgramSettings } from "../reconcile/settings";

// pulumi.log's calls return a promise of the engine's acknowledgement, which the program does not
// wait for (`void`), as it never did.
function fail(problems: readonly SpecProblem[], what: string): never {
  for (const problem of problems) void pulumi.log.error(formatProblem(problem));
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new pulumi.RunError(`${count} ${what}; nothing was changed (see the errors above)`);
}

function readSpec(file: string): { spec: Spec; digest: string } {
  let bytes: Buffer;
  try {
    // The project as the engine knows it (a linked dist/ resolves elsewhere): the spec stays inside it.
    const root = process.env.MAILBOX_ADDRESSES_ROOT || pulumi.runtime.getRootDirectory() || findProjectRoot();
    bytes = readSpecFile(file, { root, explicit: false });
  } catch (err) {
    if (!SpecFileError.isInstance(err)) throw err;
    throw new pulumi.RunError(`the spec ${err.message}`);
  }
  // Policies are expanded below, from the tenant's attributes (reconcile/expand-spec.ts).
  const result = loadSpecBytes(file, bytes, { policies: true });
  if (!result.ok) fail(result.problems, "in the spec");
  return { spec: result.spec, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
}

/**
 * A spec given inline to the component: checked exactly as a file is (written out as the YAML a
 * file would hold, so every rule and message is the file's), problems named after the component.
 */
function readInlineSpec(label: string, inline: InlineSpec): { spec: Spec; digest: string } {
  const bytes = Buffer.from(stringify({ version: 1, ...inline }));
  const result = loadSpecBytes(label, bytes, { policies: true });
  if (!result.ok)
    fail(
      result.problems,
      `in the inline spec (the YAML it reads as: ${stringify({ version: 1, ...inline }).split("\n").length - 1} lines)`,
    );
  return { spec: result.spec, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
}

/**
 * With MAILBOX_ADDRESSES_PLAN_OUT set (by `mailbox-addresses plan`), writes there what this run
 * changes per mailbox, as data: the plan's rows come from the planner, never from log text. A
 * program may hold several components: each adds its mailboxes to what the file already holds
 * (read and written in one synchronous step, so two components never interleave).
 */
function writePlannedChanges(
  specDigest: string,
  declared: readonly string[],
  changes: ReadonlyMap<string, ChangeRow>,
  where: ReadonlyMap<string, MailboxWhere> = new Map(),
  policies: ReadonlyMap<string, PolicyOfMailbox> = new Map(),
  kinds: ReadonlyMap<string, string> = new Map(),
  causes: ReadonlyMap<string, readonly ChangeCause[]> = new Map(),
  outside?: OutsideDrift,
): void {
  const file = channelFile("plannedChanges");
  if (!file) return;
  // The first component of the run (or the program itself) writes it afresh.
  const fresh: PlannedChangesFile = { declared: [], changes: {} };
  const earlier = readChannelFile("plannedChanges", file, { missing: fresh });
  const merged: PlannedChangesFile = {
    // Several components, several specs: their digests, space-separated (checkReviewedPlan holds each to its own).
    specDigest: [...new Set([...(earlier.specDigest?.split(" ") ?? []), specDigest])].sort().join(" "),
    declared: [...earlier.declared, ...declared],
    changes: { ...earlier.changes, ...Object.fromEntries(changes) },
    where: { ...earlier.where, ...Object.fromEntries(where) },
    policies: { ...earlier.policies, ...Object.fromEntries(policies) },
    kinds: { ...earlier.kinds, ...Object.fromEntries(kinds) },
    causes: { ...earlier.causes, ...Object.fromEntries(causes) },
    ...(outside ? { outside } : earlier.outside ? { outside: earlier.outside } : {}),
  };
  writeChannelFileAt("plannedChanges", file, merged);
}

/**
 * MAILBOX_ADDRESSES_CAUSES (written by `mailbox-addresses plan`): the base spec and, without a
 * refresh, the state's record. Without it, causes say "since the last apply".
 */
function readCauseContext(): CauseContext {
  const file = channelFile("causes");
  return file ? readChannelFile("causes", file) : {};
}

/** Per policy-managed mailbox (its key, the object id), the policy that gives it its addresses (the first-wins one) and its UPN: plan rows are grouped by policy. */
function policyOf(expanded: ExpandedSpec): Map<string, PolicyOfMailbox> {
  const policies = new Map<string, PolicyOfMailbox>();
  for (const entry of expanded.expansion?.entries ?? []) {
    if (entry.origin.kind === "policy")
      policies.set(entry.declaration.identity, {
        policy: entry.origin.policies[0]!,
        ...(entry.upn ? { upn: entry.upn } : {}),
      });
  }
  return policies;
}

function whereOf(
  spec: Spec,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  change: ChangePlan,
): Map<string, MailboxWhere> {
  const where = new Map<string, MailboxWhere>();
  for (const m of spec.mailboxes) {
    const mailbox = live.get(m.identity);
    // Where the hybrid target routes the write (`cloudManaged: true` takes a synced mailbox over).
    const writtenTo = mailbox === undefined ? undefined : writtenToOf(mailbox, m.cloudManaged === true);
    if (mailbox === undefined || writtenTo === undefined) continue;
    // Taken over, it is written in Exchange Online: no longer the sync's to carry.
    const sync =
      writtenTo === mailbox.writtenTo
        ? syncStateOf(spec, m.identity, mailbox, change.plans.get(m.identity)?.changed === true)
        : undefined;
    where.set(m.identity, { writtenTo, ...(sync ? { sync } : {}) });
  }
  return where;
}

const WHERE_WORDS: Record<MailboxWhere["writtenTo"], string> = {
  "active-directory": "written to Active Directory (synced; the cloud follows at the next sync)",
  "exchange-online": "written to Exchange Online",
};

/**
 * With MAILBOX_ADDRESSES_REVIEWED_PLAN set (the `plan --json` file a pull request reviewed), fails
 * before anything is declared if this run would do anything that plan did not show.
 */
function checkReviewedPlan(specDigest: string, changes: ReadonlyMap<string, ChangeRow>): void {
  const file = channelFile("reviewedPlan");
  if (!file) return;
  let reviewed: ReviewedPlan;
  try {
    // Bounded, a regular file, the report schema and this build's format version (runtime/reviewed-plan-file.ts).
    reviewed = readReviewedPlan(file, findProjectRoot());
  } catch (err) {
    if (!SpecFileError.isInstance(err)) throw err;
    throw new pulumi.RunError(
      `the reviewed plan (${RUN_CHANNEL.reviewedPlan.variable}) ${err.message}; nothing was changed`,
    );
  }
  // A program of several components reviewed as one plan: each component's spec is one of its digests.
  const digests = reviewed.specDigest?.split(" ") ?? [];
  const held = digests.length > 1 && digests.includes(specDigest) ? { ...reviewed, specDigest } : reviewed;
  const mismatches = compareWithReviewedPlan(held, specDigest, changes, pulumi.getStack());
  if (mismatches.length === 0) return;
  for (const m of mismatches) void pulumi.log.error(`${m.identity ? `mailbox "${m.identity}": ` : ""}${m.message}`);
  throw new pulumi.RunError(
    `this run would do what the reviewed plan (${file}) did not show (${mismatches.length} ${mismatches.length === 1 ? "difference" : "differences"}, above); nothing was changed. ` +
      "The tenant or the spec changed since the review: run the plan again and have it reviewed.",
  );
}

/**
 * One owner per recipient across the stacks of one state backend (runtime/stack-ownership.ts):
 * refuses, before anything is declared, a recipient another stack's ownership record claims,
 * naming that stack; an `up` then records what this stack manages (so a mailbox removed from the
 * spec is freed by the next `up`). One listing and one small read per other stack.
 */
async function checkOwnership(
  spec: Spec,
  target: ProgramSettings["target"],
  description: string,
  live: ReadonlyMap<string, LiveMailbox | undefined>,
  elsewhere: ReadonlyMap<string, string> | undefined,
): Promise<void> {
  const root = process.env.MAILBOX_ADDRESSES_ROOT || pulumi.runtime.getRootDirectory() || findProjectRoot();
  const url = backendUrl(root);
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  let store: Awaited<ReturnType<typeof recordStoreFor>>;
  try {
    store = url === undefined ? undefined : await recordStoreFor(url, root);
  } catch (err) {
    throw new pulumi.RunError(
      `the one-owner check cannot open the state backend ${url}: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  if (store === undefined) {
    void pulumi.log.info(
      `recipients managed by other stacks are checked on file:// and azblob:// state backends; this one (${url ?? "Pulumi Cloud"}) is not: check specs against each other with ${toolCommands(root).tool} validate a.yaml b.yaml`,
    );
    return;
  }
  // The local tenant is a file: named by its absolute path, two projects' relative paths differ.
  const tenant = target.target === "local" ? `local tenant ${path.resolve(root, target.database)}` : description;
  const mine: OwnedRecipient[] = spec.mailboxes.map((m) => {
    const id = live.get(m.identity)?.id || elsewhere?.get(m.identity);
    return { key: m.identity.toLowerCase(), ...(id ? { id } : {}) };
  });
  try {
    const conflicts = await findOwnershipConflicts(store, `${project}/${stack}`, tenant, mine);
    if (conflicts.length > 0) {
      for (const conflict of conflicts) void pulumi.log.error(describeConflict(conflict));
      throw new pulumi.RunError(
        `${conflicts.length === 1 ? "1 recipient is" : `${conflicts.length} recipients are`} managed by another stack of this state backend (above); nothing was changed`,
      );
    }
    if (!pulumi.runtime.isDryRun()) await writeOwnershipRecord(store, project, stack, tenant, mine);
  } catch (err) {
    // A record not of its shape names itself and its remedy (StackOwnershipError): told as it is.
    if (err instanceof pulumi.RunError || isExpectedError(err)) throw err;
    throw new pulumi.RunError(
      `the one-owner check cannot read or write ${store.where}: ${(err as Error).message.split("\n")[0]}`,
    );
  } finally {
    // What the check cost, for test/reliability/stack-ownership.test.ts.
    const costFile = process.env.MAILBOX_ADDRESSES_OWNERSHIP_COST;
    if (costFile)
      appendFileSync(costFile, `${JSON.stringify({ stack, dryRun: pulumi.runtime.isDryRun(), ...store.cost })}\n`);
  }
}

/**
 * With MAILBOX_ADDRESSES_TARGETS set (by `mailbox-addresses plan --changed-since` and `apply`), the
 * targeted run: which mailboxes to declare (docs/TARGETED-RUNS.md). Undefined for a full run.
 */
function readTargetedRun(specDigest: string): TargetedRun | undefined {
  const file = channelFile("targets");
  if (!file) return undefined;
  // Checked (runtime/run-channel.ts): a RunChannelError otherwise, told as one message (declareFrom).
  const run = readChannelFile("targets", path.resolve(findProjectRoot(), file));
  if (run.specDigest !== specDigest) {
    throw new pulumi.RunError(
      `the targeted run ${file} was computed for another spec (its digest differs); nothing was changed. Run the plan again.`,
    );
  }
  return run;
}

/**
 * The whole spec's assessment narrowed to a targeted run's mailboxes. Refused (nothing declared)
 * when an address would move across the set's boundary: a managed holder outside the set, after
 * drift since the state was written; only a full run sees and orders that move.
 */
function narrowToTargets(spec: Spec, change: ChangePlan, run: TargetedRun): { spec: Spec; change: ChangePlan } {
  const names = new Set(spec.mailboxes.map((m) => m.identity));
  const unknown = run.declare.filter((identity) => !names.has(identity));
  if (unknown.length > 0)
    throw new pulumi.RunError(
      `the targeted run declares ${unknown.map((u) => `"${u}"`).join(", ")}, which the spec does not have; run the plan again`,
    );
  const declare = new Set(run.declare);
  const narrowed = narrowChangePlan(change, declare);
  if (narrowed.crossing.length > 0) {
    for (const m of narrowed.crossing) {
      const outside = declare.has(m.from) ? m.to : m.from;
      void pulumi.log.error(
        `${m.address} moves from "${m.from}" to "${m.to}", and "${outside}" is not in the targeted run (the tenant changed since the state was written)`,
      );
    }
    throw new pulumi.RunError(
      "targeted mode refused: the change reaches mailboxes outside the change set (above); nothing was changed. Run the full plan (without --changed-since), which sees and orders these moves.",
    );
  }
  return {
    spec: { ...spec, mailboxes: spec.mailboxes.filter((m) => declare.has(m.identity)) },
    change: narrowed.change,
  };
}

/**
 * Resources declared between two turns of the event loop. The SDK sends a resource's registration
 * only when the loop turns; declared all in one loop, the engine saw none of 10,000 until the last
 * (26 s of declaring before the first write; the no-op program's 43 s) and the SDK then held all of
 * them pending at once (280-330 MB more at the program's peak). docs/benchmarks.md, "Wall time of
 * `up` at 10,000" and "Program memory: declared per turn".
 */
const DECLARED_PER_TURN = 100;

async function declare(
  spec: Spec,
  change: ChangePlan,
  parent: pulumi.Resource | undefined,
  where: ReadonlyMap<string, MailboxWhere> = new Map(),
  upns: ReadonlyMap<string, UpnChange> = new Map(),
  causes: ReadonlyMap<string, readonly ChangeCause[]> = new Map(),
  findings: ReadonlyMap<string, readonly string[]> = new Map(),
) {
  const resources = new Map<string, MailboxAddresses>();
  const declared = new Map(spec.mailboxes.map((m) => [m.identity, m]));
  const movesFrom = new Map<string, ChangePlan["moves"][number][]>();
  for (const move of change.moves) movesFrom.set(move.from, [...(movesFrom.get(move.from) ?? []), move]);
  // Givers are declared before takers, so dependsOn can name them.
  const order = declarationOrder(spec.mailboxes, change.dependsOn);
  for (const [index, mailbox] of order.entries()) {
    if (index > 0 && index % DECLARED_PER_TURN === 0) await new Promise((turned) => setImmediate(turned));
    const dependsOn = (change.dependsOn.get(mailbox.identity) ?? []).map((d) => resources.get(d)!);
    const releasesOut = (movesFrom.get(mailbox.identity) ?? []).map((m) => ({ address: m.address, to: m.to }));
    // In a cycle, this mailbox makes the giver let go of its addresses first (see TakeFrom).
    const takeFrom = (change.dependsOnRelease.get(mailbox.identity) ?? []).map((giver) => {
      const declaration = declared.get(giver)!;
      const addresses = (movesFrom.get(giver) ?? []).filter((m) => m.to === mailbox.identity).map((m) => m.address);
      return { identity: giver, addresses, primary: declaration.primary, aliases: [...declaration.aliases] };
    });
    const resource = new MailboxAddresses(
      mailbox.identity,
      {
        identity: mailbox.identity,
        addresses: desiredAddressMap(mailbox),
        ...internationalFormsOf(mailbox),
        mode: mailbox.mode,
        ...(mailbox.cloudManaged ? { cloudManaged: true } : {}),
        ...(targetUpnOf(mailbox) !== undefined ? { upn: targetUpnOf(mailbox)! } : {}),
        ...(releasesOut.length > 0
          ? { releases: Object.fromEntries(releasesOut.map((r) => [addressKey(r.address), r.to])) }
          : {}),
        ...(takeFrom.length > 0 ? { takeFrom } : {}),
      },
      { dependsOn, ...(parent ? { parent } : {}) },
    );
    resources.set(mailbox.identity, resource);
    const plan = change.plans.get(mailbox.identity);
    // Ephemeral: shown once on the mailbox's own status line, not again in Pulumi's diagnostics
    // summary (an up of 300 mailboxes printed each line four times).
    const place = where.get(mailbox.identity);
    const placed = place ? `; ${WHERE_WORDS[place.writtenTo]}` : "";
    const upn = upns.get(mailbox.identity);
    const upnText = upn ? `user principal name ${upn.from ?? "(none)"} → ${upn.to}` : "";
    // Why, per address (core/plan/change-causes.ts): the same words as `plan`'s rows.
    const why =
      (causes.get(mailbox.identity) ?? []).length > 0
        ? ` [why: ${describeCauses(mailbox.identity, causes.get(mailbox.identity)!, toolCommands().tool)}]`
        : "";
    const found = findings.get(mailbox.identity) ?? [];
    const described =
      plan === undefined
        ? ""
        : [
            ...(describePlan(plan) === "no change" && found.length > 0 ? [] : [describePlan(plan)]),
            ...found.map((f) => `repair: ${f}`),
          ].join("; ");
    if (plan?.changed)
      void pulumi.log.info(
        `${mailbox.identity}: live tenant → spec: ${described}${upnText ? `; ${upnText}` : ""}${placed}${why}`,
        resource,
        undefined,
        true,
      );
    else if (upn)
      void pulumi.log.info(`${mailbox.identity}: live tenant → spec: ${upnText}${placed}`, resource, undefined, true);
    else if (place?.sync?.state === "pending") {
      const age =
        place.sync.lastSyncAgeSeconds === undefined
          ? ""
          : ` (last sync ${Math.round(place.sync.lastSyncAgeSeconds / 60)} min ago)`;
      void pulumi.log.info(
        `${mailbox.identity}: pending sync: Active Directory matches the spec, the cloud follows at the next sync${age}; nothing to write`,
        resource,
        undefined,
        true,
      );
    }
  }
  return resources;
}

/** What the program exports as stack outputs. */
export interface DeclaredMailboxes {
  readonly spec: string;
  readonly specDigest: string;
  readonly target: string;
  readonly mailboxes: number;
}

/** What {@link program} is given: the spec as a file or inline, and the parent of its resources. */
interface ProgramOptions {
  readonly spec?: string;
  readonly inline?: { readonly label: string; readonly spec: InlineSpec };
  readonly parent?: pulumi.Resource;
  /** Receives the resources declared, by the spec's key (the component's outputs). */
  readonly declared?: (resources: ReadonlyMap<string, MailboxAddresses>) => void;
}

/**
 * Declares the spec's mailboxes (the whole program). `spec` overrides the stack's `spec` setting;
 * `parent` makes the resources children of a component. Expected errors read as one message.
 */
export async function declareMailboxAddresses(
  options: { spec?: string; parent?: pulumi.Resource } = {},
): Promise<DeclaredMailboxes> {
  return declareFrom(options);
}

async function declareFrom(options: ProgramOptions): Promise<DeclaredMailboxes> {
  stopWhenEngineIsGone();
  startMemoryLog();
  try {
    return await program(options);
  } catch (err) {
    // An expected error (unreachable host, unknown tenant, damaged store...) reads as a message.
    if (isExpectedError(err)) throw new pulumi.RunError(describeExpected(err));
    throw err;
  }
}

/** A value, or an Output or Promise of it (from another resource), at any depth of objects and arrays. */
export type DeepInput<T> = pulumi.Input<
  T extends readonly (infer E)[] ? DeepInput<E>[] : T extends object ? { [K in keyof T]: DeepInput<T[K]> } : T
>;

/** One mailbox of an inline spec: as a spec file's entry (schemas/mailboxes.schema.json). */
export type InlineMailbox = MailboxSpec;

/**
 * A spec inline: what a spec file holds, as an object (`version` may be left out). For example
 * `{ allowedDomains: ["contoso.com"], mailboxes: { "lee.chen@contoso.com": { primary: "lee.chen@contoso.com", aliases: ["lee@contoso.com"] } } }`.
 */
export type InlineSpec = Omit<MailboxAddressesSpec, "version"> & { readonly version?: 1 };

/** Arguments of {@link MailboxAddressSpec}: a spec file, or a spec inline. */
export interface MailboxAddressSpecArgs {
  /**
   * The spec: a file (relative to the project: a regular .yaml/.yml file inside it), or the spec
   * inline as an object ({@link InlineSpec}). Any value may come from another resource (an Output).
   * Default: the file named by the stack's `mailbox-addresses:spec` setting.
   */
  readonly spec?: DeepInput<string> | DeepInput<InlineSpec>;
}

/** One mailbox as the component declared it: its primary and every managed SMTP address. */
export interface MailboxAddressesState {
  /** The spec's key (UPN, object id or address). */
  readonly identity: string;
  /** The primary SMTP address (the `SMTP:` entry), as written. */
  readonly primary: string;
  /** The aliases (the `smtp:` entries the spec manages), as written. */
  readonly aliases: readonly string[];
  /** The primary first, then the aliases: every managed SMTP address, without prefix. */
  readonly addresses: readonly string[];
}

/** What the component's `mailboxes` output gives for one resource's managed-address map. */
function stateOf(identity: string, map: AddressMap): MailboxAddressesState {
  const { primary, aliases } = desiredFromMap(map);
  return { identity, primary, aliases: [...aliases], addresses: [primary, ...aliases] };
}

// The resources each component declared: filled by initialize, which the SDK starts before the
// subclass's constructor has run (so not a field), read once the component's data is ready.
const declaredBy = new WeakMap<MailboxAddressSpec, ReadonlyMap<string, MailboxAddresses>>();

/**
 * Resolves an input that may hold Outputs of other resources. A value not known yet (a preview
 * before the resource it comes from exists) cannot be planned against the tenant: refused.
 */
async function resolveInput<T>(value: unknown, what: string): Promise<T> {
  const output = pulumi.output(value) as unknown as pulumi.Output<T> & { readonly isKnown: Promise<boolean> };
  if (!(await output.isKnown)) {
    throw new pulumi.RunError(
      `${what} depends on a value that is not known until another resource is created: create that resource first (pulumi up --target <its URN>), then preview again; nothing was changed`,
    );
  }
  return new Promise<T>((resolve) => output.apply((v) => void resolve(v as T)));
}

/**
 * The spec's mailboxes as a component in a Pulumi program of your own: every preview-time check
 * runs (spec problems, conflicts with recipients outside the spec, unaccepted domains, synced
 * mailboxes), then one MailboxAddresses resource per mailbox is declared as its child, at any
 * depth of parents. The tenant comes from the stack's `mailbox-addresses:*` settings, as for this
 * project's own program.
 *
 *     const tenant = new MailboxAddressSpec("tenant", { spec: "mailboxes.yaml" });
 *     new MailboxAddressSpec("team", { spec: { allowedDomains: ["contoso.com"], mailboxes: { "lee.chen@contoso.com": { primary: "lee.chen@contoso.com" } } } });
 *     export const primaries = tenant.mailboxes.apply((m) => Object.values(m).map((x) => x.primary));
 */
export class MailboxAddressSpec extends pulumi.ComponentResource<DeclaredMailboxes> {
  /** Per mailbox (by the spec's key): its primary, aliases and addresses, once its resource is declared (after an up: as written). */
  readonly mailboxes: pulumi.Output<Readonly<Record<string, MailboxAddressesState>>>;
  /** How many mailboxes the spec declares. */
  readonly mailboxCount: pulumi.Output<number>;
  /** The spec's sha256 (`sha256:…`): what a reviewed plan is held to. */
  readonly specDigest: pulumi.Output<string>;
  /** The tenant, as messages name it (e.g. "local tenant .tenant/local.sqlite"). */
  readonly target: pulumi.Output<string>;

  constructor(name: string, args: MailboxAddressSpecArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("mailbox-addresses:index:MailboxAddressSpec", name, args, opts);
    const data = pulumi.output(this.getData());
    this.mailboxCount = data.apply((d) => d.mailboxes);
    this.specDigest = data.apply((d) => d.specDigest);
    this.target = data.apply((d) => d.target);
    // The resources' own outputs: after an up, what the provider wrote and read back.
    this.mailboxes = data.apply(() => {
      const resources = declaredBy.get(this) ?? new Map<string, MailboxAddresses>();
      // The SDK gives a resource an Output for each of its inputs (`addresses` among them), holding the provider's outputs after an up.
      const maps = Object.fromEntries(
        [...resources].map(([identity, resource]) => [
          identity,
          (resource as unknown as { readonly addresses: pulumi.Output<AddressMap> }).addresses,
        ]),
      );
      return pulumi
        .all(maps)
        .apply((all) =>
          Object.fromEntries(Object.entries(all).map(([identity, map]) => [identity, stateOf(identity, map)])),
        );
    });
  }

  protected override async initialize(args: MailboxAddressSpecArgs): Promise<DeclaredMailboxes> {
    const spec =
      args.spec === undefined
        ? undefined
        : await resolveInput<string | InlineSpec>(args.spec, `MailboxAddressSpec's spec`);
    const label = `MailboxAddressSpec (inline spec)`;
    // What initialize returns becomes the component's outputs (registered by the SDK).
    return declareFrom({
      ...(typeof spec === "string" ? { spec } : spec !== undefined ? { inline: { label, spec } } : {}),
      parent: this,
      declared: (resources) => declaredBy.set(this, resources),
    });
  }
}

/** The stack's settings in this project's namespace, checked against the one declared list. */
function checkStackSettings(): void {
  const prefix = `${SETTINGS_NAMESPACE}:`;
  const ours = Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const problems = checkDeclaredSettings(ours);
  if (problems.length === 0) return;
  for (const problem of problems) void pulumi.log.error(problem);
  throw new pulumi.RunError(
    `${problems.length === 1 ? "a setting" : `${problems.length} settings`} of stack "${pulumi.getStack()}" refused (above): fix it with pulumi config set / rm; nothing was changed`,
  );
}

async function program(options: ProgramOptions): Promise<DeclaredMailboxes> {
  checkStackSettings();
  const configured = readSettings(new pulumi.Config(SETTINGS_NAMESPACE));
  // An inline spec has no file: its label names it in messages and in the run's hand-offs.
  const settings = options.inline
    ? { ...configured, spec: options.inline.label }
    : options.spec
      ? { ...configured, spec: options.spec }
      : configured;
  const { spec: written, digest } = options.inline
    ? readInlineSpec(options.inline.label, options.inline.spec)
    : readSpec(settings.spec);
  memoryStage("spec loaded");
  const backend = createBackend(settings.target);
  try {
    // Policies become per-mailbox declarations, from the attributes read in one pass.
    const expanded = await expandSpec(written, backend);
    if (expanded.problems.length > 0) fail(expanded.problems, "in the spec's policies");
    const spec = expanded.spec;
    const targeted = readTargetedRun(digest);
    // This run's refresh has just read them all (the provider's sweep hands it over): one pass.
    // A targeted run has no refresh (--refresh=false): the program reads.
    // A targeted run that knows the stack's other mailboxes (their object ids, from the state) reads
    // and assesses only its own: ceil(k/20) reads. With policies, which give addresses by rule from
    // every recipient's attributes, it assesses the whole spec, as a full run does.
    const elsewhere =
      targeted?.managedElsewhere !== undefined && (written.policies ?? []).length === 0
        ? new Map(Object.entries(targeted.managedElsewhere))
        : undefined;
    const inRun = new Set(targeted?.declare ?? []);
    const assessedSpec = elsewhere ? { ...spec, mailboxes: spec.mailboxes.filter((m) => inRun.has(m.identity)) } : spec;
    const identities = assessedSpec.mailboxes.map((m) => m.identity);
    // The state's record of each mailbox (this run's refresh found it), taken before the live lists.
    const context = readCauseContext();
    const refreshed = targeted ? undefined : takeRecorded(settings.target, settings.spec);
    const recorded = refreshed ?? (context.recorded ? new Map(Object.entries(context.recorded)) : undefined);
    // What the refresh's listing showed of the holders of the spec's addresses (from SCAN_THRESHOLD
    // on), taken before the live lists: the preview checks then do not list the directory again.
    const handedHolders = targeted ? undefined : takeHolders(settings.target, settings.spec, checkListedHolders);
    const handedOver = targeted
      ? undefined
      : takeFromRefresh(settings.target, settings.spec, identities, checkLiveMailbox);
    // Without a refresh's read (an adoption into an empty state, a targeted run): read here, by one
    // paged listing from SCAN_THRESHOLD on (reconcile/read-tenant.ts), as the refresh's sweep does.
    const live = handedOver ?? (await readManyMailboxes(backend, identities));
    // Holders from the listing that gave the live lists: the refresh's, or this process's own.
    const holders = handedOver
      ? handedHolders
      : backend.listedHolders?.(assessedSpec.mailboxes.flatMap((m) => [m.primary, ...m.aliases]));
    memoryStage("live read");
    // The same assessment `drift` makes (reconcile/assess.ts): changes confirmed from the source,
    // keys resolved, plan, preview checks; the spec itself was checked whole when it was loaded.
    const assessed = await assessSpec(assessedSpec, backend, {
      live,
      bulk: false,
      ...(elsewhere ? { managedElsewhere: elsewhere } : {}),
      // A read showing what the stack last applied needs no confirmation from the source.
      ...(refreshed ? { recorded: refreshed } : {}),
      ...(holders ? { listedHolders: holders } : {}),
    });
    if (assessed.problems.length > 0) fail(assessed.problems, `between the spec and the ${backend.description}`);
    const confirmed = assessed.live;
    memoryStage("assessed");
    await checkOwnership(spec, settings.target, backend.description, confirmed, elsewhere);
    // A targeted run declares only its mailboxes (the CLI passes --target for each).
    const { spec: declared, change } = targeted
      ? narrowToTargets(spec, assessed.change, targeted)
      : { spec, change: assessed.change };
    // A live list that breaks a rule whatever the spec says (two SMTP: entries in AD): named in the
    // preview line and the plan row; the write repairs it.
    const findings = new Map(
      declared.mailboxes.flatMap((m) => {
        const found = liveListFindings(confirmed.get(m.identity)?.addresses ?? [], m.primary);
        return found.length > 0 ? [[m.identity, found] as const] : [];
      }),
    );
    const changes = new Map<string, ChangeRow>(
      [...change.plans]
        .filter(([, plan]) => plan.changed)
        .map(([identity, plan]) => [
          identity,
          { ...summarizePlan(plan), ...(findings.has(identity) ? { findings: findings.get(identity)! } : {}) },
        ]),
    );
    // Sign-in names the spec changes (reconcile/upn.ts) are changes too: shown, reviewed, planned.
    const upns = upnChanges(declared, live);
    for (const [identity, upn] of upns)
      changes.set(identity, { ...(changes.get(identity) ?? { added: [], removed: [] }), userPrincipalName: upn });
    checkReviewedPlan(digest, changes);
    // What this program read is left for the provider when no refresh read it first: a targeted
    // run's diff plans against it, and a create (an adoption) that finds nothing to write takes
    // its outputs from it instead of reading each mailbox again (providers/mailbox-addresses/).
    if (handedOver === undefined)
      leaveForProvider(
        settings.target,
        settings.spec,
        new Map(declared.mailboxes.map((m) => [m.identity, assessed.live.get(m.identity)])),
      );
    const where = whereOf(declared, live, change);
    const policies = policyOf(expanded);
    const causes = causesOfPlan(change.plans, recorded, {
      ...(context.base ? { base: new Map(Object.entries(context.base)) } : {}),
      policies: new Map([...policies].map(([identity, p]) => [identity, p.policy])),
      changedAt: new Map([...confirmed].map(([identity, mailbox]) => [identity, mailbox?.addressesChangedAt])),
    });
    const resources = await declare(declared, change, options.parent, where, upns, causes, findings);
    memoryStage("declared");
    options.declared?.(resources);
    // `plan` shows each recipient's kind (RecipientTypeDetails); a plain preview or up asks nothing more.
    const declaredLive = targeted
      ? new Map(declared.mailboxes.map((m) => [m.identity, confirmed.get(m.identity)]))
      : confirmed;
    const kinds = channelFile("plannedChanges") ? await resolveKinds(declaredLive, backend) : new Map<string, string>();
    // A targeted run: drift outside its change set, which a full apply would revert and this one leaves.
    const outside = targeted
      ? {
          read: elsewhere === undefined,
          mailboxes: spec.mailboxes.length - declared.mailboxes.length,
          drifted:
            elsewhere === undefined
              ? [...assessed.change.plans]
                  .filter(([identity, plan]) => plan.changed && !inRun.has(identity))
                  .map(([identity]) => identity)
              : [],
        }
      : undefined;
    writePlannedChanges(
      digest,
      declared.mailboxes.map((m) => m.identity),
      changes,
      where,
      policies,
      kinds,
      causes,
      outside,
    );
    memoryStage("planned");
    // The same outputs in either scope: the stack's entry is always targeted, and must not flip.
    return {
      spec: settings.spec,
      specDigest: digest,
      target: backend.description,
      mailboxes: spec.mailboxes.length,
    };
  } catch (err) {
    // A missing permission or role is an expected refusal: its message says what to grant, no stack.
    if (err instanceof Error && err.name === "AccessError") throw new pulumi.RunError(err.message);
    throw err;
  } finally {
    await backend.close();
  }
}

/**
 * The resource's `internationalForms` (providers/mailbox-addresses/inputs.ts): each address in an
 * international domain, as written and as read, so `pulumi preview --diff` shows both forms.
 */
function internationalFormsOf(mailbox: MailboxDeclaration): { internationalForms?: Record<string, string> } {
  const forms: Record<string, string> = {};
  for (const address of [mailbox.primary, ...mailbox.aliases]) {
    const unicode = unicodeFormOf(address);
    if (unicode !== undefined) forms[addressKey(address)] = unicode;
  }
  return Object.keys(forms).length > 0 ? { internationalForms: forms } : {};
}
