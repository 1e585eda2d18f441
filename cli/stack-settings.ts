// The CLI's view of a stack's settings, read through Pulumi itself (`pulumi config --show-secrets
// --json`, as the Automation API reads them), so secrets set with `pulumi config set --secret` and values
// from imported environments arrive exactly as `pulumi up` sees them. The stack must exist (a
// typo never falls back to another tenant); keys are checked against the declared list
// (reconcile/settings.ts); flags may override a setting for one run.
import { closestName } from "../core/did-you-mean";
import {
  checkDeclaredSettings,
  DECLARED_SETTINGS,
  readSettings,
  SETTINGS_NAMESPACE,
  type ConfigReader,
  type ProgramSettings,
} from "../reconcile/settings";
import { findProjectRoot } from "../runtime/project-root";
import { readSpecFile, SpecFileError } from "../runtime/spec-file";
import { CliError } from "./cli-error";
import { toolCommands } from "../runtime/commands-here";
import { EngineOutputError, runPulumiIn, type Ran } from "./engine-run";
import { checkJson, fields, flag, listOf, recordOf, text } from "../core/json-check";

/** `--graph-url <url>` → `graphUrl`: the name commander gives the option's value. */
export function flagAttribute(flag: string): string {
  return flag
    .split(/[ <[]/)[0]!
    .replace(/^--/, "")
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Flags that override one setting of the stack for one run (commander's name → the setting's
 * key): `--target`, and each declared setting's `flag` (reconcile/settings.ts, the targets' own).
 */
export const OVERRIDE_FLAGS: Readonly<Record<string, string>> = Object.fromEntries([
  ["target", "target"],
  ...DECLARED_SETTINGS.flatMap((s) => (s.flag ? [[flagAttribute(s.flag), s.key] as const] : [])),
]);

/** --stack and the override flags (OVERRIDE_FLAGS), as commander parses them. */
export type StackFlags = {
  readonly stack?: string | undefined;
  readonly spec?: string | undefined;
  readonly target?: string | undefined;
};

export interface StackSettings extends ProgramSettings {
  readonly stack: string;
  readonly root: string;
  /** Values the stack keeps as secrets: never printed (see maskSecrets). */
  readonly secrets: readonly string[];
}

/**
 * The spec file a stack's settings name, read safely (runtime/spec-file.ts: a regular YAML file
 * inside the project, size-capped; `explicit` when the path was typed on the command line, which
 * may be anywhere); any failure says which setting names it.
 */
export function readStackSpec(settings: Pick<StackSettings, "root" | "spec" | "stack">, explicit = false): Buffer {
  try {
    return readSpecFile(settings.spec, { root: settings.root, explicit });
  } catch (err) {
    if (!SpecFileError.isInstance(err)) throw err;
    throw new CliError(`the spec ${err.message}${explicit ? "" : ` (setting "spec" of stack "${settings.stack}")`}`);
  }
}

/** `text` with every secret value of the stack replaced by [secret], as Pulumi shows them. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((out, secret) => out.split(secret).join("[secret]"), text);
}

const kebab = (flag: string) => flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The default stack when no --stack is given: $PULUMI_STACK, else dev. */
export function defaultStack(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_STACK || "dev";
}

/** Pulumi's own words from a failed command: its `error:` lines, else its first lines. */
export function pulumiMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const errors = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("error:"))
    .map((l) => l.slice("error:".length).trim());
  return errors.length > 0 ? [...new Set(errors)].join("; ") : text.split("\n").slice(0, 3).join(" ").trim();
}

// What this tool reads of `pulumi config --json` and `pulumi stack ls --json` (the Pulumi CLI's
// configValueJSON and stackSummaryJSON): a value and whether it is secret; a stack's name.
const configMap = recordOf(fields<{ value: string; secret?: boolean }>({ value: text }, { secret: flag }));
const stackList = listOf(fields<{ name: string }>({ name: text }));

/** A failed pulumi command as an error whose message is its output (what pulumiMessage reads). */
function commandError(ran: Ran): Error {
  return new Error(`code: ${ran.code}\n stdout: ${ran.stdout}\n stderr: ${ran.stderr}\n`);
}

