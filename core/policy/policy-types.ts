// The model of an address policy once loaded from the spec: what it matches, the templates it
// fills in, and where each part is written (for messages at file:line:col). Pure types.
import type { SourcePosition } from "../problems";
import type { Mode } from "../desired/spec-types.generated";
import type { RecipientKind } from "../recipient-kind";
import type { AddressTemplate, TemplateAttributes } from "./template";

/** A template as written in the spec, parsed, with its place. */
export interface PlacedTemplate {
  readonly template: AddressTemplate;
  readonly path: readonly (string | number)[];
  readonly position: SourcePosition;
  /** Where each of `template.parts` is written: messages point at the variable to blame. */
  readonly partPositions: readonly SourcePosition[];
}

/** What a policy applies to. Criteria given all hold (and); values of one list are alternatives (or). */
export interface PolicyMatch {
  readonly all: boolean;
  readonly recipientTypes?: ReadonlySet<string>;
  /** Domains of the current primary, normalised. */
  readonly primaryDomains?: ReadonlySet<string>;
  readonly upn?: readonly RegExp[];
  readonly addresses?: readonly RegExp[];
  /** UPNs or object ids, lower-cased. */
  readonly identities?: ReadonlySet<string>;
  /** Lower-cased values. */
  readonly department?: ReadonlySet<string>;
  readonly company?: ReadonlySet<string>;
  readonly country?: ReadonlySet<string>;
}

/** How a policy resolves two mailboxes given one address. */
export type CollisionRule = "error" | "append-number";

/** One policy of the spec, validated. */
export interface PolicyDeclaration {
  readonly name: string;
  /** Its index in `policies` (the priority: lower first). */
  readonly index: number;
  readonly match: PolicyMatch;
  readonly primary: PlacedTemplate | undefined;
  readonly aliases: readonly PlacedTemplate[];
  readonly mode: Mode;
  readonly keepOldPrimary: boolean;
  readonly adds: boolean;
  readonly onCollision: CollisionRule;
  readonly userPrincipalName: "follows-primary" | undefined;
  readonly source: {
    readonly policy: SourcePosition;
    readonly name: SourcePosition;
    readonly keepOldPrimary: SourcePosition;
  };
}

/**
 * A mailbox as read from the tenant, in bulk, with the attributes policies read. The backend
 * fills it (Graph: givenName, surname, mailNickname, department, companyName, country; Exchange:
 * RecipientTypeDetails, EmailAddresses).
 */
export interface MailboxAttributes extends TemplateAttributes {
  /** The Entra object id: the stable key of a mailbox a policy manages (it survives a UPN change). */
  readonly id: string;
  readonly userPrincipalName?: string | undefined;
  /** Its kind (UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox). */
  readonly kind: RecipientKind;
  readonly department?: string | undefined;
  readonly company?: string | undefined;
  readonly country?: string | undefined;
  /** The live EmailAddresses, with prefixes. */
  readonly addresses: readonly string[];
}
