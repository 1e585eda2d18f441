// The no-op program (./noop-program.ts) with switches, for the memory account (./memory-runs.ts,
// docs/benchmarks.md "Program memory: declared per turn, and the inputs' shape measured"): each
// declares one trait of MailboxAddresses at a time. Its switches off, it peaks 180-250 MB above
// ./noop-program.ts, which stays the benchmarks' floor; compare variants with this one, switches off.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { memoryStage, startMemoryLog } from "../../runtime/memory-stages";

interface NoopInputs {
  identity: string;
  primary: string;
  aliases: string[];
  addresses?: Record<string, string>;
}

const noopProvider: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async (_id, olds: NoopInputs, news: NoopInputs) => ({
    changes:
      olds.primary !== news.primary ||
      JSON.stringify(olds.aliases) !== JSON.stringify(news.aliases) ||
      JSON.stringify(olds.addresses) !== JSON.stringify(news.addresses),
  }),
  create: async (inputs: NoopInputs) => ({ id: inputs.identity, outs: inputs }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: news }),
};

// NOOP_INPUTS=address-map declares MailboxAddresses' inputs' shape (identity, the `addresses` map
// keyed by each address, mode) instead of the flat one; NOOP_INPUTS=fixed-key-map the same nesting
// keyed by one fixed name; NOOP_TYPE=ours the resource under MailboxAddresses' module and type name.
const addressMapInputs = process.env.NOOP_INPUTS === "address-map";
const [moduleName, typeName] =
  process.env.NOOP_TYPE === "ours" ? ["mailbox", "MailboxAddresses"] : ["noop", "NoopMailbox"];

class NoopMailbox extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, unknown>) {
    super(noopProvider, name, args, undefined, moduleName, typeName);
  }
}

// Set against the project's program stage by stage (runtime/memory-stages.ts).
startMemoryLog();
const config = new pulumi.Config("mailbox-addresses");
const spec = parse(readFileSync(config.require("spec"), "utf8")) as {
  mailboxes: Record<string, { primary: string; aliases?: string[] }>;
};
// The floor of a targeted run (bench/scale/targeted-runs.ts): NOOP_DECLARE names a JSON file of the
// identities to declare, as the program's targeted mode declares only its change set.
const only = process.env.NOOP_DECLARE
  ? new Set(JSON.parse(readFileSync(process.env.NOOP_DECLARE, "utf8")) as string[])
  : undefined;
memoryStage("spec loaded");
for (const [identity, mailbox] of Object.entries(spec.mailboxes)) {
  if (only && !only.has(identity)) continue;
  new NoopMailbox(
    identity,
    addressMapInputs
      ? { identity, addresses: addressMapOf(mailbox.primary, mailbox.aliases ?? []), mode: "strict" }
      : process.env.NOOP_INPUTS === "fixed-key-map"
        ? { identity, addresses: { primary: `SMTP:${mailbox.primary}` }, mode: "strict" }
        : {
            identity,
            primary: mailbox.primary,
            aliases: mailbox.aliases ?? [],
            mode: "strict",
            cloudManaged: false,
            target: { target: "local", database: "unused", seed: "unused" },
          },
  );
}
memoryStage("declared");

/** The `addresses` map as MailboxAddresses' inputs hold it: lower-case address → its proxy address. */
function addressMapOf(primary: string, aliases: readonly string[]): Record<string, string> {
  const map: Record<string, string> = { [primary.toLowerCase()]: `SMTP:${primary}` };
  for (const alias of aliases) map[alias.toLowerCase()] = `smtp:${alias}`;
  return map;
}
