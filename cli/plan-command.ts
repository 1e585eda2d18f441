// `mailbox-addresses plan`: runs `pulumi preview` through the Automation API and renders its
// engine events as one row per mailbox: primary from → to, aliases added and removed, problems.
// Exit 0: nothing to do; 2: changes; 1: problems (the preview failed).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { ChangeRow } from "../core/plan/reviewed-plan";
import { makeReport, renderJson, type MailboxChange, type MailboxRow } from "../core/report/report";
import { findProjectRoot } from "../providers/project-root";
import { OUTPUT_FLAGS, printReport } from "./report-output";
import { settingsFromFlags } from "./stack-settings";

const RESOURCE_TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";

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

/** What the program plans for each changed mailbox: its `changes` stack output (the planner's rows). */
export type PlannedChanges = Readonly<Record<string, ChangeRow>>;

/** One mailbox's row: the engine's operation, and the program's planned change for the mailbox. */
export function rowFromStep(op: string, urn: string, planned: PlannedChanges): MailboxRow {
  const identity = decodeURIComponent(urn.slice(urn.lastIndexOf("::") + 2));
  const change = OPS[op] ?? "update";
  const row = planned[identity];
  if (change === "release") return { identity, change, added: [], removed: [], problems: [] };
  if (row === undefined) return { identity, change: change === "adopt" ? "adopt" : "none", added: [], removed: [], problems: [] };
  return { identity, change, ...(row.primary ? { primary: row.primary } : {}), added: [...row.added], removed: [...row.removed], ...(row.recased ? { recased: [...row.recased] } : {}), problems: [] };
}

function readPlannedChanges(file: string): { changes: PlannedChanges; specDigest?: string } {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { changes: PlannedChanges; specDigest?: string };
  } catch {
    return { changes: {} }; // the program stopped before planning: its errors are the report's problems
  } finally {
    rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

export async function runPlan(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { stack: { type: "string" }, refresh: { type: "boolean" }, save: { type: "string" }, ...OUTPUT_FLAGS } });
  const settings = settingsFromFlags(values);
  const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const events: EngineEvent[] = [];
  // The program writes its planned rows here (infra/index.ts, writePlannedChanges).
  const plannedFile = path.join(mkdtempSync(path.join(os.tmpdir(), "mbx-plan-")), "changes.json");
  process.env.MAILBOX_ADDRESSES_PLAN_OUT = plannedFile;
  const problems: string[] = [];
  let failed = false;
  try {
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: settings.stack, workDir: findProjectRoot() });
    await stack.preview({ onEvent: (event) => events.push(event), refresh: values.refresh === true, color: "never" });
  } catch (err) {
    failed = true;
    const errors = events.flatMap((e) => (e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent] : []));
    if (errors.length === 0) problems.push(`pulumi preview failed: ${(err as Error).message.split("\n").slice(0, 5).join(" ")}`);
  }
  const errorsByUrn = new Map<string, string[]>();
  for (const event of events) {
    const d = event.diagnosticEvent;
    if (!d) continue;
    const message = d.message.trim();
    if (d.severity === "error") {
      if (d.urn && d.urn.includes(RESOURCE_TYPE)) errorsByUrn.set(d.urn, [...(errorsByUrn.get(d.urn) ?? []), message]);
      else if (!/^\d+ problems? /.test(message) && !message.startsWith("preview failed")) problems.push(message);
    }
  }
  const { changes: planned, specDigest } = readPlannedChanges(plannedFile);
  const rows = new Map<string, MailboxRow>();
  for (const event of events) {
    const step = event.resourcePreEvent?.metadata;
    if (!step || step.type !== RESOURCE_TYPE) continue;
    const row = rowFromStep(step.op, step.urn, planned);
    const errors = errorsByUrn.get(step.urn) ?? [];
    rows.set(step.urn, errors.length > 0 ? { ...row, change: "error", problems: errors } : row);
  }
  if (failed && problems.length === 0 && [...rows.values()].every((r) => r.problems.length === 0)) problems.push("pulumi preview failed; run scripts/pulumi preview for details");
  const target = settings.target.target === "local" ? `local tenant ${settings.target.database}` : `Exchange Online tenant ${settings.target.tenantId}`;
  const made = makeReport("plan", settings.stack, target, [...rows.values()], problems);
  const report = specDigest ? { ...made, specDigest } : made;
  // --save FILE: the JSON report as well, whatever is printed: the reviewed plan an apply can hold to.
  if (values.save) writeFileSync(values.save, renderJson(report));
  return printReport(report, values);
}
