// Targeted engine runs, started as plain `pulumi preview --json` and `pulumi up` rather than
// through the Automation API. The Automation API always streams the engine's event log, and in a
// targeted run that log carries every untargeted state entry as a `same` step with its whole old
// and new state: at 10,000 mailboxes about 140 MB of JSON for a change to one mailbox, which took
// longer than the engine run itself (docs/TARGETED-RUNS.md, "Cost"). `preview --json` prints a
// digest of the steps it shows (sames are hidden) and the diagnostics; `up` prints the engine's
// usual display, and what it changed is read back from the stack's history.
import { spawn } from "node:child_process";
import { CliError } from "./cli-error";
import { MailboxAddressesError } from "../core/errors";
import {
  anything,
  checkJson,
  count,
  fields,
  flag,
  listOf,
  NOT_JSON,
  oneOf,
  recordOf,
  strings,
  text,
  type Check,
  type Checked,
} from "../core/json-check";
import { toolCommands } from "../runtime/commands-here";
import { channelEnv, type ChannelFiles } from "../runtime/run-channel";
import { COMPONENT_TYPE, RESOURCE_TYPE, STACK_TYPE } from "./resource-urn";
import { locateCheckpoint, readCheckpoint } from "./stack-checkpoint";
import type { MailboxAddressesInputs, MailboxAddressesOutputs } from "../providers/mailbox-addresses/inputs";

/** One step of `pulumi preview --json`'s digest (backend/display/json.go ShowPreviewDigest). */
export interface DigestStep {
  readonly op: string;
  readonly urn: string;
}

/** One diagnostic of the digest: the program's and the provider's errors and warnings. */
export interface DigestDiagnostic {
  readonly urn?: string;
  readonly message: string;
  readonly severity: string;
}

/** What `pulumi preview --json` prints. */
export interface PreviewDigest {
  readonly steps: readonly DigestStep[];
  readonly diagnostics: readonly DigestDiagnostic[];
  readonly changeSummary?: Readonly<Record<string, number>>;
}

/** What a pulumi command printed, and its exit code. */
export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `pulumi <args>` in `root` (the project), with this process's environment and `env`. A
 * pulumi that cannot be started is a CliError saying how to set it up.
 */
export function runPulumiIn(
  root: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  onOutput?: (text: string) => void,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      onOutput?.(chunk.toString("utf8"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err.push(chunk);
      onOutput?.(chunk.toString("utf8"));
    });
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          e.code === "ENOENT"
            ? `pulumi is not on PATH: ${toolCommands(root).setup}`
            : `cannot run pulumi: ${e.message}`,
        ),
      ),
    );
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

/** Runs `pulumi`; its environment is this process's with the run's channel files (runtime/run-channel.ts) and no other. */
function runPulumi(
  settings: StackRef,
  args: readonly string[],
  channel: ChannelFiles,
  onOutput?: (text: string) => void,
): Promise<Ran> {
  return runPulumiIn(
    settings.root,
    [...args, "--stack", settings.stack, "--non-interactive"],
    channelEnv(channel),
    onOutput,
  );
}

/** Where the engine runs: the project's folder and the stack's name (all a stack's settings, ./stack-settings.ts, hold more). */
export interface StackRef {
  readonly root: string;
  readonly stack: string;
}

/** One entry of the state, as `pulumi stack export` prints it (the fields this tool reads). */
export interface StateEntry {
  readonly urn: string;
  readonly type: string;
  /** A custom resource's id: a mailbox's object id. */
  readonly id?: string;
  readonly parent?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly dependencies?: readonly string[];
}

/**
 * A mailbox's entry (type {@link RESOURCE_TYPE}): the inputs and outputs the CLI reads of it, as
 * providers/mailbox-addresses/resource.ts records them. {@link readState} checked them.
 */
export interface MailboxEntry extends StateEntry {
  readonly inputs?: Partial<Pick<MailboxAddressesInputs, "identity" | "addresses" | "mode" | "cloudManaged">>;
  readonly outputs?: Partial<Pick<MailboxAddressesOutputs, "identity" | "addresses" | "kept" | "applied">>;
}

/** The stack's or the spec component's entry: what the spec's declaration last reported (infra/mailbox-address-spec.ts). */
export interface DeclarationEntry extends StateEntry {
  readonly outputs?: { readonly spec?: string; readonly target?: string };
}

