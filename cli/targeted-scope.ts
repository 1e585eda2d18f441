// `plan --changed-since <ref>`: which mailboxes the change touches, without reading the tenant
// (docs/TARGETED-RUNS.md, "Design"). `before` is the spec at <ref> (git show) and the state's last
// applied inputs (the state: engine-run.ts readState), merged; who holds each address and who depends on whom come
// from the state. The answer is a targeted run (the mailboxes to declare and release, with the
// URNs to pass as --target) or a full run with the reasons targeted mode was refused.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import path from "node:path";
import { addressKey, parseProxyAddress } from "../core/address";
import { desiredFromMap, recordOf } from "../core/plan/address-map";
import { computeChangeSet, withStateDependents, type ChangeSet } from "../core/plan/change-set";
import { describeReason, unionChangeSets, type TargetedRun } from "../core/plan/targeted-run";
import { loadSpecBytes, type LoadResult } from "../core/desired/load-spec";
import type { MailboxDeclaration, Spec } from "../core/desired/rules";
import { describeTarget } from "../targets/registry";
import { COMPONENT_TYPE, parseUrn, RESOURCE_TYPE, STACK_TYPE } from "./resource-urn";
import { readSpecFile } from "../runtime/spec-file";
import { writeChannelFile } from "../runtime/run-channel";
import { CliError } from "./cli-error";
import {
  readState,
  isDeclarationEntry,
  isMailboxEntry,
  type DeclarationEntry,
  type ExportedState,
  type MailboxEntry,
  type StateEntry,
} from "./engine-run";
import type { StackSettings } from "./stack-settings";

/** Past this many mailboxes (or half the stack), a full run costs about the same: run full. */
export const MAX_TARGETS = 5000;

/** The spec at the ref as the scope read it (git show), and loaded: the causes' context reuses it (./cause-context.ts). */
export interface SpecAtRef {
  /** Undefined when the spec did not exist at the ref. */
  readonly bytes: Buffer | undefined;
  readonly loaded?: LoadResult;
}

export type Scope =
  | {
      readonly kind: "targeted";
      readonly run: TargetedRun;
      readonly urns: readonly string[];
      /** identity → the live list the state recorded, for the declared mailboxes (the causes of their changes: core/plan/change-causes.ts). */
      readonly recorded?: Readonly<Record<string, readonly string[]>>;
      readonly atRef?: SpecAtRef;
    }
  | {
      readonly kind: "full";
      readonly since?: string;
      readonly reasons: readonly string[];
      readonly atRef?: SpecAtRef;
    };

function git(cwd: string, args: readonly string[]): { code: number; stdout: Buffer; stderr: string } {
  const result = spawnSync("git", args, { cwd, maxBuffer: 512 * 1024 * 1024 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "ENOENT" ? "--changed-since needs git, which is not on PATH" : `cannot run git: ${result.error.message}`,
    );
  }
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr.toString("utf8").trim() };
}

/** The spec's bytes at `ref`, or undefined when the file did not exist there. Errors: no git, no repository, no such ref. */
export function specAtRef(specPath: string, ref: string): Buffer | undefined {
  const dir = path.dirname(specPath);
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (top.code !== 0) throw new CliError(`--changed-since: ${dir} is not inside a git repository`);
  if (git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).code !== 0) {
    throw new CliError(
      `--changed-since: git knows no commit "${ref}" (in CI, fetch it first, e.g. git fetch origin main, and pass origin/main)`,
    );
  }
  const relative = path
    .relative(realpathSync(top.stdout.toString("utf8").trim()), realpathSync(specPath))
    .split(path.sep)
    .join("/");
  const shown = git(dir, ["show", `${ref}:${relative}`]);
  return shown.code === 0 ? shown.stdout : undefined;
}

const digestOf = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** The spec as the state last applied it: each entry's inputs, with `after`'s stack-wide settings. */
function specFromState(entries: readonly MailboxEntry[], after: Spec): Spec {
  const now = new Map(after.mailboxes.map((m) => [m.identity, m]));
  const nowhere = { line: 0, col: 0 } as MailboxDeclaration["source"]["identity"];
  const mailboxes = entries.map((entry): MailboxDeclaration => {
    const inputs = entry.inputs ?? {};
    const identity = identityOfEntry(entry);
    const { primary, aliases } = desiredFromMap(inputs.addresses ?? {});
    const upn = now.get(identity)?.userPrincipalName;
    return {
      identity,
      primary,
      aliases,
      mode: inputs.mode ?? "strict",
      cloudManaged: inputs.cloudManaged === true,
      ...(upn !== undefined ? { userPrincipalName: upn } : {}),
      source: { identity: nowhere, primary: nowhere, aliases: [] },
    };
  });
  return { ...after, mailboxes };
}

