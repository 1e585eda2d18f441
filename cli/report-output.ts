// Prints a drift or plan report in the format the flags ask for, and returns its exit code.
import { writeFileSync } from "node:fs";
import {
  exitCodeOf,
  MARKDOWN_LIMIT,
  renderJson,
  renderMarkdown,
  renderTable,
  type Report,
} from "../core/report/report";
import { toolCommands } from "../runtime/commands-here";
import { CliError } from "./cli-error";

export interface OutputOptions {
  readonly json?: boolean | undefined;
  readonly markdown?: boolean | undefined;
  readonly all?: boolean | undefined;
}

export function printReport(report: Report, values: OutputOptions): number {
  // Remedies name the commands as they exist where the user stands (runtime/commands-here.ts).
  const here = toolCommands();
  const commands = { tool: here.tool, pulumi: here.pulumi };
  const text = values.json
    ? renderJson(report)
    : values.markdown
      ? renderMarkdown(report, MARKDOWN_LIMIT, commands)
      : renderTable(report, values.all === true, commands);
  process.stdout.write(text);
  return exitCodeOf(report);
}

/** Writes a command's text to `-o FILE` when given, else to stdout; a file that cannot be written is one message. */
export function writeOutput(file: string | undefined, text: string): void {
  if (!file) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
