// The package's entry point, for Pulumi programs of your own (README, "In a Pulumi program of your
// own"): the spec as a component, the program as a function, and the resource for those who build
// their own declarations.
export {
  declareMailboxAddresses,
  MailboxAddressSpec,
  type DeclaredMailboxes,
  type DeepInput,
  type InlineMailbox,
  type InlineSpec,
  type MailboxAddressesState,
  type MailboxAddressSpecArgs,
} from "./infra/mailbox-address-spec";
export { MailboxAddresses, type MailboxAddressesArgs } from "./providers/mailbox-addresses/resource";
export type { MailboxAddressesInputs, MailboxAddressesOutputs } from "./providers/mailbox-addresses/inputs";
