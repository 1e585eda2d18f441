// The command line of every entry script (scripts/) and benchmark (bench/), in one table, parsed
// with node:util parseArgs (strict). Each answers --help/-h with its usage (options, examples,
// what it writes where) and exit 0, and refuses an unknown option, a missing value or a stray
// argument in one line naming it and --help, exit 2. The shell scripts check their arguments here
// (toolchain/check-args.sh) before any setup, so that plain JavaScript on any Node.js ≥ 18 reads
// this file; the benchmarks and the hybrid lab read the same table through
// harness/command-line.ts once built.
//   node toolchain/command-lines.js <command> [arguments…]   prints the usage for --help, a one-line
//                                                            error for a bad option, nothing else
"use strict";
const path = require("node:path");
const util = require("node:util");

/**
 * @typedef {{ type: "string" | "boolean", short?: string, value?: string, choices?: string[], multiple?: boolean,
 *   help: string }} OptionSpec
 *   `choices`: the values a string option takes (each item of a comma-separated LIST); another is
 *   refused in one line naming them. `value` shows them joined by "|" unless it says otherwise.
 * @typedef {{ command: string, summary: string, usage: string[], options: Record<string, OptionSpec>,
 *   positionals?: string, writes: string, examples: string[], notes?: string[] }} CommandSpec
 */

const LIST = "LIST";
const yesNo = (help) => ({ type: "string", choices: ["yes", "no"], help });
const TARGETS = ["local", "emulator"];

/** A benchmark that owns a section of docs/benchmarks.md: where to write it, and rendering it again from raw numbers. */
const sectionOptions = (section) => ({
  doc: {
    type: "string",
    value: "FILE",
    help: `also rewrite the ${section} section of this page (e.g. docs/benchmarks.md)`,
  },
  render: {
    type: "string",
    value: "FILE",
    help: "measure nothing: render the section from a raw results file into --doc",
  },
  command: { type: "string", value: "TEXT", help: "with --render: the command the section says produced it" },
});

/** The scale benchmark's options (bench/scale/run-benchmarks.ts), also `scripts/bench`'s. */
const SCALE_OPTIONS = {
  sizes: { type: "string", value: LIST, help: "mailbox counts N, comma-separated (default 100,1000,10000)" },
  targets: {
    type: "string",
    value: LIST,
    choices: TARGETS,
    help: "targets measured: local, emulator (default local,emulator)",
  },
  "write-budget": { type: "string", value: "N", help: "the emulator's Set-* writes per second during up (default 20)" },
  "latency-ms": { type: "string", value: "MS", help: "added emulator latency per request during up (default 0)" },
  parallel: { type: "string", value: "P", help: "pulumi up --parallel P (default: the engine's)" },
  "max-concurrency": {
    type: "string",
    value: "C",
    help: "the emulator stacks' maxConcurrency setting (default: the provider's)",
  },
  "checkpoint-sizes": {
    type: "string",
    value: LIST,
    help: "sizes that also adopt with the file backend's checkpoints on (default 100,1000; 0 for none)",
  },
  floor: yesNo("also measure the no-op provider, the engine's floor (default yes)"),
  out: {
    type: "string",
    value: "FILE",
    help: "the page written, relative to the checkout (default docs/benchmarks.md)",
  },
  baseline: {
    type: "string",
    value: "DIR",
    help: "a built checkout of another commit (DIR/dist): its emulator runs go first, in the same run, for a before/after table",
  },
  "baseline-label": { type: "string", value: "TEXT", help: "what the before/after table calls the baseline" },
};

