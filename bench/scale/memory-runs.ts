// The program-memory benchmark (not a test; docs/benchmarks.md, "Program memory of a full
// `preview`, stage by stage"): in a stack of N mailboxes on the local target with one mailbox
// changed, `pulumi preview` (refreshing, as the project's Pulumi.yaml asks) a few times, with the
// program's memory logged at each stage (runtime/memory-stages.ts, after a collection:
// NODE_OPTIONS=--expose-gc) and the peak RSS of each process (./measure-process.ts); the same for
// the no-op provider's program (./noop-program.ts). Also the state's bytes per mailbox. Memory is
// not sensitive to the machine's load; run one such benchmark at a time all the same.
//   scripts/bench --script memory-runs [--size 10000] [--runs 2] [--programs ours,noop] [--out FILE]
//                                      [--heap-snapshot STAGE]
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commandLine } from "../../harness/command-line";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchSpec, benchUser } from "./generate-tenant";
import { heapSnapshotFile } from "../../runtime/memory-stages";
import { runMeasured, stateFacts } from "./measure-process";

const arg = commandLine("bench/scale/memory-runs").text;
const N = Number(arg("size", "10000"));
const RUNS = Number(arg("runs", "2"));
const FLOOR = "dist/bench/scale/noop-program.js";
const VARIANTS = "dist/bench/scale/noop-variants-program.js";
/** The no-op programs: the floor (./noop-program.ts), and ./noop-variants-program.ts by its switches. */
const NOOP_PROGRAMS: Record<string, { readonly main: string; readonly env: Record<string, string> }> = {
  noop: { main: FLOOR, env: {} },
  "noop-variants": { main: VARIANTS, env: {} },
  "noop-address-map": { main: VARIANTS, env: { NOOP_INPUTS: "address-map" } },
  "noop-our-type": { main: VARIANTS, env: { NOOP_TYPE: "ours" } },
  "noop-as-ours": { main: VARIANTS, env: { NOOP_INPUTS: "address-map", NOOP_TYPE: "ours" } },
  "noop-fixed-key-map": { main: VARIANTS, env: { NOOP_INPUTS: "fixed-key-map" } },
};
type Program = "ours" | keyof typeof NOOP_PROGRAMS;
const PROGRAMS = arg("programs", "ours,noop").split(",") as Program[];
// toolchain/command-lines.js refuses a name its `choices` do not list; this catches the table and
// NOOP_PROGRAMS disagreeing.
for (const p of PROGRAMS)
  if (p !== "ours" && !(p in NOOP_PROGRAMS))
    throw new Error(`--programs: "${p}" is in toolchain/command-lines.js's choices but not in NOOP_PROGRAMS`);
const OUT = path.resolve(arg("out", "/tmp/memory-runs.json"));
const SNAPSHOT_STAGE = arg("heap-snapshot", "");
const SKIP = { PULUMI_SKIP_CHECKPOINTS: "true" };

interface Stage {
  readonly stage: string;
  readonly seconds: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly heapUsedMb: number;
}
interface Result {
  readonly program: string;
  readonly commit: string;
  readonly bytesPerMailbox: number;
  readonly providerBytesPerMailbox: number;
  /** The first mailbox's state entry's outputs (`__provider` shortened), to see what they hold. */
  readonly sampleOutputs: unknown;
  readonly runs: { seconds: number; peakMb: Record<string, number>; stages: Stage[] }[];
}
const results: Result[] = [];

/** The spec with the first mailbox rebranded: the one change the preview plans. */
function oneChanged(): string {
  const user = benchUser(0);
  return benchSpec(N, "as-is").replace(
    `  ${user}@contoso.com:\n    primary: ${user}@contoso.com\n`,
    `  ${user}@contoso.com:\n    primary: ${user}@fabrikam.com\n    aliases: [${user}@contoso.com]\n`,
  );
}

/** The commit of the build measured. */
function commit(): string {
  return spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8" }).stdout.trim();
}

async function measureProgram(program: Program): Promise<void> {
  const noop = program === "ours" ? undefined : NOOP_PROGRAMS[program]!;
  const variant = noop?.env ?? {};
  const stack =
    noop === undefined ? new TestStack(`mem-${N}`) : new TestStack(`mem-${program}-${N}`, {}, {}, noop.main);
  try {
    if (program === "ours") stack.withTenant((tenant) => tenant.seed(benchSeed(N)));
    stack.writeSpec(benchSpec(N, "as-is"));
    const adopt = await runMeasured(stack.command(["up", "--yes", "--skip-preview"], { ...SKIP, ...variant }));
    if (adopt.code !== 0) throw new Error(`${program}: adopt failed:\n${adopt.output.slice(-4000)}`);
    const facts = stateFacts(stack, N);
    const state = JSON.parse(stack.stateText()) as {
      checkpoint: { latest?: { resources?: { type: string; outputs?: Record<string, unknown> }[] } };
    };
    const first = (state.checkpoint.latest?.resources ?? []).find((r) => /MailboxAddresses|NoopMailbox/.test(r.type));
    const sampleOutputs = first?.outputs
      ? { ...first.outputs, __provider: `${String(first.outputs.__provider).length} characters` }
      : undefined;
    stack.writeSpec(oneChanged());
    const result: Result = { program, commit: commit(), ...facts, sampleOutputs, runs: [] };
    results.push(result);
    for (let run = 1; run <= RUNS; run++) {
      const log = path.join(stack.dir, `memory-${run}.jsonl`);
      const m = await runMeasured(
        stack.command(["preview"], {
          MAILBOX_ADDRESSES_MEMORY_LOG: log,
          NODE_OPTIONS: "--expose-gc",
          ...(SNAPSHOT_STAGE ? { MAILBOX_ADDRESSES_HEAP_SNAPSHOT: SNAPSHOT_STAGE } : {}),
          ...variant,
        }),
      );
      const snapshot = heapSnapshotFile(log, SNAPSHOT_STAGE);
      if (SNAPSHOT_STAGE && existsSync(snapshot)) {
        copyFileSync(snapshot, heapSnapshotFile(OUT.replace(/\.json$/, `.${program}-${run}`), SNAPSHOT_STAGE));
        rmSync(snapshot);
      }
      if (m.code !== 0) throw new Error(`${program}: preview failed:\n${m.output.slice(-4000)}`);
      const stages = readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Stage);
      rmSync(log);
      result.runs.push({ seconds: m.ms / 1000, peakMb: m.peakMb, stages });
      process.stderr.write(
        `[${program}] preview ${run}: ${(m.ms / 1000).toFixed(1)} s, program peak ${m.peakMb.program} MB; ` +
          `${stages.map((s) => `${s.stage} ${s.heapUsedMb}/${s.rssMb}`).join(", ")}\n`,
      );
      writeFileSync(OUT, `${JSON.stringify({ N, results }, null, 2)}\n`);
    }
  } finally {
    stack.dispose();
  }
}

async function main(): Promise<void> {
  mkdirSync(path.dirname(OUT), { recursive: true });
  for (const program of PROGRAMS) await measureProgram(program);
  for (const r of results)
    process.stdout.write(
      `${r.program}: ${r.bytesPerMailbox} bytes a mailbox (__provider ${r.providerBytesPerMailbox}); program peak MB ${r.runs.map((x) => x.peakMb.program).join(", ")}\n`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
