// Where in the spec a mailbox, or one of its addresses, is written: for messages at file:line:col.
import { addressKey } from "../address";
import type { DocumentPath, SourcePosition, SpecProblem } from "../problems";
import type { MailboxDeclaration } from "./rules";

/** Where in the spec a mailbox's address (or, without one, the mailbox itself) is written. */
export function placeOf(
  mailbox: MailboxDeclaration,
  address: string | undefined,
): { path: DocumentPath; position: SourcePosition; role: string } {
  const base: DocumentPath = ["mailboxes", mailbox.identity];
  if (address !== undefined) {
    if (addressKey(address) === addressKey(mailbox.primary))
      return { path: [...base, "primary"], position: mailbox.source.primary, role: "primary" };
    const i = mailbox.aliases.findIndex((a) => addressKey(a) === addressKey(address));
    if (i >= 0) return { path: [...base, "aliases", i], position: mailbox.source.aliases[i]!, role: "alias" };
  }
  return { path: base, position: mailbox.source.identity, role: "mailbox" };
}

/**
 * A problem at a mailbox of the spec in `file`, or at one of its addresses, placed where it is
 * written; `field` names a key under the mailbox (`userPrincipalName`).
 */
export function problemAt(
  file: string,
  mailbox: MailboxDeclaration,
  address: string | undefined,
  message: string,
  field?: string,
): SpecProblem {
  const place = placeOf(mailbox, address);
  return { file, position: place.position, path: field === undefined ? place.path : [...place.path, field], message };
}
