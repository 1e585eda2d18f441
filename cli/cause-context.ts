// `plan --changed-since <ref>`: what the program needs besides the spec to say why each change
// happens (core/plan/change-causes.ts): the spec's entries at the ref (this change, or an earlier
// one not applied yet) and, for a targeted run (no refresh), the lists the state recorded. Written
// to a file the program reads (MAILBOX_ADDRESSES_CAUSES, runtime/run-channel.ts).
import path from "node:path";
import { recordOf } from "../core/plan/address-map";
import type { BaseEntry, CauseContext } from "../core/plan/change-causes";
import { loadSpecBytes } from "../core/desired/load-spec";
import type { StackSettings } from "./stack-settings";
import { readState, isMailboxEntry } from "./engine-run";
import { identityOfEntry, specAtRef, type SpecAtRef } from "./targeted-scope";
import { writeChannelFile } from "../runtime/run-channel";

/**
 * Writes the causes' context in `dir` (the run's folder) and returns the file, for the engine's
 * environment. `atRef`: the spec at the ref as the scope read it (read again otherwise).
 */
export function writeCauseContext(
  settings: StackSettings,
  ref: string,
  recorded: CauseContext["recorded"],
  dir: string,
  atRef?: SpecAtRef,
): string {
  let base: Record<string, BaseEntry | null> | undefined;
  try {
    const bytes = atRef ? atRef.bytes : specAtRef(path.resolve(settings.root, settings.spec), ref);
    // A spec that did not exist at the ref: every entry is this change.
    const loaded = bytes === undefined ? undefined : (atRef?.loaded ?? loadSpecBytes(settings.spec, bytes));
    if (bytes === undefined) base = {};
    else if (loaded?.ok)
      base = Object.fromEntries(
        loaded.spec.mailboxes.map((m) => [m.identity, { primary: m.primary, aliases: [...m.aliases] }]),
      );
  } catch {
    base = undefined; // the scope already said why; the causes then say "since the last apply"
  }
  const context: CauseContext = { since: ref, ...(base ? { base } : {}), ...(recorded ? { recorded } : {}) };
  return writeChannelFile("causes", dir, context);
}

/**
 * identity → the list the stack's state recorded as last applied for each mailbox (engine-run.ts `readState`),
 * for `drift` and `accept`, which run without the engine; undefined when the stack has no state
 * or it cannot be read (no cause is then claimed).
 */
export async function readRecorded(settings: StackSettings): Promise<Map<string, readonly string[]> | undefined> {
  let deployment: Awaited<ReturnType<typeof readState>>;
  try {
    deployment = await readState(settings);
  } catch {
    return undefined;
  }
  const mailboxes = (deployment.resources ?? []).filter(isMailboxEntry);
  if (mailboxes.length === 0) return undefined;
  const recorded = new Map<string, readonly string[]>();
  for (const r of mailboxes) {
    // What the stack last applied, not what a refresh read since (core/plan/address-map.ts `recordOf`).
    const record = recordOf(r.outputs ?? {});
    if (record !== undefined) recorded.set(identityOfEntry(r), record);
  }
  return recorded;
}
