// `mailbox-addresses apply --plan plan.json`: runs `pulumi up` held to a plan saved by
// `plan --save`. The program refuses anything the plan did not show (MAILBOX_ADDRESSES_REVIEWED_PLAN),
// and a targeted plan (`plan --changed-since`) is applied to the same change set: the same
// mailboxes declared and passed as --target, without refresh (docs/TARGETED-RUNS.md).
// Exit 0: applied (or nothing to apply); 1: refused or failed, nothing written past the refusal.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { TargetedRun } from "../core/plan/targeted-run";
import type { Report } from "../core/report/report";
import { readReviewedPlan } from "../runtime/reviewed-plan-file";
import { channelEnv, type ChannelFiles } from "../runtime/run-channel";
import { SpecFileError } from "../runtime/spec-file";
import { CliError } from "./cli-error";
import { toolCommands } from "../runtime/commands-here";
import { count, Progress } from "./progress";
import { pulumiMessage, readStackSettings } from "./stack-settings";
import { readState, isMailboxEntry, upTargeted, type StateEntry } from "./engine-run";
import { identityOfEntry, managedOutside, placeOfMailboxes, writeTargetedRun } from "./targeted-scope";
import { RESOURCE_TYPE, STACK_TYPE } from "./resource-urn";

export interface ApplyOptions {
  readonly plan: string;
  readonly stack?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

function readPlan(file: string): Report {
  let report: Report;
  try {
    // Bounded and checked as the program checks it (runtime/reviewed-plan-file.ts).
    report = readReviewedPlan(file, process.cwd()) as unknown as Report;
  } catch (err) {
    if (SpecFileError.isInstance(err)) throw new CliError(`the plan ${err.message}`);
    throw new CliError(
      `cannot read the plan ${file}: ${(err as Error).message.split("\n")[0]} (write one with ${toolCommands().tool} plan --save ${file})`,
    );
  }
  if (report.kind !== "plan")
    throw new CliError(
      `${file} is a "${String(report.kind)}" report, not a plan (write one with ${toolCommands().tool} plan --save ${file})`,
    );
  if (report.scope?.kind === "targeted" && report.specDigest === undefined)
    throw new CliError(`${file} is a targeted plan without the spec's digest: run the plan again`);
  return report;
}

/** "1 create, 2 update", or "nothing to change": the engine's counts without the unchanged. */
function describeChanges(changes: Readonly<Record<string, number | undefined>>): string {
  const done = Object.entries(changes)
    .filter(([op, n]) => op !== "same" && (n ?? 0) > 0)
    .map(([op, n]) => `${n} ${op}`);
  return done.length > 0 ? done.join(", ") : "nothing to change";
}

export async function runApply(options: ApplyOptions): Promise<number> {
  const file = path.resolve(options.plan);
  const report = readPlan(file);
  if (options.stack !== undefined && options.stack !== report.stack)
    throw new CliError(`${options.plan} was made for stack "${report.stack}", not "${options.stack}"`);
  const settings = await readStackSettings({ stack: report.stack });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- commands load what they use when they run, so `--help` and `validate` stay fast
  const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const say = (text: string) => void (options.quiet ? undefined : process.stderr.write(`${text}\n`));
  // The files the program reads (runtime/run-channel.ts), passed in the engine's environment.
  const channel: ChannelFiles = { reviewedPlan: file };

  const scope = report.scope;
  let targets: string[] | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-apply-"));
  try {
    if (scope?.kind === "targeted") {
      const declare = scope.declare ?? [];
      const release = scope.release ?? [];
      const deployment = await readState(settings);
      if ((deployment.pending_operations ?? []).length > 0)
        throw new CliError(
          "the state has pending operations from an interrupted run: run a full apply (pulumi up), then plan again",
        );
      const resources: readonly StateEntry[] = deployment.resources ?? [];
      const stackEntry = resources.find((r) => r.type === STACK_TYPE);
      if (stackEntry === undefined)
        throw new CliError(`stack "${report.stack}" has no state: a targeted plan cannot be applied to it`);
      const mailboxes = resources.filter(isMailboxEntry);
      const inSet = new Set([...declare, ...release]);
      // Under the stack, or under the program's MailboxAddressSpec component (init's layout).
      const place = placeOfMailboxes(resources, stackEntry);
      if ("refused" in place)
        throw new CliError(`the state changed since the plan (${place.refused}): run the plan again`);
      targets = [...declare, ...release].map(place.urnOf);
      const targetSet = new Set(targets);
      // The engine counts a target's dependents in the state among what it may delete: a dependent
      // the plan did not include would fail the run after the target was written (fact 8).
      const outside = resources.filter(
        (r) =>
          r.type !== STACK_TYPE &&
          (!isMailboxEntry(r) || !inSet.has(identityOfEntry(r))) &&
          (r.dependencies ?? []).some((d) => targetSet.has(d)),
      );
      if (outside.length > 0)
        throw new CliError(
          `the state changed since the plan: ${outside[0]!.urn} now depends on a mailbox of the change set; run the plan again`,
        );
      const run: TargetedRun = {
        scope: "targeted",
        ...(scope.since ? { since: scope.since } : {}),
        specDigest: report.specDigest!,
        declare,
        release,
        reasons: scope.why ?? {},
        managedElsewhere: managedOutside(mailboxes, inSet),
      };
      if (targets.length === 0) {
        say(`nothing to apply: the plan's change set (since ${scope.since ?? "its ref"}) is empty`);
        return 0;
      }
      channel.targets = writeTargetedRun(run, dir);
      say(
        `targeted apply: ${count(targets.length, "mailbox", "mailboxes")} of the change${scope.since ? ` since ${scope.since}` : ""} (${declare.join(", ")}${release.length > 0 ? `; releasing ${release.join(", ")}` : ""})`,
      );
    } else {
      say(
        `full apply of stack ${report.stack}${scope?.reasons?.length ? ` (the plan was not targeted: ${scope.reasons.join("; ")})` : ""}`,
      );
    }

    if (targets) {
      // Not through the Automation API: its event stream would carry every untargeted entry (./engine-run.ts).
      if (!options.quiet)
        process.stderr.write(`apply (pulumi up --target, ${count(targets.length, "mailbox", "mailboxes")})…\n`);
      const result = await upTargeted(
        settings,
        targets,
        channel,
        options.verbose ? (text) => process.stderr.write(text) : undefined,
      );
      if (!result.ok) {
        for (const message of result.errors) process.stderr.write(`error: ${message}\n`);
        return 1;
      }
      const what = result.resourceChanges
        ? describeChanges(result.resourceChanges)
        : `done (what changed: pulumi stack history${result.unread ? `; its --json ${result.unread}` : ""})`;
      process.stdout.write(
        `applied to stack ${report.stack}: ${what} (targeted: ${targets.length} of the stack's resources)\n`,
      );
      return 0;
    }
    const stack = await LocalWorkspace.selectStack(
      { stackName: settings.stack, workDir: settings.root },
      { envVars: channelEnv(channel) },
    );
    const events: EngineEvent[] = [];
    const progress = new Progress("apply (pulumi up)", { quiet: options.quiet === true }).counter(
      "done",
      (n) => `${count(n, "mailbox", "mailboxes")} done`,
    );
    // Each mailbox once: with refresh on, the engine reports a resource's outputs after its refresh
    // and again after its step.
    const done = new Set<string>();
    try {
      const result = await stack.up({
        onEvent: (event) => {
          events.push(event);
          const outputs = event.resOutputsEvent?.metadata;
          if (outputs?.type === RESOURCE_TYPE && !done.has(outputs.urn)) {
            done.add(outputs.urn);
            progress.add("done");
          }
          progress.fromEngine(event);
        },
        ...(options.verbose ? { onOutput: (text: string) => process.stderr.write(text) } : {}),
        color: "never",
      });
      progress.stop();
      process.stdout.write(
        `applied to stack ${report.stack}: ${describeChanges(result.summary.resourceChanges ?? {})}\n`,
      );
      return 0;
    } catch (err) {
      progress.stop();
      const errors = events.flatMap((e) =>
        e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent.message.trim()] : [],
      );
      for (const message of errors.length > 0 ? errors : [`pulumi up failed: ${pulumiMessage(err)}`])
        process.stderr.write(`error: ${message}\n`);
      return 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
