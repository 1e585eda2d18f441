// The standing check (issue 25): no command's output, for any file of the hostile corpus, carries
// more than a bounded excerpt of that file. `validate` reads every file of the corpus through the
// real CLI; the commands that read the stack's spec setting through the engine (`pulumi preview`,
// `plan --json`, `plan --markdown`, `drift`) read the files whose content is the danger: a
// one-line secret, a password-file look-alike behind a link, a PEM key, a 6 MiB value. The excerpt
// is measured as the distinct 12-character runs of the file found in the output; a file that is
// not a spec may show at most a few characters of itself, a spec at most a quoted value or two.
// Prints its figures: files, commands run, the largest excerpt.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { MAX_QUOTED_CHARS } from "../../core/text";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { CANARY, CASES, file, leaks, outside, project, SHADOW_LIKE } from "./hostile-corpus";

const GRAM = 12;

/**
 * How much of `content` the output shows: the number of distinct runs of {@link GRAM} characters
 * of the file that appear in it (a whole line of 40 characters echoed counts 29; a quoted value of
 * 80 characters about 69). Repeated messages count once: they show nothing new.
 */
export function excerptOf(content: string, output: string): number {
  const grams = new Set<string>();
  for (let i = 0; i + GRAM <= output.length; i++) grams.add(output.slice(i, i + GRAM));
  const found = new Set<string>();
  for (let i = 0; i + GRAM <= content.length && found.size < grams.size; i++) {
    const gram = content.slice(i, i + GRAM);
    if (grams.has(gram)) found.add(gram);
  }
  return found.size;
}

/** The most a command may show of a file: a quoted value (80 characters) or two, never a whole file. */
const MAX_EXCERPT = 2 * MAX_QUOTED_CHARS;
/** A file that is not a spec shows only its type and a short opening (8 characters). */
const MAX_NOT_SPEC_EXCERPT = 0;

const contentOf = (input: string): string | undefined => {
  try {
    const full = path.resolve(project, input);
    if (!statSync(full).isFile() || statSync(full).size > 64 * 1024 * 1024) return undefined;
    return readFileSync(full, "latin1");
  } catch {
    return undefined;
  }
};

describe("reliability: no command prints more than a bounded excerpt of a hostile file", () => {
  let stack: TestStack | undefined;
  const figures = { files: 0, runs: 0, largest: 0, largestCase: "" };
  after(() => {
    console.log(
      `ℹ figures: hostile files ${figures.files}, command runs ${figures.runs}, largest excerpt ${figures.largest} runs of ${GRAM} characters (${figures.largestCase})`,
    );
    stack?.dispose();
    rmSync(project, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("validate, for every file of the corpus", () => {
    const failures: string[] = [];
    for (const c of CASES) {
      const input = c.make();
      if (input.includes("\0")) continue; // a NUL cannot be passed as an argument at all
      const content = contentOf(input);
      const run = spawnSync(
        process.execPath,
        [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), "validate", input],
        { cwd: project, encoding: "latin1", maxBuffer: 64 * 1024 * 1024 },
      );
      const output = `${run.stdout}${run.stderr}`;
      figures.files++;
      figures.runs++;
      // A case for the stack's setting may be a good spec outside the project: validate, given its path, may read it.
      if (run.status === 0 && c.explicit) failures.push(`${c.name}: validate accepted it`);
      if (leaks(output)) failures.push(`${c.name}: the output carries the planted secret`);
      if (/^\s+at \S/m.test(output)) failures.push(`${c.name}: a stack trace`);
      if (content !== undefined) {
        const excerpt = excerptOf(content, output);
        if (excerpt > figures.largest) Object.assign(figures, { largest: excerpt, largestCase: `validate: ${c.name}` });
        if (excerpt > MAX_EXCERPT)
          failures.push(`${c.name}: validate shows ${excerpt} runs of the file:\n${output.slice(0, 600)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("preview, plan --json, plan --markdown and drift, for the files that are not specs, named by the stack's spec setting", () => {
    stack = new TestStack("hostileout");
    const notSpecs: [string, string][] = [
      ["a one-line secret", `DB_PASSWORD=${CANARY}\n`],
      ["a password-file look-alike", SHADOW_LIKE],
      [
        "a PEM key",
        readFileSync(
          file(
            "key-for-output.pem",
            `-----BEGIN PRIVATE KEY-----\n${Buffer.from(CANARY.repeat(6))
              .toString("base64")
              .replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`,
          ),
          "utf8",
        ),
      ],
      [
        "a 6 MiB value",
        `version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  a@contoso.com:\n    primary: "${CANARY}${"x".repeat(6 * 1024 * 1024)}@contoso.com"\n`,
      ],
    ];
    const failures: string[] = [];
    for (const [name, content] of notSpecs) {
      writeFileSync(stack.specFile, content);
      figures.files++;
      const commands: [string, () => { code: number; output: string }][] = [
        ["pulumi preview", () => stack!.preview()],
        ["plan --json", () => stack!.cli(["plan", "--json"])],
        ["plan --markdown", () => stack!.cli(["plan", "--markdown"])],
        ["drift", () => stack!.cli(["drift"])],
      ];
      for (const [command, run] of commands) {
        const result = run();
        figures.runs++;
        const excerpt = excerptOf(content, result.output);
        if (excerpt > figures.largest) Object.assign(figures, { largest: excerpt, largestCase: `${command}: ${name}` });
        const bound = name === "a 6 MiB value" ? MAX_EXCERPT : MAX_NOT_SPEC_EXCERPT;
        if (result.code === 0) failures.push(`${name}: ${command} succeeded`);
        if (excerpt > bound)
          failures.push(
            `${name}: ${command} shows ${excerpt} runs of the file (at most ${bound}):\n${result.output.slice(0, 800)}`,
          );
        if (name !== "a 6 MiB value" && leaks(result.output))
          failures.push(`${name}: ${command} carries the planted secret`);
        if (/^\s+at \S/m.test(result.output)) failures.push(`${name}: ${command} prints a stack trace`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
