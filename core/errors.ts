// The tool's errors are one family, as Azure's RestError and Pulumi's RunError are: each says
// whether it is expected (part of the job: a bad file, setting, credential, store or connection, a
// refusal), told to an admin as one message in their own words and never with a stack trace, or
// not (a bug, which keeps its stack). The property decides, not the class's name or prototype: a
// provider loaded from an installed package and a program in this checkout hold two copies of
// these classes, so `instanceof` cannot tell across them.
import { safeMessage, withoutStackTrace } from "./text";

/** Where an error happened and what to do about it, as far as the thrower knows. */
export interface ErrorContext {
  /** The mailbox (the spec's key, or the identity asked for). */
  readonly mailbox?: string;
  /** The address concerned. */
  readonly address?: string;
  /** The file concerned, or where in it: `file:line:col`. */
  readonly file?: string;
  /** What to do, in an admin's words. */
  readonly remedy?: string;
}

/**
 * What every error of the family carries. The HTTP pipeline's errors extend Azure's RestError
 * (its retry policies and callers test for it) and implement this instead of extending the class.
 */
export interface FamilyError extends Error, ErrorContext {
  /** True for a problem the tool expects and words for an admin; false for a bug. */
  readonly expected: boolean;
}

export interface FamilyErrorOptions extends ErrorContext {
  /** Defaults to true: most of the family are problems the tool expects. */
  readonly expected?: boolean;
  readonly cause?: unknown;
}

/** The base of the tool's errors: a message, whether it is expected, and its context. */
export class MailboxAddressesError extends Error implements FamilyError {
  readonly expected: boolean;
  readonly mailbox?: string;
  readonly address?: string;
  readonly file?: string;
  readonly remedy?: string;

  constructor(message: string, options: FamilyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MailboxAddressesError";
    this.expected = options.expected ?? true;
    if (options.mailbox !== undefined) this.mailbox = options.mailbox;
    if (options.address !== undefined) this.address = options.address;
    if (options.file !== undefined) this.file = options.file;
    if (options.remedy !== undefined) this.remedy = options.remedy;
  }
}

/** True for an error of the family that the tool expects, also from another copy of this module. */
export function isExpectedError(err: unknown): err is FamilyError {
  return err instanceof Error && (err as Partial<FamilyError>).expected === true;
}

/** An expected error's message, escaped and without any stack trace that crept into it. */
export function describeExpected(err: Error): string {
  return safeMessage(withoutStackTrace(err.message), { multiline: true });
}
