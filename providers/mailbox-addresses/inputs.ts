// The inputs and outputs of the MailboxAddresses resource, and the check of its inputs. Inputs hold what the spec wants and non-secret target settings; never a credential.
import { addressKey, normalizeAddress } from "../../core/address";
import type { Mode } from "../../core/spec/rules";
import type { TargetSettings } from "../backend";

/** An address this mailbox holds and the spec gives to another mailbox. */
export interface AddressRelease {
  readonly address: string;
  readonly to: string;
}

/** What the spec wants for one mailbox. */
export interface MailboxAddressesInputs {
  /** UPN or Entra object id. */
  readonly identity: string;
  readonly primary: string;
  readonly aliases: readonly string[];
  readonly mode: Mode;
  readonly cloudManaged: boolean;
  /** Addresses it holds that the spec gives to other mailboxes (removed even in additive mode). */
  readonly releases?: readonly AddressRelease[];
  /** Addresses to take from a mailbox in a cycle, before this mailbox's own write. */
  readonly takeFrom?: readonly TakeFrom[];
  readonly target: TargetSettings;
  /** The spec file (relative to the project), for the provider's messages and refresh sweep; not diffed. */
  readonly spec?: string;
}

/** What the resource records after reading or writing the mailbox. */
export interface MailboxAddressesOutputs extends MailboxAddressesInputs {
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly recipientType: string;
  /** The mailbox's whole EmailAddresses list as last read from the tenant. */
  readonly emailAddresses: readonly string[];
  /** Entries kept although the spec does not list them (non-SMTP, routing, additive mode). */
  readonly preservedAddresses: readonly string[];
}

/**
 * Addresses this mailbox takes from another mailbox of the spec that is part of a cycle (two
 * mailboxes swapping addresses): before writing itself, it makes that mailbox let go of them
 * (a temporary primary is chosen there when its primary goes). Present only while the cycle is.
 */
export interface TakeFrom {
  readonly identity: string;
  readonly addresses: readonly string[];
  /** The giver's own desired primary and aliases, to choose its temporary primary. */
  readonly primary: string;
  readonly aliases: readonly string[];
}

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/**
 * Checks a resource's inputs. The program validates the spec before declaring anything; this
 * guards the provider's own contract (a program written by hand, a state edited by hand).
 */
export function checkMailboxInputs(news: Partial<MailboxAddressesInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (typeof news.identity !== "string" || news.identity.trim() === "") {
    failures.push({ property: "identity", reason: "identity must be a user principal name or an Entra object id" });
  }
  const checkAddress = (property: string, value: unknown) => {
    if (typeof value !== "string") {
      failures.push({ property, reason: "must be an email address" });
      return;
    }
    const result = normalizeAddress(value);
    if (!result.ok) failures.push({ property, reason: result.reason });
  };
  checkAddress("primary", news.primary);
  if (!Array.isArray(news.aliases)) {
    failures.push({ property: "aliases", reason: "aliases must be a list of email addresses" });
  } else {
    const seen = new Set<string>(typeof news.primary === "string" ? [addressKey(news.primary)] : []);
    for (const alias of news.aliases) {
      checkAddress("aliases", alias);
      if (typeof alias === "string") {
        if (seen.has(addressKey(alias))) failures.push({ property: "aliases", reason: `"${alias}" is listed twice (or repeats the primary)` });
        seen.add(addressKey(alias));
      }
    }
  }
  if (news.mode !== "strict" && news.mode !== "additive") {
    failures.push({ property: "mode", reason: 'mode must be "strict" or "additive"' });
  }
  if (news.target === undefined || (news.target.target !== "local" && news.target.target !== "exchange-online")) {
    failures.push({ property: "target", reason: 'target must be "local" or "exchange-online"' });
  }
  return failures;
}
