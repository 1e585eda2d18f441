// The recipient kind, one name for one idea: the type every layer uses (the spec schema's
// `recipientKind`, Exchange's RecipientTypeDetails values) and the kind of a recipient nothing
// tells otherwise. What each kind is and does: exchange/exchange-rules.ts (`RECIPIENT_KINDS`).
import type { RecipientKind } from "./desired/spec-types.generated";

/**
 * Kinds of recipient that hold addresses: Exchange's RecipientTypeDetails values (Get-Recipient
 * -RecipientTypeDetails docs), as the spec's schema lists them (`recipientKind`, the one source;
 * the tenant seed's schema lists the same, test/unit/exchange/recipient-kinds.test.ts). Facts and
 * sources per kind: docs/RECIPIENT-KINDS.md.
 */
export type { RecipientKind };

/**
 * The kind of a recipient nothing tells otherwise: a user mailbox (a Graph user Exchange lists
 * under no other kind, a row whose kind this project does not hold).
 */
export const DEFAULT_RECIPIENT_KIND: RecipientKind = "UserMailbox";
