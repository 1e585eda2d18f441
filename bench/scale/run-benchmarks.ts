// The scale benchmark (`npm run bench`): for N mailboxes on the local target and on the emulator,
// measures side by side in one run our `pulumi preview` (with and without --refresh) against a
// no-op pulumi.dynamic provider over the same N, `pulumi up` of N changed mailboxes under a write
// budget, HTTP requests per mailbox read and per changed mailbox, state size, `__provider` bytes,
// peak memory of the provider process, and `export` and `drift`. Prints the tables and writes
// them to docs/benchmarks.md (and the raw numbers to docs/benchmarks.json).
//   node dist/bench/scale/run-benchmarks.js [--sizes 100,1000,10000] [--targets local,emulator]
//     [--write-budget 20] [--latency-ms 0] [--parallel P] [--max-concurrency C]
//     [--checkpoint-sizes 100,1000] [--floor yes|no] [--out docs/benchmarks.md]
//     [--baseline DIR [--baseline-label TEXT]]      (--help: every option, what it writes)
// --baseline: a built checkout of another commit (DIR/dist); its emulator runs go first for each
// size, in the same run, and a before/after table of requests per phase compares them with ours.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { Tenant } from "../../tenant/tenant";
import { benchSeed, benchSpec } from "./generate-tenant";
import { runMeasured, stateFacts, type Measured } from "./measure-process";
import { renderBenchmarks, type BenchOptions, type SizeResult, type TargetResult, type Run } from "./render-benchmarks";

/** The section bench/scale/targeted-runs.ts writes at the end of the page. */
const TARGETED_MARKER = "<!-- targeted-runs: written by bench/scale/targeted-runs.ts -->";

function parseOptions(argv: readonly string[]): BenchOptions {
  const value = commandLine("bench/scale/run-benchmarks", argv).text;
  const list = (name: string, fallback: string) => value(name, fallback).split(",").filter(Boolean);
  return {
    sizes: list("sizes", "100,1000,10000").map(Number),
    targets: list("targets", "local,emulator") as ("local" | "emulator")[],
    writeBudget: Number(value("write-budget", "20")),
    latencyMs: Number(value("latency-ms", "0")),
    parallel: value("parallel", ""),
    maxConcurrency: value("max-concurrency", ""),
    floor: value("floor", "yes") !== "no",
    checkpointSizes: list("checkpoint-sizes", "100,1000")
      .map(Number)
      .filter((n) => n > 0),
    out: value("out", "docs/benchmarks.md"),
    command: ["scripts/bench", ...argv].join(" "),
    baseline: value("baseline", "") || undefined,
    baselineLabel: value("baseline-label", "") || undefined,
  };
}

