// `mailbox-addresses expand [--policy NAME] [-o FILE]`: the stack's spec with its policies
// expanded against the stack's tenant (attributes read in one pass), printed as an explicit spec
// in which each line names the policy that gave it (core/policy/render-expansion.ts). A pull
// request shows what a two-line policy change does to every mailbox. Exit 0: expanded; 1: problems.
import { formatProblem } from "../core/problems";
import { loadSpecBytes } from "../core/desired/load-spec";
import { renderExpansion } from "../core/policy/render-expansion";
import { expandPolicies } from "../core/policy/expand-policies";
import { expandSpec } from "../reconcile/expand-spec";
import { didYouMean } from "../core/did-you-mean";
import { CliError } from "./cli-error";
import { openBackend } from "./open-backend";
import { writeOutput } from "./report-output";
import { readStackSettings, readStackSpec, type StackFlags } from "./stack-settings";

export interface ExpandOptions extends StackFlags {
  readonly policy?: string;
  readonly output?: string;
  readonly quiet?: boolean;
}

export async function runExpand(options: ExpandOptions): Promise<number> {
  const settings = await readStackSettings(options);
  const loaded = loadSpecBytes(settings.spec, readStackSpec(settings, typeof options.spec === "string"), {
    policies: true,
  });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  const spec = loaded.spec;
  const names = (spec.policies ?? []).map((p) => p.name);
  const policy =
    options.policy === undefined ? undefined : names.find((n) => n.toLowerCase() === options.policy!.toLowerCase());
  if (options.policy !== undefined && policy === undefined) {
    throw new CliError(
      names.length === 0
        ? `--policy ${options.policy}: the spec ${settings.spec} has no policies`
        : `--policy ${options.policy}: the spec ${settings.spec} has no such policy${didYouMean(options.policy, names)}; its policies: ${names.join(", ")}`,
    );
  }
  const backend = openBackend(settings.target, settings.root, () => undefined);
  let text: string;
  try {
    const expanded = await expandSpec(spec, backend);
    if (expanded.problems.length > 0) {
      for (const problem of expanded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
      const n = expanded.problems.length;
      process.stderr.write(
        `${settings.spec}: ${n === 1 ? "1 problem" : `${n} problems`} expanding the policies; nothing was written\n`,
      );
      return 1;
    }
    const expansion = expanded.expansion ?? expandPolicies(spec, []);
    text = renderExpansion(expansion, {
      from: settings.spec,
      allowedDomains: spec.allowedDomains,
      ...(policy !== undefined ? { policy } : {}),
    });
    if (!options.quiet) {
      const byPolicy = expansion.entries.filter(
        (e) => e.origin.kind === "policy" && (policy === undefined || e.origin.policies.includes(policy)),
      ).length;
      // An explicit entry wins over every policy that matches its mailbox: say so, not silently.
      const overriding = expansion.entries.filter(
        (e) => e.origin.kind === "explicit" && e.origin.overrides !== undefined,
      );
      const overrideText =
        overriding.length === 0
          ? ""
          : `; ${overriding.length} explicit ${overriding.length === 1 ? "entry overrides" : "entries override"} a policy (${overriding
              .slice(0, 5)
              .map((e) => e.declaration.identity)
              .join(", ")}${overriding.length > 5 ? ", …" : ""})`;
      process.stderr.write(
        `expanded ${names.length} ${names.length === 1 ? "policy" : "policies"} against the ${backend.description}: ${byPolicy} ${byPolicy === 1 ? "mailbox" : "mailboxes"} by ${policy === undefined ? "policies" : `policy ${policy}`}${overrideText}${options.output ? `, written to ${options.output}` : ""}\n`,
      );
    }
  } finally {
    await backend.close();
  }
  writeOutput(options.output, text);
  return 0;
}
