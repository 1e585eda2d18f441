// One read of the tenant per run, not two. Every preview and up refreshes first (Pulumi.yaml), so
// the provider process reads every mailbox of the spec in one batched sweep; then the program, a
// different process, would read them all again to plan and check. Instead the sweep leaves what it
// read for the program of the same engine run, in a file private to the user, and the program
// takes it (and deletes it) when it asks for exactly those mailboxes on the same tenant.
//
// The run is told apart by the engine's process id and start time (./engine-watchdog.ts), so a
// file from another run, another stack or another tenant is never used; where the engine cannot be
// identified (not Linux), nothing is handed off and the program reads as before.
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkJson, type Check } from "../core/json-check";
import { engineRunId, runIsAlive } from "./engine-watchdog";
import { parseLiveHandoff, parseRecordedLine, type LiveHandoff } from "./run-channel";

// What is handed over is what the target read (targets/tenant-backend.ts `LiveMailbox`, M here),
// and the tenant is named by the target's settings; the readers pass the targets' check of a
// mailbox (`checkLiveMailbox`), so that this module needs nothing of the targets above it.

/** The tenant a run reads: the stack's target settings (targets/registry.ts `TargetSettings`), hashed into the file's name. */
export type TenantSettings = object;

const PREFIX = "mailbox-addresses-run-";

/** Removes what runs whose engine has exited left behind (a `pulumi refresh` has no program to take it). */
function removeLeftovers(): void {
  try {
    for (const name of readdirSync(os.tmpdir())) {
      if (name.startsWith(PREFIX) && !runIsAlive(name.slice(PREFIX.length)))
        rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  } catch {
    // another user's folder, or gone meanwhile
  }
}

function fileFor(target: TenantSettings, spec: string): string | undefined {
  const run = engineRunId();
  if (run === undefined) return undefined;
  const key = createHash("sha256")
    .update(JSON.stringify([target, spec]))
    .digest("hex")
    .slice(0, 16);
  return path.join(os.tmpdir(), `${PREFIX}${run}`, `live-${key}.json`);
}

/** The provider's sweep: leaves what it read for this run's program. */
export function leaveForProgram<M>(
  target: TenantSettings,
  spec: string,
  identities: readonly string[],
  live: ReadonlyMap<string, M | undefined>,
): void {
  const file = fileFor(target, spec);
  if (file === undefined) return;
  removeLeftovers();
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const handoff: LiveHandoff<M> = {
      identities,
      live: [...live].map(([identity, mailbox]) => [identity, mailbox ?? null]),
    };
    writeFileSync(file, JSON.stringify(handoff), { mode: 0o600 });
  } catch {
    // the program then reads the tenant itself
  }
}

/** The program: what this run's refresh read, if it read exactly these mailboxes (each checked by `mailbox`); taken once. */
export function takeFromRefresh<M>(
  target: TenantSettings,
  spec: string,
  identities: readonly string[],
  mailbox: Check<M>,
): Map<string, M | undefined> | undefined {
  const file = fileFor(target, spec);
  if (file === undefined) return undefined;
  removeLeftovers();
  try {
    // Checked (./run-channel.ts): a file not of its shape is not used.
    const handoff = parseLiveHandoff(readFileSync(file, "utf8"), mailbox);
    rmSync(path.dirname(file), { recursive: true, force: true });
    if (
      handoff === undefined ||
      handoff.identities.length !== identities.length ||
      handoff.identities.some((identity, i) => identity !== identities[i])
    )
      return undefined;
    return new Map(handoff.live.map(([identity, mailbox]) => [identity, mailbox ?? undefined]));
  } catch {
    return undefined; // none left for this run: read the tenant
  }
}

// The other direction, for runs the engine's refresh read nothing for: targeted runs
// (docs/TARGETED-RUNS.md: --refresh=false, so the state's recorded lists may be behind the tenant)
// and an adoption into an empty state. The program has just read the declared mailboxes; it leaves
// those lists for the provider: the diff plans against them instead of the state, and a create
// with nothing to write takes its outputs from them instead of reading its mailbox again. Read,
// not taken: diff runs once per declared mailbox, and the folder goes with the run (removeLeftovers).

/** The run's file beside the refresh's: `program-` (the program's read), `holders-` (the sweep's holders). */
function besideFileFor(target: TenantSettings, spec: string, prefix: "program" | "holders"): string | undefined {
  const file = fileFor(target, spec);
  return file === undefined ? undefined : path.join(path.dirname(file), `${prefix}-${path.basename(file)}`);
}

