// "Did you mean": a swap of two neighbouring letters is one edit, as commander counts it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { distance } from "fastest-levenshtein";
import { closestName, editDistance } from "../../../core/did-you-mean";

describe("editDistance (optimal string alignment)", () => {
  it("counts a swap of neighbours as one edit", () => {
    assert.equal(editDistance("dve", "dev"), 1);
    assert.equal(editDistance("drfit", "drift"), 1);
    assert.equal(editDistance("ca", "abc"), 3);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(closestName("dve", ["dev", "prod"]), "dev");
    assert.equal(closestName("porg", ["dev", "prod"]), "prod"); // a swap and a substitution: 2 of 4 letters
    assert.equal(closestName("xyzw", ["dev", "prod"]), undefined);
  });
  it("is symmetric, zero only for equal strings, and never more than Levenshtein's distance", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        assert.equal(d, editDistance(b, a));
        assert.equal(d === 0, a === b);
        assert.ok(d <= distance(a, b));
        assert.ok(d >= Math.abs(a.length - b.length));
      }),
    );
  });
  it("a swap of two neighbours is one edit", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 12 }), fc.nat(), (s, n) => {
        const i = n % (s.length - 1);
        if (s[i] === s[i + 1]) return;
        const swapped = s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
        assert.equal(editDistance(s, swapped), 1);
      }),
    );
  });
});