/** The spec's key a MailboxAddresses entry of the state was declared with (its inputs, else its URN's name). */
export function identityOfEntry(entry: MailboxEntry): string {
  return entry.inputs?.identity ?? entry.urn.slice(entry.urn.lastIndexOf("::") + 2);
}

/**
 * Object id (lower case) → key of each mailbox entry of the state outside `inSet`: what the
 * program of a targeted run needs to know about the mailboxes it does not read.
 */
export function managedOutside(mailboxes: readonly MailboxEntry[], inSet: ReadonlySet<string>): Record<string, string> {
  const outside: Record<string, string> = {};
  for (const r of mailboxes) {
    const out = r.outputs ?? {};
    const identity = r.inputs?.identity ?? out.identity;
    if (identity === undefined || inSet.has(identity) || r.id === undefined) continue;
    outside[r.id.toLowerCase()] = identity;
  }
  return outside;
}

/** Where the state's mailboxes sit, for naming them as --target: the URN of each, new ones included. */
export type MailboxPlace =
  | {
      /** The URN a mailbox of the spec has, or has once created: its parents' types are its siblings'. */
      readonly urnOf: (identity: string) => string;
      /** The MailboxAddressSpec component they are children of (a program of one's own, `init`'s), if any. */
      readonly component?: DeclarationEntry;
    }
  | { readonly refused: string };

/**
 * The one parent of the state's mailboxes: the stack (this checkout's program), or one
 * MailboxAddressSpec component at any depth (a repository made by `init`, a program of one's own).
 * A new mailbox's URN has its siblings' qualified type (the parents' types, resource-urn.ts).
 * Several components (or mailboxes under a component of another type) are refused: the targeted
 * run names one spec, which each component would be asked to narrow.
 */
export function placeOfMailboxes(resources: readonly StateEntry[], stackEntry: StateEntry): MailboxPlace {
  const mailboxes = resources.filter(isMailboxEntry);
  const components = resources.filter((r) => r.type === COMPONENT_TYPE);
  const parents = new Set(mailboxes.map((r) => r.parent ?? stackEntry.urn));
  if (components.length > 1)
    return {
      refused: `the program declares ${components.length} MailboxAddressSpec components; a targeted run narrows one spec`,
    };
  if (parents.size > 1) return { refused: "the stack's mailboxes have more than one parent" };
  const parent = [...parents][0] ?? stackEntry.urn;
  const component = parent === stackEntry.urn ? undefined : resources.find((r) => r.urn === parent);
  if (component !== undefined && !isDeclarationEntry(component))
    return {
      refused: `the stack's mailboxes are children of ${component.type}, not of a MailboxAddressSpec component`,
    };
  const sibling = mailboxes[0] === undefined ? undefined : parseUrn(mailboxes[0].urn);
  const prefix = stackEntry.urn.slice(0, stackEntry.urn.indexOf(`::${STACK_TYPE}::`));
  const qualified = sibling === undefined ? RESOURCE_TYPE : [...sibling.parentTypes, sibling.type].join("$");
  const byIdentity = new Map(mailboxes.map((r) => [identityOfEntry(r), r.urn]));
  return {
    urnOf: (identity) => byIdentity.get(identity) ?? `${prefix}::${qualified}::${identity}`,
    ...(component ? { component } : {}),
  };
}

/**
 * Computes the scope of a plan of the stack's spec against `ref` (the state, ./engine-run.ts
 * `readState`). `state`: that read, when the caller started it already (it runs while the specs load).
 */
