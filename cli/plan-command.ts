// `mailbox-addresses plan`: runs `pulumi preview` through the Automation API and renders its
// engine events as one row per mailbox: primary from → to, aliases added and removed, problems.
// Exit 0: nothing to do; 2: changes; 1: problems (the preview failed).
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { addressKey } from "../core/address";
import { summarizePlan } from "../core/plan/describe-plan";
import { planMailbox } from "../core/plan/plan-mailbox";
import { makeReport, type MailboxChange, type MailboxRow } from "../core/report/report";
import type { MailboxAddressesInputs, MailboxAddressesOutputs } from "../providers/mailbox-addresses/inputs";
import { count, Progress } from "./progress";
import { printReport, type OutputOptions } from "./report-output";
import { maskSecrets, pulumiMessage, readStackSettings } from "./stack-settings";

const RESOURCE_TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";

const OPS: Record<string, MailboxChange> = {
  same: "none",
  read: "none",
  refresh: "none",
  create: "create",
  update: "update",
  replace: "update",
  "create-replacement": "update",
  delete: "delete",
  "delete-replaced": "none",
};

/** One mailbox's row from its step event: the planner compares the state's live list with the new inputs. */
export function rowFromStep(op: string, urn: string, old: { inputs?: unknown; outputs?: unknown } | undefined, next: { inputs?: unknown } | undefined, info: readonly string[]): MailboxRow {
  const identity = decodeURIComponent(urn.slice(urn.lastIndexOf("::") + 2));
  const change = OPS[op] ?? "update";
  const desired = next?.inputs as MailboxAddressesInputs | undefined;
  const before = old?.outputs as MailboxAddressesOutputs | undefined;
  if (change === "delete") return { identity, change, added: [], removed: [], problems: [] };
  if (desired && before && Array.isArray(before.emailAddresses)) {
    const plan = planMailbox(
      { primary: desired.primary, aliases: desired.aliases, mode: desired.mode },
      before.emailAddresses,
      { releaseTo: new Map((desired.releases ?? []).map((r) => [addressKey(r.address), r.to])) },
    );
    return { identity, change: plan.changed ? change : "none", ...summarizePlan(plan), problems: [] };
  }
  // A create adopts a mailbox the state does not know yet: the program logged what it will do.
  const plan = info.find((m) => m.startsWith("live tenant → spec:"));
  const primary = plan && /primary (\S+) → (\S+?)(;|$)/.exec(plan);
  return {
    identity,
    change: plan ? change : "none",
    ...(primary ? { primary: { from: primary[1] === "(none)" ? null : primary[1]!, to: primary[2]! } } : {}),
    added: plan ? [...plan.matchAll(/\+ (\S+?)(;|$)/g)].map((m) => m[1]!) : [],
    removed: plan ? [...plan.matchAll(/- (\S+) \(/g)].map((m) => m[1]!) : [],
    problems: [],
  };
}

export interface PlanOptions extends OutputOptions {
  readonly stack?: string;
  readonly refresh?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

export async function runPlan(options: PlanOptions): Promise<number> {
  const settings = await readStackSettings({ stack: options.stack });
  const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const events: EngineEvent[] = [];
  const problems: string[] = [];
  const progress = new Progress("plan (pulumi preview)", { quiet: options.quiet === true })
    .counter("planned", (n) => `${count(n, "mailbox", "mailboxes")} planned`)
    .counter("changed", (n) => `${n.toLocaleString("en-US")} to create or update`);
  let failed = false;
  try {
    const stack = await LocalWorkspace.selectStack({ stackName: settings.stack, workDir: settings.root });
    await stack.preview({
      onEvent: (event) => {
        events.push(event);
        const step = event.resourcePreEvent?.metadata;
        if (step?.type !== RESOURCE_TYPE) return;
        progress.add("planned");
        if (step.op !== "same" && step.op !== "read" && step.op !== "refresh") progress.add("changed");
      },
      // --verbose shows the engine's own output as it runs.
      ...(options.verbose ? { onOutput: (text: string) => process.stderr.write(text) } : {}),
      refresh: options.refresh === true,
      color: "never",
    });
  } catch (err) {
    failed = true;
    const errors = events.flatMap((e) => (e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent] : []));
    if (errors.length === 0) problems.push(`pulumi preview failed: ${pulumiMessage(err)}`);
  } finally {
    progress.stop();
  }
  const info = new Map<string, string[]>();
  const errorsByUrn = new Map<string, string[]>();
  for (const event of events) {
    const d = event.diagnosticEvent;
    if (!d) continue;
    const message = d.message.trim();
    if (d.severity === "error") {
      if (d.urn && d.urn.includes(RESOURCE_TYPE)) errorsByUrn.set(d.urn, [...(errorsByUrn.get(d.urn) ?? []), message]);
      else if (!/^\d+ problems? /.test(message) && !message.startsWith("preview failed")) problems.push(message);
    } else if (d.urn) {
      info.set(d.urn, [...(info.get(d.urn) ?? []), message]);
    }
  }
  const rows = new Map<string, MailboxRow>();
  for (const event of events) {
    const step = event.resourcePreEvent?.metadata;
    if (!step || step.type !== RESOURCE_TYPE) continue;
    const row = rowFromStep(step.op, step.urn, step.old, step.new, info.get(step.urn) ?? []);
    const errors = errorsByUrn.get(step.urn) ?? [];
    rows.set(step.urn, errors.length > 0 ? { ...row, change: "error", problems: errors } : row);
  }
  if (failed && problems.length === 0 && [...rows.values()].every((r) => r.problems.length === 0)) problems.push("pulumi preview failed; run scripts/pulumi preview for details");
  const target = settings.target.target === "local" ? `local tenant ${settings.target.database}` : `Exchange Online tenant ${settings.target.tenantId}`;
  return printReport(makeReport("plan", settings.stack, maskSecrets(target, settings.secrets), [...rows.values()], problems), options);
}
