// The Pulumi resource: MailboxAddresses, one per mailbox in the spec. Its provider is what
// Pulumi serializes into the state (`__provider`, twice per resource), so it is kept to a few
// lines: each method loads
// ./implementation.js from the project at call time. They capture no module, client, config or
// secret; `MAILBOX_ADDRESSES_ROOT` overrides where the project is (default: found upwards from
// the directory Pulumi starts the provider in).
import * as pulumi from "@pulumi/pulumi";
import type { TargetSettings } from "../backend";
import type { AddressRelease, TakeFrom } from "./inputs";

/** One provider object for all resources: Pulumi serializes it once per process. */
const mailboxProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => implementation().configureProvider(req),
  check: (olds, news) => implementation().checkMailbox(olds, news),
  diff: (id, olds, news) => implementation().diffMailbox(id, olds, news),
  create: (inputs) => implementation().createMailbox(inputs),
  read: (id, props) => implementation().readMailbox(id, props),
  update: (id, olds, news) => implementation().updateMailbox(id, olds, news),
  delete: () => implementation().deleteMailbox(),
};

function implementation(): typeof import("./implementation") {
  const path = require("node:path");
  const fs = require("node:fs");
  // Pulumi starts the provider in the program's directory (dist/infra): look upwards.
  for (let dir = process.env.MAILBOX_ADDRESSES_ROOT || process.cwd(); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "dist/providers/mailbox-addresses/implementation.js");
    if (fs.existsSync(file)) return require(file);
    if (path.dirname(dir) === dir) throw new Error("mailbox-addresses: dist/providers/mailbox-addresses/implementation.js not found above " + process.cwd() + "; build the project (npm run build)");
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