/** The program, in a run without a refresh's read: leaves the declared mailboxes' live lists for the provider. */
export function leaveForProvider<M>(
  target: TenantSettings,
  spec: string,
  live: ReadonlyMap<string, M | undefined>,
): void {
  const file = besideFileFor(target, spec, "program");
  if (file === undefined) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(
      file,
      JSON.stringify({
        identities: [...live.keys()],
        live: [...live].map(([identity, mailbox]) => [identity, mailbox ?? null]),
      } satisfies LiveHandoff<M>),
      { mode: 0o600 },
    );
  } catch {
    // the provider then plans against the state's recorded lists; update reads live anyway
  }
}

/** The provider's diff: what this run's program read (each checked by `mailbox`), if it left anything (a targeted run). */
export function readFromProgram<M>(
  target: TenantSettings,
  spec: string,
  mailbox: Check<M>,
): Map<string, M | undefined> | undefined {
  const file = besideFileFor(target, spec, "program");
  if (file === undefined) return undefined;
  try {
    const handoff = parseLiveHandoff(readFileSync(file, "utf8"), mailbox);
    return handoff && new Map(handoff.live.map(([identity, mailbox]) => [identity, mailbox ?? undefined]));
  } catch {
    return undefined;
  }
}

// The state's record, for the causes of each change (core/plan/change-causes.ts): every read() of
// the refresh gets the state's outputs of its mailbox (what the tenant held when the stack last
// wrote or refreshed it) and appends them here, one JSON line per mailbox; the program takes them
// (before takeFromRefresh, which removes the folder) to tell the spec's changes from the tenant's.

function recordFileFor(target: TenantSettings, spec: string): string | undefined {
  const file = fileFor(target, spec);
  return file === undefined
    ? undefined
    : path.join(path.dirname(file), `recorded-${path.basename(file, ".json")}.jsonl`);
}

const recordDirs = new Set<string>();

/** The provider's read(): leaves the list the state recorded for one mailbox. */
export function recordForProgram(
  target: TenantSettings,
  spec: string,
  identity: string,
  recorded: readonly string[],
): void {
  const file = recordFileFor(target, spec);
  if (file === undefined) return;
  try {
    // One mkdir per run, not per mailbox: 10,000 reads append in about 1 s on a loaded 2-core machine.
    if (!recordDirs.has(file)) mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    recordDirs.add(file);
    appendFileSync(file, `${JSON.stringify([identity, recorded])}\n`, { mode: 0o600 });
  } catch {
    // the program then names no cause it cannot tell
  }
}

/** The program: identity → the list the state recorded, as this run's refresh found it; undefined without a refresh. */
export function takeRecorded(target: TenantSettings, spec: string): Map<string, readonly string[]> | undefined {
  const file = recordFileFor(target, spec);
  if (file === undefined) return undefined;
  try {
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    rmSync(file, { force: true });
    const entries = lines.map(parseRecordedLine);
    // A line not of its shape: no record, rather than a wrong one (no cause is then claimed).
    return entries.every((e) => e !== undefined) ? new Map(entries) : undefined;
  } catch {
    return undefined;
  }
}

// The holders the sweep's listing showed (targets/tenant-backend.ts `ListedHolders`, H here): from
// SCAN_THRESHOLD mailboxes on, the refresh lists the whole directory (Graph's users, groups and
// contacts); what it showed of the holders of the spec's addresses is left beside the live lists,
// so that the program's preview checks (reconcile/preflight.ts, hidden holders) do not list the
// directory a second time in the same run. The program takes it before takeFromRefresh, which
// removes the folder.

/** The provider's sweep, when it listed the directory: leaves what the listing showed of the spec's addresses. */
export function leaveHoldersForProgram<H>(target: TenantSettings, spec: string, holders: H): void {
  const file = besideFileFor(target, spec, "holders");
  if (file === undefined) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(holders), { mode: 0o600 });
  } catch {
    // the program then lists the directory itself
  }
}

/** The program: what this run's refresh listing showed of the holders (checked by `check`); taken once, undefined without one. */
export function takeHolders<H>(target: TenantSettings, spec: string, check: Check<H>): H | undefined {
  const file = besideFileFor(target, spec, "holders");
  if (file === undefined) return undefined;
  try {
    const text = readFileSync(file, "utf8");
    rmSync(file, { force: true });
    // A file not of its shape: no holders, and the program lists the directory as before.
    const result = checkJson(text, check);
    return result.ok ? result.value : undefined;
  } catch {
    return undefined;
  }
}
