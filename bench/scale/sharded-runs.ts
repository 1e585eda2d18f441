// The sharded benchmark (not a test; issue 18 item 6, docs/TARGETED-RUNS.md "Beyond one stack"):
// S shards of M mailboxes each (default 10 × 10,000 = 100,000), one stack per shard as a CI matrix
// runs them, on one shared tenant (the emulator, with a raised write budget) and one shared state
// backend with locking (Azurite's blob storage as Pulumi's azblob:// backend). Shards run C at a
// time, as a matrix's max-parallel. Measured, each phase as one wall time over all shards:
// adopting every shard, previewing every shard with nothing to change, and a rebrand of every
// mailbox (primary to @fabrikam.com) against the write budget's floor (mailboxes ÷ budget); the
// peak memory per shard; and two `up`s started together on one shard (the lock refuses the second;
// the state stays whole). Prints a Markdown section and writes the raw numbers to --out.
//   scripts/bench --script sharded-runs [--shards 10] [--per-shard 10000] [--concurrency 2]
//     [--write-budget 200] [--doc docs/benchmarks.md] [--out docs/benchmarks-sharded.json]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AzuriteProcess } from "../../harness/azurite";
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchUser } from "./generate-tenant";
import { replaceSection } from "./doc-section";
import { runMeasured, type Measured } from "./measure-process";

// The options, parsed strictly (--help lists them): toolchain/command-lines.js.
const arg = commandLine("bench/scale/sharded-runs").text;
const SHARDS = Number(arg("shards", "10"));
const PER_SHARD = Number(arg("per-shard", "10000"));
const CONCURRENCY = Number(arg("concurrency", "2"));
const BUDGET = Number(arg("write-budget", "200"));
const OUT = path.resolve(PROJECT_ROOT, arg("out", "docs/benchmarks-sharded.json"));
const TOTAL = SHARDS * PER_SHARD;
const SKIP = { PULUMI_SKIP_CHECKPOINTS: "true" };

/** Shard `s`'s spec: its M mailboxes as they are, or rebranded. */
function shardSpec(s: number, rebranded: boolean): string {
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = s * PER_SHARD; i < (s + 1) * PER_SHARD; i++) {
    const user = benchUser(i);
    lines.push(`  ${user}@contoso.com:`);
    if (rebranded) lines.push(`    primary: ${user}@fabrikam.com`, `    aliases: [${user}@contoso.com]`);
    else lines.push(`    primary: ${user}@contoso.com`);
  }
  return `${lines.join("\n")}\n`;
}

interface PhaseResult {
  readonly phase: string;
  readonly wallSeconds: number;
  /** Seconds per shard, in shard order. */
  readonly shardSeconds: readonly number[];
  /** The largest peak of any shard, MB. */
  readonly peakMb: { readonly engine: number; readonly program: number; readonly provider: number };
  readonly requests: number;
  readonly setMailboxApplied: number;
  /** Answers 429 (the write budget refused). */
  readonly throttled?: number;
  /** Every counter the emulator kept (per route, cmdlet and status), for finding where requests go. */
  readonly counters?: Readonly<Record<string, number>>;
}

const results: { phases: PhaseResult[]; lock?: Record<string, unknown>; setup?: Record<string, number> } = {
  phases: [],
};
const save = () =>
  writeFileSync(
    OUT,
    `${JSON.stringify({ shards: SHARDS, perShard: PER_SHARD, concurrency: CONCURRENCY, writeBudget: BUDGET, ...results }, null, 2)}\n`,
  );

