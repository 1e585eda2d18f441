// mailbox-addresses: the command-line tool (commands declared in program.ts). Resolves to the
// exit code; errors are one message each (a stack trace only with --verbose).
import { readFileSync } from "node:fs";
import path from "node:path";
import { CommanderError } from "commander";
import { describeError } from "./cli-error";
import { buildProgram, type Outcome } from "./program";

/** This package's version, for --version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { version: string }).version;
}

/** Runs one command line (without node and the script); resolves to the process exit code. */
/**
 * `help a b` as `a b --help`: commander's help command takes one name, and would show the page
 * of `a` for `help tenant show`.
 */
export function helpAsFlag(args: readonly string[]): readonly string[] {
  if (args[0] !== "help") return args;
  const names = args.slice(1).filter((a) => !a.startsWith("-"));
  return names.length >= 2 ? [...args.slice(1), "--help"] : args;
}

export async function main(args: readonly string[]): Promise<number> {
  const outcome: Outcome = { code: 0 };
  const program = buildProgram(packageVersion(), outcome);
  try {
    await program.parseAsync([...helpAsFlag(args)], { from: "user" });
    return outcome.code;
  } catch (err) {
    // Help, --version and usage errors: commander has printed them already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    process.stderr.write(describeError(err, args.includes("--verbose")));
    return 1;
  }
}
