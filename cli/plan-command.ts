// `mailbox-addresses plan`: runs `pulumi preview` (through the Automation API; a targeted plan
// starts it itself, ./engine-run.ts) and renders its engine steps as one row per mailbox:
// primary from → to, aliases added and removed, problems.
// Exit 0: nothing to do; 2: changes; 1: problems (the preview failed).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeReport, renderJson, type MailboxChange, type MailboxRow, type Report } from "../core/report/report";
import { writeCauseContext } from "./cause-context";
import { describeTarget } from "../targets/registry";
import { CliError } from "./cli-error";
import { count, Progress } from "./progress";
import { printReport, type OutputOptions } from "./report-output";
import { typeFilter } from "./drift-command";
import { defaultStack, maskSecrets, pulumiMessage, readStackSettings } from "./stack-settings";
import { readState, previewTargeted } from "./engine-run";
import { findProjectRoot } from "../runtime/project-root";
import { computeScope, writeTargetedRun, type Scope } from "./targeted-scope";
import { nameOfUrn, RESOURCE_TYPE, typeOfUrn } from "./resource-urn";
import { toolCommands } from "../runtime/commands-here";
import {
  channelEnv,
  readChannelFile,
  RUN_CHANNEL,
  type ChannelFiles,
  type OutsideDrift,
  type PlannedChangesFile,
} from "../runtime/run-channel";

// Honest verbs: creating a MailboxAddresses resource adopts an existing mailbox (nothing is
// created in the tenant); deleting one releases it (retainOnDelete: nothing is written).
const OPS: Record<string, MailboxChange> = {
  same: "none",
  read: "none",
  refresh: "none",
  create: "adopt",
  update: "update",
  replace: "update",
  "create-replacement": "update",
  delete: "release",
  "delete-replaced": "none",
};

// The parts of what the program plans (runtime/run-channel.ts, PlannedChangesFile) a row is made of.
/** What the program plans for each changed mailbox (the planner's rows). */
export type PlannedChanges = PlannedChangesFile["changes"];

/** Where each mailbox is written and its sync state (target hybrid), from the program. */
export type PlannedWhere = NonNullable<PlannedChangesFile["where"]>;

/** Per policy-managed mailbox (keyed by object id): the policy that gives its addresses, its UPN as read. */
export type PlannedPolicies = NonNullable<PlannedChangesFile["policies"]>;

