// The inputs and outputs of the MailboxAddresses resource, and the check of its inputs. Inputs hold
// what the spec wants for one mailbox, nothing else: the tenant, the app and tuning knobs are the
// provider's settings (the stack's config, read in configure), so changing them never shows as a
// change to 300 mailboxes, and no credential or endpoint is ever stored per resource.
import { addressKey, normalizeAddress, parseProxyAddress } from "../../core/address";
import type { AddressMap } from "../../core/plan/address-map";
import type { Mode } from "../../core/desired/rules";

/**
 * Addresses this mailbox holds that the spec gives to another mailbox: address (lower case) →
 * the mailbox it moves to. Removed even in additive mode. Present only while the move is pending.
 */
export type AddressReleases = Readonly<Record<string, string>>;

/** What the spec wants for one mailbox. */
export interface MailboxAddressesInputs {
  /** UPN or Entra object id, as the spec's key. */
  readonly identity: string;
  /** The managed SMTP addresses: lower-case address → `SMTP:Primary@…` or `smtp:alias@…`. */
  readonly addresses: AddressMap;
  readonly mode: Mode;
  /** Present (true) only when the spec asks to move the mailbox's Exchange attributes to the cloud. */
  readonly cloudManaged?: boolean;
  readonly releases?: AddressReleases;
  /** Addresses to take from a mailbox in a cycle, before this mailbox's own write. */
  readonly takeFrom?: readonly TakeFrom[];
  /**
   * The user principal name the spec asks for (`userPrincipalName`), present only when the spec
   * manages it; written after the addresses (Graph PATCH /users/{id}). In the state after a read:
   * the live UPN, so the engine's diff shows the change.
   */
  readonly upn?: string;
  /**
   * Addresses in an international domain the spec opted in to (`internationalDomains`): the
   * address as written (lower case, A-label) → as the spec's reader reads it (U-label). Present
   * only when the mailbox has one; shown by `pulumi preview --diff` beside `addresses`, never
   * written, never a change by itself.
   */
  readonly internationalForms?: Readonly<Record<string, string>>;
}

/**
 * What the resource records after reading or writing the mailbox. `addresses` is then the live
 * managed set (what the mailbox has, in the inputs' shape), so that the engine's diff of outputs
 * after an apply, and of refreshed inputs before one, name the addresses that change. A refresh
 * makes the refreshed inputs from these (the provider's read is given the outputs only), so they
 * hold the inputs' fields, but not a move's `releases` and `takeFrom` (since 0.2; a state written
 * before may hold them, and the mailbox's object id, display name and recipient type, which the
 * first refresh drops: the object id is the resource's id).
 */
export interface MailboxAddressesOutputs extends MailboxAddressesInputs {
  /**
   * The live user principal name, when the spec does not manage it (else `upn` holds it) and it is
   * not the identity (absent: the identity is the UPN). Present always in a state before 0.2.
   */
  readonly userPrincipalName?: string;
  /** Live entries the spec does not manage, kept untouched: non-SMTP, routing (MOERA), additive mode. */
  readonly kept: AddressMap;
  /**
   * What the stack last applied: the mailbox's list (`addresses` then `kept` entries) after the
   * tool last wrote it, or last found it as the stack's spec asks. A refresh (an up's, a refused
   * `apply --plan`'s, a standalone `pulumi refresh`) carries it over unchanged while `addresses`
   * and `kept` take the live read, so a change made in the tenant outside git stays told apart
   * from the spec's (core/plan/change-causes.ts). Absent when it is the live list the outputs
   * hold (`addresses` then `kept`, in that order), as after every write, and in a state written by
   * 0.1: the live set is the record then (core/plan/address-map.ts `recordOf`).
   */
  readonly applied?: readonly string[];
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

/** Pulumi's check failure: the input property and why it is refused. */
export type CheckFailure = import("@pulumi/pulumi").dynamic.CheckFailure;

/**
 * Checks a resource's inputs. The program validates the spec before declaring anything; this
 * guards the provider's own contract (a program written by hand, a state edited by hand).
 */
export function checkMailboxInputs(news: Partial<MailboxAddressesInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (typeof news.identity !== "string" || news.identity.trim() === "") {
    failures.push({ property: "identity", reason: "identity must be a user principal name or an Entra object id" });
  }
  if (news.addresses === null || typeof news.addresses !== "object" || Array.isArray(news.addresses)) {
    failures.push({
      property: "addresses",
      reason: 'addresses must map each address to "SMTP:<address>" (the primary) or "smtp:<address>" (an alias)',
    });
  } else {
    let primaries = 0;
    for (const [key, entry] of Object.entries(news.addresses)) {
      const parsed = typeof entry === "string" ? parseProxyAddress(entry) : undefined;
      // An international domain reached here only through a spec that opted in to it (core/desired/rules.ts).
      const normalized =
        parsed?.kind === "smtp" ? normalizeAddress(parsed.value, { internationalDomains: "any" }) : undefined;
      if (parsed === undefined || parsed.kind !== "smtp" || !entry.startsWith(parsed.primary ? "SMTP:" : "smtp:")) {
        failures.push({ property: "addresses", reason: `"${key}": must be "SMTP:<address>" or "smtp:<address>"` });
      } else if (normalized !== undefined && !normalized.ok) {
        failures.push({ property: "addresses", reason: `"${key}": ${normalized.reason}` });
      } else if (normalized !== undefined && normalized.address !== parsed.value) {
        failures.push({
          property: "addresses",
          reason: `"${key}": an international domain is written as its A-label, in lower case ("${normalized.address}")`,
        });
      } else if (addressKey(parsed.value) !== key) {
        failures.push({
          property: "addresses",
          reason: `"${key}": the key must be the address in lower case ("${addressKey(parsed.value)}")`,
        });
      }
      if (parsed?.primary) primaries++;
    }
    if (primaries !== 1)
      failures.push({
        property: "addresses",
        reason: `exactly one address must be the primary ("SMTP:"); found ${primaries}`,
      });
  }
  if (news.mode !== "strict" && news.mode !== "additive") {
    failures.push({ property: "mode", reason: 'mode must be "strict" or "additive"' });
  }
  if (news.upn !== undefined && (typeof news.upn !== "string" || !/^[^\s@]+@[^\s@]+$/.test(news.upn))) {
    failures.push({ property: "upn", reason: "upn must be a user principal name (name@domain)" });
  }
  return failures;
}