/** Runs `args` on every shard, C at a time; any failure stops the benchmark with its output. */
async function phase(
  name: string,
  stacks: readonly TestStack[],
  emulator: EmulatorProcess,
  args: (s: number) => string[],
  env: NodeJS.ProcessEnv = {},
): Promise<PhaseResult> {
  process.stderr.write(`${name}: ${SHARDS} shards, ${CONCURRENCY} at a time\n`);
  await emulator.resetCounters();
  const measured: Measured[] = new Array(stacks.length);
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    for (let s = next++; s < stacks.length; s = next++) {
      const m = await runMeasured(stacks[s]!.command(args(s), env));
      if (m.code !== 0) throw new Error(`${name}, shard ${s}: exit ${m.code}\n${m.output.slice(-4000)}`);
      measured[s] = m;
      process.stderr.write(
        `  shard ${s}: ${(m.ms / 1000).toFixed(1)} s (engine ${m.peakMb.engine ?? "-"} MB, program ${m.peakMb.program ?? "-"} MB, provider ${m.peakMb.provider ?? "-"} MB)\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, stacks.length) }, worker));
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = await emulator.counters();
  const max = (kind: string) => Math.max(...measured.map((m) => m.peakMb[kind] ?? 0));
  const result: PhaseResult = {
    phase: name,
    wallSeconds,
    shardSeconds: measured.map((m) => m.ms / 1000),
    peakMb: { engine: max("engine"), program: max("program"), provider: max("provider") },
    requests: (c["graph.requests"] ?? 0) + (c["exchange.requests"] ?? 0) + (c["identity.token"] ?? 0),
    setMailboxApplied: c["exchange.Set-Mailbox.applied"] ?? 0,
    throttled: c["faults.exchange.429"] ?? 0,
    counters: c,
  };
  results.phases.push(result);
  save();
  process.stderr.write(`  ${name}: ${wallSeconds.toFixed(1)} s in all\n`);
  return result;
}

/** Two `up`s started together on one shard: the first holds the lock, the second is refused. */
async function lockProbe(stack: TestStack, azurite: AzuriteProcess, s: number): Promise<Record<string, unknown>> {
  process.stderr.write(`lock: two concurrent up on shard ${s}\n`);
  // A change to one mailbox, so that the first run has something to apply.
  const user = benchUser(s * PER_SHARD);
  stack.writeSpec(
    shardSpec(s, true).replace(
      `    aliases: [${user}@contoso.com]\n`,
      `    aliases: [${user}@contoso.com, ${user}-lock@contoso.com]\n`,
    ),
  );
  const first = runMeasured(stack.command(["up", "--yes", "--skip-preview"], SKIP));
  // The second starts once the first's lock blob exists (pkg/backend/diy/lock.go), as a second CI job would meet it.
  const waitStarted = Date.now();
  while ((await azurite.list(".pulumi/locks/")).length === 0 && Date.now() - waitStarted < 60_000)
    await new Promise((r) => setTimeout(r, 100));
  const locksSeen = await azurite.list(".pulumi/locks/");
  const second = await runMeasured(stack.command(["up", "--yes", "--skip-preview"], SKIP));
  const done = await first;
  // To a file: a shard's state of 10,000 (over 64 MB) is more than a captured stdout holds.
  const exported = path.join(stack.dir, "lock-probe-export.json");
  stack.run(["stack", "export", "--file", exported], { check: true });
  const resources = (
    JSON.parse(readFileSync(exported, "utf8")) as {
      deployment: { resources?: { type: string }[]; pending_operations?: unknown[] };
    }
  ).deployment;
  const clean = stack.run(["preview", "--expect-no-changes"]);
  return {
    locksSeenBySecond: locksSeen.length,
    firstExit: done.code,
    firstSeconds: done.ms / 1000,
    secondExit: second.code,
    secondSeconds: second.ms / 1000,
    secondMessage: (
      second.output.split("\n").find((l) => /locked/i.test(l)) ?? second.output.split("\n").slice(-3).join(" ")
    ).trim(),
    mailboxesInState: (resources.resources ?? []).filter((r) => r.type.includes("MailboxAddresses")).length,
    pendingOperations: (resources.pending_operations ?? []).length,
    previewAfterExpectNoChanges: clean.code,
    locksLeft: (await azurite.list(".pulumi/locks/")).length,
  };
}

/** The section of docs/benchmarks.md, from the marker on. */
export const SECTION_MARKER = "<!-- sharded-runs: written by bench/scale/sharded-runs.ts -->";

function renderSection(
  command: string,
  saved: typeof results & { shards: number; perShard: number; concurrency: number; writeBudget: number },
): string {
  const total = saved.shards * saved.perShard;
  const floor = total / saved.writeBudget;
  const lines = [
    SECTION_MARKER,
    "## Beyond one stack: shards on a shared state backend",
    "",
    `${total.toLocaleString("en-US")} mailboxes as ${saved.shards} shards of ${saved.perShard.toLocaleString("en-US")}, one stack per shard, ${saved.concurrency} running at a time (a CI matrix's max-parallel), on one shared tenant (the emulator, write budget ${saved.writeBudget} writes/s) and one shared state backend with locking: Azurite's blob storage as Pulumi's \`azblob://\` backend. One run of:`,
    "",
    "```",
    command,
    "```",
    "",
    "| phase | wall s, all shards | per shard s (min–max) | requests | per mailbox | Set-Mailbox applied | 429 answers | peak MB per shard (engine / program / provider) |",
    "| :-- | --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const p of saved.phases) {
    lines.push(
      `| ${p.phase} | ${p.wallSeconds.toFixed(1)} | ${Math.min(...p.shardSeconds).toFixed(1)}–${Math.max(...p.shardSeconds).toFixed(1)} | ${p.requests.toLocaleString("en-US")} | ${(p.requests / total).toFixed(2)} | ${p.setMailboxApplied.toLocaleString("en-US")} | ${p.throttled === undefined ? "" : p.throttled.toLocaleString("en-US")} | ${p.peakMb.engine} / ${p.peakMb.program} / ${p.peakMb.provider} |`,
    );
  }
  const rebrand = saved.phases.find((p) => p.phase.startsWith("rebrand"));
  if (rebrand)
    lines.push(
      "",
      `The rebrand against the write budget's floor (${total.toLocaleString("en-US")} writes ÷ ${saved.writeBudget}/s = ${floor.toFixed(0)} s): ${(rebrand.wallSeconds / floor).toFixed(2)}× the floor.`,
    );
  if (saved.lock) {
    const l = saved.lock as Record<string, number | string>;
    lines.push(
      "",
      `Two \`pulumi up\` started together on one shard (the second once the first's lock blob existed): the first exited ${l.firstExit} after ${Number(l.firstSeconds).toFixed(1)} s; the second exited ${l.secondExit} after ${Number(l.secondSeconds).toFixed(1)} s with “${l.secondMessage}”. Afterwards the state holds ${l.mailboxesInState} mailboxes and ${l.pendingOperations} pending operations, ${l.locksLeft} lock blobs remain, and \`pulumi preview --expect-no-changes\` exits ${l.previewAfterExpectNoChanges}.`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const doc = arg("doc", "");
  if (arg("render", "")) {
    const saved = JSON.parse(readFileSync(arg("render", ""), "utf8")) as typeof results & {
      shards: number;
      perShard: number;
      concurrency: number;
      writeBudget: number;
    };
    replaceSection(
      doc || "docs/benchmarks.md",
      SECTION_MARKER,
      renderSection(arg("command", "scripts/bench --script sharded-runs"), saved),
    );
    return;
  }
  const setupStarted = process.hrtime.bigint();
  const azurite = await AzuriteProcess.start();
  const emulator = await EmulatorProcess.start();
  const stacks: TestStack[] = [];
  try {
    emulator.withTenant((tenant) => tenant.seed(benchSeed(TOTAL)));
    for (let s = 0; s < SHARDS; s++) {
      const stack = new TestStack(`shard${String(s).padStart(2, "0")}`, emulator.stackConfig(), {
        ...emulator.environment(),
        ...azurite.environment(),
      });
      stack.writeSpec(shardSpec(s, false));
      stacks.push(stack);
    }
    results.setup = { seconds: Number(process.hrtime.bigint() - setupStarted) / 1e9 };
    process.stderr.write(
      `setup (Azurite, the emulator with ${TOTAL} mailboxes, ${SHARDS} stacks on azblob://): ${results.setup.seconds!.toFixed(1)} s\n`,
    );
    await phase("adopt (`up`)", stacks, emulator, () => ["up", "--yes", "--skip-preview"], SKIP);
    await phase("`preview`, nothing to change (refreshes)", stacks, emulator, () => ["preview", "--expect-no-changes"]);
    for (let s = 0; s < SHARDS; s++) stacks[s]!.writeSpec(shardSpec(s, true));
    await emulator.setFaults({ writeBudget: { capacity: BUDGET, refillPerSecond: BUDGET } });
    await phase(
      `rebrand (\`up\`, every mailbox, budget ${BUDGET}/s)`,
      stacks,
      emulator,
      () => ["up", "--yes", "--skip-preview"],
      SKIP,
    );
    await emulator.setFaults({});
    results.lock = await lockProbe(stacks[0]!, azurite, 0);
    save();
  } finally {
    for (const stack of stacks) stack.dispose();
    await emulator.stop();
    await azurite.stop();
  }
  const command = ["scripts/bench --script sharded-runs", ...process.argv.slice(2)].join(" ");
  const section = renderSection(command, {
    ...results,
    shards: SHARDS,
    perShard: PER_SHARD,
    concurrency: CONCURRENCY,
    writeBudget: BUDGET,
  });
  process.stdout.write(`${section}\n`);
  if (doc) replaceSection(doc, SECTION_MARKER, section);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
