// Every file under test/fixtures/specs/bad is a malformed or hostile spec with a .expect file
// beside it: one line per problem it must report, as "LINE:COL: start of the message" or a
// fragment the report must contain. Files under good/ must load without a problem.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { formatProblem } from "../../../core/problems";
import { loadSpecBytes, loadSpecText } from "../../../core/desired/load-spec";
import { MAX_FILE_BYTES } from "../../../core/desired/yaml-source";

const fixtures = path.resolve(__dirname, "../../../../test/fixtures/specs");

function report(name: string, bytes: Uint8Array): string[] {
  const result = loadSpecBytes(name, bytes);
  return result.ok ? [] : result.problems.map((p) => formatProblem(p).slice(name.length + 1));
}

describe("malformed and hostile spec files", () => {
  const bad = readdirSync(path.join(fixtures, "bad"))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  it("the corpus holds at least 30 files", () => assert.ok(bad.length >= 30, `${bad.length} files`));
  for (const file of bad) {
    it(file, () => {
      const bytes = readFileSync(path.join(fixtures, "bad", file));
      // An .expect file is written by hand, never generated: a missing or empty one fails.
      const expectFile = path.join(fixtures, "bad", file.replace(/\.yaml$/, ".expect"));
      assert.ok(
        existsSync(expectFile),
        `${path.relative(process.cwd(), expectFile)} is missing: write the problems ${file} must report, one a line ("LINE:COL: start of the message" or a fragment)`,
      );
      const expectations = readFileSync(expectFile, "utf8").split("\n").filter(Boolean);
      assert.ok(
        expectations.length > 0,
        `${path.relative(process.cwd(), expectFile)} is empty: it must name at least one problem`,
      );
      const started = process.hrtime.bigint();
      const lines = report(file, bytes);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(lines.length > 0, "the file must be rejected");
      for (const expected of expectations) {
        const positional = /^\d+:\d*/.test(expected);
        const found = lines.some((line) => (positional ? line.startsWith(expected) : line.includes(expected)));
        assert.ok(found, `expected ${JSON.stringify(expected)} in:\n${lines.join("\n")}`);
      }
      // Every problem names a line and column.
      for (const line of lines) assert.match(line, /^\d+:\d+: /);
      // Hostile input is rejected fast (generous: the machines are shared and noisy).
      assert.ok(ms < 2000, `took ${ms} ms`);
    });
  }
});

describe("good spec files", () => {
  for (const file of readdirSync(path.join(fixtures, "good")).sort()) {
    it(file, () => {
      const result = loadSpecBytes(file, readFileSync(path.join(fixtures, "good", file)));
      assert.deepEqual(result.ok ? [] : result.problems.map(formatProblem), []);
    });
  }
  it("keeps every address exactly as written, the domain's case included (allowed domains compare case-insensitively)", () => {
    const cased = loadSpecText(
      "cased.yaml",
      "version: 1\nallowedDomains: [Contoso.com]\nmailboxes:\n  a@contoso.com:\n    primary: Mark.Wilson@CONTOSO.com\n    aliases: [mw@Contoso.Com]\n",
    );
    assert.ok(cased.ok, cased.ok ? "" : cased.problems.map(formatProblem).join("\n"));
    assert.deepEqual(cased.spec.allowedDomains, ["contoso.com"]);
    assert.equal(cased.spec.mailboxes[0]!.primary, "Mark.Wilson@CONTOSO.com");
    assert.deepEqual(cased.spec.mailboxes[0]!.aliases, ["mw@Contoso.Com"]);
    const bom = loadSpecBytes("bom-crlf.yaml", readFileSync(path.join(fixtures, "good", "bom-crlf.yaml")));
    assert.ok(bom.ok);
    assert.equal(bom.spec.mailboxes[0]!.primary, "A@Contoso.com");
  });
  it("applies the file's default mode and each mailbox's own", () => {
    const result = loadSpecBytes("g.yaml", readFileSync(path.join(fixtures, "good", "guid-identity-additive.yaml")));
    assert.ok(result.ok);
    assert.deepEqual(
      result.spec.mailboxes.map((m) => [m.identity, m.mode, m.cloudManaged, m.primary]),
      [
        ["0f8fad5b-d9cb-469f-a165-70867728950e", "additive", false, "a@contoso.com"],
        ["b@contoso.com", "strict", true, "b@contoso.com"],
        ["c@contoso.com", "additive", false, "c@contoso.com"],
      ],
    );
  });
});

describe("generated hostile input", () => {
  it("rejects a file over the size limit without parsing it", () => {
    const huge = "# padding\n".repeat(Math.ceil((MAX_FILE_BYTES + 10) / 10));
    const started = Date.now();
    const result = loadSpecText("huge.yaml", huge);
    assert.equal(result.ok, false);
    assert.match(formatProblem(result.problems[0]!), /^huge\.yaml:1:1: the file is 32\.0 MiB; the limit is 32\.0 MiB/);
    assert.ok(Date.now() - started < 2000);
  });
  it("rejects a long anchor bomb before expanding it", () => {
    let text = "version: 1\nallowedDomains: [contoso.com]\nmailboxes: {}\nx0: &a0 [" + "lol,".repeat(50) + "lol]\n";
    for (let i = 1; i < 40; i++)
      text += `x${i}: &a${i} [${Array(20)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    const before = process.memoryUsage().heapUsed;
    const result = loadSpecText("bomb.yaml", text);
    assert.equal(result.ok, false);
    assert.ok(process.memoryUsage().heapUsed - before < 200 * 1024 * 1024);
  });
});
