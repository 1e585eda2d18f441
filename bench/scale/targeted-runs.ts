// The targeted-run benchmark (not a test; docs/TARGETED-RUNS.md, issue 18): in a stack of N
// mailboxes on the local target and on the emulator, side by side in one run, a full `pulumi
// preview` and `up` of a change to k mailboxes against `mailbox-addresses plan --changed-since
// HEAD` and `apply --plan` of the same kind of change (k = 1, 10, 100), and the no-op provider's
// floor for the same targeted runs (its program declaring only the k resources, `--refresh=false
// --target` each). Wall seconds, peak memory (engine, program, provider), the emulator's request
// counts and the state's size. Prints a Markdown table and writes the raw numbers next to --out.
//   scripts/bench --script targeted-runs [--size 10000] [--ks 1,10,100] [--targets local,emulator]
//     [--floor yes|no] [--ours yes|no] [--decompose yes|no] [--full all|first] [--doc docs/benchmarks.md] [--out docs/benchmarks-targeted.json]
//   --full first: the full `preview` only at the first k (the memory table's row) and no full `up`,
//   for a run that compares the targeted plan (each full preview at 10,000 takes over a minute).
//   scripts/bench --script targeted-runs --render results.json --size N --ks 1,10,100 --doc docs/benchmarks.md
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commandLine } from "../../harness/command-line";
import { EmulatorProcess } from "../../harness/emulator-process";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { RUN_CHANNEL } from "../../runtime/run-channel";
import { benchSeed, benchUser } from "./generate-tenant";
import { replaceSection } from "./doc-section";
import { runMeasured, stateFacts } from "./measure-process";

// The options, parsed strictly (--help lists them): toolchain/command-lines.js.
const arg = commandLine("bench/scale/targeted-runs").text;
const N = Number(arg("size", "10000"));
const KS = arg("ks", "1,10,100").split(",").map(Number);
const TARGETS = arg("targets", "local,emulator").split(",") as ("local" | "emulator")[];
const OUT = path.resolve(PROJECT_ROOT, arg("out", "docs/benchmarks-targeted.json"));
const SKIP = { PULUMI_SKIP_CHECKPOINTS: "true" };
const FULL_ALL = arg("full", "all") !== "first";

/** The spec: every mailbox as it is, except those in `changed`, rebranded (primary to @fabrikam.com). */
function specWith(changed: ReadonlySet<number>): string {
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = 0; i < N; i++) {
    const user = benchUser(i);
    lines.push(`  ${user}@contoso.com:`);
    if (changed.has(i)) lines.push(`    primary: ${user}@fabrikam.com`, `    aliases: [${user}@contoso.com]`);
    else lines.push(`    primary: ${user}@contoso.com`);
  }
  return `${lines.join("\n")}\n`;
}

interface Row {
  /** local, emulator, or noop (the no-op provider's floor). */
  readonly target: string;
  readonly what: string;
  readonly k: number | undefined;
  /** Requests the emulator answered during the run (Graph, Exchange, tokens). */
  readonly requests?: number;
  readonly seconds: number;
  readonly engineMb?: number;
  readonly programMb?: number;
  readonly providerMb?: number;
}
const rows: Row[] = [];

/** State facts per target: bytes per mailbox and `__provider` bytes per mailbox, after adopting. */
const states: Record<string, { bytesPerMailbox: number; providerBytesPerMailbox: number }> = {};

function save(): void {
  writeFileSync(OUT, `${JSON.stringify({ N, ks: KS, rows, states }, null, 2)}\n`);
}

/** Runs a measured command (on the emulator, counting its requests) and records it. */
async function measure(
  target: string,
  what: string,
  k: number | undefined,
  command: Parameters<typeof runMeasured>[0],
  emulator?: EmulatorProcess,
  allowed: readonly number[] = [0],
): Promise<void> {
  await emulator?.resetCounters();
  const m = await runMeasured(command);
  if (!allowed.includes(m.code)) throw new Error(`${target}: ${what} failed (${m.code}):\n${m.output.slice(-4000)}`);
  let requests: number | undefined;
  if (emulator) {
    const c = await emulator.counters();
    requests =
      (c["graph.requests"] ?? 0) +
      (c["exchange.requests"] ?? 0) +
      (c["identity.token"] ?? 0) +
      (c["identity.openid-configuration"] ?? 0);
  }
  const row: Row = {
    target,
    what,
    k,
    seconds: m.ms / 1000,
    engineMb: m.peakMb.engine,
    programMb: m.peakMb.program,
    providerMb: m.peakMb.provider,
    ...(requests !== undefined ? { requests } : {}),
  };
  rows.push(row);
  process.stderr.write(
    `  [${target}] ${what}${k !== undefined ? ` k=${k}` : ""}: ${row.seconds.toFixed(1)} s (engine ${row.engineMb ?? "-"} MB, program ${row.programMb ?? "-"} MB, provider ${row.providerMb ?? "-"} MB${requests !== undefined ? `, ${requests} requests` : ""})\n`,
  );
  save();
}

