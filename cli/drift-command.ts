// `mailbox-addresses drift`: compares the spec with the live tenant, without the Pulumi engine,
// using the planner `pulumi preview` uses. Exit 0: in sync; 2: drift; 1: problems.
import { readFileSync } from "node:fs";
import path from "node:path";
import { computeDrift } from "../core/drift/compute-drift";
import { formatProblem } from "../core/problems";
import { makeReport } from "../core/report/report";
import { loadSpecBytes } from "../core/spec/load-spec";
import { planMailbox } from "../core/plan/plan-mailbox";
import { confirmChanged, readSpecMailboxes } from "../providers/read-tenant";
import { CliError } from "./cli-error";
import { openBackend } from "./open-backend";
import { count, Progress } from "./progress";
import { printReport, type OutputOptions } from "./report-output";
import { maskSecrets, readStackSettings, type StackFlags } from "./stack-settings";

export interface DriftOptions extends StackFlags, OutputOptions {
  readonly quiet?: boolean;
}

/** The spec file of a stack's settings, read (any failure says which setting names it). */
export function readSpecFile(root: string, spec: string, stack: string): Buffer {
  try {
    return readFileSync(path.resolve(root, spec));
  } catch (err) {
    throw new CliError(`cannot read the spec ${spec} (setting "spec" of stack "${stack}"): ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** Counters for commands that read a tenant: mailboxes read, and waits for throttling or retries. */
export function readingProgress(title: string, quiet: boolean | undefined): { progress: Progress; onWait: (ms: number) => void } {
  let waitedMs = 0;
  const progress = new Progress(title, { quiet: quiet === true })
    .counter("read", (n) => `${count(n, "mailbox", "mailboxes")} read`)
    .counter("waits", (n) => `throttled or retrying: ${count(n, "wait")} (${Math.round(waitedMs / 1000)} s)`);
  return {
    progress,
    onWait: (ms) => {
      waitedMs += ms;
      progress.add("waits");
    },
  };
}

export async function runDrift(options: DriftOptions): Promise<number> {
  const settings = await readStackSettings(options);
  const loaded = loadSpecBytes(settings.spec, readSpecFile(settings.root, settings.spec, settings.stack));
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  const { progress, onWait } = readingProgress("drift", options.quiet);
  const backend = openBackend(settings.target, settings.root, onWait);
  try {
    // Drift is what the source confirms: a mailbox whose read shows a change is read again from
    // Exchange (Graph can lag behind a recent write).
    const desired = new Map(loaded.spec.mailboxes.map((m) => [m.identity, { primary: m.primary, aliases: m.aliases, mode: m.mode }]));
    const read = await readSpecMailboxes(backend, loaded.spec.mailboxes.map((m) => m.identity), (n) => progress.set("read", n));
    const live = await confirmChanged(backend, read, (identity, mailbox) => planMailbox(desired.get(identity)!, mailbox.addresses).changed);
    progress.stop();
    const rows = computeDrift(loaded.spec, new Map([...live].map(([identity, mailbox]) => [identity, mailbox?.addresses])));
    return printReport(makeReport("drift", settings.stack, maskSecrets(backend.description, settings.secrets), rows), options);
  } finally {
    progress.stop();
    await backend.close();
  }
}
