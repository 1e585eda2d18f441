// A look at what a user sees while throttled (issue 25): N mailboxes on the emulator, rebranded by
// `pulumi up` under injected 429s with a long Retry-After, the engine's output printed with the
// requests the emulator answered. Not a test: run it and read the output.
//   scripts/bench --script throttled-up [--size 40] [--retry-after 2] [--throttle-rate 0.3]
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchSpec } from "./generate-tenant";

async function main(): Promise<void> {
  const { text } = commandLine("bench/scale/throttled-up");
  const option = (name: string, fallback: number) => Number(text(name, String(fallback)));
  const size = option("size", 40);
  const emulator = await EmulatorProcess.start();
  emulator.withTenant((tenant) => tenant.seed(benchSeed(size)));
  const stack = new TestStack("throttled-up", emulator.stackConfig(), emulator.environment());
  try {
    stack.writeSpec(benchSpec(size, "as-is"));
    stack.run(["up", "--yes", "--skip-preview"], { check: true });
    stack.writeSpec(benchSpec(size, "rebrand"));
    await emulator.resetCounters();
    await emulator.setFaults({
      throttleRate: option("throttle-rate", 0.3),
      retryAfterSeconds: option("retry-after", 2),
      surfaces: ["exchange"],
    });
    const result = stack.run(["up", "--yes", "--skip-preview"]);
    process.stdout.write(
      `${result.output}\nexit ${result.code}\ncounters ${JSON.stringify(await emulator.counters())}\n`,
    );
  } finally {
    stack.dispose();
    await emulator.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
