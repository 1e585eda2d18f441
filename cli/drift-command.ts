// `mailbox-addresses drift`: compares the spec with the live tenant, without the Pulumi engine,
// using the planner `pulumi preview` uses. Exit 0: in sync; 2: drift; 1: problems.
import { parseArgs } from "node:util";
import { computeDrift } from "../core/drift/compute-drift";
import { formatProblem } from "../core/problems";
import { makeReport } from "../core/report/report";
import { loadSpecBytes } from "../core/spec/load-spec";
import { createBackend } from "../providers/backends/create-backend";
import { findProjectRoot } from "../providers/project-root";
import { planMailbox } from "../core/plan/plan-mailbox";
import { assessSpec } from "../providers/assess";
import { confirmChanged, readSpecMailboxes } from "../providers/read-tenant";
import { readSpecFile, SpecFileError } from "../providers/spec-file";
import { OUTPUT_FLAGS, printReport } from "./report-output";
import { settingsFromFlags, TARGET_FLAGS } from "./stack-settings";

export async function runDrift(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { ...TARGET_FLAGS, ...OUTPUT_FLAGS } });
  const settings = settingsFromFlags(values);
  const root = findProjectRoot();
  let bytes: Buffer;
  try {
    // A --spec flag is typed on the command line; the stack file's setting must stay in the project.
    bytes = readSpecFile(settings.spec, { root, explicit: typeof values.spec === "string" });
  } catch (err) {
    if (!SpecFileError.isInstance(err)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const loaded = loadSpecBytes(settings.spec, bytes);
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
    // The verdict `pulumi preview` reaches on the same inputs: its problems make drift exit 1 too.
    const assessed = await assessSpec(loaded.spec, backend, live);
    const missing = new Set(rows.filter((r) => r.change === "missing").map((r) => r.identity));
    const problems = assessed.problems
      .filter((p) => !(p.path.length === 2 && missing.has(String(p.path[1])) && /^not found in the /.test(p.message)))
      .map(formatProblem);
    return printReport(makeReport("drift", settings.stack, backend.description, rows, problems), values);
  } finally {
    await backend.close();
  }
}