export async function computeScope(
  settings: StackSettings,
  ref: string,
  state: Promise<ExportedState> = readState(settings),
): Promise<Scope> {
  // Settled whatever the outcome: a scope refused before the state is read does not wait for it.
  state.catch(() => undefined);
  let read: SpecAtRef | undefined;
  const full = (...reasons: string[]): Scope => ({
    kind: "full",
    since: ref,
    reasons,
    ...(read ? { atRef: read } : {}),
  });
  const specPath = path.resolve(settings.root, settings.spec);
  const atRef = specAtRef(specPath, ref);
  read = { bytes: atRef };
  let afterBytes: Buffer;
  try {
    afterBytes = readSpecFile(settings.spec, { root: settings.root, explicit: false });
  } catch (err) {
    return full(`the spec cannot be read (${(err as Error).message})`);
  }
  const loadedAfter = loadSpecBytes(settings.spec, afterBytes);
  if (!loadedAfter.ok) return full("the spec has problems (the full plan lists them)");
  const after = loadedAfter.spec;
  if (atRef === undefined) return full(`the spec ${settings.spec} did not exist at ${ref}`);
  const loadedBefore = loadSpecBytes(settings.spec, atRef);
  read = { bytes: atRef, loaded: loadedBefore };
  if (!loadedBefore.ok) return full(`the spec at ${ref} does not load, so what changed is unknown`);

  const deployment = await state;
  const resources: readonly StateEntry[] = deployment.resources ?? [];
  if ((deployment.pending_operations ?? []).length > 0)
    return full("the state has pending operations from an interrupted run");
  const stackEntry = resources.find((r): r is DeclarationEntry => isDeclarationEntry(r) && r.type === STACK_TYPE);
  const mailboxes = resources.filter(isMailboxEntry);
  if (stackEntry === undefined || mailboxes.length === 0)
    return full("the stack has no state yet (the first apply is full)");
  const place = placeOfMailboxes(resources, stackEntry);
  if ("refused" in place) return full(place.refused);
  // What the spec's declaration last reported: the stack's outputs (this checkout), the component's (init's layout).
  const outputs = (place.component ?? stackEntry).outputs ?? {};
  if (outputs.spec !== undefined && outputs.spec !== settings.spec)
    return full(`the stack's spec setting changed (${outputs.spec} → ${settings.spec})`);
  if (outputs.target !== undefined && outputs.target !== describeTarget(settings.target))
    return full("the stack's target settings changed since the last apply");

  const identityOf = new Map(mailboxes.map((r) => [r.urn, identityOfEntry(r)]));
  const urnsOf = new Map<string, string[]>();
  for (const r of mailboxes) urnsOf.set(identityOf.get(r.urn)!, [...(urnsOf.get(identityOf.get(r.urn)!) ?? []), r.urn]);
  const holders = new Map<string, string>();
  for (const r of mailboxes) {
    const out = r.outputs ?? {};
    for (const entry of [...Object.values(out.addresses ?? {}), ...Object.values(out.kept ?? {})]) {
      const parsed = parseProxyAddress(entry);
      if (parsed.kind === "smtp") holders.set(addressKey(parsed.value), identityOf.get(r.urn)!);
    }
  }
  const before = loadedBefore.spec;
  let set: ChangeSet = unionChangeSets(
    computeChangeSet(before, after, { holders }),
    computeChangeSet(specFromState(mailboxes, after), after, { holders }),
    after,
  );
  const dependencies = new Map(
    mailboxes.map((r) => [
      identityOf.get(r.urn)!,
      (r.dependencies ?? []).flatMap((d) => (identityOf.has(d) ? [identityOf.get(d)!] : [])),
    ]),
  );
  set = withStateDependents(set, after, dependencies);
  if (set.scope === "everything") return full(...set.reasons.map((r) => r.message));

  // Released identities the state does not have were never applied: nothing to target.
  const inState = new Set(identityOf.values());
  const release = set.release.filter((identity) => inState.has(identity));
  const targetUrns = new Set([...set.declare, ...release].flatMap((identity) => urnsOf.get(identity) ?? []));
  const foreign = resources.filter((r) => !isMailboxEntry(r) && (r.dependencies ?? []).some((d) => targetUrns.has(d)));
  if (foreign.length > 0)
    return full(`${foreign[0]!.urn} depends on a targeted mailbox and is not one of this spec's mailboxes`);
  const count = set.declare.length + release.length;
  if (count > MAX_TARGETS || count > Math.max(1, mailboxes.length) / 2)
    return full(`the change touches ${count} of ${mailboxes.length} mailboxes: a full run costs about the same`);

  const urnOf = (identity: string) => urnsOf.get(identity)?.[0] ?? place.urnOf(identity);
  const reasons = Object.fromEntries(
    [...set.declare, ...release].map((identity) => [identity, (set.targets.get(identity) ?? []).map(describeReason)]),
  );
  const run: TargetedRun = {
    scope: "targeted",
    since: ref,
    specDigest: digestOf(afterBytes),
    declare: set.declare,
    release,
    reasons,
    managedElsewhere: managedOutside(mailboxes, new Set([...set.declare, ...release])),
  };
  const declared = new Set(set.declare);
  const recorded: Record<string, readonly string[]> = {};
  for (const r of mailboxes) {
    const identity = identityOf.get(r.urn)!;
    // What the stack last applied, not what a refresh read since (core/plan/address-map.ts `recordOf`).
    const record = recordOf(r.outputs ?? {});
    if (declared.has(identity) && record !== undefined) recorded[identity] = record;
  }
  return { kind: "targeted", run, urns: [...set.declare, ...release].map(urnOf), recorded, atRef: read };
}

/**
 * Writes the run's file for the program (MAILBOX_ADDRESSES_TARGETS, in `dir`) and returns it, for
 * the engine's environment (runtime/run-channel.ts). The engine run itself (./engine-run.ts)
 * passes `--refresh=false` and the targets: docs/TARGETED-RUNS.md, facts 2 and 4, say why a
 * targeted run must not refresh.
 */
export function writeTargetedRun(run: TargetedRun, dir: string): string {
  return writeChannelFile("targets", dir, run);
}
