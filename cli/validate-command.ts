// `mailbox-addresses validate <file>...`: checks spec files without Pulumi or a tenant. Several
// files are shards of one tenant (one stack each): a mailbox and an address belong to one of them.
import { formatProblem } from "../core/problems";
import { checkAcrossShards } from "../core/spec/across-shards";
import { loadSpecBytes, type Spec } from "../core/spec/load-spec";
import { findProjectRoot } from "../runtime/project-root";
import { readSpecFile, SpecFileError } from "../runtime/spec-file";
import { count } from "./progress";

export function runValidate(files: readonly string[]): number {
  if (files.length === 0) {
    process.stderr.write("usage: mailbox-addresses validate <spec.yaml>...\n");
    return 1;
  }
  let failed = false;
  const valid: Spec[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readSpecFile(file, { root: findProjectRoot(), explicit: true });
    } catch (err) {
      if (!SpecFileError.isInstance(err)) throw err;
      process.stderr.write(`${err.message}\n`);
      failed = true;
      continue;
    }
    // Policies are checked here (templates, domains, names); `expand` shows what they give a tenant.
    const result = loadSpecBytes(file, bytes, { policies: true });
    if (result.ok) {
      valid.push(result.spec);
      const policies = result.spec.policies?.length ?? 0;
      process.stdout.write(`${file}: valid (${count(result.spec.mailboxes.length, "mailbox", "mailboxes")}${policies > 0 ? `, ${policies} ${policies === 1 ? "policy" : "policies"}` : ""})\n`);
    } else {
      failed = true;
      for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      const count = result.problems.length === 1 ? "1 problem" : `${result.problems.length} problems`;
      process.stderr.write(`${file}: ${count}\n`);
    }
  }
  const across = checkAcrossShards(valid);
  for (const problem of across) process.stderr.write(`${formatProblem(problem)}\n`);
  if (across.length > 0) process.stderr.write(`${across.length === 1 ? "1 problem" : `${across.length} problems`} across the files\n`);
  return failed || across.length > 0 ? 1 : 0;
}
