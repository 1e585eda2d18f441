// Prints a drift or plan report in the format the flags ask for, and returns its exit code.
import { exitCodeOf, renderJson, renderMarkdown, renderTable, type Report } from "../core/report/report";

export interface OutputOptions {
  readonly json?: boolean | undefined;
  readonly markdown?: boolean | undefined;
  readonly all?: boolean | undefined;
}

export function printReport(report: Report, values: OutputOptions): number {
  const text = values.json ? renderJson(report) : values.markdown ? renderMarkdown(report) : renderTable(report, values.all === true);
  process.stdout.write(text);
  return exitCodeOf(report);
}
