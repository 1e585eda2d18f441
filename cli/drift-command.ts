// `mailbox-addresses drift`: compares the spec with the live tenant, without the Pulumi engine,
// using the planner `pulumi preview` uses. Exit 0: in sync; 2: drift; 1: problems.
import { addressKey } from "../core/address";
import { computeDrift } from "../core/drift/compute-drift";
import { formatProblem } from "../core/problems";
import { makeReport, type MailboxRow } from "../core/report/report";
import { CLOUD, type TenantBackend } from "../targets/tenant-backend";
import { ALL_RECIPIENT_KINDS, parseRecipientKind, type RecipientKind } from "../exchange/exchange-rules";
import { resolveKinds } from "../reconcile/preflight";
import { loadSpecBytes } from "../core/desired/load-spec";
import { expandSpec } from "../reconcile/expand-spec";
import { upnChanges } from "../reconcile/upn";
import { assessSpec } from "../reconcile/assess";
import { readSpecMailboxes } from "../reconcile/read-tenant";
import { readRecorded } from "./cause-context";
import { CliError } from "./cli-error";
import { openBackend } from "./open-backend";
import { count, Progress } from "./progress";
import { printReport, type OutputOptions } from "./report-output";
import { maskSecrets, readStackSettings, readStackSpec, type StackFlags } from "./stack-settings";

export interface DriftOptions extends StackFlags, OutputOptions {
  readonly quiet?: boolean;
  /** Only recipients of this kind (RecipientTypeDetails). */
  readonly type?: string;
}

/** `--type`: a RecipientTypeDetails value (any case), or a usage error naming the values. */
export function typeFilter(type: string | undefined): RecipientKind | undefined {
  if (type === undefined) return undefined;
  const kind = type.toLowerCase() === "group" ? undefined : parseRecipientKind(type);
  if (kind === undefined)
    throw new CliError(
      `--type ${JSON.stringify(type)} is not a recipient kind; use one of ${ALL_RECIPIENT_KINDS.join(", ")}`,
    );
  return kind;
}

/** Counters for commands that read a tenant: mailboxes read, and waits for throttling or retries. */
export function readingProgress(
  title: string,
  quiet: boolean | undefined,
): { progress: Progress; onWait: (ms: number) => void } {
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

/**
 * A mailbox written in the cloud that lacks only addresses the cloud still shows on a synced
 * mailbox whose AD entry let go of them (an alias moving from a synced mailbox to a cloud-only
 * one): pending sync, not drift; the next run after the sync writes it (target hybrid).
 */
async function markWaitingForSync(rows: MailboxRow[], backend: TenantBackend): Promise<MailboxRow[]> {
  if (backend.waitingForSync === undefined) return rows;
  const candidates = rows.filter(
    (r) =>
      r.change === "drift" &&
      r.writtenTo === CLOUD &&
      r.removed.length === 0 &&
      r.primary === undefined &&
      r.added.length > 0,
  );
  if (candidates.length === 0) return rows;
  const waiting = await backend.waitingForSync(candidates.flatMap((r) => r.added));
  return rows.map((r) =>
    candidates.includes(r) && r.added.every((a) => waiting.has(addressKey(a)))
      ? { ...r, change: "none", sync: { state: "pending", waitingForSync: [...r.added] } }
      : r,
  );
}

export async function runDrift(options: DriftOptions): Promise<number> {
  const settings = await readStackSettings(options);
  const loaded = loadSpecBytes(settings.spec, readStackSpec(settings, typeof options.spec === "string"), {
    policies: true,
  });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  const { progress, onWait } = readingProgress("drift", options.quiet);
  const backend = openBackend(settings.target, settings.root, onWait);
  try {
    // Policies become per-mailbox entries from the tenant's attributes, as in preview.
    const expanded = await expandSpec(loaded.spec, backend);
    if (expanded.problems.length > 0) {
      progress.stop();
      for (const problem of expanded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      return 1;
    }
    const spec = expanded.spec;
    const read = await readSpecMailboxes(
      backend,
      spec.mailboxes.map((m) => m.identity),
      (n) => progress.set("read", n),
    );
    // The verdict `pulumi preview` reaches on the same inputs (reconcile/assess.ts): drift is what
    // the source confirms, and the assessment's problems make drift exit 1 too.
    const assessed = await assessSpec(spec, backend, { live: read, bulk: true });
    progress.stop();
    // The state's record tells changes made outside git from spec changes not applied yet.
    const recorded = await readRecorded(settings);
    const policies = new Map(
      (expanded.expansion?.entries ?? []).flatMap((e) =>
        e.origin.kind === "policy" ? [[e.declaration.identity, e.origin.policies[0]!] as const] : [],
      ),
    );
    const computed = computeDrift(
      spec,
      new Map([...assessed.live].map(([identity, mailbox]) => [identity, mailbox?.addresses])),
      assessed.live,
      recorded,
      policies,
    );
    // Each row names its recipient's kind; --type keeps one kind.
    const kinds = await resolveKinds(assessed.live, backend);
    const wanted = typeFilter(options.type);
    const typed = computed
      .map((r) => (kinds.has(r.identity) ? { ...r, kind: kinds.get(r.identity)! } : r))
      .filter((r) => wanted === undefined || r.kind === wanted);
    // A sign-in name that differs from what the spec asks for (userPrincipalName) is drift too, as preview sees it.
    const upns = upnChanges(spec, assessed.live);
    const rows = (await markWaitingForSync(typed, backend)).map((r) => {
      const upn = upns.get(r.identity);
      return upn === undefined
        ? r
        : { ...r, change: r.change === "none" ? ("drift" as const) : r.change, userPrincipalName: upn };
    });
    const missing = new Set(rows.filter((r) => r.change === "missing").map((r) => r.identity));
    const problems = assessed.problems
      .filter((p) => !(p.path.length === 2 && missing.has(String(p.path[1])) && /^not found in the /.test(p.message)))
      .map(formatProblem);
    return printReport(
      makeReport("drift", settings.stack, maskSecrets(backend.description, settings.secrets), rows, problems),
      options,
    );
  } finally {
    progress.stop();
    await backend.close();
  }
}
