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
export async function main(args: readonly string[]): Promise<number> {
  const outcome: Outcome = { code: 0 };
  const program = buildProgram(packageVersion(), outcome);
  try {
    await program.parseAsync([...args], { from: "user" });
    return outcome.code;
  } catch (err) {
    // Help, --version and usage errors: commander has printed them already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    process.stderr.write(describeError(err, args.includes("--verbose")));
    return 1;
  }
}
