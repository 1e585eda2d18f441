// Prints a drift or plan report in the format the flags ask for, and returns its exit code.
import { exitCodeOf, renderJson, renderMarkdown, renderTable, type Report } from "../core/report/report";

export const OUTPUT_FLAGS = {
  json: { type: "boolean" },
  markdown: { type: "boolean" },
  all: { type: "boolean" },
} as const;

export function printReport(report: Report, values: { json?: boolean | undefined; markdown?: boolean | undefined; all?: boolean | undefined }): number {
  const text = values.json ? renderJson(report) : values.markdown ? renderMarkdown(report) : renderTable(report, values.all === true);
  process.stdout.write(text);
  return exitCodeOf(report);
}