function git(stack: TestStack, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], {
    cwd: stack.dir,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

const cli = (stack: TestStack, args: string[]) => {
  const { cwd, env } = stack.command([]);
  return {
    file: process.execPath,
    args: [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), ...args],
    cwd,
    env: { ...env, ...SKIP },
  };
};

/** The ranges of mailboxes each step changes: disjoint, so each k is a fresh change. */
function ranges(): { k: number; changed: number[] }[] {
  let next = 0;
  return KS.map((k) => {
    const changed = Array.from({ length: k }, (_, i) => next + i);
    next += k;
    return { k, changed };
  });
}

async function ours(target: "local" | "emulator"): Promise<void> {
  process.stderr.write(`N=${N}: the project's program, ${target} target\n`);
  const emulator = target === "emulator" ? await EmulatorProcess.start() : undefined;
  const stack = emulator
    ? new TestStack(`tbench-emu-${N}`, emulator.stackConfig(), emulator.environment())
    : new TestStack(`tbench-${N}`);
  try {
    (emulator ?? stack).withTenant((tenant) => tenant.seed(benchSeed(N)));
    git(stack, "init", "-q");
    const done = new Set<number>();
    stack.writeSpec(specWith(done));
    git(stack, "add", "mailboxes.yaml");
    git(stack, "commit", "-q", "-m", "as is");
    await measure(
      target,
      "adopt: `up` of N mailboxes (setup)",
      undefined,
      stack.command(["up", "--yes", "--skip-preview"], SKIP),
      emulator,
    );
    states[target] = stateFacts(stack, N);
    save();
    for (const { k, changed } of ranges()) {
      for (const i of changed) done.add(i);
      stack.writeSpec(specWith(done));
      if (FULL_ALL || k === KS[0])
        await measure(target, "full `pulumi preview`", k, stack.command(["preview"]), emulator);
      const plan = path.join(stack.dir, `plan-${k}.json`);
      await measure(
        target,
        "targeted `plan --changed-since HEAD --save`",
        k,
        cli(stack, ["plan", "--changed-since", "HEAD", "--save", plan, "--json", "--quiet", "--stack", stack.stack]),
        emulator,
        [2],
      );
      if (arg("decompose", "yes") !== "no") {
        // Where the targeted plan's time goes: the CLI's `stack export`, and the engine with the
        // program in targeted mode on the same set (what the CLI runs after computing it).
        if (k === KS[0])
          await measure(target, "of which: `pulumi stack export`", k, stack.command(["stack", "export"]));
        const saved = JSON.parse(readFileSync(plan, "utf8")) as {
          scope: { declare: string[]; release: string[]; why: Record<string, string[]> };
          specDigest: string;
        };
        const targetsFile = path.join(stack.dir, `targets-${k}.json`);
        // Without managedElsewhere: the program then assesses the whole spec (what a run that
        // cannot know the stack's other mailboxes does); the CLI's own run reads only the set.
        writeFileSync(
          targetsFile,
          JSON.stringify({
            scope: "targeted",
            specDigest: saved.specDigest,
            declare: saved.scope.declare,
            release: saved.scope.release,
            reasons: saved.scope.why,
          }),
        );
        const targets = [...saved.scope.declare, ...saved.scope.release].flatMap((identity) => [
          "--target",
          `urn:pulumi:${stack.stack}::mailbox-addresses::pulumi-nodejs:dynamic/mailbox:MailboxAddresses::${identity}`,
        ]);
        await measure(
          target,
          "of which: `pulumi preview --refresh=false --target`… (program in targeted mode, whole spec read)",
          k,
          stack.command(["preview", "--refresh=false", ...targets], { [RUN_CHANNEL.targets.variable]: targetsFile }),
          emulator,
        );
      }
      await measure(target, "targeted `apply --plan`", k, cli(stack, ["apply", "--plan", plan, "--quiet"]), emulator);
      git(stack, "commit", "-q", "-am", `k=${k}`);
    }
    // A full up of the largest k, on mailboxes no step touched yet.
    if (!FULL_ALL) return;
    const k = Math.max(...KS);
    for (let i = 0; i < k; i++) done.add(N - 1 - i);
    stack.writeSpec(specWith(done));
    await measure(target, "full `pulumi up`", k, stack.command(["up", "--yes", "--skip-preview"], SKIP), emulator);
  } finally {
    stack.dispose();
    await emulator?.stop();
  }
}

