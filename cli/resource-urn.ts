// A Pulumi URN read by its parts, so the tool finds its resources by their type wherever a program
// declares them: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, where the qualified
// type is the parents' types and the resource's own joined by `$` (a MailboxAddresses under a
// component is `…::mailbox-addresses:index:MailboxAddressSpec$pulumi-nodejs:dynamic/mailbox:MailboxAddresses::…`).
// Stack, project and types never contain `::`; the name may, so it is everything after the third.

/** The type of one mailbox's address set (providers/mailbox-addresses/resource.ts). */
export const RESOURCE_TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";
/** The component a program of one's own (and `init`'s) declares the spec with: infra/mailbox-address-spec.ts. */
export const COMPONENT_TYPE = "mailbox-addresses:index:MailboxAddressSpec";
/** The stack's own entry: a program of this checkout reports the spec's declaration there. */
export const STACK_TYPE = "pulumi:pulumi:Stack";

/** The parts of a URN, or undefined when the text is not one. */
export interface ParsedUrn {
  readonly stack: string;
  readonly project: string;
  /** The resource's own type (the last of the qualified type). */
  readonly type: string;
  /** The parents' types, outermost first. */
  readonly parentTypes: readonly string[];
  readonly name: string;
}

export function parseUrn(urn: string): ParsedUrn | undefined {
  const prefix = "urn:pulumi:";
  if (!urn.startsWith(prefix)) return undefined;
  const parts = urn.slice(prefix.length).split("::");
  if (parts.length < 4) return undefined;
  const [stack, project, qualified] = parts as [string, string, string];
  const types = qualified.split("$");
  return {
    stack,
    project,
    type: types[types.length - 1]!,
    parentTypes: types.slice(0, -1),
    name: parts.slice(3).join("::"),
  };
}

/** The resource's own type, whatever its parents. */
export function typeOfUrn(urn: string): string | undefined {
  return parseUrn(urn)?.type;
}

/** The resource's name (after the qualified type), or the text after the last `::` when it is not a URN. */
export function nameOfUrn(urn: string): string {
  return parseUrn(urn)?.name ?? urn.slice(urn.lastIndexOf("::") + 2);
}
