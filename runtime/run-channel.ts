// The one channel between the CLI and the Pulumi program it runs. The engine starts the program as
// its own process, so what the CLI tells it besides the spec and the stack's settings goes through
// environment variables naming files, and what the program plans comes back through a file:
//
//   plannedChanges  MAILBOX_ADDRESSES_PLAN_OUT       program → CLI: the rows `plan` shows
//   causes          MAILBOX_ADDRESSES_CAUSES         CLI → program: the spec at the base ref, the state's record
//   targets         MAILBOX_ADDRESSES_TARGETS        CLI → program: a targeted run's change set
//   reviewedPlan    MAILBOX_ADDRESSES_REVIEWED_PLAN  CLI → program: the plan an apply is held to
//                                                    (read by ./reviewed-plan-file.ts: a user's file)
//
// and, within one engine run, the provider and the program swap what they read (./refresh-handoff.ts:
// its files are found by the run, not named by a variable; their shapes are checked here too).
//
// This module names each variable and file, owns the shape of each file (both sides import it),
// writes them, and checks what it reads: a file that is missing or not of its shape is one
// RunChannelError naming the variable, the file and what is wrong. The CLI never sets these
// variables on itself: it gives the engine an explicit environment (`channelEnv`), in which a
// variable the run does not use is empty, so one left in the caller's shell cannot leak in.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TargetedRun } from "../core/plan/targeted-run";
import type { CauseContext } from "../core/plan/change-causes";
import type { ChangeRow } from "../core/plan/reviewed-plan";
import type { ChangeCause, MailboxRow, SyncState } from "../core/report/report";
import { MailboxAddressesError } from "../core/errors";
import {
  checkJson,
  count,
  fields,
  flag,
  listOf,
  nullable,
  oneOf,
  pair,
  recordOf,
  strings,
  text,
  type Check,
} from "../core/json-check";

export type { CauseContext, TargetedRun };

/** Each file of the channel: its variable, the name the CLI gives it in a run's folder, and what it is, in words. */
export const RUN_CHANNEL = {
  plannedChanges: {
    variable: "MAILBOX_ADDRESSES_PLAN_OUT",
    file: "changes.json",
    what: "the program's planned changes",
  },
  causes: { variable: "MAILBOX_ADDRESSES_CAUSES", file: "causes.json", what: "the context of the changes' causes" },
  targets: { variable: "MAILBOX_ADDRESSES_TARGETS", file: "targets.json", what: "the targeted run" },
  reviewedPlan: { variable: "MAILBOX_ADDRESSES_REVIEWED_PLAN", file: "reviewed-plan.json", what: "the reviewed plan" },
} as const;

export type ChannelName = keyof typeof RUN_CHANNEL;

/** Every variable of the channel (a test harness scrubs them from the environment it passes on). */
export const RUN_CHANNEL_VARIABLES: readonly string[] = Object.values(RUN_CHANNEL).map((c) => c.variable);

/** A file of the channel that is missing or not of its shape. Expected: told as one message, no stack trace. */
export class RunChannelError extends MailboxAddressesError {
  readonly variable: string;

  constructor(channel: ChannelName, file: string, problem: string) {
    const { variable, what } = RUN_CHANNEL[channel];
    const remedy =
      channel === "plannedChanges"
        ? "run the plan again; the CLI and the program must be the same version of mailbox-addresses"
        : `run the command again (the CLI writes this file for one run; the CLI and the program must be the same version of mailbox-addresses), or unset ${variable} when running pulumi yourself`;
    super(`${what} (${variable}) ${file}: ${problem}; ${remedy}`, { file, remedy });
    this.name = "RunChannelError";
    this.variable = variable;
  }
}

/**
 * Where the program's planned row for a mailbox is written and its sync state (target hybrid): as
 * the report's row says it (the targets' `WrittenTo`, targets/tenant-backend.ts, is one of these).
 */
export interface MailboxWhere {
  readonly writtenTo: NonNullable<MailboxRow["writtenTo"]>;
  readonly sync?: SyncState;
}

/** The policy that gives a policy-managed mailbox its addresses (the first-wins one), and its UPN as read. */
export interface PolicyOfMailbox {
  readonly policy: string;
  readonly upn?: string;
}

/** A targeted run: whether it read the mailboxes outside its change set, and which of them differ from the spec. */
export interface OutsideDrift {
  readonly read: boolean;
  readonly mailboxes: number;
  readonly drifted: readonly string[];
}

/** The file MAILBOX_ADDRESSES_PLAN_OUT names: what the program plans, as data (never from log text). */
export interface PlannedChangesFile {
  /** The spec's digest; several components, several specs: their digests, space-separated. */
  readonly specDigest?: string;
  /** Every mailbox the program declared: the plan must show a step for each, or it says what is missing. */
  readonly declared: readonly string[];
  readonly changes: Readonly<Record<string, ChangeRow>>;
  readonly where?: Readonly<Record<string, MailboxWhere>>;
  readonly policies?: Readonly<Record<string, PolicyOfMailbox>>;
  /** identity → RecipientTypeDetails. */
  readonly kinds?: Readonly<Record<string, string>>;
  /** identity → why each change happens (core/plan/change-causes.ts). */
  readonly causes?: Readonly<Record<string, readonly ChangeCause[]>>;
  /** A targeted run: the mailboxes outside its change set. */
  readonly outside?: OutsideDrift;
}

/** The shape each file of the channel holds. */
export interface ChannelShapes {
  readonly plannedChanges: PlannedChangesFile;
  readonly causes: CauseContext;
  readonly targets: TargetedRun;
}

/** The files a run passes (by name), each an absolute path or one relative to the project. */
export type ChannelFiles = Partial<Record<ChannelName, string>>;

