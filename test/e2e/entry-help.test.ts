// Every entry point a user runs (each script in scripts/, each benchmark in bench/, each command of
// the CLI) answers --help and -h with its usage and exit 0, and refuses an unknown option in one
// line naming it and --help, exit 2: before any setup or side effect. Each runs for real in a fresh
// copy of the checkout (its tracked files, dist/, node_modules and .tools/ linked); after each, no
// file of the copy is created, changed or removed (.pulumi-state/, .tenant/ and docs/ included) and
// no process started from the copy is left.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";

/** Long enough for the CLI's no-op setup on a busy machine; an entry that runs instead of helping hits it. */
const BOUND_MS = 45_000;

let copy = "";

/** Every file of the copy (links not followed) with its size and modification time. */
function snapshot(dir = copy, into = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) into.set(path.relative(copy, full), `-> ${readlinkSync(full)}`);
    else if (entry.isDirectory()) {
      into.set(`${path.relative(copy, full)}/`, "dir");
      snapshot(full, into);
    } else {
      const stat = statSync(full);
      into.set(path.relative(copy, full), `${stat.size} ${stat.mtimeMs}`);
    }
  }
  return into;
}

function differences(before: Map<string, string>, after: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, facts] of after)
    if (!before.has(file)) found.push(`created ${file}`);
    else if (before.get(file) !== facts) found.push(`changed ${file}`);
  for (const file of before.keys()) if (!after.has(file)) found.push(`removed ${file}`);
  return found;
}

/** Processes (other than this one) whose command line or working directory is in the copy. */
function processesOfCopy(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // not ours to read
      }
      if (cmdline.includes(copy) || cwd === copy || cwd.startsWith(`${copy}/`)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in the copy, in its own process group; past the bound the group is killed. */
function run(command: string, args: readonly string[]): Promise<Result & { readonly timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: copy,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MAILBOX_ADDRESSES_LINT: "0", PULUMI_STACK: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // ended meanwhile
      }
    }, BOUND_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Runs it and checks what every run must leave: no file changed in the copy, no process left. */
async function runClean(command: string, args: readonly string[]): Promise<Result> {
  const before = snapshot();
  const result = await run(command, args);
  const shown = `${path.relative(copy, command) || command} ${args.join(" ")}`;
  // Anything started from the copy is stopped, so that one failure does not spill into the next.
  const left = processesOfCopy();
  for (const line of left)
    try {
      process.kill(Number(line.split(":")[0]), "SIGKILL");
    } catch {
      // gone
    }
  assert.equal(result.timedOut, false, `${shown} ran instead of answering (killed after ${BOUND_MS / 1000} s)`);
  assert.deepEqual(differences(before, snapshot()), [], `${shown} changed the checkout`);
  assert.deepEqual(left, [], `${shown} left processes running`);
  return result;
}

/** The scripts in scripts/ a user runs (a shebang line; the others are modules), as commands. */
function scriptEntries(): { name: string; command: string; args: string[] }[] {
  return readdirSync(path.join(PROJECT_ROOT, "scripts"))
    .filter((name) => readFileSync(path.join(PROJECT_ROOT, "scripts", name), "utf8").startsWith("#!"))
    .sort()
    .map((name) =>
      name.endsWith(".js")
        ? { name: `scripts/${name}`, command: process.execPath, args: [`scripts/${name}`] }
        : { name: `scripts/${name}`, command: path.join(copy, "scripts", name), args: [] },
    );
}

