// The Pulumi resource: MailboxAddresses, one per mailbox in the spec. Its provider is what
// Pulumi serializes into the state (`__provider`, twice per resource). When the package is
// installed (a program of your own), that is ./provider.ts stored as a `require` (see there);
// otherwise (this repository's own program) the few lines below: each method loads
// ./implementation.js from the project at call time. Neither captures a client, config or secret (configure reads the stack's config in the
// provider process); `MAILBOX_ADDRESSES_ROOT` overrides where the project is (default: found
// upwards from the directory Pulumi starts the provider in).
import { createRequire } from "node:module";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MailboxAddressesInputs, MailboxAddressesOutputs } from "./inputs";

/**
 * One provider object for all resources: Pulumi serializes it once per process but stores it
 * twice per resource, so every byte here costs 2 × N in the state (the scale benchmark measures
 * it). Hence the short names, and no delete: resources are declared with retainOnDelete, so
 * releasing a mailbox from the spec leaves it as it is and the preview says `delete[retain]`.
 */
const mailboxProvider: pulumi.dynamic.ResourceProvider<MailboxAddressesArgs, MailboxAddressesOutputs> = {
  configure: (r) => L().configure(r.config),
  check: (o, n) => L().check(o, n),
  diff: (i, o, n) => L().diff(i, o, n),
  create: (n) => L().create(n),
  // The SDK types read's `inputs` as Outputs (sdk/nodejs/dynamic/index.ts ReadResult); ours are inputs.
  read: (i, p) => L().read(i, p) as Promise<pulumi.dynamic.ReadResult<MailboxAddressesOutputs>>,
  update: (i, o, n) => L().update(i, o, n),
};

// Loads ./implementation.js: through the installed package in a program of your own (resolved
// from Pulumi's provider host in that project's node_modules), else upwards from where Pulumi
// starts the provider in this project (dist/infra).
function L(): typeof import("./implementation") {
  try {
    return require("mailbox-addresses/implementation");
  } catch {}
  const p = require("path"), m = "dist/providers/mailbox-addresses/implementation.js";
  for (let d = process.env.MAILBOX_ADDRESSES_ROOT || process.cwd(); ; d = p.dirname(d)) {
    if (require("fs").existsSync(p.join(d, m))) return require(p.join(d, m));
    if (p.dirname(d) == d) throw Error(m + " not found: run npm run build");
  }
}

/**
 * ./provider.ts's exports, when this package is installed (this file lies under node_modules, where
 * npm keeps it, and the name resolves from Pulumi's package to this very file): Pulumi's closure
 * serializer then stores them as `require("mailbox-addresses/provider")` (it stores a module from
 * node_modules by name and names the first module in require.cache whose exports are the object:
 * createClosure.js findNormalizedModuleNameAsync), which the provider process resolves from the
 * project's node_modules as the program did. Otherwise undefined, and the serialized lines above
 * are stored: in this repository's own checkout nothing keeps a package of that name installed (a
 * link written by the build is pruned by the next `npm install <pkg>`, after which every stack whose
 * state named it would fail to refresh).
 */
function providerByName(): pulumi.dynamic.ResourceProvider<MailboxAddressesArgs, MailboxAddressesOutputs> | undefined {
  const own = path.join(__dirname, "provider.js");
  if (!own.split(path.sep).includes("node_modules")) return undefined;
  try {
    const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
    if (fromPulumi.resolve("mailbox-addresses/provider") !== own) return undefined; // another copy of the package
    const provider = require("./provider") as pulumi.dynamic.ResourceProvider<MailboxAddressesArgs, MailboxAddressesOutputs>;
    const first = Object.keys(require.cache).find((key) => require.cache[key]?.exports === provider);
    return first === own ? provider : undefined;
  } catch {
    return undefined;
  }
}

/** The provider every resource is declared with (one object: Pulumi serializes it once per process). */
const storedProvider = providerByName() ?? mailboxProvider;

/** What the spec wants for one mailbox: see {@link MailboxAddressesInputs}. */
export type MailboxAddressesArgs = MailboxAddressesInputs;

/**
 * The managed addresses of one mailbox. Creating it adopts the mailbox (nothing is created in the
 * tenant); deleting it releases the mailbox untouched (retainOnDelete). Its outputs (the inputs'
 * fields with the live `addresses`, the `kept` entries; docs/ARCHITECTURE.md, "The resource's
 * outputs") are in the state (`pulumi stack export`) and the engine's events, but are not declared as Output
 * properties here: nothing in the program reads them, and each declared property costs the SDK an
 * Output per resource (1.5 s of a 10 s preview of 1,000 mailboxes, the benchmark found).
 *
 * It is registered without stack traces on the SDK's promises: the SDK formats one for each of its
 * promises (`debuggablePromise`, @pulumi/pulumi's runtime/debuggable.js; about 22 a resource, 1.6
 * KB each) and reads them only for the leak report PULUMI_DEBUG_PROMISE_LEAKS asks for, so with
 * that set they are kept. The source position the engine records is unchanged: Resource.callsites()
 * lifts the limit for itself. docs/benchmarks.md, "Program memory: the SDK's promise stack traces".
 */
export class MailboxAddresses extends pulumi.dynamic.Resource {
  constructor(name: string, args: MailboxAddressesArgs, opts?: pulumi.CustomResourceOptions) {
    const stackTraceLimit = Error.stackTraceLimit;
    if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
    try {
      // takeFrom is a cycle's mechanics (the giver's own resource shows what it loses): not shown in diffs.
      super(storedProvider, name, args, { retainOnDelete: true, hideDiffs: ["takeFrom"], ...opts }, "mailbox", "MailboxAddresses");
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}
