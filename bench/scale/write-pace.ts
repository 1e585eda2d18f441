// Where the wall time of `pulumi up` of N changed mailboxes goes under the emulator's write budget
// (issue 26: "the write budget is the floor"). Adopts N mailboxes, rebrands them all, and times
// that `up` alone; then accounts for it from the emulator's counters second by second
// (GET /_emulator/counters/timeline), the write gate's log (MAILBOX_ADDRESSES_GATE_LOG) and the
// engine's output as it came: the start to the first write, the write phase against the budget
// (its rate, the seconds below it, the pauses), the tail after the last write. `--provider noop`
// times the no-op provider's `up` of the same change instead (bench/scale/noop-program.ts, the
// engine's floor). Not a test: run it, read the account (docs/benchmarks.md, issue 26).
//   scripts/bench --script write-pace [--size 1000] [--write-budget 20] [--provider ours|noop]
//     [--label TEXT] [--out FILE]
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import type { CounterTimeline } from "../../emulator/faults";
import { benchSeed, benchSpec } from "./generate-tenant";

/** One `pulumi` command, timed: its exit, wall milliseconds, and when each part of its output came. */
interface TimedRun {
  readonly code: number;
  readonly startedAt: number;
  readonly ms: number;
  readonly output: string;
  /** Milliseconds from the start to the first output line matching each pattern, and to the last. */
  readonly firstMs: Record<string, number | undefined>;
  readonly lastMs: Record<string, number | undefined>;
  /** The 1-minute load average every 5 s while it ran. */
  readonly load: number[];
}

/** What the engine prints for each resource, and its summary. */
const MARKS: Record<string, RegExp> = { updating: / updating[ (]/, updated: / updated[ (]/, summary: /^Resources:/ };

function runTimed(command: { file: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: string[] = [];
    const firstMs: Record<string, number | undefined> = {};
    const lastMs: Record<string, number | undefined> = {};
    let partial = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      chunks.push(text);
      const at = elapsed();
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines)
        for (const [mark, pattern] of Object.entries(MARKS))
          if (pattern.test(line)) {
            firstMs[mark] ??= at;
            lastMs[mark] = at;
          }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => chunks.push(text));
    const load = [os.loadavg()[0]!];
    const timer = setInterval(() => load.push(os.loadavg()[0]!), 5000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, startedAt, ms: elapsed(), output: chunks.join(""), firstMs, lastMs, load });
    });
  });
}

/** The gate's log lines (targets/exchange-online/pipeline/write-gate-log.ts). */
interface GateLine {
  readonly t: number;
  readonly asked: number;
  readonly admitted: number;
  readonly waiting: number;
  readonly inFlight: number;
  readonly rate: number | null;
  readonly heldForMs: number;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The account of one `up` on the emulator, from its counters second by second and the gate's log. */
function account(run: TimedRun, timeline: CounterTimeline, gate: readonly GateLine[], count: number, budget: number) {
  // Timeline milliseconds are from the counters' reset, just before the command started.
  const shift = timeline.since - run.startedAt;
  const at = (ms: number | undefined) => (ms === undefined ? undefined : round((ms + shift) / 1000));
  const applied = timeline.perSecond["exchange.Set-Mailbox.applied"] ?? [];
  const throttledPerSecond = timeline.perSecond["faults.exchange.429"] ?? [];
  const firstApplied = timeline.first["exchange.Set-Mailbox.applied"];
  const lastApplied = timeline.last["exchange.Set-Mailbox.applied"];
  const firstWrite = Math.min(
    timeline.first["exchange.Set-Mailbox"] ?? Infinity,
    timeline.first["exchange.Set-Mailbox.faulted"] ?? Infinity,
  );
  const firstRead = Math.min(
    timeline.first["graph.requests"] ?? Infinity,
    timeline.first["exchange.requests"] ?? Infinity,
  );
  const total = applied.reduce((a, b) => a + b, 0);
  const throttled = throttledPerSecond.reduce((a, b) => a + b, 0);
  // The write phase: whole seconds from the first applied write's to the last's. Its first second
  // may hold the budget's burst; a second below the budget is one the client did not fill.
  const from = Math.floor((firstApplied ?? 0) / 1000);
  const to = Math.floor((lastApplied ?? 0) / 1000);
  const phase = applied.slice(from, to + 1);
  const inner = phase.slice(1, -1);
  const phaseSeconds = ((lastApplied ?? 0) - (firstApplied ?? 0)) / 1000;
  // The gate's log: seconds of the write phase with writers waiting in the gate (the gate paced
  // them), and when the provider had been asked for every write (the supply was complete).
  const phaseLog = gate.filter((g) => g.t >= timeline.since + from * 1000 && g.t <= timeline.since + to * 1000 + 999);
  const allAsked = gate.find((g) => g.asked >= count);
  return {
    wallS: round(run.ms / 1000),
    floorS: count / budget,
    ratio: round(run.ms / 1000 / (count / budget), 3),
    appliedWrites: total,
    throttled,
    throttledShare: round((100 * throttled) / Math.max(1, total + throttled), 2),
    // Where the seconds go, from the command's start.
    firstRequestS: at(Number.isFinite(firstRead) ? firstRead : undefined),
    engineFirstUpdatingS: secondsOf(run.firstMs.updating),
    firstWriteSentS: at(Number.isFinite(firstWrite) ? firstWrite : undefined),
    // The engine's last "updated" line: the tail after it is the program's and the engine's end.
    engineLastUpdatedS: secondsOf(run.lastMs.updated),
    firstAppliedS: at(firstApplied),
    lastAppliedS: at(lastApplied),
    writePhaseS: round(phaseSeconds),
    writePhaseIdealS: round(Math.max(0, count - budget) / budget),
    writeRate: round((total - 1) / Math.max(phaseSeconds, 1e-3), 2),
    engineSummaryS: secondsOf(run.firstMs.summary),
    tailS: round(run.ms / 1000 - ((lastApplied ?? 0) + shift) / 1000),
    // The write phase second by second (its first and last seconds are partial, left out).
    secondsBelowBudget: inner.filter((n) => n < budget * 0.95).length,
    secondsWithoutWrite: inner.filter((n) => n === 0).length,
    writesShortOfBudget: inner.reduce((sum, n) => sum + Math.max(0, budget - n), 0),
    secondsWith429: throttledPerSecond.filter((n) => n > 0).length,
    gateSecondsWithWaiting: phaseLog.filter((g) => g.waiting > 0).length,
    gateSecondsLogged: phaseLog.length,
    allAskedS: allAsked === undefined ? undefined : round((allAsked.t - run.startedAt) / 1000),
    finalRate: gate.at(-1)?.rate ?? undefined,
    loadAverage: loadAverageOf(run),
  };
}

/** Milliseconds from the command's start as seconds, when the mark was seen. */
function secondsOf(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : round(ms / 1000);
}

/** The machine's load average while the command ran (sampled every 5 s). */
function loadAverageOf(run: TimedRun): { min: number; max: number; mean: number } {
  return {
    min: Math.min(...run.load),
    max: Math.max(...run.load),
    mean: round(run.load.reduce((a, b) => a + b, 0) / run.load.length, 2),
  };
}

/** The program's stages (runtime/memory-stages.ts): seconds from the start, by the clock's time of each line. */
function programStages(file: string, startedAt: number): { stage: string; s: number }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((text) => JSON.parse(text) as { stage: string; t?: number; seconds: number })
    .map((line) => ({
      stage: line.stage,
      s: line.t === undefined ? line.seconds : round((line.t - startedAt) / 1000),
    }));
}

