// `mailbox-addresses validate <file>...`: checks spec files without Pulumi or a tenant. Several
// files are shards of one tenant (one stack each): a mailbox and an address belong to one of them.
import { ADDRESS_NORMALIZATIONS } from "../core/address";
import { formatPath, formatProblem } from "../core/problems";
import { quote } from "../core/text";
import { checkAcrossShards } from "../core/desired/across-shards";
import { loadSpecBytes, type Spec } from "../core/desired/load-spec";
import { findProjectRoot } from "../runtime/project-root";
import { readSpecFile, SpecFileError } from "../runtime/spec-file";
import { count } from "./progress";

/** The one normalization table, as `validate --explain` prints it first. */
export function normalizationTable(): string {
  const width = Math.max(...ADDRESS_NORMALIZATIONS.map((n) => n.step.length));
  return [
    "What mailbox-addresses does to an address between the spec and the tenant (anything else that would need changing is refused, never rewritten):",
    ...ADDRESS_NORMALIZATIONS.map(
      (n) => `  ${n.step.padEnd(width)}  where: ${n.appliesTo}\n  ${" ".repeat(width)}  what: ${n.effect}`,
    ),
    "",
  ].join("\n");
}

/** `file:line:col: path: "written": step: result; step: result` for each address of a valid spec that a step applies to. */
function explainSpec(spec: Spec): string {
  const found = spec.normalizations ?? [];
  const lines = found.map(
    (n) =>
      `${spec.file}:${n.position.line}:${n.position.col}: ${formatPath(n.path)}: ${quote(n.written)}: ${n.steps.map((s) => `${s.step}: ${s.result}`).join("; ")}`,
  );
  const head =
    found.length === 0
      ? `${spec.file}: no address or domain a step applies to: each is written as spelled`
      : `${spec.file}: ${found.length === 1 ? "1 address or domain" : `${found.length} addresses or domains`} a step applies to:`;
  return `${[head, ...lines].join("\n")}\n`;
}

export function runValidate(files: readonly string[], options: { explain?: boolean } = {}): number {
  if (files.length === 0) {
    process.stderr.write("usage: mailbox-addresses validate [--explain] <spec.yaml>...\n");
    return 1;
  }
  if (options.explain) process.stdout.write(`${normalizationTable()}\n`);
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
      process.stdout.write(
        `${file}: valid (${count(result.spec.mailboxes.length, "mailbox", "mailboxes")}${policies > 0 ? `, ${policies} ${policies === 1 ? "policy" : "policies"}` : ""})\n`,
      );
      if (options.explain) process.stdout.write(explainSpec(result.spec));
    } else {
      failed = true;
      for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      const count = result.problems.length === 1 ? "1 problem" : `${result.problems.length} problems`;
      process.stderr.write(`${file}: ${count}\n`);
    }
  }
  const across = checkAcrossShards(valid);
  for (const problem of across) process.stderr.write(`${formatProblem(problem)}\n`);
  if (across.length > 0)
    process.stderr.write(`${across.length === 1 ? "1 problem" : `${across.length} problems`} across the files\n`);
  return failed || across.length > 0 ? 1 : 0;
}