/** @type {Record<string, CommandSpec>} */
const COMMANDS = {
  "scripts/test": {
    command: "scripts/test",
    summary:
      "Sets up the toolchain (Node.js 22 and 24, the Pulumi CLI, npm packages, the TypeScript build, actionlint, Samba, a Python virtual environment), checks the generated types, the format and lint, then runs the tests: unit, integration, fidelity, then end-to-end, fast ones first.",
    usage: ["scripts/test [PATH…]"],
    positionals: "PATH…  compiled test files or folders under dist/test (default: all of dist/test)",
    options: {},
    writes:
      "the toolchain into .tools/ and ~/.cache/mailbox-addresses, the build into dist/; each test's stacks, tenants and servers live in temporary folders and are removed; with UPDATE_SNAPSHOTS=1, the snapshots the tests compare with.",
    examples: [
      "scripts/test",
      "scripts/test dist/test/unit",
      "scripts/test dist/test/e2e/rebrand.test.js",
      "MAILBOX_ADDRESSES_LINT=0 scripts/test dist/test/unit   # without the format and lint checks",
    ],
    notes: [
      "Environment: MAILBOX_ADDRESSES_LINT=0 skips format and lint; MAILBOX_ADDRESSES_TEST_STATUS_EVERY=S prints what the run waits on after S quiet seconds (default 15); UPDATE_SNAPSHOTS=1 rewrites snapshots.",
    ],
  },
  "scripts/bench": {
    command: "scripts/bench",
    summary:
      "Sets up the toolchain and runs the scale benchmark (not a test): pulumi preview, up and refresh of N mailboxes on the local target and on the emulator, side by side with a no-op provider, plus export and drift. With --script NAME first, runs bench/scale/NAME.ts instead (its own options: scripts/bench --script NAME --help).",
    usage: ["scripts/bench [options]", "scripts/bench --script NAME [its options]"],
    options: {
      script: {
        type: "string",
        value: "NAME",
        help: "first, alone: run bench/scale/NAME.ts instead: targeted-runs, sharded-runs, throttled-up, adoption, memory-runs, changed-reads, write-pace",
      },
      ...SCALE_OPTIONS,
    },
    writes:
      "the tables to stdout, and rewrites --out (docs/benchmarks.md, keeping its targeted-runs section) and its raw numbers next to it (docs/benchmarks.json) after every size; stacks and tenants live in temporary folders. A run at 10,000 takes about an hour.",
    examples: [
      "scripts/bench --sizes 100 --out /tmp/bench.md            # a quick look, docs/ untouched",
      "scripts/bench --sizes 100,1000 --targets emulator --write-budget 20 --latency-ms 50",
      "scripts/bench --script targeted-runs --size 10000 --ks 1,10,100",
      "scripts/bench --script targeted-runs --help",
    ],
  },
  "bench/scale/run-benchmarks": {
    command: "node dist/bench/scale/run-benchmarks.js",
    summary:
      "The scale benchmark (scripts/bench, npm run bench, which trust the emulator's certificate first): pulumi preview, up and refresh of N mailboxes on the local target and on the emulator, side by side with a no-op provider, plus export and drift.",
    usage: ["node dist/bench/scale/run-benchmarks.js [options]"],
    options: SCALE_OPTIONS,
    writes:
      "the tables to stdout, and rewrites --out (docs/benchmarks.md, keeping its targeted-runs section) and its raw numbers next to it (docs/benchmarks.json) after every size.",
    examples: ["scripts/bench --sizes 100 --out /tmp/bench.md", "npm run bench -- --sizes 1000 --targets emulator"],
  },
  "bench/scale/targeted-runs": {
    command: "scripts/bench --script targeted-runs",
    summary:
      "The targeted-run benchmark (docs/TARGETED-RUNS.md): in a stack of N mailboxes, a full pulumi preview and up of a change to k mailboxes against mailbox-addresses plan --changed-since HEAD and apply --plan of the same change, on the local target and the emulator, and the no-op provider's floor for the same targeted runs.",
    usage: [
      "scripts/bench --script targeted-runs [options]",
      "scripts/bench --script targeted-runs --render FILE [--size N] [--ks LIST] [--doc FILE] [--command TEXT]",
    ],
    options: {
      size: { type: "string", value: "N", help: "mailboxes in the stack (default 10000)" },
      ks: { type: "string", value: LIST, help: "changed mailboxes k per run, comma-separated (default 1,10,100)" },
      targets: { type: "string", value: LIST, choices: TARGETS, help: "local, emulator (default local,emulator)" },
      floor: yesNo("also measure the no-op provider (default yes)"),
      ours: yesNo("measure this project's program (default yes)"),
      decompose: yesNo("also time the parts of a targeted plan (default yes)"),
      full: {
        type: "string",
        choices: ["all", "first"],
        help: "first: the full preview at the first k only and no full up, to compare targeted plans (default all)",
      },
      out: {
        type: "string",
        value: "FILE",
        help: "the raw numbers, rewritten after every run (default docs/benchmarks-targeted.json)",
      },
      ...sectionOptions("targeted-runs"),
    },
    writes:
      "the table to stdout, the raw numbers to --out (docs/benchmarks-targeted.json unless given), and with --doc (or --render, default docs/benchmarks.md) the page's targeted-runs section; stacks live in temporary folders.",
    examples: [
      "scripts/bench --script targeted-runs --size 1000 --ks 1,10 --out /tmp/targeted.json",
      "scripts/bench --script targeted-runs --size 10000 --ks 1,10,100 --doc docs/benchmarks.md",
      "scripts/bench --script targeted-runs --render /tmp/targeted.json --size 10000 --ks 1,10,100 --doc docs/benchmarks.md",
    ],
  },
  "bench/scale/sharded-runs": {
    command: "scripts/bench --script sharded-runs",
    summary:
      "The sharded benchmark (docs/TARGETED-RUNS.md, Beyond one stack): S shards of M mailboxes, one stack per shard, on one emulator tenant and one Azurite blob state backend with locking, C shards at a time: adopt, preview and rebrand every shard, and two ups started together on one shard.",
    usage: [
      "scripts/bench --script sharded-runs [options]",
      "scripts/bench --script sharded-runs --render FILE [--doc FILE] [--command TEXT]",
    ],
    options: {
      shards: { type: "string", value: "S", help: "shards, one stack each (default 10)" },
      "per-shard": { type: "string", value: "M", help: "mailboxes per shard (default 10000)" },
      concurrency: {
        type: "string",
        value: "C",
        help: "shards run at a time, as a CI matrix's max-parallel (default 2)",
      },
      "write-budget": { type: "string", value: "N", help: "the emulator's Set-* writes per second (default 200)" },
      out: {
        type: "string",
        value: "FILE",
        help: "the raw numbers, rewritten after every phase (default docs/benchmarks-sharded.json)",
      },
      ...sectionOptions("sharded-runs"),
    },
    writes:
      "the section to stdout, the raw numbers to --out (docs/benchmarks-sharded.json unless given), and with --doc the page's sharded-runs section; stacks, the emulator and Azurite live in temporary folders.",
    examples: [
      "scripts/bench --script sharded-runs --shards 2 --per-shard 100 --out /tmp/sharded.json",
      "scripts/bench --script sharded-runs --shards 10 --per-shard 10000 --concurrency 2 --doc docs/benchmarks.md",
    ],
  },
  "bench/scale/throttled-up": {
    command: "scripts/bench --script throttled-up",
    summary:
      "What a user sees while throttled: N mailboxes on the emulator rebranded by pulumi up under injected 429s with a long Retry-After; prints the engine's output and the requests the emulator answered. Not a test: read the output.",
    usage: ["scripts/bench --script throttled-up [options]"],
    options: {
      size: { type: "string", value: "N", help: "mailboxes (default 40)" },
      "retry-after": { type: "string", value: "SECONDS", help: "Retry-After of the injected 429s (default 2)" },
      "throttle-rate": { type: "string", value: "RATE", help: "share of Exchange requests answered 429 (default 0.3)" },
    },
    writes: "stdout only; the stack and the emulator live in temporary folders.",
    examples: ["scripts/bench --script throttled-up", "scripts/bench --script throttled-up --size 100 --retry-after 5"],
  },
  "bench/scale/adoption": {
    command: "scripts/bench --script adoption",
    summary:
      "The scale benchmark's adoption phase alone: N generated mailboxes on the emulator adopted by pulumi up --skip-preview into an empty state, no write; prints one JSON line (wall seconds, peak memory, requests by route, adopted mailboxes whose outputs differ from the tenant). Not a test: for side-by-side runs of two builds.",
    usage: ["scripts/bench --script adoption [options]"],
    options: {
      size: { type: "string", value: "N", help: "mailboxes (default 1000)" },
    },
    writes: "one JSON line to stdout; the stack and the emulator live in temporary folders.",
    examples: ["scripts/bench --script adoption --size 1000", "scripts/bench --script adoption --size 10000"],
  },
  "bench/scale/memory-runs": {
    command: "scripts/bench --script memory-runs",
    summary:
      "The program's memory of a full pulumi preview (refreshing) of N mailboxes on the local target with one changed, stage by stage (MAILBOX_ADDRESSES_MEMORY_LOG) and its peak RSS, against the no-op provider's program; and the state's bytes per mailbox.",
    usage: ["scripts/bench --script memory-runs [options]"],
    options: {
      size: { type: "string", value: "N", help: "mailboxes in the stack (default 10000)" },
      runs: { type: "string", value: "N", help: "previews measured per program (default 2)" },
      programs: {
        type: "string",
        value: LIST,
        choices: [
          "ours",
          "noop",
          "noop-variants",
          "noop-address-map",
          "noop-fixed-key-map",
          "noop-our-type",
          "noop-as-ours",
        ],
        help: "in the order given (default ours,noop): ours; noop (the floor); bench/scale/noop-variants-program.ts with its switches off (noop-variants) or one of ours' traits: noop-address-map (our inputs' shape), noop-fixed-key-map (that nesting, one fixed key), noop-our-type (our type name), noop-as-ours (shape and name)",
      },
      out: {
        type: "string",
        value: "FILE",
        help: "the raw numbers, rewritten after every run (default /tmp/memory-runs.json)",
      },
      "heap-snapshot": {
        type: "string",
        value: "STAGE",
        help: "also a V8 heap snapshot of the program at that stage of each preview (e.g. declared; runtime/memory-stages.ts), beside --out: OUT.PROGRAM-RUN.STAGE.heapsnapshot",
      },
    },
    writes:
      "a summary to stdout, each run's stages to stderr, the raw numbers to --out; stacks and tenants live in temporary folders.",
    examples: [
      "scripts/bench --script memory-runs --size 1000 --runs 1",
      "nice -n 5 scripts/bench --script memory-runs --size 10000 --runs 2 --out /tmp/memory.json",
      "scripts/bench --script memory-runs --size 2000 --runs 1 --heap-snapshot declared --out /tmp/memory.json",
    ],
  },
  "bench/scale/changed-reads": {
    command: "scripts/bench --script changed-reads",
    summary:
      "Requests per route of pulumi preview and pulumi up when every mailbox is changed (issue 26): N mailboxes on the emulator adopted, the spec rebranded, each phase counted by the emulator. No write budget, so the counts do not depend on load.",
    usage: ["scripts/bench --script changed-reads [options]"],
    options: {
      sizes: { type: "string", value: "N,N", help: "mailboxes, comma-separated (default 1000,10000)" },
    },
    writes: "one JSON line per phase on stdout; the stack and the emulator live in temporary folders.",
    examples: ["scripts/bench --script changed-reads --sizes 1000"],
  },
  "bench/scale/write-pace": {
    command: "scripts/bench --script write-pace",
    summary:
      "Where the time of pulumi up of N changed mailboxes goes under the emulator's write budget: adopts N mailboxes, rebrands them all with one up (the up alone is timed), and accounts for its wall time from the emulator's counters second by second and the write gate's log: the start to the first write, the write phase against the budget, its pauses, the tail after the last write; --provider noop times the no-op provider's up of the same N (the engine's floor).",
    usage: ["scripts/bench --script write-pace [options]"],
    options: {
      size: { type: "string", value: "N", help: "mailboxes, all changed by the up (default 1000)" },
      "write-budget": { type: "string", value: "W", help: "the emulator's Set-* writes per second (default 20)" },
      provider: {
        type: "string",
        choices: ["ours", "noop"],
        help: "ours (the emulator, default) or noop (the no-op provider, no emulator)",
      },
      label: { type: "string", value: "TEXT", help: "what the result is called (default the provider)" },
      out: { type: "string", value: "FILE", help: "append the result as one JSON line to FILE (default: stdout only)" },
    },
    writes:
      "the account to stdout, and with --out one JSON line (the account, the emulator's counters per second, the gate's log, the load average) appended to FILE; the stack and the emulator live in temporary folders.",
    examples: [
      "scripts/bench --script write-pace --size 1000",
      "scripts/bench --script write-pace --size 10000 --provider noop --out /tmp/pace.jsonl",
    ],
  },
  "bench/heap-summary": {
    command: "node dist/bench/heap-summary.js",
    summary:
      "What a program's heap holds, by kind, from V8 heap snapshots (scripts/bench --script memory-runs --heap-snapshot STAGE writes them): self size and count per node type and constructor, the second snapshot against the first; and the Pulumi SDK's promise stack traces by where they were made.",
    usage: ["node dist/bench/heap-summary.js SNAPSHOT [SNAPSHOT]"],
    positionals: "SNAPSHOT  a .heapsnapshot file; with two, the second is compared with the first",
    options: {},
    writes: "stdout only.",
    examples: [
      "node dist/bench/heap-summary.js /tmp/m.noop-1.declared.heapsnapshot /tmp/m.ours-1.declared.heapsnapshot",
    ],
  },
  "bench/core-plan": {
    command: "node dist/bench/core-plan.js",
    summary:
      "Validates and plans a generated spec of N mailboxes against N live address lists in one process; prints the time and peak memory.",
    usage: ["node dist/bench/core-plan.js [MAILBOXES]"],
    positionals: "MAILBOXES  how many (default 10000)",
    options: {},
    writes: "stdout only.",
    examples: ["npm run build && node dist/bench/core-plan.js 10000"],
  },
  "bench/export-drift": {
    command: "node dist/bench/export-drift.js",
    summary:
      "Export and drift of a generated tenant of N mailboxes through the exchange-online backend against the emulator over HTTPS (it restarts itself once to trust the emulator's certificate): time, requests, peak memory, drift by full scan and by batched reads.",
    usage: ["node dist/bench/export-drift.js [MAILBOXES]"],
    positionals: "MAILBOXES  how many (default 10000)",
    options: {},
    writes:
      "stdout; the emulator's keys in the OS temporary folder (mailbox-addresses-bench-secrets) and its tenant in a temporary folder.",
    examples: ["npm run build && node dist/bench/export-drift.js 10000"],
  },
  "bench/policy-expand": {
    command: "node dist/bench/policy-expand.js",
    summary:
      "Validates, expands and plans N mailboxes driven by three policies, side by side with the same N written as explicit entries, each side in its own process; prints a Markdown table (docs/POLICIES.md quotes it).",
    usage: ["node dist/bench/policy-expand.js [MAILBOXES]"],
    positionals: "MAILBOXES  how many (default 10000)",
    options: {
      measure: {
        type: "string",
        value: "KIND",
        help: "internal: one side (policies|explicit) of a run, given its folder",
      },
    },
    writes: "stdout; its inputs in a temporary folder, removed at the end.",
    examples: ["npm run build && node dist/bench/policy-expand.js 10000"],
  },
  "bench/ad-synced": {
    command: "node dist/bench/ad-synced.js",
    summary:
      "Preview and drift of N directory-synced mailboxes read from a Samba AD domain controller through the active-directory target (with --hybrid, through the hybrid target and the emulator): seconds, LDAP searches and pages. Needs samba (toolchain/samba.sh).",
    usage: ["node dist/bench/ad-synced.js [MAILBOXES] [--hybrid]"],
    positionals: "MAILBOXES  how many (default 10000)",
    options: {
      hybrid: { type: "boolean", help: "through the hybrid target: the emulator holds the N users as synced" },
    },
    writes:
      "stdout; the first run on a machine seeds the users into a cached Samba template (about 5 minutes for 10,000); the DC runs in a temporary folder and stops at the end.",
    examples: ["npm run build && node dist/bench/ad-synced.js 10000", "node dist/bench/ad-synced.js 1000 --hybrid"],
  },
  "scripts/up": {
    command: "scripts/up",
    summary:
      "The main job: sets up the toolchain, selects the stack ($PULUMI_STACK, else dev; created when missing) and runs pulumi up --yes of the stack's spec against its tenant: for dev (Pulumi.dev.yaml), infra/mailboxes.yaml against the embedded local tenant. The options below are passed to pulumi up; any other pulumi command or option: scripts/pulumi.",
    usage: ["scripts/up [pulumi up options]"],
    options: {
      diff: { type: "boolean", help: "show the changes as a rich diff" },
      "skip-preview": { type: "boolean", short: "f", help: "apply without computing a preview first" },
      refresh: { type: "boolean", short: "r", help: "read the tenant before the update" },
      "expect-no-changes": { type: "boolean", help: "fail if the update changes anything" },
      target: {
        type: "string",
        short: "t",
        value: "URN",
        multiple: true,
        help: "update only this resource (repeatable)",
      },
      exclude: { type: "string", value: "URN", multiple: true, help: "leave this resource alone (repeatable)" },
      parallel: {
        type: "string",
        short: "p",
        value: "P",
        help: "resource operations at once (default $PULUMI_PARALLEL, 32)",
      },
      message: { type: "string", short: "m", value: "TEXT", help: "a message for the update's history" },
      json: { type: "boolean", short: "j", help: "the output as JSON" },
      "show-sames": { type: "boolean", help: "also list mailboxes that need no change" },
      "show-full-output": { type: "boolean", help: "do not shorten inputs and outputs" },
      "suppress-outputs": { type: "boolean", help: "do not print the stack's outputs" },
      "suppress-progress": { type: "boolean", help: "no progress dots" },
      "continue-on-error": { type: "boolean", help: "keep updating other mailboxes after one fails" },
      color: { type: "string", value: "WHEN", help: "always, never, raw or auto" },
      debug: { type: "boolean", short: "d", help: "the engine's debugging output" },
    },
    writes:
      "the stack's state in .pulumi-state/ (and the stack when new), the local tenant in .tenant/local.sqlite (seeded on first use from tenant/seeds/contoso.yaml; pulumi up changes its mailboxes' addresses), the toolchain in .tools/ and ~/.cache/mailbox-addresses, the build in dist/.",
    examples: [
      "scripts/up",
      "scripts/up --diff",
      "scripts/up --skip-preview --diff",
      "scripts/pulumi preview --diff            # look without changing anything",
    ],
  },
  "scripts/pulumi": {
    command: "scripts/pulumi",
    summary:
      "Runs the pulumi CLI in this checkout with the project's toolchain and settings: the local state backend in .pulumi-state/, no prompts, no update checks, no plugin downloads, checkpoints skipped, 32 steps at once. Every argument goes to pulumi as is.",
    usage: ["scripts/pulumi COMMAND [pulumi options]"],
    options: {},
    writes:
      "what the pulumi command writes: state in .pulumi-state/, a stack's settings in Pulumi.<stack>.yaml; the toolchain in .tools/ and ~/.cache/mailbox-addresses, the build in dist/.",
    examples: [
      "scripts/pulumi help                       # pulumi's own commands",
      "scripts/pulumi preview --help             # a command's own options",
      "scripts/pulumi preview --diff",
      "scripts/pulumi refresh --preview-only",
      "scripts/pulumi stack ls",
    ],
  },
  "scripts/lab-hybrid": {
    command: "scripts/lab-hybrid",
    summary:
      "A hybrid tenant to try locally, in one command: a Samba AD domain controller with three synced users and the emulator (Exchange Online, Graph, the identity platform) syncing it, wired for a target: hybrid stack; prints the environment and every stack setting, then runs until Ctrl-C, when both stop. Needs samba (toolchain/samba.sh installs it as root).",
    usage: ["scripts/lab-hybrid [options]"],
    options: {
      port: { type: "string", value: "N", help: "the emulator's port on 127.0.0.1 (default 10444)" },
      stack: { type: "string", value: "NAME", help: "the stack the printed settings are for (default hybrid-lab)" },
      "sync-interval": { type: "string", value: "SECONDS", help: "how often the emulator syncs the DC (default 10)" },
      "state-dir": {
        type: "string",
        value: "DIR",
        help: "the emulator's tenant, keys and certificate (default .tenant/hybrid-lab in the checkout)",
      },
    },
    writes:
      "the emulator's tenant, keys and certificate in --state-dir (.tenant/hybrid-lab; its tenant afresh each run); the DC in a temporary folder, removed at the end. The printed scripts/pulumi config set lines are for you to run.",
    examples: ["scripts/lab-hybrid", "scripts/lab-hybrid --port 10445 --stack my-lab --sync-interval 5"],
  },
  "scripts/generate-types": {
    command: "node scripts/generate-types.js",
    summary:
      "Derives the TypeScript types of the spec, the tenant seed and the report from their JSON Schemas (schemas/), so that the schemas stay the single source of each file's shape.",
    usage: ["node scripts/generate-types.js [--check]"],
    options: { check: { type: "boolean", help: "write nothing; exit 1 naming each generated file that is stale" } },
    writes:
      "core/desired/spec-types.generated.ts, tenant/seed-types.generated.ts and core/report/report-types.generated.ts, when they differ (nothing with --check).",
    examples: ["node scripts/generate-types.js", "node scripts/generate-types.js --check"],
  },
};

