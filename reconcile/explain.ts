// What an admin should do about each refusal from Exchange. One place, used by the preview
// checks, the provider and the CLI, so the advice reads the same everywhere.
import type { ExchangeErrorCode } from "../exchange/exchange-rules";
import { MAX_PROXY_ADDRESSES } from "../core/address";

export function remedyFor(code: ExchangeErrorCode, context: { identity: string; address?: string; owner?: string }): string {
  switch (code) {
    case "ProxyAddressExists":
      return context.owner
        ? `remove "${context.address}" from "${context.owner}" first (that recipient is not in the spec), or drop it from this mailbox in the spec`
        : `free "${context.address}" first, or drop it from the spec`;
    case "NotAcceptedDomain":
      return "add the domain to the tenant's accepted domains (Exchange admin center > Mail flow > Accepted domains), or fix the address";
    case "WriteScope":
      return (
        "this mailbox is synced from on-premises AD. Either change proxyAddresses in AD (write SMTP: in capitals for the primary) and let Entra Connect sync it, " +
        "or move its Exchange attributes to the cloud: set `cloudManaged: true` on this mailbox in the spec (runs Set-Mailbox -IsExchangeCloudManaged $true; needs Entra Connect 2.5.76.0 or later)"
      );
    case "MoeraRemoval":
      return "keep the address: the tenant's routing address (MOERA) cannot be removed; the tool never removes it itself";
    case "NotFound":
      return "check the identity (a user principal name or Entra object id); the mailbox may have been renamed or deleted";
    case "InvalidAddress":
      return "fix the address in the spec";
    case "PrimaryAddressCount":
      return "give the mailbox exactly one primary address";
    case "TooManyAddresses":
      return `remove aliases: a recipient holds at most ${MAX_PROXY_ADDRESSES} addresses`;
  }
}
