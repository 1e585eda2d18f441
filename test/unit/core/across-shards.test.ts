// Shards of one tenant, checked together: a mailbox and an address belong to one shard.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../../../core/problems";
import { checkAcrossShards } from "../../../core/desired/across-shards";
import { loadSpecText, type Spec } from "../../../core/desired/load-spec";

const spec = (file: string, text: string): Spec => {
  const loaded = loadSpecText(file, text);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  return loaded.spec;
};

const sales = spec(
  "shards/sales.yaml",
  "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  sales@contoso.com:\n    primary: sales@contoso.com\n    aliases: [orders@contoso.com]\n",
);

describe("checkAcrossShards", () => {
  it("accepts shards that share nothing", () => {
    const ops = spec(
      "shards/ops.yaml",
      "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  ops@contoso.com:\n    primary: ops@contoso.com\n",
    );
    assert.deepEqual(checkAcrossShards([sales, ops]), []);
  });
  it("names an address claimed in two shards at its place, and the first claim", () => {
    const ops = spec(
      "shards/ops.yaml",
      "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  ops@contoso.com:\n    primary: ops@contoso.com\n    aliases:\n      - ORDERS@contoso.com\n",
    );
    const problems = checkAcrossShards([sales, ops]).map(formatProblem);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^shards\/ops\.yaml:7:9: .*alias "ORDERS@contoso\.com" is also claimed by mailbox "sales@contoso\.com" in shards\/sales\.yaml at line 6; an address belongs to one mailbox/,
    );
  });
  it("names a mailbox declared in two shards", () => {
    const again = spec(
      "shards/again.yaml",
      "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  Sales@contoso.com:\n    primary: sales@contoso.com\n",
    );
    const problems = checkAcrossShards([sales, again]).map(formatProblem);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^shards\/again\.yaml:4:3: .*mailbox "Sales@contoso\.com" is also declared in shards\/sales\.yaml at line 4; a mailbox belongs to one shard/,
    );
  });
});
