// `mailbox-addresses validate <file>...`: checks spec files without Pulumi or a tenant.
import { readFileSync } from "node:fs";
import { formatProblem } from "../core/problems";
import { loadSpecBytes } from "../core/spec/load-spec";

export function runValidate(files: readonly string[]): number {
  if (files.length === 0) {
    process.stderr.write("usage: mailbox-addresses validate <spec.yaml>...\n");
    return 1;
  }
  let failed = false;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      process.stderr.write(`${file}: cannot read the file: ${(err as Error).message}\n`);
      failed = true;
      continue;
    }
    const result = loadSpecBytes(file, bytes);
    if (result.ok) {
      process.stdout.write(`${file}: valid (${result.spec.mailboxes.length} mailboxes)\n`);
    } else {
      failed = true;
      for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      const count = result.problems.length === 1 ? "1 problem" : `${result.problems.length} problems`;
      process.stderr.write(`${file}: ${count}\n`);
    }
  }
  return failed ? 1 : 0;
}
