import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeChangeSet } from "../../../core/plan/change-set";
import { planChanges } from "../../../core/plan/plan-changes";
import { narrowChangePlan, unionChangeSets } from "../../../core/plan/targeted-run";
import { loadSpecText } from "../../../core/desired/load-spec";

const spec = (text: string) => {
  const result = loadSpecText("m.yaml", `version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n${text}`);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.spec;
};
const base = spec(
  "  a@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  b@contoso.com: { primary: b@contoso.com }\n  c@contoso.com: { primary: c@contoso.com }\n",
);

describe("targeted runs: union of change sets, the whole spec's plan narrowed to the set", () => {
  it("the union of the set from the git ref and the set from the state: every target of both, in the spec's order", () => {
    const after = spec(
      "  a@contoso.com: { primary: a@contoso.com }\n  b@contoso.com: { primary: b@contoso.com, aliases: [x@contoso.com] }\n  c@contoso.com: { primary: c@contoso.com, aliases: [y@contoso.com] }\n",
    );
    const fromGit = computeChangeSet(base, after);
    const behind = spec(
      "  a@contoso.com: { primary: a@contoso.com, aliases: [x@contoso.com] }\n  b@contoso.com: { primary: b@contoso.com }\n  c@contoso.com: { primary: c@contoso.com, aliases: [y@contoso.com] }\n  gone@contoso.com: { primary: gone@contoso.com }\n",
    );
    const fromState = computeChangeSet(behind, after);
    const union = unionChangeSets(fromGit, fromState, after);
    assert.equal(union.scope, "targeted");
    assert.deepEqual(union.scope === "targeted" && union.declare, ["a@contoso.com", "b@contoso.com", "c@contoso.com"]);
    assert.deepEqual(union.scope === "targeted" && union.release, ["gone@contoso.com"]);
  });
  it("everything when either set is everything, with the reasons", () => {
    const wider = loadSpecText(
      "m.yaml",
      "version: 1\nallowedDomains: [contoso.com, fabrikam.com]\nmailboxes:\n  a@contoso.com: { primary: a@contoso.com }\n",
    );
    assert.ok(wider.ok);
    const union = unionChangeSets(
      computeChangeSet(base, wider.spec),
      computeChangeSet(wider.spec, wider.spec),
      wider.spec,
    );
    assert.equal(union.scope, "everything");
    assert.match(union.scope === "everything" ? union.reasons[0]!.message : "", /allowedDomains changed/);
  });
  it("a move inside the set stays; a move across its boundary is returned for the program to refuse", () => {
    const inputs = [
      {
        identity: "a",
        desired: { primary: "a@contoso.com", aliases: [], mode: "strict" as const },
        live: ["SMTP:a@contoso.com", "smtp:x@contoso.com"],
      },
      {
        identity: "b",
        desired: { primary: "b@contoso.com", aliases: ["x@contoso.com"], mode: "strict" as const },
        live: ["SMTP:b@contoso.com"],
      },
      {
        identity: "c",
        desired: { primary: "c@contoso.com", aliases: [], mode: "strict" as const },
        live: ["SMTP:c@contoso.com"],
      },
    ];
    const change = planChanges(inputs);
    const inside = narrowChangePlan(change, new Set(["a", "b"]));
    assert.deepEqual(inside.crossing, []);
    assert.deepEqual([...inside.change.plans.keys()].sort(), ["a", "b"]);
    assert.deepEqual(inside.change.dependsOn.get("b"), ["a"]);
    const across = narrowChangePlan(change, new Set(["b"]));
    assert.deepEqual(across.crossing, [{ address: "x@contoso.com", from: "a", to: "b" }]);
  });
});
