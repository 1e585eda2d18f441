// The targeted-run benchmark (not a test; docs/TARGETED-RUNS.md, issue 18): in a stack of N
// mailboxes on the local target, side by side in one run, a full `pulumi preview` and `up` of a
// change to k mailboxes against `mailbox-addresses plan --changed-since HEAD` and `apply --plan`
// of the same kind of change (k = 1, 10, 100), and the no-op provider's floor for the same
// targeted runs (its program declaring only the k resources, `--refresh=false --target` each).
// Wall seconds and peak memory (engine, program, provider). Prints a Markdown table and writes the
// raw numbers next to --out.
//   node dist/bench/scale/targeted-runs.js [--size 10000] [--ks 1,10,100] [--floor yes|no]
//     [--ours yes|no] [--decompose yes|no] [--doc docs/benchmarks.md] [--out docs/benchmarks-targeted.json]
//   node dist/bench/scale/targeted-runs.js --render results.json --size N --ks 1,10,100 --doc docs/benchmarks.md
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { Tenant } from "../../tenant/tenant";
import { benchSeed, benchUser } from "./generate-tenant";
import { runMeasured, type Measured } from "./measure-process";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const N = Number(arg("size", "10000"));
const KS = arg("ks", "1,10,100").split(",").map(Number);
const OUT = path.resolve(PROJECT_ROOT, arg("out", "docs/benchmarks-targeted.json"));
const SKIP = { PULUMI_SKIP_CHECKPOINTS: "true" };

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
  readonly what: string;
  readonly k: number | undefined;
  readonly seconds: number;
  readonly engineMb?: number;
  readonly programMb?: number;
  readonly providerMb?: number;
}
const rows: Row[] = [];

function record(what: string, k: number | undefined, m: Measured, allowed: readonly number[] = [0]): void {
  if (!allowed.includes(m.code)) throw new Error(`${what} failed (${m.code}):\n${m.output.slice(-4000)}`);
  const row = { what, k, seconds: m.ms / 1000, engineMb: m.peakMb.engine, programMb: m.peakMb.program, providerMb: m.peakMb.provider };
  rows.push(row);
  process.stderr.write(
    `  ${what}${k !== undefined ? ` k=${k}` : ""}: ${row.seconds.toFixed(1)} s (engine ${row.engineMb ?? "-"} MB, program ${row.programMb ?? "-"} MB, provider ${row.providerMb ?? "-"} MB)\n`,
  );
  writeFileSync(OUT, `${JSON.stringify({ N, ks: KS, rows }, null, 2)}\n`);
}