/** The spec's key of a mailbox's step: its inputs' `identity` when the step carries them, else its URN's name. */
export function identityOfStep(urn: string, inputs?: { readonly identity?: unknown }): string {
  if (typeof inputs?.identity === "string") return inputs.identity;
  const name = nameOfUrn(urn);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * `planKnown`: the program planned this mailbox (a MailboxAddressSpec declared it), so a step without
 * a planned row changes nothing in the tenant; a resource declared otherwise keeps the engine's verb.
 */
export function rowFromStep(
  op: string,
  urn: string,
  planned: PlannedChanges,
  where: PlannedWhere = {},
  policies: PlannedPolicies = {},
  identity = identityOfStep(urn),
  planKnown = true,
): MailboxRow {
  const change = OPS[op] ?? "update";
  const row = planned[identity];
  const byPolicy = policies[identity];
  const place = {
    ...(byPolicy ? { policy: byPolicy.policy, ...(byPolicy.upn ? { upn: byPolicy.upn } : {}) } : {}),
    ...(where[identity]
      ? { writtenTo: where[identity].writtenTo, ...(where[identity].sync ? { sync: where[identity].sync } : {}) }
      : {}),
  };
  if (change === "release") return { identity, change, added: [], removed: [], problems: [] };
  if (row === undefined)
    return {
      identity,
      change: change === "adopt" || !planKnown ? change : "none",
      ...place,
      added: [],
      removed: [],
      problems: [],
    };
  return {
    identity,
    change,
    ...place,
    ...(row.primary ? { primary: row.primary } : {}),
    added: [...row.added],
    removed: [...row.removed],
    ...(row.caseKept ? { caseKept: [...row.caseKept] } : {}),
    ...(row.userPrincipalName ? { userPrincipalName: row.userPrincipalName } : {}),
    ...(row.findings?.length ? { findings: [...row.findings] } : {}),
    problems: [],
  };
}

/**
 * What the program wrote (infra/mailbox-address-spec.ts, writePlannedChanges), checked
 * (runtime/run-channel.ts); undefined when it wrote nothing: it stopped before planning (its errors
 * are the report's problems) or declared no spec.
 */
function readPlannedChanges(file: string): PlannedChangesFile | undefined {
  try {
    return readChannelFile("plannedChanges", file, { missing: undefined });
  } finally {
    rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

export interface PlanOptions extends OutputOptions {
  readonly stack?: string;
  readonly refresh?: boolean;
  /** Also write the JSON report to this file: the reviewed plan an apply can hold to. */
  readonly save?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  /** Only recipients of this kind (RecipientTypeDetails). */
  readonly type?: string;
  /** Plan only the mailboxes the spec's change since this git ref touches (a targeted run). */
  readonly changedSince?: string;
}

/**
 * What a plan cannot account for: mailboxes the program declared with no step of the engine's (a
 * resource the tool did not find), or a program that reported nothing and showed no mailbox. Each
 * is a problem (exit 1), never "nothing changes".
 */
export function unaccounted(
  program: PlannedChangesFile | undefined,
  shown: ReadonlySet<string>,
  failed: boolean,
): string[] {
  if (failed) return [];
  if (program === undefined) {
    return shown.size === 0
      ? [
          "the program neither declared a MailboxAddressSpec nor showed a MailboxAddresses resource: is this the project of a Pulumi program that uses mailbox-addresses? Nothing was planned",
        ]
      : [];
  }
  const missing = program.declared.filter((identity) => !shown.has(identity));
  if (missing.length === 0) return [];
  const listed =
    missing
      .slice(0, 10)
      .map((m) => `"${m}"`)
      .join(", ") + (missing.length > 10 ? ` and ${missing.length - 10} more` : "");
  return [
    `the program declared ${missing.length === 1 ? "a mailbox" : `${missing.length} mailboxes`} that the engine's steps do not show (${listed}): this plan cannot say what happens to ${missing.length === 1 ? "it" : "them"}; run pulumi preview --diff to see the engine's view`,
  ];
}

/** The report's `scope`: what a targeted plan covers, or why it was widened to a full one. */
function scopeOf(scope: Scope | undefined, outside?: OutsideDrift): Report["scope"] | undefined {
  if (scope === undefined) return undefined;
  if (scope.kind === "full")
    return { kind: "full", ...(scope.since ? { since: scope.since } : {}), reasons: [...scope.reasons] };
  const { since, declare, release, reasons } = scope.run;
  return {
    kind: "targeted",
    ...(since ? { since } : {}),
    declare: [...declare],
    release: [...release],
    why: Object.fromEntries(Object.entries(reasons).map(([k, v]) => [k, [...v]])),
    ...(outside ? { outside: { ...outside, drifted: [...outside.drifted] } } : {}),
  };
}

export async function runPlan(options: PlanOptions): Promise<number> {
  const wanted = typeFilter(options.type);
  // A targeted plan reads the state (a file backend's checkpoint, else `pulumi stack export`: 67 MB
  // at 10,000 mailboxes): started now, it runs while the settings are read and the specs load (./targeted-scope.ts).
  const state =
    options.changedSince === undefined
      ? undefined
      : readState({ root: findProjectRoot(), stack: options.stack ?? defaultStack() });
  state?.catch(() => undefined); // the settings' own error comes first
  const settings = await readStackSettings({ stack: options.stack });
  // The run's files for the program, and the file it writes its planned rows to
  // (infra/mailbox-address-spec.ts, writePlannedChanges), passed in the engine's environment.
  const runDir = mkdtempSync(path.join(os.tmpdir(), "mbx-plan-"));
  const plannedFile = path.join(runDir, RUN_CHANNEL.plannedChanges.file);
  const channel: ChannelFiles = { plannedChanges: plannedFile };
  const problems: string[] = [];
  const progress = new Progress("plan (pulumi preview)", { quiet: options.quiet === true })
    .counter("planned", (n) => `${count(n, "mailbox", "mailboxes")} planned`)
    .counter("changed", (n) => `${n.toLocaleString("en-US")} to adopt, update or release`);
  let failed = false;
  let scope: Scope | undefined;
  // The engine's steps and diagnostics, from the Automation API's events (a full run) or from
  // `pulumi preview --json` (a targeted run: ./engine-run.ts says why).
  const steps: { op: string; urn: string; inputs?: { identity?: unknown } }[] = [];
  // A refreshing preview shows a mailbox twice (its refresh, then its step): counted once.
  const counted = new Set<string>();
  const countStep = (urn: string, op: string) => {
    if (!counted.has(urn)) progress.add("planned");
    counted.add(urn);
    if (op !== "same" && op !== "read" && op !== "refresh") progress.add("changed");
  };
  const diagnostics: { urn?: string; severity: string; message: string }[] = [];
  try {
    if (options.changedSince !== undefined) {
      scope = await computeScope(settings, options.changedSince, state);
      if (scope.kind === "full" && !options.quiet)
        process.stderr.write(`not targeted, planning every mailbox: ${scope.reasons.join("; ")}\n`);
      if (scope.kind === "targeted") channel.targets = writeTargetedRun(scope.run, runDir);
      // The spec at the ref tells this change from earlier ones not applied yet (core/plan/change-causes.ts).
      channel.causes = writeCauseContext(
        settings,
        options.changedSince,
        scope.kind === "targeted" ? scope.recorded : undefined,
        runDir,
        scope.atRef,
      );
    }
    if (scope?.kind === "targeted") {
      // An empty change set: nothing to run (a run with no --target would cover everything).
      if (scope.urns.length > 0) {
        const { digest, errors, ok } = await previewTargeted(
          settings,
          scope.urns,
          channel,
          options.verbose ? (text) => process.stderr.write(text) : undefined,
        );
        for (const message of errors) diagnostics.push({ severity: "error", message });
        failed = !ok || digest === undefined || digest.diagnostics.some((d) => d.severity === "error");
        for (const d of digest?.diagnostics ?? [])
          diagnostics.push({
            ...(d.urn ? { urn: d.urn } : {}),
            severity: d.severity,
            message: d.message.replace(/^error: /, ""),
          });
        // The digest leaves out `same` steps: a mailbox of the set with nothing to do is one.
        const shown = new Set((digest?.steps ?? []).map((s) => s.urn));
        for (const step of digest?.steps ?? []) steps.push({ op: step.op, urn: step.urn });
        if (digest !== undefined && !failed)
          for (const urn of scope.urns) if (!shown.has(urn)) steps.push({ op: "same", urn });
        for (const step of steps.filter((s) => typeOfUrn(s.urn) === RESOURCE_TYPE)) countStep(step.urn, step.op);
      }
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- commands load what they use when they run, so `--help`, `validate` and a targeted plan stay fast
      const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
      const stack = await LocalWorkspace.selectStack(
        { stackName: settings.stack, workDir: settings.root },
        { envVars: channelEnv(channel) },
      );
      await stack.preview({
        onEvent: (event) => {
          const d = event.diagnosticEvent;
          if (d) diagnostics.push({ ...(d.urn ? { urn: d.urn } : {}), severity: d.severity, message: d.message });
          progress.fromEngine(event);
          const step = event.resourcePreEvent?.metadata;
          // By type, at any depth of parents (a component's child has the parent's type in its URN).
          if (step?.type !== RESOURCE_TYPE) return;
          const inputs: { readonly identity?: unknown } | undefined = step.new?.inputs ?? step.old?.inputs;
          steps.push({ op: step.op, urn: step.urn, ...(inputs ? { inputs } : {}) });
          countStep(step.urn, step.op);
        },
        // --verbose shows the engine's own output as it runs.
        ...(options.verbose ? { onOutput: (text: string) => process.stderr.write(text) } : {}),
        refresh: options.refresh === true,
        color: "never",
      });
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    failed = true;
    if (!diagnostics.some((d) => d.severity === "error")) problems.push(`pulumi preview failed: ${pulumiMessage(err)}`);
  } finally {
    progress.stop();
  }
  const errorsByUrn = new Map<string, string[]>();
  for (const d of diagnostics) {
    const message = d.message.trim();
    if (d.severity === "error") {
      if (d.urn && typeOfUrn(d.urn) === RESOURCE_TYPE)
        errorsByUrn.set(d.urn, [...(errorsByUrn.get(d.urn) ?? []), message]);
      else if (!/^\d+ problems? /.test(message) && !message.startsWith("preview failed")) problems.push(message);
    }
  }
  const program = readPlannedChanges(plannedFile);
  const { changes: planned = {}, specDigest, where, policies, kinds = {}, causes = {}, outside } = program ?? {};
  const declared = new Set(program?.declared ?? []);
  const rows = new Map<string, MailboxRow>();
  const shown = new Set<string>();
  for (const step of steps) {
    if (typeOfUrn(step.urn) !== RESOURCE_TYPE) continue;
    const identity = identityOfStep(step.urn, step.inputs);
    const found = rowFromStep(step.op, step.urn, planned, where, policies, identity, declared.has(identity));
    shown.add(found.identity);
    const why = scope?.kind === "targeted" ? scope.run.reasons[found.identity] : undefined;
    // The engine replays the untargeted entries as "same" steps: not part of a targeted plan.
    if (scope?.kind === "targeted" && why === undefined) continue;
    const kind = kinds[found.identity];
    const withKind = kind === undefined ? found : { ...found, kind };
    if (wanted !== undefined && withKind.kind !== wanted) continue;
    const caused = found.change === "update" || found.change === "adopt" ? causes[found.identity] : undefined;
    const withCauses = caused && caused.length > 0 ? { ...withKind, causes: [...caused] } : withKind;
    const row = why ? { ...withCauses, why: [...why] } : withCauses;
    const errors = errorsByUrn.get(step.urn) ?? [];
    rows.set(step.urn, errors.length > 0 ? { ...row, change: "error", problems: errors } : row);
  }
  // A targeted run declares only its set, and shows a step for each (above).
  if (scope?.kind !== "targeted") problems.push(...unaccounted(program, shown, failed));
  if (failed && problems.length === 0 && [...rows.values()].every((r) => r.problems.length === 0))
    problems.push(`pulumi preview failed; run ${toolCommands(settings.root).pulumi} preview for details`);
  const target = describeTarget(settings.target);
  const made = makeReport("plan", settings.stack, maskSecrets(target, settings.secrets), [...rows.values()], problems);
  const digest = specDigest ?? (scope?.kind === "targeted" ? scope.run.specDigest : undefined);
  const withScope = scope ? { ...made, scope: scopeOf(scope, outside)! } : made;
  const report = digest ? { ...withScope, specDigest: digest } : withScope;
  // --save FILE: the JSON report as well, whatever is printed: the reviewed plan an apply can hold to.
  if (options.save) {
    try {
      writeFileSync(options.save, renderJson(report));
    } catch (err) {
      throw new CliError(`cannot write ${options.save}: ${(err as Error).message}`);
    }
  }
  return printReport(report, options);
}