/** The benchmarks `scripts/bench --script NAME` runs (bench/scale/NAME.ts). */
const SCALE_SCRIPTS = Object.keys(COMMANDS)
  .filter((name) => name.startsWith("bench/scale/") && name !== "bench/scale/run-benchmarks")
  .map((name) => name.slice("bench/scale/".length));

/** A long line wrapped at `width`, each line after the first indented by `indent`. */
function wrap(text, indent, width = 100) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The usage page of a command: what it does, how to call it, its options, what it writes, examples. */
function formatUsage(spec) {
  const rows = Object.entries(spec.options).map(([name, option]) => [
    `${option.short ? `-${option.short}, ` : "    "}--${name}${option.type === "string" ? ` ${option.value ?? option.choices?.join("|") ?? "VALUE"}` : ""}`,
    option.help,
  ]);
  rows.push(["-h, --help", "print this help and exit"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const out = [
    `Usage: ${spec.usage.join(`\n       `)}`,
    "",
    wrap(spec.summary, ""),
    "",
    ...(spec.positionals ? ["Arguments:", `  ${wrap(spec.positionals, "    ")}`, ""] : []),
    "Options:",
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}  ${wrap(help, " ".repeat(width + 4))}`),
    "",
    "Writes:",
    `  ${wrap(spec.writes, "  ")}`,
    "",
    ...(spec.notes ?? []).flatMap((note) => [wrap(note, ""), ""]),
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`),
  ];
  return `${out.join("\n")}\n`;
}