function git(stack: TestStack, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], { cwd: stack.dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

const cli = (stack: TestStack, args: string[]) => {
  const { cwd, env } = stack.command([]);
  return { file: process.execPath, args: [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), ...args], cwd, env: { ...env, ...SKIP } };
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

async function ours(): Promise<void> {
  process.stderr.write(`N=${N}: the project's program, local target\n`);
  const stack = new TestStack(`tbench-${N}`);
  try {
    Tenant.withFile(stack.database, (tenant) => tenant.seed(benchSeed(N)));
    git(stack, "init", "-q");
    const done = new Set<number>();
    stack.writeSpec(specWith(done));
    git(stack, "add", "mailboxes.yaml");
    git(stack, "commit", "-q", "-m", "as is");
    record("adopt: `up` of N mailboxes (setup)", undefined, await runMeasured(stack.command(["up", "--yes", "--skip-preview"], SKIP)));
    for (const { k, changed } of ranges()) {
      for (const i of changed) done.add(i);
      stack.writeSpec(specWith(done));
      record("full `pulumi preview`", k, await runMeasured(stack.command(["preview"])));
      const plan = path.join(stack.dir, `plan-${k}.json`);
      record("targeted `plan --changed-since HEAD --save`", k, await runMeasured(cli(stack, ["plan", "--changed-since", "HEAD", "--save", plan, "--json", "--quiet", "--stack", stack.stack])), [2]);
      if (arg("decompose", "yes") !== "no") {
        // Where the targeted plan's time goes: the CLI's `stack export`, and the engine with the
        // program in targeted mode on the same set (what the CLI runs after computing it).
        if (k === KS[0]) record("of which: `pulumi stack export`", k, await runMeasured(stack.command(["stack", "export"])));
        const scope = (JSON.parse(readFileSync(plan, "utf8")) as { scope: { declare: string[]; release: string[]; why: Record<string, string[]> }; specDigest: string }).scope;
        const run = {
          scope: "targeted",
          specDigest: (JSON.parse(readFileSync(plan, "utf8")) as { specDigest: string }).specDigest,
          declare: scope.declare,
          release: scope.release,
          reasons: scope.why,
        };
        const targetsFile = path.join(stack.dir, `targets-${k}.json`);
        writeFileSync(targetsFile, JSON.stringify(run));
        const targets = [...scope.declare, ...scope.release].flatMap((identity) => [
          "--target",
          `urn:pulumi:${stack.stack}::mailbox-addresses::pulumi-nodejs:dynamic/mailbox:MailboxAddresses::${identity}`,
        ]);
        record(
          "of which: `pulumi preview --refresh=false --target`… (program in targeted mode)",
          k,
          await runMeasured(stack.command(["preview", "--refresh=false", ...targets], { MAILBOX_ADDRESSES_TARGETS: targetsFile })),
        );
      }
      record("targeted `apply --plan`", k, await runMeasured(cli(stack, ["apply", "--plan", plan, "--quiet"])));
      git(stack, "commit", "-q", "-am", `k=${k}`);
    }
    // A full up of the largest k, on mailboxes no step touched yet.
    const k = Math.max(...KS);
    for (let i = 0; i < k; i++) done.add(N - 1 - i);
    stack.writeSpec(specWith(done));
    record("full `pulumi up`", k, await runMeasured(stack.command(["up", "--yes", "--skip-preview"], SKIP)));
  } finally {
    stack.dispose();
  }
}

async function floor(): Promise<void> {
  process.stderr.write(`N=${N}: the no-op provider (the engine's floor)\n`);
  const stack = new TestStack(`tbench-noop-${N}`, {}, {}, "dist/bench/scale/noop-program.js");
  try {
    const done = new Set<number>();
    stack.writeSpec(specWith(done));
    record("no-op: adopt (setup)", undefined, await runMeasured(stack.command(["up", "--yes", "--skip-preview"], SKIP)));
    const declareFile = path.join(stack.dir, "declare.json");
    for (const { k, changed } of ranges()) {
      for (const i of changed) done.add(i);
      stack.writeSpec(specWith(done));
      if (k === KS[0]) record("no-op: full `pulumi preview`", k, await runMeasured(stack.command(["preview"])));
      const identities = changed.map((i) => `${benchUser(i)}@contoso.com`);
      writeFileSync(declareFile, JSON.stringify(identities));
      const targets = identities.flatMap((identity) => ["--target", `urn:pulumi:${stack.stack}::mailbox-addresses::pulumi-nodejs:dynamic/noop:NoopMailbox::${identity}`]);
      const env = { NOOP_DECLARE: declareFile };
      record("no-op: targeted `preview --refresh=false`", k, await runMeasured(stack.command(["preview", "--refresh=false", ...targets], env)));
      record("no-op: targeted `up --refresh=false`", k, await runMeasured(stack.command(["up", "--yes", "--skip-preview", "--refresh=false", ...targets], { ...env, ...SKIP })));
    }
  } finally {
    stack.dispose();
  }
}

/** The section of docs/benchmarks.md, from the marker on (`npm run bench` keeps it). */
export const SECTION_MARKER = "<!-- targeted-runs: written by bench/scale/targeted-runs.ts -->";

function renderSection(command: string): string {
  const get = (what: string, k: number | undefined) => rows.find((r) => r.what === what && r.k === k);
  const s = (r: Row | undefined) => (r ? r.seconds.toFixed(1) : "–");
  const mb = (r: Row | undefined) => (r ? `${r.engineMb ?? "–"} / ${r.programMb ?? "–"} / ${r.providerMb ?? "–"}` : "–");
  const lines = [
    SECTION_MARKER,
    "## Targeted runs",
    "",
    `N = ${N.toLocaleString("en-US")} mailboxes on the local target; k mailboxes changed (rebranded) and committed between steps. Wall seconds, one run each, in one run of:`,
    "",
    "```",
    command,
    "```",
    "",
    "“targeted plan” is `mailbox-addresses plan --changed-since HEAD --save plan.json`, all of it (the CLI, `stack export`, the change set, the engine with the program in targeted mode); “of which engine” is the `pulumi preview --refresh=false --target …` it runs, alone. “targeted apply” is `mailbox-addresses apply --plan plan.json`. “full” is `pulumi preview` (the project refreshes) with the same k changes pending. The no-op floor runs the no-op provider's program declaring only the k resources, `--refresh=false --target` each.",
    "",
    "| k | full `preview` | targeted plan | of which engine | no-op targeted `preview` | targeted apply | no-op targeted `up` |",
    "| --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const k of KS) {
    lines.push(
      `| ${k} | ${s(get("full `pulumi preview`", k))} | ${s(get("targeted `plan --changed-since HEAD --save`", k))} | ${s(get("of which: `pulumi preview --refresh=false --target`… (program in targeted mode)", k))} | ${s(get("no-op: targeted `preview --refresh=false`", k))} | ${s(get("targeted `apply --plan`", k))} | ${s(get("no-op: targeted `up --refresh=false`", k))} |`,
    );
  }
  const big = Math.max(...KS);
  lines.push(
    "",
    `Also in this run: adopting the N mailboxes (\`up\`) ${s(get("adopt: `up` of N mailboxes (setup)", undefined))} s; a full \`pulumi up\` of k = ${big} changed mailboxes ${s(get("full `pulumi up`", big))} s; \`pulumi stack export\` ${s(get("of which: `pulumi stack export`", KS[0]))} s; the no-op provider's full \`preview\` ${s(get("no-op: full `pulumi preview`", KS[0]))} s.`,
    "",
    "Peak memory, MB (engine / program / provider):",
    "",
    "| run | k | peak MB |",
    "| :-- | --: | --: |",
    `| full \`preview\` | ${KS[0]} | ${mb(get("full `pulumi preview`", KS[0]))} |`,
    `| targeted plan | ${KS[0]} | ${mb(get("targeted `plan --changed-since HEAD --save`", KS[0]))} |`,
    `| targeted plan | ${big} | ${mb(get("targeted `plan --changed-since HEAD --save`", big))} |`,
    `| targeted apply | ${big} | ${mb(get("targeted `apply --plan`", big))} |`,
    `| full \`up\` | ${big} | ${mb(get("full `pulumi up`", big))} |`,
    `| no-op targeted \`up\` | ${big} | ${mb(get("no-op: targeted `up --refresh=false`", big))} |`,
    "",
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (arg("ours", "yes") !== "no") await ours();
  if (arg("floor", "yes") !== "no") await floor();
  const lines = ["| what | k | wall s | engine MB | program MB | provider MB |", "| :-- | --: | --: | --: | --: | --: |"];
  for (const r of rows) lines.push(`| ${r.what} | ${r.k ?? ""} | ${r.seconds.toFixed(1)} | ${r.engineMb ?? ""} | ${r.programMb ?? ""} | ${r.providerMb ?? ""} |`);
  process.stdout.write(`N = ${N}, local target\n\n${lines.join("\n")}\n`);
  const doc = arg("doc", "");
  if (doc) {
    // Replaces this section of the page (from the marker on), keeping the rest.
    const file = path.resolve(PROJECT_ROOT, doc);
    const text = readFileSync(file, "utf8");
    const at = text.indexOf(SECTION_MARKER);
    const command = ["node dist/bench/scale/targeted-runs.js", ...process.argv.slice(2)].join(" ");
    writeFileSync(file, `${at >= 0 ? text.slice(0, at) : `${text.trimEnd()}\n\n`}${renderSection(command)}`);
  }
}

/** Renders the section from a raw results file: node dist/bench/scale/targeted-runs.js --render results.json --doc docs/benchmarks.md */
function renderFrom(file: string): void {
  const saved = JSON.parse(readFileSync(file, "utf8")) as { rows: Row[] };
  rows.push(...saved.rows);
}

if (arg("render", "")) {
  renderFrom(arg("render", ""));
  const file = path.resolve(PROJECT_ROOT, arg("doc", "docs/benchmarks.md"));
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(SECTION_MARKER);
  writeFileSync(file, `${at >= 0 ? text.slice(0, at) : `${text.trimEnd()}\n\n`}${renderSection(arg("command", "node dist/bench/scale/targeted-runs.js"))}`);
} else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