async function main(): Promise<void> {
  const { text } = commandLine("bench/scale/write-pace");
  const count = Number(text("size", "1000"));
  const budget = Number(text("write-budget", "20"));
  const provider = text("provider", "ours");
  const label = text("label", provider);
  const out = text("out", "");
  const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
  const emulator = provider === "ours" ? await EmulatorProcess.start() : undefined;
  const stack =
    emulator === undefined
      ? new TestStack(`pace-noop-${count}`, {}, {}, "dist/bench/scale/noop-program.js")
      : new TestStack(`pace-${count}`, emulator.stackConfig(), emulator.environment());
  const gateLog = path.join(stack.dir, "gate.jsonl");
  try {
    emulator?.withTenant((tenant) => tenant.seed(benchSeed(count)));
    stack.writeSpec(benchSpec(count, "as-is"));
    process.stderr.write(`${label}: adopting ${count} mailboxes…\n`);
    stack.run(["up", "--yes", "--skip-preview"], { check: true, env: skip });
    stack.writeSpec(benchSpec(count, "rebrand"));
    await emulator?.setFaults({ writeBudget: { capacity: budget, refillPerSecond: budget } });
    await emulator?.resetCounters();
    process.stderr.write(`${label}: up of ${count} changed mailboxes…\n`);
    const memoryLog = path.join(stack.dir, "memory.jsonl");
    const run = await runTimed(
      stack.command(["up", "--yes", "--skip-preview"], {
        ...skip,
        MAILBOX_ADDRESSES_GATE_LOG: gateLog,
        MAILBOX_ADDRESSES_MEMORY_LOG: memoryLog,
      }),
    );
    const program = existsSync(memoryLog) ? programStages(memoryLog, run.startedAt) : undefined;
    if (run.code !== 0) throw new Error(`pulumi up failed (${run.code}):\n${run.output.slice(-4000)}`);
    let result: Record<string, unknown>;
    if (emulator !== undefined) {
      const timeline = await emulator.timeline();
      const counters = await emulator.counters();
      const gate = existsSync(gateLog)
        ? readFileSync(gateLog, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line) as GateLine)
        : [];
      const rebranded = emulator.withTenant(
        (tenant) =>
          tenant
            .list({ usersOnly: true })
            .filter((r) => r.addresses.includes(`SMTP:${r.upn!.split("@")[0]}@fabrikam.com`)).length,
      );
      if (rebranded !== count)
        throw new Error(`after pulumi up, ${rebranded} of ${count} mailboxes carry the new primary`);
      result = { ...account(run, timeline, gate, count, budget), counters, timeline, gate };
    } else {
      result = {
        wallS: round(run.ms / 1000),
        engineFirstUpdatingS: secondsOf(run.firstMs.updating),
        engineLastUpdatedS: secondsOf(run.lastMs.updated),
        engineSummaryS: secondsOf(run.firstMs.summary),
        loadAverage: loadAverageOf(run),
      };
    }
    const line = {
      ...(program ? { program } : {}),
      label,
      provider,
      size: count,
      writeBudget: budget,
      startedAt: new Date(run.startedAt).toISOString(),
      ...result,
    };
    const { timeline: _t, gate: _g, counters: _c, ...summary } = line as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (out) appendFileSync(out, `${JSON.stringify(line)}\n`);
  } finally {
    stack.dispose();
    await emulator?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
