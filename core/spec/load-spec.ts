// Loading a spec: text → safe YAML → schema → rules → a normalised Spec, or every problem found,
// each at its file, line and column. Pure: the caller reads the file.
import { sortProblems, type SpecProblem } from "../problems";
import { applySpecRules, type Spec } from "./rules";
import { checkAgainstSchema } from "./schema-check";
import { MAX_FILE_BYTES, parseYamlSafely } from "./yaml-source";

export type { MailboxDeclaration, Spec, Mode } from "./rules";

/** The outcome of loading a spec: the spec when there is no problem, else the problems. */
export type LoadResult =
  | { readonly ok: true; readonly spec: Spec; readonly problems: readonly [] }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] };

/** Parses and validates a spec's text. `file` is the path shown in messages. */
export function loadSpecText(file: string, text: string): LoadResult {
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
  // Both stages see a bad address; report each place once, in the schema stage's words.
  const placesWithSchemaProblems = new Set(schemaProblems.map((p) => JSON.stringify(p.path)));
  const problems = [...schemaProblems, ...ruleProblems.filter((p) => !placesWithSchemaProblems.has(JSON.stringify(p.path)))];
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, spec, problems: [] };
}

/**
 * Decodes a spec file's bytes (UTF-8 only) and loads it. A file in another encoding gets a
 * problem rather than garbled addresses.
 */
export function loadSpecBytes(file: string, bytes: Uint8Array): LoadResult {
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
  return loadSpecText(file, text);
}