/** Reads, checks and resolves the settings of `flags.stack` (default: see defaultStack). */
export async function readStackSettings(flags: StackFlags, root = findProjectRoot()): Promise<StackSettings> {
  const stack = flags.stack ?? defaultStack();
  const here = toolCommands(root);
  // `pulumi config --show-secrets --json`, as the Automation API's getAllConfig runs it, started
  // directly: the Automation API would first run `pulumi version`, and loading it costs more than
  // the run itself (a targeted plan needs nothing else of it).
  let ran: Ran;
  try {
    ran = await runPulumiIn(root, ["config", "--show-secrets", "--json", "--stack", stack]);
  } catch (err) {
    // Pulumi cannot be started (not on PATH): the message says how to set it up.
    throw new CliError(`cannot run pulumi to read the settings of stack "${stack}": ${(err as Error).message}`);
  }
  if (ran.code !== 0) {
    const err = commandError(ran);
    // The stack's settings first: listing the stacks loads every stack's state (the file backend
    // reads each checkpoint whole), which at 10,000 mailboxes costs more than a second, so it is
    // done only to explain why the settings could not be read.
    let names: string[];
    try {
      const listed = await runPulumiIn(root, ["stack", "ls", "--json"]);
      if (listed.code !== 0) throw commandError(listed);
      const checked = checkJson(listed.stdout, stackList);
      if (!checked.ok) throw new EngineOutputError("stack ls --json", checked.problem, { root, stack });
      names = checked.value.map((s) => s.name);
    } catch (listErr) {
      throw new CliError(
        `cannot read the settings of stack "${stack}": ${pulumiMessage(err)} (and listing the stacks of ${root} failed too: ${pulumiMessage(listErr)})`,
      );
    }
    // Pulumi Cloud lists "org/stack": a bare name matches its last part.
    const known = names.map((n) => n.slice(n.lastIndexOf("/") + 1));
    if (!names.includes(stack) && !known.includes(stack)) {
      const near = closestName(stack, known);
      const listing = known.length > 0 ? `the stacks are: ${known.join(", ")}` : "there are no stacks yet";
      throw new CliError(
        `stack "${stack}" does not exist${near ? ` (did you mean "${near}"?)` : ""}; ${listing}. ` +
          `Create it with: ${here.pulumi} stack init ${stack}${stack === "dev" && here.up ? ` (or run ${here.up})` : ""}`,
      );
    }
    throw new CliError(`cannot read the settings of stack "${stack}": ${pulumiMessage(err)}`);
  }
  const checked = checkJson(ran.stdout, configMap);
  if (!checked.ok) throw new EngineOutputError("config --show-secrets --json", checked.problem, { root, stack });
  const config = checked.value;
  const prefix = `${SETTINGS_NAMESPACE}:`;
  const fromStack: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [key, entry] of Object.entries(config)) {
    if (!key.startsWith(prefix)) continue;
    fromStack[key.slice(prefix.length)] = entry.value;
    if (entry.secret) secrets.push(entry.value);
  }
  const problems = checkDeclaredSettings(fromStack);
  if (problems.length > 0) {
    throw new CliError(
      `stack "${stack}" has ${problems.length === 1 ? "a setting" : "settings"} this tool does not accept:\n  ${problems.join("\n  ")}\n` +
        `The settings are: ${DECLARED_SETTINGS.map((s) => s.key).join(", ")} (README, Stack settings).\n` +
        `Fix with: ${here.pulumi} config rm --stack ${stack} <key>, then ${here.pulumi} config set --stack ${stack} <key> <value>`,
    );
  }
  const values = { ...fromStack };
  for (const [flag, key] of Object.entries(OVERRIDE_FLAGS)) {
    const value = (flags as Readonly<Record<string, unknown>>)[flag];
    if (typeof value === "string") values[key] = value;
  }
  const flagOf = (key: string) => Object.entries(OVERRIDE_FLAGS).find(([, k]) => k === key)?.[0];
  const reader: ConfigReader = {
    get: (key) => values[key],
    require: (key) => {
      const value = values[key];
      if (value === undefined) {
        const flag = flagOf(key);
        throw new CliError(
          `stack "${stack}" has no setting "${key}", which target "${values.target}" needs: ${here.pulumi} config set --stack ${stack} ${key} <value>${flag ? ` (or pass --${kebab(flag)})` : ""}`,
        );
      }
      return value;
    },
  };
  try {
    return { ...readSettings(reader), stack, root, secrets };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`stack "${stack}": ${(err as Error).message}`);
  }
}
