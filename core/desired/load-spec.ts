// Loading a spec: text → safe YAML → schema → rules → a normalised Spec, or every problem found,
// each at its file, line and column. Pure: the caller reads the file.
import { sortProblems, type SpecProblem } from "../problems";
import { applySpecRules, type Spec } from "./rules";
import { checkAgainstSchema } from "./schema-check";
import schema from "../../schemas/mailboxes.schema.json";
import { quote } from "../text";
import { countBlockEntries, MAX_FILE_BYTES, parseYamlSafely, type YamlSource } from "./yaml-source";

/** Most mailboxes in one file (the schema's `maxProperties`), checked before the document is built. */
export const MAX_MAILBOXES: number = schema.properties.mailboxes.maxProperties;

/** The keys a spec has at its top: a mapping with none of them is some other file. */
const SPEC_KEYS: ReadonlySet<string> = new Set(Object.keys(schema.properties));

export type { MailboxDeclaration, Spec, Mode } from "./rules";

/** The outcome of loading a spec: the spec when there is no problem, else the problems. */
export type LoadResult =
  | { readonly ok: true; readonly spec: Spec; readonly problems: readonly [] }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] };

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
  const counted = countBlockEntries(text, "mailboxes");
  if (counted !== undefined && counted.count > MAX_MAILBOXES) {
    const message = `has ${counted.count} mailboxes; the limit is ${MAX_MAILBOXES} per file: split the spec (one stack per file)`;
    return { ok: false, problems: [{ file, position: { line: counted.line, col: 1 }, path: ["mailboxes"], message }] };
  }
  const parsed = parseYamlSafely(file, text);
  if (!parsed.source) return { ok: false, problems: sortProblems(parsed.problems) };
  const data = parsed.source.toJS();
  if (data === null || data === undefined) {
    return {
      ok: false,
      problems: [
        {
          file,
          position: { line: 1, col: 1 },
          path: [],
          message: "the file is empty; a spec needs version, allowedDomains and mailboxes",
        },
      ],
    };
  }
  const notSpec = notASpec(data, text);
  if (notSpec !== undefined)
    return { ok: false, problems: [{ file, position: { line: 1, col: 1 }, path: [], message: notSpec }] };
  const schemaProblems = checkAgainstSchema(parsed.source, data);
  const { spec, problems: ruleProblems } = applySpecRules(parsed.source, data);
  // Both stages see a bad address or domain; report each place once, in the rules' words: they
  // name the character or construct and its column (core/address.ts), the schema's pattern only fails.
  const placesWithRuleProblems = new Set(ruleProblems.map((p) => JSON.stringify(p.path)));
  const problems = [
    ...schemaProblems.filter((p) => !placesWithRuleProblems.has(JSON.stringify(p.path))),
    ...ruleProblems,
  ];
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
      problems: [
        {
          file,
          position: { line: 1, col: 1 },
          path: [],
          message: `the file is ${mib(bytes.length)}; the limit is ${mib(MAX_FILE_BYTES)}. Split the tenant into several specs`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return {
      ok: false,
      problems: [
        { file, position: { line: 1, col: 1 }, path: [], message: "the file is not UTF-8 text; save it as UTF-8" },
      ],
    };
  }
  return loadSpecText(file, text, options);
}

const SPEC_SHAPE = "a spec is a mapping with version, allowedDomains and mailboxes";

/**
 * Why a document is some other file, not a spec with mistakes, in one message that names its type
 * and shape, never its content: a one-line secret (`DB_PASSWORD=…`) named as the spec was echoed
 * whole, and a link to /etc/shadow printed every line as an unknown key (issue 25). Undefined for
 * a mapping with at least one of a spec's keys (its mistakes are then told one by one).
 */
function notASpec(data: unknown, text: string): string | undefined {
  let lines = text.endsWith("\n") || text === "" ? 0 : 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  const size = `${lines === 1 ? "1 line" : `${lines} lines`}, ${text.length} characters`;
  if (Array.isArray(data)) return `the file is a list of ${data.length} entries (${size}), not a spec: ${SPEC_SHAPE}`;
  if (typeof data !== "object" || data === null)
    return `the file is ${typeof data === "string" ? "a string" : `a ${typeof data}`} (${size}), not a spec: ${SPEC_SHAPE}`;
  const keys = Object.keys(data);
  if (keys.length === 0 || keys.some((key) => SPEC_KEYS.has(key))) return undefined;
  // A short excerpt, escaped, so the admin can tell which file it is.
  return `the file is not a spec: none of its ${keys.length} top-level ${keys.length === 1 ? "key" : "keys"} is a spec's (the first begins ${quote(keys[0]!, 8)}; ${size}): ${SPEC_SHAPE}`;
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
    problems.push({
      file: spec.file,
      position: source.positionOf(path, true),
      path,
      message: `userPrincipalName ${NOT_APPLIED}; remove it for now`,
    });
  }
  return problems;
}