async function floor(): Promise<void> {
  process.stderr.write(`N=${N}: the no-op provider (the engine's floor)\n`);
  const stack = new TestStack(`tbench-noop-${N}`, {}, {}, "dist/bench/scale/noop-program.js");
  try {
    const done = new Set<number>();
    stack.writeSpec(specWith(done));
    await measure("noop", "no-op: adopt (setup)", undefined, stack.command(["up", "--yes", "--skip-preview"], SKIP));
    states.noop = stateFacts(stack, N);
    const declareFile = path.join(stack.dir, "declare.json");
    for (const { k, changed } of ranges()) {
      for (const i of changed) done.add(i);
      stack.writeSpec(specWith(done));
      if (k === KS[0]) await measure("noop", "no-op: full `pulumi preview`", k, stack.command(["preview"]));
      const identities = changed.map((i) => `${benchUser(i)}@contoso.com`);
      writeFileSync(declareFile, JSON.stringify(identities));
      const targets = identities.flatMap((identity) => [
        "--target",
        `urn:pulumi:${stack.stack}::mailbox-addresses::pulumi-nodejs:dynamic/noop:NoopMailbox::${identity}`,
      ]);
      const env = { NOOP_DECLARE: declareFile };
      await measure(
        "noop",
        "no-op: targeted `preview --refresh=false`",
        k,
        stack.command(["preview", "--refresh=false", ...targets], env),
      );
      await measure(
        "noop",
        "no-op: targeted `up --refresh=false`",
        k,
        stack.command(["up", "--yes", "--skip-preview", "--refresh=false", ...targets], { ...env, ...SKIP }),
      );
    }
  } finally {
    stack.dispose();
  }
}

/** The section of docs/benchmarks.md, from the marker on (`npm run bench` keeps it). */
export const SECTION_MARKER = "<!-- targeted-runs: written by bench/scale/targeted-runs.ts -->";

