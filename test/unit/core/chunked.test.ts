// core/chunked.ts: blocks of at most `size`, in order, nothing lost or added.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { chunked } from "../../../core/chunked";

describe("chunked (core/chunked.ts)", () => {
  it("blocks of the size, the last shorter, none for an empty list", () => {
    assert.deepEqual(chunked([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunked([1, 2], 15), [[1, 2]]);
    assert.deepEqual(chunked([], 20), []);
  });

  it("joined again, the blocks are the list; each is full but the last", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 40 }), (items, size) => {
        const blocks = chunked(items, size);
        assert.deepEqual(blocks.flat(), items);
        assert.equal(blocks.length, Math.ceil(items.length / size));
        blocks.slice(0, -1).forEach((block) => assert.equal(block.length, size));
        assert.ok(blocks.every((block) => block.length >= 1 && block.length <= size));
      }),
    );
  });
});
