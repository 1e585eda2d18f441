// Loading a spec: text → safe YAML → schema → rules → a normalised Spec, or every problem found,
// each at its file, line and column. Pure: the caller reads the file.
import { sortProblems, type SpecProblem } from "../problems";
import { applySpecRules, type Spec } from "./rules";
import { checkAgainstSchema } from "./schema-check";
import { MAX_FILE_BYTES, parseYamlSafely, type YamlSource } from "./yaml-source";

export type { MailboxDeclaration, Spec, Mode } from "./rules";

/** The outcome of loading a spec: the spec when there is no problem, else the problems. */
export type LoadResult = { readonly ok: true; readonly spec: Spec; readonly problems: readonly [] } | { readonly ok: false; readonly problems: readonly SpecProblem[] };

/** How a caller takes a spec. */
export interface LoadOptions {
  /**
   * The caller expands `policies` (core/policy/expand-policies.ts) and handles `userPrincipalName`.
   * Without it, a spec using either is refused at their lines: a program that ignored them would
   * preview and apply something other than what the file says (docs/POLICIES.md, "Left to do").
   */
  readonly policies?: boolean;
}

/** Parses and validates a spec's text. `file` is the path shown in messages. */
export function loadSpecText(file: string, text: string, options: LoadOptions = {}): LoadResult {
  const parsed = parseYamlSafely(file, text);
  if (!parsed.source) return { ok: false, problems: sortProblems(parsed.problems) };
  const data = parsed.source.toJS();
  if (data === null || data === undefined) {
    return {
      ok: false,
      problems: [{ file, position: { line: 1, col: 1 }, path: [], message: "the file is empty; a spec needs version, allowedDomains and mailboxes" }],
    };
  }
  const schemaProblems = checkAgainstSchema(parsed.source, data);
  const { spec, problems: ruleProblems } = applySpecRules(parsed.source, data);
  // Both stages see a bad address or domain; report each place once, in the rules' words: they
  // name the character or construct and its column (core/address.ts), the schema's pattern only fails.
  const placesWithRuleProblems = new Set(ruleProblems.map((p) => JSON.stringify(p.path)));
  const problems = [...schemaProblems.filter((p) => !placesWithRuleProblems.has(JSON.stringify(p.path))), ...ruleProblems];
  if (problems.length === 0 && !options.policies) problems.push(...unsupportedPolicyFields(parsed.source, spec, data));
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, spec, problems: [] };
}

/**
 * Decodes a spec file's bytes (UTF-8 only) and loads it. A file in another encoding gets a
 * problem rather than garbled addresses.
 */
export function loadSpecBytes(file: string, bytes: Uint8Array, options: LoadOptions = {}): LoadResult {
  if (bytes.length > MAX_FILE_BYTES) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    return {
      ok: false,
      problems: [{ file, position: { line: 1, col: 1 }, path: [], message: `the file is ${mib(bytes.length)}; the limit is ${mib(MAX_FILE_BYTES)}. Split the tenant into several specs` }],
    };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return {
      ok: false,
      problems: [{ file, position: { line: 1, col: 1 }, path: [], message: "the file is not UTF-8 text; save it as UTF-8" }],
    };
  }
  return loadSpecText(file, text, options);
}

const NOT_APPLIED = "is checked, but this command does not apply it yet (docs/POLICIES.md)";

/** The policy fields a caller without policy support must refuse, at their lines. */
function unsupportedPolicyFields(source: YamlSource, spec: Spec, data: unknown): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if ((spec.policies ?? []).length > 0) {
    problems.push({
      file: spec.file,
      position: source.positionOf(["policies"], true),
      path: ["policies"],
      message: `policies ${NOT_APPLIED}; write these mailboxes as explicit entries for now`,
    });
  }
  const written = Object.keys((data as { mailboxes?: Record<string, unknown> }).mailboxes ?? {});
  const rawKeys = new Map(written.map((key) => [key.trim(), key]));
  for (const mailbox of spec.mailboxes) {
    if (mailbox.userPrincipalName === undefined) continue;
    const rawKey = rawKeys.get(mailbox.identity) ?? mailbox.identity;
    const path = ["mailboxes", rawKey, "userPrincipalName"];
    problems.push({ file: spec.file, position: source.positionOf(path, true), path, message: `userPrincipalName ${NOT_APPLIED}; remove it for now` });
  }
  return problems;
}
