// Messages never carry raw control or bidi characters, nor a long value whole (issue 19, defect 10).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatProblem } from "../../../core/problems";
import { hasUnsafeCharacters, quote, safeMessage, withoutStackTrace } from "../../../core/text";

describe("quote and safeMessage", () => {
  it("escapes NUL, line breaks, RTL override, zero-width and tag characters", () => {
    assert.equal(quote("a\u0000b\nc\u202ed\u200be\u{e0041}"), '"a\\0b\\nc\\u202ed\\u200be\\u{e0041}"');
    assert.equal(quote('say "hi" \\'), '"say \\"hi\\" \\\\"');
  });
  it("cuts a long value and says how much was left out", () => {
    const q = quote("x".repeat(31 * 1024 * 1024));
    assert.ok(q.length < 200, q.slice(0, 100));
    assert.match(q, /… \(32505776 more characters\)$/);
  });
  it("no formatted problem ever holds an unsafe character or exceeds the cap, whatever its parts", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 3000 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "binary", maxLength: 100 }),
        (message, identity, file) => {
          const text = formatProblem({
            file,
            position: { line: 1, col: 1 },
            path: ["mailboxes", identity, "aliases", 0],
            message,
          });
          assert.ok(!hasUnsafeCharacters(text), JSON.stringify(text));
          assert.ok(text.length < 2600);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("drops stack traces and keeps the message", () => {
    const text =
      "Error: boom\n    at f (/x/y.js:1:2)\n    at async Promise.all (index 0)\n    at node:internal/main:3:4\nwhat to do: fix it";
    assert.equal(withoutStackTrace(text), "Error: boom\nwhat to do: fix it");
    assert.equal(safeMessage("a\u202eb", { multiline: true }), "a\\u202eb");
  });
});