/** A usage error: one line, naming what is wrong and --help; exit 2. */
class UsageError extends Error {}

/** parseArgs' message, as one line that names the option. */
function describeParseError(err) {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(err.message)
        ? `option ${quoted.replace(/=.*/, "")} takes no value`
        : `option ${quoted.replace(/ <value>$/, "")} needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted}`;
    default:
      return err.message.split("\n")[0];
  }
}

/**
 * Parses `argv` (the arguments, without node and the script) against the command `name` of the
 * table. Returns `{ help: true, usage }` for --help/-h, `{ values, positionals }` otherwise; throws a
 * UsageError with one line for anything it does not know.
 */
function parseCommandLine(name, argv) {
  const spec = COMMANDS[name];
  if (spec === undefined) throw new Error(`no command line declared for ${name} (toolchain/command-lines.js)`);
  const options = { help: { type: "boolean", short: "h" } };
  for (const [key, option] of Object.entries(spec.options))
    options[key] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      multiple: option.multiple === true,
    };
  let parsed;
  try {
    parsed = util.parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: spec.positionals !== undefined,
    });
  } catch (err) {
    if (err && typeof err.code === "string" && err.code.startsWith("ERR_PARSE_ARGS_"))
      throw new UsageError(`${spec.command}: ${describeParseError(err)} (${spec.command} --help lists the options)`);
    throw err;
  }
  if (parsed.values.help) return { help: true, usage: formatUsage(spec) };
  for (const [key, option] of Object.entries(spec.options)) {
    const given = parsed.values[key];
    if (option.choices === undefined || typeof given !== "string") continue;
    const items = option.value === LIST ? given.split(",") : [given];
    const wrong = items.find((item) => !option.choices.includes(item));
    if (wrong !== undefined)
      throw new UsageError(
        `${spec.command}: option --${key} takes ${option.value === LIST ? "a comma-separated list of " : "one of "}${option.choices.join(", ")}, not "${wrong}" (${spec.command} --help lists the options)`,
      );
  }
  return { help: false, values: parsed.values, positionals: parsed.positionals };
}

