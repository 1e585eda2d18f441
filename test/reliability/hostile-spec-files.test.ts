// The standing hostile corpus (issue 19, defects 1, 5 and 10): spec files that are not spec files
// (devices, directories, pipes, symlink loops, files outside the project, secrets), oversized
// files, other encodings, NUL, homoglyphs, zero-width and bidi characters, YAML 1.1 booleans,
// merge keys, case-only duplicate keys. Each is refused, fast, with a message that names the file,
// escapes what it quotes, stays short, and never carries a secret planted in the file. Prints its
// figures: inputs, refused, secrets found in messages.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { formatProblem } from "../../core/problems";
import { loadSpecBytes } from "../../core/desired/load-spec";
import { hasUnsafeCharacters } from "../../core/text";
import { readSpecFile, SpecFileError } from "../../runtime/spec-file";
import { CASES, file, HEADER, leaks, outside, project } from "./hostile-corpus";

interface Outcome {
  readonly refused: boolean;
  readonly messages: string[];
  readonly ms: number;
}

function attempt(input: string, explicit: boolean): Outcome {
  const started = Date.now();
  try {
    const bytes = readSpecFile(input, { root: project, explicit });
    const loaded = loadSpecBytes(input, bytes);
    return {
      refused: !loaded.ok,
      messages: loaded.ok ? [] : loaded.problems.map(formatProblem),
      ms: Date.now() - started,
    };
  } catch (err) {
    assert.ok(SpecFileError.isInstance(err), `not a SpecFileError: ${(err as Error).stack}`);
    return { refused: true, messages: [err.message], ms: Date.now() - started };
  }
}

describe("reliability: hostile spec files", () => {
  after(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("refuses every hostile input, fast, with short escaped messages and no secret", (t) => {
    let refused = 0;
    let secretsFound = 0;
    const failures: string[] = [];
    for (const c of CASES) {
      const outcome = attempt(c.make(), c.explicit);
      if (outcome.refused) refused++;
      else failures.push(`${c.name}: accepted`);
      if (c.says !== undefined && !outcome.messages.some((m) => m.includes(c.says!)))
        failures.push(
          `${c.name}: no message says ${JSON.stringify(c.says)}: ${outcome.messages.join(" | ").slice(0, 300)}`,
        );
      for (const message of outcome.messages) {
        if (leaks(message)) {
          secretsFound++;
          failures.push(`${c.name}: the message carries the secret: ${message.slice(0, 200)}`);
        }
        if (hasUnsafeCharacters(message))
          failures.push(`${c.name}: unescaped characters in ${JSON.stringify(message.slice(0, 200))}`);
        if (message.length > 600) failures.push(`${c.name}: a message of ${message.length} characters`);
      }
      t.diagnostic(
        `${c.name}: ${outcome.refused ? "refused" : "ACCEPTED"} in ${outcome.ms} ms: ${(outcome.messages[0] ?? "").slice(0, 160)}`,
      );
    }
    t.diagnostic(
      `figures: hostile inputs ${CASES.length}, refused ${refused}, secrets found in messages ${secretsFound}`,
    );
    assert.deepEqual(failures, []);
    assert.equal(refused, CASES.length);
  });

  it("still accepts a plain spec inside the project, by setting and by path", () => {
    const spec = file("good/spec.yaml", `${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`);
    assert.equal(attempt("good/spec.yaml", false).refused, false);
    assert.equal(attempt(spec, true).refused, false);
  });
});
