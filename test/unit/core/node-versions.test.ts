// One verdict on every Node version the package supports (issue 29: `john@contoso.com\u180e` was
// accepted under one Node and refused under another, through the runtime's ICU). scripts/test
// installs Node 22 and Node 24 (toolchain/setup.sh, ensure_test_nodes) and names them in
// MAILBOX_ADDRESSES_NODE22 and MAILBOX_ADDRESSES_NODE24. Under each, this runs the address unit
// tests and the hostile spec files, and prints the verdicts of one corpus (address-verdicts.ts);
// the lists must be identical, and equal to this process's. A missing runtime fails the test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { verdicts, type Verdict } from "./address-verdicts";

const dist = path.resolve(__dirname, "../../..");
const RUNTIMES = [
  { major: 22, variable: "MAILBOX_ADDRESSES_NODE22" },
  { major: 24, variable: "MAILBOX_ADDRESSES_NODE24" },
] as const;

/** The Node binary of a major, which must be there (scripts/test puts it there). */
function nodeOf(runtime: (typeof RUNTIMES)[number]): string {
  const bin = process.env[runtime.variable];
  assert.ok(
    bin !== undefined && bin !== "" && existsSync(bin),
    `Node ${runtime.major} is missing: ${runtime.variable} is ${JSON.stringify(bin)}; run the tests through scripts/test, which installs it (toolchain/setup.sh, ensure_test_nodes)`,
  );
  return bin;
}

/** The environment of a child run: without the test runner's own context, which would turn the child's `--test` into a subtest stream. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function run(bin: string, args: string[]) {
  const result = spawnSync(bin, args, {
    cwd: path.resolve(dist, ".."),
    env: childEnv(),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(result.error, undefined, String(result.error));
  return result;
}

describe("the same verdict on every supported Node version", () => {
  const lists = new Map<number, Verdict[]>();
  for (const runtime of RUNTIMES) {
    it(`Node ${runtime.major}: is that major`, () => {
      const result = run(nodeOf(runtime), ["-p", "process.versions.node"]);
      assert.equal(result.stdout.trim().split(".")[0], String(runtime.major));
    });
    it(`Node ${runtime.major}: the address unit tests and the hostile spec files pass`, () => {
      const files = ["test/unit/core/address.test.js", "test/reliability/hostile-spec-files.test.js"].map((f) =>
        path.join(dist, f),
      );
      const result = run(nodeOf(runtime), ["--test", "--test-reporter=dot", ...files]);
      assert.equal(
        result.status,
        0,
        `under Node ${runtime.major}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`,
      );
    });
    it(`Node ${runtime.major}: prints the corpus's verdicts`, () => {
      const result = run(nodeOf(runtime), [path.join(dist, "test/unit/core/address-verdicts.js")]);
      assert.equal(result.status, 0, result.stderr.slice(-2000));
      const printed = JSON.parse(result.stdout) as { node: string; verdicts: Verdict[] };
      assert.equal(printed.node.split(".")[0], String(runtime.major));
      lists.set(runtime.major, printed.verdicts);
    });
  }

  it("Node 22 and Node 24 give identical verdicts, and the same as this process", () => {
    const [a, b] = RUNTIMES.map((r) => lists.get(r.major));
    assert.ok(a !== undefined && b !== undefined, "a runtime printed no verdicts (see the test above)");
    assert.ok(a.length > 10_000, `${a.length} verdicts`);
    const differ = a.flatMap((v, i) =>
      JSON.stringify(v) === JSON.stringify(b[i])
        ? []
        : [`${JSON.stringify(v)}\n  under Node 24: ${JSON.stringify(b[i])}`],
    );
    assert.deepEqual(differ.slice(0, 10), [], `${differ.length} verdicts differ between Node 22 and Node 24`);
    assert.equal(a.length, b.length);
    assert.deepEqual(a, verdicts());
  });

  it('"john@contoso.com\\u180e" is refused on both, naming U+180E', () => {
    for (const runtime of RUNTIMES) {
      const verdict = lists.get(runtime.major)?.find((v) => v.input === "john@contoso.com\u180e");
      assert.ok(verdict !== undefined, `no verdict under Node ${runtime.major}`);
      assert.equal(verdict.ok, false);
      assert.match(verdict.said[0]!, /U\+180E MONGOLIAN VOWEL SEPARATOR \(an invisible character\) at character 17/);
    }
  });
});