export const isMailboxEntry = (entry: StateEntry): entry is MailboxEntry => entry.type === RESOURCE_TYPE;
export const isDeclarationEntry = (entry: StateEntry): entry is DeclarationEntry =>
  entry.type === STACK_TYPE || entry.type === COMPONENT_TYPE;

/** The state as `pulumi stack export` prints it (without --show-secrets: what a change set needs holds none). */
export interface ExportedState {
  readonly resources?: readonly StateEntry[];
  readonly pending_operations?: readonly unknown[];
}

/**
 * The stack's deployment, as `pulumi stack export` prints it: read from the file backend's
 * checkpoint directly where it is certainly the one Pulumi reads (./stack-checkpoint.ts: seconds
 * fewer at 10,000 mailboxes), else {@link exportState}. Needs only the project and the stack's
 * name, so a command may start it before the stack's settings are read (plan-command.ts).
 */
export async function readState(settings: StackRef): Promise<ExportedState> {
  const place = await locateCheckpoint(settings.root, settings.stack);
  const read = await readCheckpoint(place, settings.stack, settings.root, deployment);
  return "deployment" in read ? read.deployment : exportState(settings);
}

/** `pulumi stack export`: the stack's deployment (any backend). */
export async function exportState(settings: StackRef): Promise<ExportedState> {
  const ran = await runPulumi(settings, ["stack", "export"], {});
  if (ran.code !== 0)
    throw new CliError(
      `cannot read the state of stack "${settings.stack}" (pulumi stack export): ${errorLines(ran.stderr).join("; ") || ran.stderr.trim().split("\n")[0]}`,
    );
  return printed(settings, "stack export", checkJson(ran.stdout, exported)).deployment ?? {};
}

const targetArgs = (urns: readonly string[]) => urns.flatMap((urn) => ["--target", urn]);

/** The `error:` lines of the engine's display, without the prefix, each once. */
export function errorLines(text: string): string[] {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("error:"))
    .map((l) => l.slice("error:".length).trim());
  return [...new Set(lines)];
}

/**
 * `pulumi preview --json --refresh=false --target …`: the digest, or, when the engine printed none
 * (it failed before the program ran), its error lines. `channel`: the files the program reads.
 */
export async function previewTargeted(
  settings: StackRef,
  urns: readonly string[],
  channel: ChannelFiles,
  onOutput?: (text: string) => void,
): Promise<{ ok: boolean; digest?: PreviewDigest; errors: string[] }> {
  const ran = await runPulumi(
    settings,
    ["preview", "--json", "--refresh=false", ...targetArgs(urns)],
    channel,
    onOutput,
  );
  // No JSON from a failed run: the engine stopped before it printed a digest (its error lines say why).
  const checked = checkJson(ran.stdout, previewDigest);
  const digest =
    !checked.ok && ran.code !== 0 && checked.problem === NOT_JSON
      ? undefined
      : printed(settings, "preview --json", checked);
  if (ran.code === 0 && digest !== undefined) return { ok: true, digest, errors: [] };
  // A failed preview may still print a digest (backend/display/display.go), without the engine's
  // own error, which goes to stderr: the run failed whatever the digest shows.
  const errors = errorLines(`${digest === undefined ? ran.stdout : ""}\n${ran.stderr}`);
  const explained = errors.length > 0 || (digest?.diagnostics.some((d) => d.severity === "error") ?? false);
  return {
    ok: false,
    ...(digest ? { digest } : {}),
    errors: explained
      ? errors
      : [`pulumi preview failed (exit ${ran.code}): ${ran.stderr.trim().split("\n").slice(0, 3).join(" ")}`],
  };
}

/**
 * `pulumi up --yes --skip-preview --refresh=false --target …`. On success, what it changed (the
 * stack's latest history entry, as `pulumi stack history --json` gives it; `unread`: what was wrong
 * with it, when not of its shape: the run succeeded all the same); on failure, the engine's error
 * lines. `channel`: the files the program reads.
 */
export async function upTargeted(
  settings: StackRef,
  urns: readonly string[],
  channel: ChannelFiles,
  onOutput?: (text: string) => void,
): Promise<
  { ok: true; resourceChanges?: Readonly<Record<string, number>>; unread?: string } | { ok: false; errors: string[] }
