// Errors the tool expects (a typo, a missing stack, a refused setting, a credential that is not
// set): shown as one message saying what and what to do, exit code 1, never a stack trace.

import { describeExpected, isExpectedError, MailboxAddressesError } from "../core/errors";

/** An expected error of the tool itself. */
export class CliError extends MailboxAddressesError {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * @azure/identity's errors that already say what and what to do (a credential that is not set or
 * not accepted): shown like the tool's own expected errors (core/errors.ts), which say so themselves.
 */
const EXPECTED_FOREIGN = new Set([
  "AuthenticationRequiredError",
  "CredentialUnavailableError",
  "AggregateAuthenticationError",
]);

/** What to print for an error: one message, the stack only with --verbose. */
export function describeError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `error: ${String(err)}\n`;
  const expected = isExpectedError(err) || EXPECTED_FOREIGN.has(err.name) || EXPECTED_FOREIGN.has(err.constructor.name);
  // Expected errors' messages are escaped and cut (they may quote a file's content or a value).
  const message = (expected ? describeExpected(err) : err.message).trim() || err.name;
  if (verbose) return `error: ${message}\n${err.stack ?? ""}\n`;
  return `error: ${message}\n${expected ? "" : "(an unexpected error: run again with --verbose to see where it came from)\n"}`;
}
