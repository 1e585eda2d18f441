// The MailboxAddresses provider as a module of its own, for Pulumi to store by name. Pulumi stores
// a dynamic resource's provider in the state twice per resource (`__provider`, in the inputs and
// the outputs). Its closure serializer stores a captured module that lives in node_modules as a
// `require` of its package name (node_modules/@pulumi/pulumi/runtime/closure/createClosure.js,
// captureModuleAsync), so when this module's exports are what the resource passes, each entry
// holds `require("mailbox-addresses/provider")` instead of serialized code: about 2 × 0.3 KB per
// mailbox instead of 2 × 2.3 KB (docs/benchmarks.md). ./resource.ts decides which it passes.
// The methods run in the provider process only, where ./implementation.js is loaded on first use.
import type * as pulumi from "@pulumi/pulumi";
import type { MailboxAddressesInputs, MailboxAddressesOutputs } from "./inputs";

type Provider = Required<pulumi.dynamic.ResourceProvider<MailboxAddressesInputs, MailboxAddressesOutputs>>;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the provider process first calls a method, never by the program
const implementation = (): typeof import("./implementation") => require("./implementation");

export const configure: Provider["configure"] = (req) => implementation().configure(req.config);
export const check: Provider["check"] = (olds, news) => implementation().check(olds, news);
export const diff: Provider["diff"] = (id, olds, news) => implementation().diff(id, olds, news);
export const create: Provider["create"] = (inputs) => implementation().create(inputs);
// The SDK types read's `inputs` as Outputs (sdk/nodejs/dynamic/index.ts ReadResult); ours are inputs.
export const read: Provider["read"] = (id, props) => implementation().read(id, props) as ReturnType<Provider["read"]>;
export const update: Provider["update"] = (id, olds, news) => implementation().update(id, olds, news);
