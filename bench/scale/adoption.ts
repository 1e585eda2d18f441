// The scale benchmark's adoption phase alone (issue 26): N generated mailboxes on the emulator,
// adopted by `pulumi up --skip-preview` into an empty state with no write (the spec names them as
// they are), as bench/scale/run-benchmarks.ts's "up, adopting N mailboxes" measures it. Prints
// one JSON line: wall seconds, peak memory per process, the requests the emulator answered by
// route, and the mailboxes in the state whose outputs differ from what the tenant holds (none).
// Not a test: for side-by-side runs of two builds, one process each.
//   scripts/bench --script adoption [--size 1000]
import assert from "node:assert/strict";
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchSpec } from "./generate-tenant";
import { runMeasured } from "./measure-process";

interface StateResource {
  readonly type: string;
  /** A mailbox's object id. */
  readonly id?: string;
  readonly outputs?: {
    readonly identity?: string;
    readonly addresses?: Record<string, string>;
    readonly kept?: Record<string, string>;
  };
}

async function main(): Promise<void> {
  const size = Number(commandLine("bench/scale/adoption").text("size", "1000"));
  const emulator = await EmulatorProcess.start();
  emulator.withTenant((tenant) => tenant.seed(benchSeed(size)));
  const stack = new TestStack(`adoption${size}`, emulator.stackConfig(), emulator.environment());
  try {
    stack.writeSpec(benchSpec(size, "as-is"));
    await emulator.resetCounters();
    // As the scale benchmark adopts: without the file backend's checkpoints (docs/SCALE.md).
    const measured = await runMeasured(
      stack.command(["up", "--yes", "--skip-preview"], { PULUMI_SKIP_CHECKPOINTS: "true" }),
    );
    assert.equal(measured.code, 0, measured.output.slice(-4000));
    const c = await emulator.counters();
    const requests =
      (c["graph.requests"] ?? 0) +
      (c["exchange.requests"] ?? 0) +
      (c["identity.token"] ?? 0) +
      (c["identity.openid-configuration"] ?? 0);
    // Each adopted mailbox's outputs against what the tenant holds: its object id and its whole
    // list (the addresses the spec manages and those kept), in any order.
    const held = new Map(
      emulator.withTenant((tenant) =>
        tenant.list({ usersOnly: true }).map((r) => [r.upn?.toLowerCase() ?? r.id, r] as const),
      ),
    );
    const sorted = (list: readonly string[]) => JSON.stringify([...list].sort());
    // The stack's checkpoint, read from its file backend (at 10,000 about 67 MB, more than a captured stdout holds).
    const resources = (stack.state().checkpoint.latest?.resources ?? []) as StateResource[];
    const mailboxes = resources.filter((r) => r.type.endsWith(":MailboxAddresses"));
    const differing = mailboxes.filter((r) => {
      const live = held.get(r.outputs?.identity?.toLowerCase() ?? "");
      const recorded = [...Object.values(r.outputs?.addresses ?? {}), ...Object.values(r.outputs?.kept ?? {})];
      return live === undefined || r.id !== live.id || sorted(recorded) !== sorted(live.addresses);
    }).length;
    process.stdout.write(
      `${JSON.stringify({ size, seconds: measured.ms / 1000, peakMb: measured.peakMb, requests, adopted: mailboxes.length, differing, counters: c })}\n`,
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
