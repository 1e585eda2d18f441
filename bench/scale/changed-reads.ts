// Requests per route of `preview` and `up` when every mailbox of the spec is changed (issue 26):
// N mailboxes on the emulator, adopted, then the spec rebranded; `pulumi preview` and then
// `pulumi up` each counted by the emulator's per-route counters. No write budget, so no 429 (a
// count that depends on timing): the counts do not depend on the machine's load. Not a test:
// prints one JSON line per phase.
//   scripts/bench --script changed-reads [--sizes 1000,10000]
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchSpec } from "./generate-tenant";
import { runMeasured } from "./measure-process";

/** `pulumi <args>` without a time limit (adopting 10,000 takes minutes); a failure stops the script with its output. */
async function pulumi(stack: TestStack, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const measured = await runMeasured(stack.command(args, env));
  if (measured.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (${measured.code}):\n${measured.output.slice(-4000)}`);
}

/** Every request the emulator answered: Graph, Exchange, tokens and the authority's metadata. */
const requests = (c: Record<string, number>) =>
  (c["graph.requests"] ?? 0) +
  (c["exchange.requests"] ?? 0) +
  (c["identity.token"] ?? 0) +
  (c["identity.openid-configuration"] ?? 0);

async function measure(size: number): Promise<void> {
  const emulator = await EmulatorProcess.start();
  emulator.withTenant((tenant) => tenant.seed(benchSeed(size)));
  const stack = new TestStack(`changed-reads-${size}`, emulator.stackConfig(), emulator.environment());
  const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
  try {
    stack.writeSpec(benchSpec(size, "as-is"));
    await pulumi(stack, ["up", "--yes", "--skip-preview"], skip);
    stack.writeSpec(benchSpec(size, "rebrand"));
    for (const [phase, args, env] of [
      ["preview, every mailbox changed", ["preview"], {}],
      ["up, every mailbox changed", ["up", "--yes", "--skip-preview"], skip],
    ] as const) {
      await emulator.resetCounters();
      const started = Date.now();
      await pulumi(stack, args, env);
      const counters = await emulator.counters();
      process.stdout.write(
        `${JSON.stringify({ size, phase, seconds: (Date.now() - started) / 1000, requests: requests(counters), counters })}\n`,
      );
    }
  } finally {
    stack.dispose();
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  const { text } = commandLine("bench/scale/changed-reads");
  for (const size of text("sizes", "1000,10000").split(",").filter(Boolean).map(Number)) await measure(size);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
