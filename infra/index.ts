// The Pulumi program of this project: the spec named by the stack's `spec` setting, declared
// (infra/mailbox-address-spec.ts); its stack outputs say which spec, tenant and how many mailboxes.
import { declareMailboxAddresses } from "./mailbox-address-spec";

export = () => declareMailboxAddresses();