/**
 * `scripts/bench`'s arguments: with `--script NAME` first, NAME's own; otherwise the scale
 * benchmark's. Returns the table's entry that applies and the arguments it takes.
 */
function benchCommandLine(argv) {
  if (argv[0] === "--script" || argv[0]?.startsWith("--script=")) {
    const named = argv[0] === "--script" ? argv[1] : argv[0].slice("--script=".length);
    const rest = argv.slice(argv[0] === "--script" ? 2 : 1);
    if (named === undefined || named === "" || named.startsWith("-"))
      throw new UsageError(`scripts/bench: option --script needs a value: one of ${SCALE_SCRIPTS.join(", ")}`);
    if (!SCALE_SCRIPTS.includes(named))
      throw new UsageError(
        `scripts/bench: no benchmark "${named}"; --script takes one of: ${SCALE_SCRIPTS.join(", ")} (scripts/bench --help)`,
      );
    return { name: `bench/scale/${named}`, args: rest };
  }
  const parsed = parseCommandLine("scripts/bench", argv);
  if (!parsed.help && parsed.values.script !== undefined)
    throw new UsageError(
      "scripts/bench: --script NAME comes first, before the benchmark's own options (scripts/bench --help)",
    );
  return { name: "bench/scale/run-benchmarks", args: argv };
}

