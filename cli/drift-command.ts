// `mailbox-addresses drift`: compares the spec with the live tenant, without the Pulumi engine,
// using the planner `pulumi preview` uses. Exit 0: in sync; 2: drift; 1: problems.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { computeDrift } from "../core/drift/compute-drift";
import { formatProblem } from "../core/problems";
import { makeReport } from "../core/report/report";
import { loadSpecBytes } from "../core/spec/load-spec";
import { createBackend } from "../providers/backends/create-backend";
import { findProjectRoot } from "../providers/project-root";
import { confirmChanged, readSpecMailboxes } from "../providers/read-tenant";
import { planMailbox } from "../core/plan/plan-mailbox";
import { OUTPUT_FLAGS, printReport } from "./report-output";
import { settingsFromFlags, TARGET_FLAGS } from "./stack-settings";

export async function runDrift(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { ...TARGET_FLAGS, ...OUTPUT_FLAGS } });
  const settings = settingsFromFlags(values);
  const root = findProjectRoot();
  const loaded = loadSpecBytes(settings.spec, readFileSync(path.resolve(root, settings.spec)));
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  const backend = createBackend(settings.target, root);
  try {
    // Drift is what the source confirms: a mailbox whose read shows a change is read again from
    // Exchange (Graph can lag behind a recent write).
    const desired = new Map(loaded.spec.mailboxes.map((m) => [m.identity, { primary: m.primary, aliases: m.aliases, mode: m.mode }]));
    const read = await readSpecMailboxes(backend, loaded.spec.mailboxes.map((m) => m.identity));
    const live = await confirmChanged(backend, read, (identity, mailbox) => planMailbox(desired.get(identity)!, mailbox.addresses).changed);
    const rows = computeDrift(loaded.spec, new Map([...live].map(([identity, mailbox]) => [identity, mailbox?.addresses])));
    return printReport(makeReport("drift", settings.stack, backend.description, rows), values);
  } finally {
    await backend.close();
  }
}
