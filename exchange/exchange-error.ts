// The error a tenant (local, emulated or real) raises when Exchange refuses a change: Exchange's
// code and message, and which recipient and address it concerns.
import type { AddressOwner, ExchangeErrorCode, RuleViolation } from "./exchange-rules";

export class ExchangeError extends Error {
  readonly code: ExchangeErrorCode;
  /** The identity the operation was asked for. */
  readonly identity: string;
  readonly address: string | undefined;
  readonly owner: AddressOwner | undefined;
  /** Every rule the change broke; `message` is the first. */
  readonly violations: readonly RuleViolation[];

  constructor(identity: string, violations: readonly RuleViolation[]) {
    const first = violations[0]!;
    super(first.message);
    this.name = "ExchangeError";
    this.code = first.code;
    this.identity = identity;
    this.address = first.address;
    this.owner = first.owner;
    this.violations = violations;
    Object.setPrototypeOf(this, ExchangeError.prototype);
  }

  /** True for an ExchangeError, also when two copies of this module are loaded. */
  static isInstance(value: unknown): value is ExchangeError {
    return value instanceof Error && value.name === "ExchangeError" && typeof (value as ExchangeError).code === "string";
  }
}