> {
  const ran = await runPulumi(
    settings,
    ["up", "--yes", "--skip-preview", "--refresh=false", "--color", "never", ...targetArgs(urns)],
    channel,
    onOutput,
  );
  if (ran.code !== 0) {
    const errors = errorLines(`${ran.stdout}\n${ran.stderr}`).filter((l) => !/^update failed$/.test(l));
    return { ok: false, errors: errors.length > 0 ? errors : [`pulumi up failed (exit ${ran.code})`] };
  }
  // What changed, from the update's own history entry; unknown (not "nothing") when it cannot be read.
  const history = await runPulumi(settings, ["stack", "history", "--json", "--page-size", "1"], {});
  if (history.code !== 0) return { ok: true };
  const checked = checkJson(history.stdout, stackHistory);
  if (!checked.ok) return { ok: true, unread: checked.problem };
  const changes = checked.value[0]?.resourceChanges;
  return changes ? { ok: true, resourceChanges: changes } : { ok: true };
}

/** What a `pulumi` command printed that is not what this tool reads (another Pulumi CLI than the one it is released with). */
export class EngineOutputError extends MailboxAddressesError {
  constructor(command: string, problem: string, settings: StackRef) {
    const commands = toolCommands(settings.root);
    const remedy = `run ${commands.pulumi} ${command} --stack ${settings.stack} to see what it printed; mailbox-addresses reads the output of the Pulumi CLI it is released with (${commands.setup})`;
    super(`pulumi ${command} printed what mailbox-addresses cannot read: its output ${problem}; ${remedy}`, { remedy });
    this.name = "EngineOutputError";
  }
}

/** What `pulumi <command>` printed, checked; an {@link EngineOutputError} when it is not of its shape. */
function printed<T>(settings: StackRef, command: string, checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new EngineOutputError(command, checked.problem, settings);
}

// The shapes this tool reads of Pulumi's output (the fields it uses; the rest is left alone), from
// the Go sources of the Pulumi CLI: apitype.ResourceV3 and UntypedDeployment (`stack export`),
// display.PreviewDigest (`preview --json`: steps, diagnostics and changeSummary are omitempty, as
// are a diagnostic's message and severity), updateInfoJSON (`stack history --json`).
const envelope = fields<StateEntry>(
  { urn: text, type: text },
  { id: text, parent: text, inputs: recordOf(anything), outputs: recordOf(anything), dependencies: strings },
);
const addressMap = recordOf(text);
const mailboxInputs = fields(
  {},
  { identity: text, addresses: addressMap, mode: oneOf("strict", "additive"), cloudManaged: flag },
);
const mailboxOutputs = fields({}, { identity: text, addresses: addressMap, kept: addressMap, applied: strings });
const declarationOutputs = fields({}, { spec: text, target: text });
/** An entry's envelope, and for the entries whose fields the CLI reads (a mailbox's, the declaration's), those fields. */
const stateEntry: Check<StateEntry> = (value, at) => {
  const entry = envelope(value, at);
  if (isMailboxEntry(entry)) {
    if (entry.inputs !== undefined) mailboxInputs(entry.inputs, `${at}.inputs`);
    if (entry.outputs !== undefined) mailboxOutputs(entry.outputs, `${at}.outputs`);
  } else if (isDeclarationEntry(entry) && entry.outputs !== undefined) {
    declarationOutputs(entry.outputs, `${at}.outputs`);
  }
  return entry;
};
/** A deployment: what `pulumi stack export` prints as `deployment`, and a file checkpoint holds as `latest` (./stack-checkpoint.ts). */
const deployment = fields<ExportedState>({}, { resources: listOf(stateEntry), pending_operations: listOf(anything) });
const exported = fields<{ deployment?: ExportedState }>({}, { deployment });
const changeCounts = recordOf(count);
const previewDigest: Check<PreviewDigest> = (value, at) => {
  const raw = fields<{
    steps?: DigestStep[];
    diagnostics?: { urn?: string; message?: string; severity?: string }[];
    changeSummary?: Record<string, number>;
  }>(
    {},
    {
      steps: listOf(fields({ op: text, urn: text })),
      diagnostics: listOf(fields({}, { urn: text, message: text, severity: text })),
      changeSummary: changeCounts,
    },
  )(value, at);
  return {
    steps: raw.steps ?? [],
    diagnostics: (raw.diagnostics ?? []).map((d) => ({
      ...(d.urn ? { urn: d.urn } : {}),
      message: d.message ?? "",
      severity: d.severity ?? "",
    })),
    ...(raw.changeSummary ? { changeSummary: raw.changeSummary } : {}),
  };
};
const stackHistory = listOf(
  fields<{ resourceChanges?: Record<string, number> }>({}, { resourceChanges: changeCounts }),
);
