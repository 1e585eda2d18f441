// The Pulumi resource: MailboxAddresses, one per mailbox in the spec. Its provider is what
// Pulumi serializes into the state (`__provider`, twice per resource), so it is kept to a few
// lines: each method loads
// ./implementation.js from the project at call time. They capture no module, client, config or
// secret; `MAILBOX_ADDRESSES_ROOT` overrides where the project is (default: found upwards from
// the directory Pulumi starts the provider in).
import * as pulumi from "@pulumi/pulumi";
import type { TargetSettings } from "../backend";
import type { AddressRelease, TakeFrom } from "./inputs";

/**
 * One provider object for all resources: Pulumi serializes it once per process, and stores it
 * twice per resource, so every byte here counts 2 × N in the state (the scale benchmark measures
 * it). No delete: releasing a mailbox from the spec leaves it as it is, which is what the engine
 * does without one.
 */
const mailboxProvider: pulumi.dynamic.ResourceProvider = {
  configure: (r) => load().configureProvider(r),
  check: (o, n) => load().checkMailbox(o, n),
  diff: (i, o, n) => load().diffMailbox(i, o, n),
  create: (n) => load().createMailbox(n),
  read: (i, p) => load().readMailbox(i, p),
  update: (i, o, n) => load().updateMailbox(i, o, n),
};

// Pulumi starts the provider in the program's directory (dist/infra): look upwards.
function load(): typeof import("./implementation") {
  const p = require("path"), f = require("fs"), m = "dist/providers/mailbox-addresses/implementation.js";
  for (let d = process.env.MAILBOX_ADDRESSES_ROOT || process.cwd(); ; d = p.dirname(d)) {
    if (f.existsSync(p.join(d, m))) return require(p.join(d, m));
    if (p.dirname(d) == d) throw new Error(m + " not found above " + process.cwd() + ": build the project (npm run build)");
  }
}

export interface MailboxAddressesArgs {
  identity: pulumi.Input<string>;
  primary: pulumi.Input<string>;
  aliases: pulumi.Input<pulumi.Input<string>[]>;
  mode: pulumi.Input<"strict" | "additive">;
  cloudManaged: pulumi.Input<boolean>;
  releases?: pulumi.Input<AddressRelease[]>;
  takeFrom?: pulumi.Input<TakeFrom[]>;
  target: pulumi.Input<TargetSettings>;
}

/** The managed addresses of one mailbox. Deleting it releases the mailbox untouched. */
export class MailboxAddresses extends pulumi.dynamic.Resource {
  declare readonly objectId: pulumi.Output<string>;
  declare readonly userPrincipalName: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string>;
  declare readonly recipientType: pulumi.Output<string>;
  declare readonly emailAddresses: pulumi.Output<string[]>;
  declare readonly preservedAddresses: pulumi.Output<string[]>;

  constructor(name: string, args: MailboxAddressesArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { objectId: undefined, userPrincipalName: undefined, displayName: undefined, recipientType: undefined, emailAddresses: undefined, preservedAddresses: undefined };
    super(mailboxProvider, name, { ...args, ...outputs }, opts, "mailbox", "MailboxAddresses");
  }
}
