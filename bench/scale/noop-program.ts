// The engine's floor for the benchmarks: a Pulumi program that declares one pulumi.dynamic
// resource per mailbox of the same spec, with the same inputs as MailboxAddresses, through a
// provider that does no I/O. Our preview's time over this one's is our overhead on the engine.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { memoryStage, startMemoryLog } from "../../runtime/memory-stages";

interface NoopInputs {
  identity: string;
  primary: string;
  aliases: string[];
}

const noopProvider: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async (_id, olds: NoopInputs, news: NoopInputs) => ({
    changes: olds.primary !== news.primary || JSON.stringify(olds.aliases) !== JSON.stringify(news.aliases),
  }),
  create: async (inputs: NoopInputs) => ({ id: inputs.identity, outs: inputs }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: news }),
};

class NoopMailbox extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, unknown>) {
    super(noopProvider, name, args, undefined, "noop", "NoopMailbox");
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
  new NoopMailbox(identity, {
    identity,
    primary: mailbox.primary,
    aliases: mailbox.aliases ?? [],
    mode: "strict",
    cloudManaged: false,
    target: { target: "local", database: "unused", seed: "unused" },
  });
}
memoryStage("declared");