/**
 * The channel's variables for an engine run: the files given, and every other variable empty (an
 * empty variable is unset to the program), to lay over the caller's environment: the Automation
 * API's `envVars`, or `{ ...process.env, ...channelEnv(files) }` for a spawned `pulumi`.
 */
export function channelEnv(files: ChannelFiles = {}): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(RUN_CHANNEL) as ChannelName[]).map((name) => [RUN_CHANNEL[name].variable, files[name] ?? ""]),
  );
}

/** The file the run's environment names for `channel`; undefined when its variable is unset or empty. */
export function channelFile(channel: ChannelName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[RUN_CHANNEL[channel].variable] || undefined;
}

/** Writes `data` as the channel's file in `dir` (the run's private folder) and returns its path. */
export function writeChannelFile<C extends keyof ChannelShapes>(
  channel: C,
  dir: string,
  data: ChannelShapes[C],
): string {
  const file = path.join(dir, RUN_CHANNEL[channel].file);
  writeChannelFileAt(channel, file, data);
  return file;
}

/** Writes `data` as the channel's file at `file` (the program adds its components' plans to the CLI's file). */
export function writeChannelFileAt<C extends keyof ChannelShapes>(
  channel: C,
  file: string,
  data: ChannelShapes[C],
): void {
  writeFileSync(file, JSON.stringify(data), { mode: 0o600 });
}

/**
 * Reads and checks the channel's file; `missing` is returned when it does not exist (where that is
 * normal: a program that stopped before planning writes nothing). Anything else wrong is a {@link RunChannelError}.
 */
export function readChannelFile<C extends keyof ChannelShapes, M = never>(
  channel: C,
  file: string,
  options: { readonly missing?: M } = {},
): ChannelShapes[C] | M {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && "missing" in options) return options.missing as M;
    throw new RunChannelError(
      channel,
      file,
      code === "ENOENT" ? "does not exist" : `cannot be read (${(err as Error).message.split("\n")[0]})`,
    );
  }
  return parseChannel(channel, file, text);
}

/** Checks the text of a channel file (exported for the unit tests, which give it malformed ones). */
export function parseChannel<C extends keyof ChannelShapes>(channel: C, file: string, text: string): ChannelShapes[C] {
  const checked = checkJson(text, CHECKS[channel] as Check<ChannelShapes[C]>);
  if (!checked.ok) throw new RunChannelError(channel, file, checked.problem);
  return checked.value;
}

// The checks (../core/json-check.ts): each returns the value, typed, or names where it is not of its shape.

const change = fields<{ from: string | null; to: string }>({ from: nullable(text), to: text });

const changeRow = fields<ChangeRow>(
  { added: strings, removed: strings },
  {
    primary: change,
    caseKept: listOf(fields({ spec: text, tenant: text })),
    userPrincipalName: change,
    findings: strings,
  },
);

const changeCause = fields<ChangeCause>(
  {
    address: text,
    change: oneOf("add", "remove", "primary", "recase"),
    cause: oneOf("spec", "policy", "drift", "move"),
  },
  { since: oneOf("this-change", "last-apply", "adopt"), policy: text, to: text },
);

const plannedChanges = fields<PlannedChangesFile>(
  { declared: strings, changes: recordOf(changeRow) },
  {
    specDigest: text,
    where: recordOf(
      fields<MailboxWhere>(
        { writtenTo: oneOf("exchange-online", "active-directory") },
        { sync: fields<SyncState>({ state: oneOf("in-sync", "drift", "pending") }) },
      ),
    ),
    policies: recordOf(fields<PolicyOfMailbox>({ policy: text }, { upn: text })),
    kinds: recordOf(text),
    causes: recordOf(listOf(changeCause)),
    outside: fields<OutsideDrift>({ read: flag, mailboxes: count, drifted: strings }),
  },
);

const causes = fields<CauseContext>(
  {},
  {
    since: text,
    base: recordOf(nullable(fields({ primary: text, aliases: strings }))),
    recorded: recordOf(strings),
  },
);

const targets = fields<TargetedRun>(
  { scope: oneOf("targeted"), specDigest: text, declare: strings, release: strings, reasons: recordOf(strings) },
  { since: text, managedElsewhere: recordOf(text) },
);

const CHECKS: { readonly [C in keyof ChannelShapes]: Check<ChannelShapes[C]> } = {
  plannedChanges,
  causes,
  targets,
};

// The refresh's hand-off (./refresh-handoff.ts): a cache of one engine run, so a file not of its
// shape is not an error: the reader reads the tenant instead (undefined here). What a mailbox is,
// is the targets' to say (targets/tenant-backend.ts `LiveMailbox`, checked by `checkLiveMailbox`):
// the reader passes its check, so that this floor knows nothing of the targets above it.

/** What the provider's sweep leaves for the program, and the program for the provider's diff: what the target read. */
export interface LiveHandoff<M> {
  readonly identities: readonly string[];
  readonly live: readonly (readonly [string, M | null])[];
}

const liveHandoff = <M>(mailbox: Check<M>) =>
  fields<LiveHandoff<M>>({ identities: strings, live: listOf(pair(nullable(mailbox))) });
const recordedLine = pair(strings);

function checked<T>(check: Check<T>, text: string): T | undefined {
  const result = checkJson(text, check);
  return result.ok ? result.value : undefined;
}

/** A hand-off file's text, each mailbox checked by `mailbox`; undefined when it is not one. */
export function parseLiveHandoff<M>(text: string, mailbox: Check<M>): LiveHandoff<M> | undefined {
  return checked(liveHandoff(mailbox), text);
}

/** One line of the state's record the refresh leaves (identity, the list recorded); undefined when it is not one. */
export function parseRecordedLine(line: string): [string, string[]] | undefined {
  return checked(recordedLine, line);
}
