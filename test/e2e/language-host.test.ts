// The project's Node.js language host (toolchain/pulumi-language-nodejs.js) under the real pulumi
// binary: the engine's Cancel (a first Ctrl-C of `pulumi up`) reaches the program as SIGINT; the
// `nodeargs` runtime option reaches node; `typescript: true` is refused with the reason.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { TestStack } from "../../harness/pulumi-stack";

const PROBE = "dist/test/fixtures/programs/language-host-probe.js";

/** Adds lines under `runtime.options` of the stack's Pulumi.yaml. */
function setRuntimeOptions(stack: TestStack, lines: string): void {
  const file = path.join(stack.dir, "Pulumi.yaml");
  const text = readFileSync(file, "utf8");
  assert.match(text, /\n {4}typescript: false\n/);
  writeFileSync(file, text.replace(/\n {4}typescript: false\n/, `\n${lines.replace(/^/gm, "    ")}\n`));
}

describe("the project's language host under the pulumi binary", () => {
  let stack: TestStack | undefined;
  afterEach(() => stack?.dispose());

  it("nodeargs: the flags reach the node that runs the program", () => {
    stack = new TestStack("nodeargs", {}, {}, PROBE);
    setRuntimeOptions(stack, 'typescript: false\nnodeargs: "--max-old-space-size=1234  --no-deprecation"');
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    const output = stack.run(["stack", "output", "execArgv", "--json"], { check: true });
    const execArgv = JSON.parse(output.stdout) as string[];
    assert.ok(
      execArgv.includes("--max-old-space-size=1234") && execArgv.includes("--no-deprecation"),
      JSON.stringify(execArgv),
    );
  });

  it("nodeargs that is not a string is refused, naming the option", () => {
    stack = new TestStack("nodeargs-bad", {}, {}, PROBE);
    setRuntimeOptions(stack, "typescript: false\nnodeargs: 4096");
    const preview = stack.preview();
    assert.notEqual(preview.code, 0);
    assert.match(preview.output, /runtime option "nodeargs" must be a string of node flags/);
  });

  it("typescript: true is refused loudly, with the reason and the fix", () => {
    stack = new TestStack("typescript", {}, {}, PROBE);
    setRuntimeOptions(stack, "typescript: true");
    const preview = stack.preview();
    assert.notEqual(preview.code, 0, preview.output);
    assert.match(
      preview.output,
      /runtime option "typescript: true" .* is not supported by this project's language host: the program is compiled with tsc first/,
    );
    assert.match(preview.output, /Set "typescript: false" under runtime\.options in Pulumi\.yaml/);
  });

  it("the engine's Cancel (Ctrl-C on pulumi up) reaches the program as SIGINT, and the run ends", async () => {
    const marker = path.join(os.tmpdir(), `mbx-probe-${process.pid}-${Date.now()}.log`);
    stack = new TestStack("cancel", {}, { MBX_PROBE_WAIT: "1", MBX_PROBE_MARKER: marker }, PROBE);
    const { file, args, cwd, env } = stack.command(["up", "--yes", "--skip-preview"]);
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let waited = 0; !(existsSync(marker) && readFileSync(marker, "utf8").includes("started")); waited += 100) {
        assert.ok(waited < 60_000, `the program did not start:\n${output}`);
        await sleep(100);
      }
      // One SIGINT to pulumi itself, as a terminal's Ctrl-C: the engine cancels and calls Cancel on the host.
      process.kill(child.pid!, "SIGINT");
      const code = await Promise.race([
        exited,
        sleep(60_000, undefined, { ref: false }).then(() => "timeout" as const),
      ]);
      assert.notEqual(code, "timeout", `pulumi up did not end within 60 s of the cancel:\n${output}`);
      // From the host, while it runs (not the engine's SIGINT to the whole group when it stops its plugins).
      assert.equal(readFileSync(marker, "utf8"), "started\nSIGINT, host alive\n", output);
      assert.notEqual(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    for (let waited = 0; stack.processes().length > 0 && waited < 5_000; waited += 100) await sleep(100);
    assert.deepEqual(stack.processes(), []);
  });
});
