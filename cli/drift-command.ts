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
import { readSpecMailboxes } from "../providers/read-tenant";
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
    const live = await readSpecMailboxes(backend, loaded.spec.mailboxes.map((m) => m.identity));
    const rows = computeDrift(loaded.spec, new Map([...live].map(([identity, mailbox]) => [identity, mailbox?.addresses])));
    return printReport(makeReport("drift", settings.stack, backend.description, rows), values);
  } finally {
    await backend.close();
  }
}
