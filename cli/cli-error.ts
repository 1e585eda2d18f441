// Errors the tool expects (a typo, a missing stack, a refused setting, a credential that is not
// set): shown as one message saying what and what to do, exit code 1, never a stack trace.

import { describeExpected, EXPECTED_ERROR_NAMES } from "../reconcile/expected-errors";

/** An expected error of the tool itself. */
export class CliError extends Error {
  override readonly name = "CliError";
}

/**
 * Errors that already say what and what to do, raised below the CLI (the tenant's rules, the
 * credentials, permissions, retries given up): shown like a CliError.
 */
const EXPECTED = new Set(["CliError", "AuthenticationRequiredError", "CredentialUnavailableError", "AggregateAuthenticationError", ...EXPECTED_ERROR_NAMES]);

/** What to print for an error: one message, the stack only with --verbose. */
export function describeError(err: unknown, verbose: boolean): string {
  if (!(err instanceof Error)) return `error: ${String(err)}\n`;
  const expected = EXPECTED.has(err.name) || EXPECTED.has(err.constructor.name);
  // Expected errors' messages are escaped and cut (they may quote a file's content or a value).
  const message = (expected ? describeExpected(err) : err.message).trim() || err.name;
  if (verbose) return `error: ${message}\n${err.stack ?? ""}\n`;
  return `error: ${message}\n${expected ? "" : "(an unexpected error: run again with --verbose to see where it came from)\n"}`;
}