/**
 * For an entry point: parses its arguments; prints the usage and exits 0 for --help, prints the
 * one-line error and exits 2 for a bad option. Returns the parsed values otherwise.
 */
function parseOrExit(name, argv) {
  try {
    const parsed = parseCommandLine(name, argv);
    if (parsed.help) {
      process.stdout.write(parsed.usage);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}

/**
 * The shell scripts' check (toolchain/check-args.sh), before any setup: prints the usage on
 * stdout for --help, the one-line error on stderr (exit 2) for a bad option, nothing when the
 * script may go on. `scripts/pulumi` passes everything to pulumi: only a first --help/-h is its own.
 */
function checkScript(script, argv) {
  try {
    let parsed;
    if (script === "pulumi") {
      if (argv.length !== 1 || (argv[0] !== "--help" && argv[0] !== "-h")) return 0;
      parsed = { help: true, usage: formatUsage(COMMANDS["scripts/pulumi"]) };
    } else if (script === "bench") {
      const { name, args } = benchCommandLine(argv);
      parsed = parseCommandLine(name === "bench/scale/run-benchmarks" ? "scripts/bench" : name, args);
    } else parsed = parseCommandLine(`scripts/${script}`, argv);
    if (parsed.help) process.stdout.write(parsed.usage);
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}

module.exports = { COMMANDS, SCALE_SCRIPTS, UsageError, formatUsage, parseCommandLine, benchCommandLine, parseOrExit };

if (require.main === module) {
  const [script, ...argv] = process.argv.slice(2);
  if (typeof util.parseArgs !== "function") process.exit(0); // Node.js < 18.3: setup installs a newer one
  if (script === undefined || !(`scripts/${script}` in COMMANDS || script === "bench")) {
    process.stderr.write(`${path.relative(process.cwd(), __filename)}: no entry script "${script ?? ""}"\n`);
    process.exit(2);
  }
  process.exitCode = checkScript(script, argv);
}
