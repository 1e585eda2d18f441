// The README's commands run as written: every block fenced as `sh runnable` is run line by line,
// in order, with bash, in a fresh copy of this working tree (its own state, tenant and stacks),
// as a user on a clean checkout would run them. A line's comment "(exit N)" gives its expected
// exit code; otherwise it must succeed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT, requirePulumi } from "../../harness/pulumi-stack";

interface ReadmeLine {
  readonly command: string;
  readonly exit: number;
}

/** The lines of the README's runnable blocks, with the exit code each is expected to end with. */
export function runnableLines(markdown: string): ReadmeLine[] {
  const lines: ReadmeLine[] = [];
  for (const block of markdown.matchAll(/^```sh runnable\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split("\n")) {
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
      const exit = /#.*\(exit (\d+)\)/.exec(line);
      lines.push({ command: line, exit: exit ? Number(exit[1]) : 0 });
    }
  }
  return lines;
}

describe("the README's runnable blocks", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-readme-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("run as written on a fresh copy of the repository", () => {
    requirePulumi();
    const lines = runnableLines(readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8"));
    assert.ok(lines.length >= 10, `only ${lines.length} runnable lines`);
    // The working tree as git sees it (tracked and new files, nothing ignored), so the README is
    // tested with the code beside it; the build and the packages are shared, not redone.
    const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    assert.equal(files.status, 0, files.stderr);
    const copy = path.join(dir, "repo");
    for (const file of files.stdout.split("\0").filter(Boolean)) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(PROJECT_ROOT, file), path.join(copy, file));
    }
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(copy, "node_modules"));
    cpSync(path.join(PROJECT_ROOT, "dist"), path.join(copy, "dist"), { recursive: true });
    // No pulumi on PATH, as on a machine where only the scripts set it up (issue 23: apply and
    // accept failed there): every line finds Pulumi through the scripts it runs.
    const pathWithoutPulumi = (process.env.PATH ?? "")
      .split(path.delimiter)
      .filter((dir) => !existsSync(path.join(dir, "pulumi")))
      .join(path.delimiter);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", PATH: pathWithoutPulumi };
    for (const key of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_STACK", "MAILBOX_ADDRESSES_ROOT"])
      delete env[key];
    assert.notEqual(spawnSync("bash", ["-c", "command -v pulumi"], { env }).status, 0, "pulumi is still on PATH");
    for (const { command, exit } of lines) {
      const result = spawnSync("bash", ["-c", command], {
        cwd: copy,
        env,
        encoding: "utf8",
        timeout: 10 * 60 * 1000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const output = `${result.stdout}${result.stderr}`;
      assert.equal(
        result.status,
        exit,
        `README line: ${command}\nexpected exit ${exit}, got ${result.status}:\n${output.slice(-4000)}`,
      );
      assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace from: ${command}\n${output}`);
    }
  });
});
