// `mailbox-addresses validate --explain` through the real command (bin/mailbox-addresses.js): the
// one normalization table, then each address or domain of the spec a step applies to, at
// file:line:col; documented by --help.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ADDRESS_NORMALIZATIONS } from "../../../core/address";

const bin = path.resolve(__dirname, "../../../../bin/mailbox-addresses.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-explain-"));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });

const SPEC = `version: 1
allowedDomains: [Contoso.COM, bücher.example]
internationalDomains: [xn--bcher-kva.example]
mailboxes:
  mark@contoso.com:
    primary: Mark@Contoso.COM
    aliases: [info@Bücher.example, sales@xn--bcher-kva.example, plain@contoso.com]
`;

describe("validate --explain", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "Pulumi.yaml"), "name: explain\n");
  writeFileSync(path.join(dir, "spec.yaml"), SPEC);
  writeFileSync(
    path.join(dir, "plain.yaml"),
    "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  a@contoso.com: {primary: a@contoso.com}\n",
  );
  writeFileSync(
    path.join(dir, "bad.yaml"),
    "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  a@contoso.com: {primary: a@b\u00fccher.example}\n",
  );

  it("prints the table, then every address and domain a step applies to, with file:line:col", () => {
    const result = cli("validate", "--explain", "spec.yaml");
    assert.equal(result.status, 0, result.stderr);
    for (const n of ADDRESS_NORMALIZATIONS) {
      assert.ok(
        result.stdout.includes(`${n.step}  where: ${n.appliesTo}`) ||
          result.stdout.includes(`${n.step} where: ${n.appliesTo}`),
        n.step,
      );
      assert.ok(result.stdout.includes(`what: ${n.effect}`), n.effect);
    }
    const lines = result.stdout.split("\n").filter((l) => l.startsWith("spec.yaml:"));
    assert.deepEqual(lines, [
      "spec.yaml: valid (1 mailbox)",
      "spec.yaml: 4 addresses or domains a step applies to:",
      'spec.yaml:2:18: allowedDomains[0]: "Contoso.COM": domain case: compared as contoso.com',
      'spec.yaml:2:31: allowedDomains[1]: "bücher.example": IDN A-label: written as xn--bcher-kva.example',
      'spec.yaml:6:14: mailboxes["mark@contoso.com"].primary: "Mark@Contoso.COM": domain case: compared as mark@contoso.com',
      'spec.yaml:7:15: mailboxes["mark@contoso.com"].aliases[0]: "info@Bücher.example": domain case: compared as info@bücher.example; IDN A-label: written as info@xn--bcher-kva.example',
    ]);
  });

  it("says so when no step applies; without --explain, prints neither", () => {
    const explained = cli("validate", "--explain", "plain.yaml");
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(
      explained.stdout,
      /^plain\.yaml: no address or domain a step applies to: each is written as spelled$/m,
    );
    const plain = cli("validate", "spec.yaml");
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(plain.stdout, "spec.yaml: valid (1 mailbox)\n");
  });

  it("a spec with problems still gets the table, and its problems, exit 1", () => {
    const result = cli("validate", "--explain", "bad.yaml");
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^What mailbox-addresses does to an address/);
    assert.match(
      result.stderr,
      /^bad\.yaml:4:31: mailboxes\["a@contoso\.com"\]\.primary: "a@bücher\.example": U\+00FC LATIN SMALL LETTER U WITH DIAERESIS .*opt in: list it under internationalDomains/m,
    );
  });

  it("--help documents it", () => {
    const result = cli("validate", "--help");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /--explain +also print the one normalization table/);
    // The example names the spec where the user stands: here a folder without infra/ (cli/program.ts, specExample).
    assert.match(result.stdout, /mailbox-addresses validate --explain mailboxes\.yaml/);
  });
});