/** Runs one pulumi command, measured; any non-zero exit stops the benchmark with its output. */
async function pulumi(stack: TestStack, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const measured = await runMeasured(stack.command(args, env));
  if (measured.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (${measured.code}):\n${measured.output.slice(-4000)}`);
  return measured;
}

const run = (m: Measured, extra: Partial<Run> = {}): Run => ({
  seconds: m.ms / 1000,
  providerMb: m.peakMb.provider,
  programMb: m.peakMb.program,
  engineMb: m.peakMb.engine,
  ...extra,
});

/** Requests the emulator counted since the last reset: Graph, Exchange, tokens. */
function requestsOf(c: Record<string, number>) {
  const graph = c["graph.requests"] ?? 0;
  const exchange = c["exchange.requests"] ?? 0;
  const tokens = (c["identity.token"] ?? 0) + (c["identity.openid-configuration"] ?? 0);
  return {
    total: graph + exchange + tokens,
    graph,
    exchange,
    tokens,
    setMailbox: (c["exchange.Set-Mailbox"] ?? 0) + (c["exchange.Set-Mailbox.faulted"] ?? 0),
    applied: c["exchange.Set-Mailbox.applied"] ?? 0,
    throttled: c["faults.exchange.429"] ?? 0,
    counters: c,
  };
}

/** The commands every provider runs, in order, each measured (and counted, on the emulator). */
async function runCommands(stack: TestStack, count: number, options: BenchOptions, emulator?: EmulatorProcess) {
  const parallel = options.parallel ? ["--parallel", options.parallel] : [];
  const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
  const measure = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    await emulator?.resetCounters();
    const measured = await pulumi(stack, args, env);
    return run(measured, { requests: emulator ? requestsOf(await emulator.counters()) : undefined });
  };
  stack.writeSpec(benchSpec(count, "as-is"));
  const adopt = await measure(["up", "--yes", "--skip-preview", ...parallel], skip);
  const preview = await measure(["preview"]);
  const previewRefresh = await measure(["preview", "--refresh"]);
  const refresh = await measure(["refresh", "--yes", "--skip-preview"], skip);
  stack.writeSpec(benchSpec(count, "rebrand"));
  const previewChanged = await measure(["preview"]);
  await emulator?.setFaults({
    writeBudget: { capacity: options.writeBudget, refillPerSecond: options.writeBudget },
    ...(options.latencyMs > 0 ? { latencyMs: { min: options.latencyMs, max: options.latencyMs } } : {}),
  });
  const upChanged = await measure(["up", "--yes", "--skip-preview", ...parallel], skip);
  await emulator?.setFaults({});
  return { adopt, preview, previewRefresh, refresh, previewChanged, upChanged };
}

/** The same adoption again, into a fresh state, with the file backend's checkpoints on. */
async function adoptWithCheckpoints(stack: TestStack, count: number, options: BenchOptions): Promise<Run | undefined> {
  if (!options.checkpointSizes.includes(count)) return undefined;
  stack.run(["stack", "rm", "--yes", "--force", "--preserve-config"], { check: true });
  stack.run(["stack", "init", stack.stack], { check: true });
  const parallel = options.parallel ? ["--parallel", options.parallel] : [];
  return run(await pulumi(stack, ["up", "--yes", "--skip-preview", ...parallel], { PULUMI_SKIP_CHECKPOINTS: "false" }));
}

async function benchTarget(target: "local" | "emulator", count: number, options: BenchOptions): Promise<TargetResult> {
  const seed = benchSeed(count);
  let emulator: EmulatorProcess | undefined;
  let config: Record<string, string> = {};
  let env: NodeJS.ProcessEnv = {};
  if (target === "emulator") {
    emulator = await EmulatorProcess.start();
    emulator.withTenant((tenant) => tenant.seed(seed));
    config = {
      ...emulator.stackConfig(),
      ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    };
    env = emulator.environment();
  }
  const stack = new TestStack(`bench-${target}-${count}`, config, env);
  try {
    if (target === "local") Tenant.withFile(stack.database, (tenant) => tenant.seed(seed));
    const runs = await runCommands(stack, count, options, emulator);
    const applied = (emulator ?? stack).withTenant(
      (tenant) =>
        tenant
          .list({ usersOnly: true })
          .filter((r) => r.addresses.includes(`SMTP:${r.upn!.split("@")[0]}@fabrikam.com`)).length,
    );
    if (applied !== count) throw new Error(`after pulumi up, ${applied} of ${count} mailboxes carry the new primary`);
    const facts = stateFacts(stack, count);
    const cli = async (args: string[]): Promise<Run | undefined> => {
      if (!emulator) return undefined;
      await emulator.resetCounters();
      const started = process.hrtime.bigint();
      const result = stack.cli(args);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.code !== 0)
        throw new Error(`mailbox-addresses ${args.join(" ")} failed (${result.code}):\n${result.output.slice(-4000)}`);
      return { seconds, requests: requestsOf(await emulator.counters()) };
    };
    const exportRun = await cli(["export", "-o", path.join(stack.dir, "export.yaml")]);
    const driftRun = await cli(["drift", "--json"]);
    return {
      target,
      ...runs,
      adoptWithCheckpoints: await adoptWithCheckpoints(stack, count, options),
      export: exportRun,
      drift: driftRun,
      ...facts,
    };
  } finally {
    stack.dispose();
    await emulator?.stop();
  }
}

/** The engine's floor: the no-op provider over the same spec. */
async function benchNoop(count: number, options: BenchOptions): Promise<TargetResult> {
  const stack = new TestStack(`bench-noop-${count}`, {}, {}, "dist/bench/scale/noop-program.js");
  try {
    const runs = await runCommands(stack, count, options);
    const facts = stateFacts(stack, count);
    return {
      target: "no-op",
      ...runs,
      adoptWithCheckpoints: await adoptWithCheckpoints(stack, count, options),
      ...facts,
    };
  } finally {
    stack.dispose();
  }
}

/** The baseline checkout's own benchmark, emulator only, at one size: its emulator result. */
function benchBaseline(count: number, options: BenchOptions): TargetResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-baseline-"));
  try {
    const out = path.join(dir, "baseline.md");
    const args = [
      "--sizes",
      String(count),
      "--targets",
      "emulator",
      "--floor",
      "no",
      "--checkpoint-sizes",
      "0",
      "--write-budget",
      String(options.writeBudget),
      "--latency-ms",
      String(options.latencyMs),
      "--out",
      out,
    ];
    if (options.parallel) args.push("--parallel", options.parallel);
    if (options.maxConcurrency) args.push("--max-concurrency", options.maxConcurrency);
    const result = spawnSync(
      process.execPath,
      ["--enable-source-maps", path.join(options.baseline!, "dist/bench/scale/run-benchmarks.js"), ...args],
      {
        cwd: options.baseline,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    if (result.status !== 0)
      throw new Error(`the baseline's benchmark (${options.baseline}) failed: exit ${result.status}`);
    const raw = JSON.parse(readFileSync(out.replace(/\.md$/, ".json"), "utf8")) as { sizes: SizeResult[] };
    const emulator = raw.sizes[0]?.targets.find((t) => t.target === "emulator");
    if (emulator === undefined) throw new Error(`the baseline's benchmark wrote no emulator result`);
    return { ...emulator, target: "before" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sizes: SizeResult[] = [];
  for (const count of options.sizes) {
    const targets: TargetResult[] = [];
    if (options.baseline) {
      process.stderr.write(`N=${count}: baseline ${options.baselineLabel ?? options.baseline}, emulator…\n`);
      targets.push(benchBaseline(count, options));
    }
    if (options.floor) {
      process.stderr.write(`N=${count}: no-op provider…\n`);
      targets.push(await benchNoop(count, options));
    }
    for (const target of options.targets) {
      process.stderr.write(`N=${count}: ${target}…\n`);
      targets.push(await benchTarget(target, count, options));
    }
    sizes.push({ count, targets });
    // Written after every size, so a long run leaves its results so far.
    const text = renderBenchmarks(sizes, options);
    const out = path.resolve(PROJECT_ROOT, options.out);
    // The targeted runs' section is another benchmark's (bench/scale/targeted-runs.ts): kept.
    const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
    const kept = previous.indexOf(TARGETED_MARKER) >= 0 ? `\n${previous.slice(previous.indexOf(TARGETED_MARKER))}` : "";
    writeFileSync(out, `${text}${kept}`);
    // The raw measurements, for comparing runs or rendering them again.
    writeFileSync(out.replace(/\.md$/, "") + ".json", `${JSON.stringify({ options, sizes }, null, 2)}\n`);
    process.stdout.write(`${text}\n`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
