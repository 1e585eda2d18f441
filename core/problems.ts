import { quote, safeMessage } from "./text";
import { MailboxAddressesError } from "./errors";

// Problems found in a spec file: where (file, line, column, path inside the document) and what
// to do about it. Every validation error an admin sees is one of these.

/** A place in a source file, 1-based like an editor shows it. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/** A path inside the document, as keys and indexes: `["mailboxes", "sales@contoso.com", "aliases", 1]`. */
export type DocumentPath = readonly (string | number)[];

/** One problem in a spec file. */
export interface SpecProblem {
  readonly file: string;
  readonly position: SourcePosition;
  readonly path: DocumentPath;
  /** What is wrong and what to do, in an admin's words. */
  readonly message: string;
}

/**
 * Renders a path the way an admin reads it: `mailboxes["sales@contoso.com"].aliases[1]`.
 * Mailbox identities are always quoted: they contain dots and `@`.
 */
export function formatPath(path: DocumentPath): string {
  let out = "";
  path.forEach((segment, i) => {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (i > 0 && path[i - 1] === "mailboxes" && i === 1) out += `[${quote(segment)}]`;
    else out += out === "" ? safeMessage(segment, { max: 80 }) : `.${safeMessage(segment, { max: 80 })}`;
  });
  return out;
}

/** `file:line:col: path: message`, the one format every spec problem is printed in. */
export function formatProblem(problem: SpecProblem): string {
  const where = `${safeMessage(problem.file, { max: 200 })}:${problem.position.line}:${problem.position.col}`;
  const path = formatPath(problem.path);
  // The message's values are quoted where it was made; this escapes whatever was not.
  const message = safeMessage(problem.message);
  return path === "" ? `${where}: ${message}` : `${where}: ${path}: ${message}`;
}

/** Orders problems by position, so a long list reads top to bottom like the file. */
export function sortProblems(problems: readonly SpecProblem[]): SpecProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.position.line - b.position.line || a.position.col - b.position.col || a.message.localeCompare(b.message),
  );
}

/**
 * Thrown where a caller needs an exception (the Pulumi program, the CLI); carries every problem,
 * never only the first.
 */
export class SpecError extends MailboxAddressesError {
  readonly problems: readonly SpecProblem[];

  constructor(problems: readonly SpecProblem[]) {
    const sorted = sortProblems(problems);
    const count = sorted.length === 1 ? "1 problem" : `${sorted.length} problems`;
    super(`${count} in the spec; nothing was changed:\n${sorted.map(formatProblem).join("\n")}`);
    this.name = "SpecError";
    this.problems = sorted;
  }

  /** True for a SpecError, also when two copies of this module are loaded. */
  static isInstance(value: unknown): value is SpecError {
    return value instanceof Error && value.name === "SpecError" && Array.isArray((value as SpecError).problems);
  }
}