function renderSection(command: string): string {
  const get = (target: string, what: string, k: number | undefined) =>
    rows.find((r) => r.target === target && r.what === what && r.k === k);
  const s = (r: Row | undefined) => (r ? r.seconds.toFixed(1) : "–");
  const req = (r: Row | undefined) =>
    r?.requests !== undefined ? ` (${r.requests.toLocaleString("en-US")} req.)` : "";
  const mb = (r: Row | undefined) =>
    r ? `${r.engineMb ?? "–"} / ${r.programMb ?? "–"} / ${r.providerMb ?? "–"}` : "–";
  const ENGINE = "of which: `pulumi preview --refresh=false --target`… (program in targeted mode, whole spec read)";
  const lines = [
    SECTION_MARKER,
    "## Targeted runs",
    "",
    `N = ${N.toLocaleString("en-US")} mailboxes on the local target and on the emulator (no write budget); k mailboxes changed (rebranded) and committed between steps. Wall seconds, one run each, all in one run of:`,
    "",
    "```",
    command,
    "```",
    "",
    "“targeted plan” is `mailbox-addresses plan --changed-since HEAD --save plan.json`, all of it (the CLI, `stack export`, the change set, `pulumi preview --json --refresh=false --target …` with the program reading only the set). “engine, whole spec” is that preview run alone, with a program that reads and assesses the whole spec (the targets file without the state's other object ids). “targeted apply” is `mailbox-addresses apply --plan plan.json`. “full” is `pulumi preview` (the project refreshes) with the same k changes pending. The no-op floor runs the no-op provider's program declaring only the k resources, `--refresh=false --target` each. On the emulator, the requests it answered are in brackets.",
    "",
  ];
  for (const target of TARGETS.filter((t) => rows.some((r) => r.target === t))) {
    lines.push(
      `**${target === "local" ? "Local target" : "Emulator"}**`,
      "",
      "| k | full `preview` | targeted plan | engine, whole spec | no-op targeted `preview` | targeted apply | no-op targeted `up` | full ÷ targeted plan |",
      "| --: | --: | --: | --: | --: | --: | --: | --: |",
    );
    for (const k of KS) {
      const full = get(target, "full `pulumi preview`", k);
      const plan = get(target, "targeted `plan --changed-since HEAD --save`", k);
      lines.push(
        `| ${k} | ${s(full)}${req(full)} | ${s(plan)}${req(plan)} | ${s(get(target, ENGINE, k))}${req(get(target, ENGINE, k))} | ${s(get("noop", "no-op: targeted `preview --refresh=false`", k))} | ${s(get(target, "targeted `apply --plan`", k))}${req(get(target, "targeted `apply --plan`", k))} | ${s(get("noop", "no-op: targeted `up --refresh=false`", k))} | ${full && plan ? `${(full.seconds / plan.seconds).toFixed(1)}×` : "–"} |`,
      );
    }
    const big = Math.max(...KS);
    const state = states[target];
    lines.push(
      "",
      `Also: adopting the N mailboxes (\`up\`) ${s(get(target, "adopt: `up` of N mailboxes (setup)", undefined))} s; a full \`pulumi up\` of k = ${big} changed mailboxes ${s(get(target, "full `pulumi up`", big))} s; \`pulumi stack export\` ${s(get(target, "of which: `pulumi stack export`", KS[0]))} s${state ? `; the state: ${state.bytesPerMailbox.toLocaleString("en-US")} bytes per mailbox, of which \`__provider\` ${state.providerBytesPerMailbox.toLocaleString("en-US")}` : ""}.`,
      "",
    );
  }
  const big = Math.max(...KS);
  lines.push(
    `The no-op provider's full \`preview\`: ${s(get("noop", "no-op: full `pulumi preview`", KS[0]))} s${states.noop ? `; its state: ${states.noop.bytesPerMailbox.toLocaleString("en-US")} bytes per mailbox` : ""}.`,
    "",
    "Peak memory, MB (engine / program / provider):",
    "",
    "| run | k | local | emulator | no-op |",
    "| :-- | --: | --: | --: | --: |",
    `| adopt (\`up\` of N) | | ${mb(get("local", "adopt: `up` of N mailboxes (setup)", undefined))} | ${mb(get("emulator", "adopt: `up` of N mailboxes (setup)", undefined))} | ${mb(get("noop", "no-op: adopt (setup)", undefined))} |`,
    `| full \`preview\` | ${KS[0]} | ${mb(get("local", "full `pulumi preview`", KS[0]))} | ${mb(get("emulator", "full `pulumi preview`", KS[0]))} | ${mb(get("noop", "no-op: full `pulumi preview`", KS[0]))} |`,
    `| targeted plan | ${KS[0]} | ${mb(get("local", "targeted `plan --changed-since HEAD --save`", KS[0]))} | ${mb(get("emulator", "targeted `plan --changed-since HEAD --save`", KS[0]))} | ${mb(get("noop", "no-op: targeted `preview --refresh=false`", KS[0]))} |`,
    `| targeted plan | ${big} | ${mb(get("local", "targeted `plan --changed-since HEAD --save`", big))} | ${mb(get("emulator", "targeted `plan --changed-since HEAD --save`", big))} | ${mb(get("noop", "no-op: targeted `preview --refresh=false`", big))} |`,
    `| targeted apply | ${big} | ${mb(get("local", "targeted `apply --plan`", big))} | ${mb(get("emulator", "targeted `apply --plan`", big))} | ${mb(get("noop", "no-op: targeted `up --refresh=false`", big))} |`,
    `| full \`up\` | ${big} | ${mb(get("local", "full `pulumi up`", big))} | ${mb(get("emulator", "full `pulumi up`", big))} | |`,
    "",
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (arg("ours", "yes") !== "no") for (const target of TARGETS) await ours(target);
  if (arg("floor", "yes") !== "no") await floor();
  const lines = [
    "| target | what | k | wall s | requests | engine MB | program MB | provider MB |",
    "| :-- | :-- | --: | --: | --: | --: | --: | --: |",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.target} | ${r.what} | ${r.k ?? ""} | ${r.seconds.toFixed(1)} | ${r.requests ?? ""} | ${r.engineMb ?? ""} | ${r.programMb ?? ""} | ${r.providerMb ?? ""} |`,
    );
  process.stdout.write(`N = ${N}\n\n${lines.join("\n")}\n`);
  const doc = arg("doc", "");
  if (doc) {
    // Replaces this section of the page (from the marker on), keeping the rest.
    replaceSection(
      doc,
      SECTION_MARKER,
      renderSection(["scripts/bench --script targeted-runs", ...process.argv.slice(2)].join(" ")),
    );
  }
}

/** Renders the section from a raw results file: scripts/bench --script targeted-runs --render results.json --doc docs/benchmarks.md */
function renderFrom(file: string): void {
  const saved = JSON.parse(readFileSync(file, "utf8")) as { rows: Row[]; states?: typeof states };
  rows.push(...saved.rows);
  Object.assign(states, saved.states ?? {});
}

if (arg("render", "")) {
  renderFrom(arg("render", ""));
  replaceSection(
    arg("doc", "docs/benchmarks.md"),
    SECTION_MARKER,
    renderSection(arg("command", "scripts/bench --script targeted-runs")),
  );
} else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
