// What an admin should do about each refusal from Exchange. One place, used by the preview
// checks, the provider and the CLI, so the advice reads the same everywhere. Each remedy fits the
// recipient's kind when it is known: `cloudManaged: true` (Set-Mailbox -IsExchangeCloudManaged) is
// offered to mailboxes only, since preflight refuses it for every other kind
// (exchange/exchange-rules.ts, RECIPIENT_KINDS[kind].cloudManageable; docs/RECIPIENT-KINDS.md).
import { RECIPIENT_KINDS, type ExchangeErrorCode, type RecipientKind } from "../exchange/exchange-rules";
import { MAX_PROXY_ADDRESSES } from "../core/address";

export interface RemedyContext {
  readonly identity: string;
  readonly address?: string | undefined;
  readonly owner?: string | undefined;
  /** The recipient's kind, where known (RecipientTypeDetails); unknown: the advice covers every kind. */
  readonly kind?: RecipientKind | string | undefined;
}

const ON_PREMISES =
  "change proxyAddresses in AD (write SMTP: in capitals for the primary) and let Entra Connect sync it";

function writeScopeRemedy(kind: RecipientKind | undefined): string {
  if (kind === undefined) {
    return (
      `this recipient is synced from on-premises AD. Either ${ON_PREMISES}, or, for a mailbox (user, shared, room, equipment) only, ` +
      "move its Exchange attributes to the cloud: set `cloudManaged: true` on it in the spec (runs Set-Mailbox -IsExchangeCloudManaged $true; needs Entra Connect 2.5.76.0 or later)"
    );
  }
  const facts = RECIPIENT_KINDS[kind];
  if (!facts.cloudManageable) {
    // A synced group, mail user or contact: AD is the only place its addresses can change.
    return `this ${facts.noun} is synced from on-premises AD, where its addresses are mastered: ${ON_PREMISES} (\`cloudManaged\` applies to mailboxes only)`;
  }
  return (
    `this ${facts.noun} is synced from on-premises AD. Either ${ON_PREMISES}, ` +
    "or move its Exchange attributes to the cloud: set `cloudManaged: true` on it in the spec (runs Set-Mailbox -IsExchangeCloudManaged $true; needs Entra Connect 2.5.76.0 or later)"
  );
}

export function remedyFor(code: ExchangeErrorCode, context: RemedyContext): string {
  const kind =
    context.kind !== undefined && context.kind in RECIPIENT_KINDS ? (context.kind as RecipientKind) : undefined;
  const noun = kind === undefined ? "recipient" : RECIPIENT_KINDS[kind].noun;
  switch (code) {
    case "ProxyAddressExists":
      return context.owner
        ? `remove "${context.address}" from "${context.owner}" first (that recipient is not in the spec), or drop it from this ${noun} in the spec`
        : `free "${context.address}" first, or drop it from the spec`;
    case "NotAcceptedDomain":
      return "add the domain to the tenant's accepted domains (Exchange admin center > Mail flow > Accepted domains), or fix the address";
    case "WriteScope":
      return writeScopeRemedy(kind);
    case "MoeraRemoval":
      return "keep the address: the tenant's routing address (MOERA) cannot be removed; the tool never removes it itself";
    case "NotFound":
      return "check the identity (a user principal name or Entra object id); the mailbox may have been renamed or deleted";
    case "InvalidAddress":
      return "fix the address in the spec";
    case "PrimaryAddressCount":
      return `give the ${noun} exactly one primary address`;
    case "TooManyAddresses":
      return `remove aliases: a recipient holds at most ${MAX_PROXY_ADDRESSES} addresses`;
  }
}
