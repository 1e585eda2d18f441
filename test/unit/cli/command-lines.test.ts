// The table of the entry points' command lines (toolchain/command-lines.js): every option an entry
// point reads is declared there (a strict parser refuses the others), and the parser answers
// --help with the usage and anything unknown with one line naming it and --help.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../../harness/pulumi-stack";
import type * as CommandLines from "../../../toolchain/command-lines";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lines = require(path.join(PROJECT_ROOT, "toolchain/command-lines.js")) as typeof CommandLines;

/** The TypeScript entry points that read options, with the table entry each must use. */
function entryPoints(): { file: string; key: string }[] {
  const found = readdirSync(path.join(PROJECT_ROOT, "bench"), { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => ({ file: `bench/${name}`, key: `bench/${name.replace(/\.ts$/, "")}` }))
    .filter(({ file }) => /process\.argv|commandLine\(/.test(readFileSync(path.join(PROJECT_ROOT, file), "utf8")));
  return [...found, { file: "harness/hybrid-lab.ts", key: "scripts/lab-hybrid" }];
}

describe("the entry points' command lines", () => {
  for (const { file, key } of entryPoints()) {
    it(`${file} parses its arguments against "${key}", which declares every option it reads`, () => {
      const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
      const spec = lines.COMMANDS[key];
      assert.ok(spec, `no entry "${key}" in toolchain/command-lines.js`);
      assert.match(text, new RegExp(`commandLine\\("${key}"[,)]`), `${file} does not parse with commandLine("${key}")`);
      assert.doesNotMatch(
        text,
        /process\.argv\.(indexOf|includes)|process\.argv\[/,
        `${file} reads process.argv by hand`,
      );
      const read = [...text.matchAll(/\b(?:arg|value|list|option|text|flag)\("([a-z][a-z-]*)"/g)].map((m) => m[1]!);
      for (const name of new Set(read))
        assert.ok(
          name in spec.options,
          `${file} reads --${name}, which "${key}" does not declare: it would be refused`,
        );
    });
  }

  it("--help and -h: the usage, with the options, what it writes and examples", () => {
    for (const name of Object.keys(lines.COMMANDS))
      for (const flag of ["--help", "-h"]) {
        const parsed = lines.parseCommandLine(name, [flag]);
        assert.equal(parsed.help, true, name);
        if (!parsed.help) continue;
        assert.match(parsed.usage, /^Usage: /);
        for (const section of ["Options:", "Writes:", "Examples:"])
          assert.ok(parsed.usage.includes(`\n${section}\n`), `${name}: ${section}`);
        for (const option of Object.keys(lines.COMMANDS[name]!.options))
          assert.ok(parsed.usage.includes(`--${option}`), `${name}: --${option} is not in its usage`);
      }
  });

  it("an unknown option, a missing value, a stray argument: one line naming it and --help", () => {
    const refused = (name: string, argv: string[]) =>
      assert.throws(
        () => lines.parseCommandLine(name, argv),
        (err: Error) => err instanceof lines.UsageError && !err.message.includes("\n"),
      );
    refused("scripts/bench", ["--sizes"]);
    assert.throws(
      () => lines.parseCommandLine("scripts/bench", ["--sizes"]),
      /^Error: scripts\/bench: option --sizes needs a value \(scripts\/bench --help lists the options\)$/,
    );
    assert.throws(
      () => lines.parseCommandLine("scripts/bench", ["--out", "--sizes", "100"]),
      /option --out needs a value/,
    );
    assert.throws(
      () => lines.parseCommandLine("scripts/up", ["--bogus"]),
      /^Error: scripts\/up: unknown option --bogus \(scripts\/up --help/,
    );
    assert.throws(() => lines.parseCommandLine("scripts/lab-hybrid", ["extra"]), /unexpected argument extra/);
    assert.throws(() => lines.parseCommandLine("bench/ad-synced", ["--hybrid=yes"]), /option --hybrid takes no value/);
    refused("bench/scale/targeted-runs", ["--size=10", "-x"]);
  });

  it("an option with choices: a value (or a list's item) it does not list is refused in one line naming them", () => {
    assert.throws(
      () => lines.parseCommandLine("bench/scale/write-pace", ["--provider", "nop"]),
      /^Error: scripts\/bench --script write-pace: option --provider takes one of ours, noop, not "nop" \(scripts\/bench --script write-pace --help lists the options\)$/,
    );
    assert.throws(
      () => lines.parseCommandLine("bench/scale/memory-runs", ["--programs", "ours,noop-adress-map"]),
      /option --programs takes a comma-separated list of ours, noop, .*, not "noop-adress-map"/,
    );
    assert.throws(() => lines.parseCommandLine("scripts/bench", ["--targets", "local,cloud"]), /not "cloud"/);
    assert.throws(() => lines.parseCommandLine("bench/scale/targeted-runs", ["--floor", "yse"]), /one of yes, no/);
    const ok = lines.parseCommandLine("bench/scale/targeted-runs", ["--targets=emulator,local", "--full", "first"]);
    assert.ok(!ok.help && ok.values.targets === "emulator,local" && ok.values.full === "first");
    // The usage shows the choices where the option names no other value.
    const usage = lines.parseCommandLine("bench/scale/write-pace", ["--help"]);
    assert.ok(usage.help && usage.usage.includes("--provider ours|noop"));
  });

  it("values as the entry points read them; defaults stay theirs", () => {
    const parsed = lines.parseCommandLine("bench/scale/targeted-runs", [
      "--size",
      "10000",
      "--ks=1,10",
      "--floor",
      "no",
    ]);
    assert.equal(parsed.help, false);
    if (parsed.help) return;
    assert.deepEqual({ ...parsed.values }, { size: "10000", ks: "1,10", floor: "no" });
    const ad = lines.parseCommandLine("bench/ad-synced", ["1000", "--hybrid"]);
    assert.ok(!ad.help && ad.positionals[0] === "1000" && ad.values.hybrid === true);
  });

  it("scripts/bench: --script NAME first takes that benchmark's options; anything else is refused", () => {
    assert.deepEqual(lines.benchCommandLine(["--script", "targeted-runs", "--ks", "1"]), {
      name: "bench/scale/targeted-runs",
      args: ["--ks", "1"],
    });
    assert.deepEqual(lines.benchCommandLine(["--sizes", "100"]), {
      name: "bench/scale/run-benchmarks",
      args: ["--sizes", "100"],
    });
    assert.throws(
      () => lines.benchCommandLine(["--script", "nope"]),
      /no benchmark "nope"; --script takes one of: targeted-runs, sharded-runs, throttled-up/,
    );
    assert.throws(() => lines.benchCommandLine(["--script"]), /--script needs a value/);
    assert.throws(
      () => lines.benchCommandLine(["--sizes", "100", "--script", "targeted-runs"]),
      /--script NAME comes first/,
    );
    // Each benchmark --script names is a built entry point.
    for (const name of lines.SCALE_SCRIPTS) assert.ok(lines.COMMANDS[`bench/scale/${name}`], name);
  });
});
