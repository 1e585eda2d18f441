// Errors that are part of the job (a bad file, setting, credential, store or connection, a
// refusal): told to an admin in their own words, never with a stack trace. Anything else is a bug
// and keeps its stack.
import { safeMessage, withoutStackTrace } from "../core/text";

export const EXPECTED_ERROR_NAMES: ReadonlySet<string> = new Set([
  "SpecFileError",
  "SpecError",
  "TenantStoreError",
  "SettingsError",
  "AccessError",
  "CredentialSetupError",
  "TenantNotFoundError",
  "ConnectionError",
  "ExchangeError",
  "HttpError",
  "TransportError",
  "MailboxError",
  "DirectoryError",
  "UpnError",
]);

export function isExpectedError(err: unknown): err is Error {
  return err instanceof Error && EXPECTED_ERROR_NAMES.has(err.name);
}

/** An expected error's message, escaped and without any stack trace that crept into it. */
export function describeExpected(err: Error): string {
  return safeMessage(withoutStackTrace(err.message), { multiline: true });
}