/** The benchmarks in bench/ (every file that reads its command line; the others are its modules). */
function benchEntries(): string[] {
  const found: string[] = [];
  for (const name of readdirSync(path.join(PROJECT_ROOT, "bench"), { recursive: true }).map(String).sort()) {
    if (!name.endsWith(".ts")) continue;
    const text = readFileSync(path.join(PROJECT_ROOT, "bench", name), "utf8");
    if (/process\.argv|commandLine\(/.test(text)) found.push(`bench/${name.replace(/\.ts$/, "")}`);
  }
  return found;
}

const CLI_COMMANDS = [
  [],
  ["init"],
  ["validate"],
  ["export"],
  ["drift"],
  ["expand"],
  ["plan"],
  ["apply"],
  ["accept"],
  ["tenant"],
  ["tenant", "show"],
  ["tenant", "set"],
  ["tenant", "add"],
  ["tenant", "remove"],
  ["tenant", "seed"],
  ["tenant", "reset"],
  ["emulator"],
];

function assertUsage(result: Result, shown: string): void {
  assert.equal(result.code, 0, `${shown}: exit ${result.code}\n${result.stderr.slice(-2000)}`);
  assert.match(result.stdout, /^Usage: /, `${shown} prints no usage:\n${result.stdout.slice(0, 500)}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, `${shown}: a stack trace`);
}

/** The one line an unknown option gets: it names the option and --help; exit 2; no stack trace. */
function assertRefused(result: Result, shown: string, code = 2): void {
  assert.equal(
    result.code,
    code,
    `${shown}: exit ${result.code}\n${result.stdout.slice(-500)}${result.stderr.slice(-2000)}`,
  );
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, code === 2 ? 1 : 2, `${shown}: not a one-line error:\n${result.stderr}`);
  assert.match(lines[0]!, /--no-such-option/, `${shown}: the error does not name the option`);
  assert.match(result.stderr, /--help/, `${shown}: the error does not point to --help`);
}

describe("every entry point answers --help and refuses an unknown option, without a side effect", () => {
  before(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), "mbx-help-"));
    // The tracked files and the build, their times kept (so the build's stamp still matches and no
    // setup step rebuilds), the packages and the toolchain linked.
    const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    assert.equal(tracked.status, 0, tracked.stderr);
    for (const file of tracked.stdout.split("\0").filter(Boolean)) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      try {
        cpSync(path.join(PROJECT_ROOT, file), path.join(copy, file), { preserveTimestamps: true });
      } catch (err) {
        // Deleted in the working tree and not yet committed: not part of this checkout.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
    cpSync(path.join(PROJECT_ROOT, "dist"), path.join(copy, "dist"), { recursive: true, preserveTimestamps: true });
    for (const linked of ["node_modules", ".tools"])
      symlinkSync(readlinkOrSelf(path.join(PROJECT_ROOT, linked)), path.join(copy, linked));
    // The build is current in the copy, so the scripts' setup finds nothing to do.
    const build = spawnSync(process.execPath, ["toolchain/build.js"], { cwd: copy, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
  });
  after(() => rmSync(copy, { recursive: true, force: true }));

  it("finds the entry points: scripts with a shebang, benchmarks that read their arguments", () => {
    const scripts = scriptEntries().map((s) => s.name);
    for (const name of ["scripts/bench", "scripts/test", "scripts/up", "scripts/pulumi", "scripts/lab-hybrid"])
      assert.ok(scripts.includes(name), `${name} is not found among ${scripts.join(", ")}`);
    const benches = benchEntries();
    for (const name of ["bench/scale/run-benchmarks", "bench/scale/targeted-runs", "bench/core-plan"])
      assert.ok(benches.includes(name), `${name} is not found among ${benches.join(", ")}`);
  });

  // Each script: --help and -h print its usage (what it writes, examples), exit 0; an unknown
  // option is refused. scripts/pulumi passes every option to pulumi, and scripts/mailbox-addresses
  // is the CLI (below): only their help is theirs.
  for (const entry of scriptEntries()) {
    it(`${entry.name} --help, -h, --no-such-option`, async () => {
      const command = entry.command === process.execPath ? entry.command : path.join(copy, entry.name);
      for (const flag of ["--help", "-h"]) {
        const result = await runClean(command, [...entry.args, flag]);
        assertUsage(result, `${entry.name} ${flag}`);
        if (entry.name !== "scripts/mailbox-addresses") {
          assert.match(result.stdout, /\nOptions:\n/, `${entry.name} ${flag}: no options listed`);
          assert.match(result.stdout, /\nWrites:\n/, `${entry.name} ${flag}: does not say what it writes`);
          assert.match(result.stdout, /\nExamples:\n/, `${entry.name} ${flag}: no examples`);
        }
      }
      if (entry.name === "scripts/pulumi") return;
      const refused = await runClean(command, [...entry.args, "--no-such-option"]);
      // The CLI's usage errors are exit 1: its exit 2 means changes or drift (README, Errors and exit codes).
      assertRefused(refused, `${entry.name} --no-such-option`, entry.name === "scripts/mailbox-addresses" ? 1 : 2);
    });
  }

  it("scripts/bench --script NAME --help for each benchmark it runs, and a name it does not know", async () => {
    const bench = path.join(copy, "scripts/bench");
    for (const name of ["targeted-runs", "sharded-runs", "throttled-up", "adoption"]) {
      const result = await runClean(bench, ["--script", name, "--help"]);
      assertUsage(result, `scripts/bench --script ${name} --help`);
      assert.match(result.stdout, new RegExp(`^Usage: scripts/bench --script ${name}`));
      assertRefused(await runClean(bench, ["--script", name, "--no-such-option"]), `--script ${name} --no-such-option`);
    }
    const unknown = await runClean(bench, ["--script", "no-such-bench"]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^scripts\/bench: no benchmark "no-such-bench"; --script takes one of: .*targeted-runs/,
    );
  });

  for (const name of benchEntries()) {
    it(`node dist/${name}.js --help, -h, --no-such-option`, async () => {
      for (const flag of ["--help", "-h"]) {
        const result = await runClean(process.execPath, [`dist/${name}.js`, flag]);
        assertUsage(result, `${name} ${flag}`);
        assert.match(result.stdout, /\nWrites:\n/, `${name} ${flag}: does not say what it writes`);
      }
      assertRefused(await runClean(process.execPath, [`dist/${name}.js`, "--no-such-option"]), name);
    });
  }

  it("scripts/test with a path that does not exist: one line, exit 2, no stack trace", async () => {
    const result = await runClean(process.execPath, ["scripts/run-tests.js", "dist/test/no-such-folder"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^scripts\/test: no test file or folder dist\/test\/no-such-folder; .*--help\)\n$/);
  });

  it("the CLI: --help of every command and subcommand, and help COMMAND", async () => {
    const cli = path.join(copy, "bin/mailbox-addresses.js");
    for (const words of CLI_COMMANDS) {
      const result = await runClean(process.execPath, [cli, ...words, "--help"]);
      assertUsage(result, `mailbox-addresses ${words.join(" ")} --help`);
      assert.match(result.stdout, new RegExp(`^Usage: mailbox-addresses ${words.join(" ")}`));
      assert.match(result.stdout, /\nExamples:\n/, `mailbox-addresses ${words.join(" ")} --help: no examples`);
      if (words.length > 0) {
        const viaHelp = await runClean(process.execPath, [cli, "help", ...words]);
        assert.equal(viaHelp.stdout, result.stdout, `help ${words.join(" ")} is not ${words.join(" ")} --help`);
      }
    }
  });
});

function readlinkOrSelf(file: string): string {
  try {
    return path.resolve(path.dirname(file), readlinkSync(file));
  } catch {
    return file;
  }
}
