// The error a tenant (local, emulated or real) raises when Exchange refuses a change: Exchange's
// code and message, and which recipient and address it concerns.
import type { AddressOwner, ExchangeErrorCode, RuleViolation } from "./exchange-rules";
import { MailboxAddressesError } from "../core/errors";

export class ExchangeError extends MailboxAddressesError {
  readonly code: ExchangeErrorCode;
  /** The identity the operation was asked for. */
  readonly identity: string;
  declare readonly address: string | undefined;
  readonly owner: AddressOwner | undefined;
  /** Every rule the change broke; `message` is the first. */
  readonly violations: readonly RuleViolation[];

  constructor(identity: string, violations: readonly RuleViolation[]) {
    const first = violations[0]!;
    super(first.message, { mailbox: identity, ...(first.address === undefined ? {} : { address: first.address }) });
    this.name = "ExchangeError";
    this.code = first.code;
    this.identity = identity;
    this.owner = first.owner;
    this.violations = violations;
  }

  /** True for an ExchangeError, also when two copies of this module are loaded. */
  static isInstance(value: unknown): value is ExchangeError {
    return (
      value instanceof Error && value.name === "ExchangeError" && typeof (value as ExchangeError).code === "string"
    );
  }
}
