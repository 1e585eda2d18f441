// The checked reader for JSON another process wrote (core/json-check.ts): a value of its shape
// comes back as it was; any other is told in one line, with the path to what is wrong, what was
// expected there and what was found (a long or hostile string quoted, escaped and cut).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  anything,
  checkJson,
  checkValue,
  count,
  fields,
  flag,
  listOf,
  NOT_JSON,
  nullable,
  oneOf,
  pair,
  recordOf,
  strings,
  text,
  type Check,
} from "../../../core/json-check";

const problem = <T>(value: unknown, check: Check<T>): string => {
  const checked = checkValue(value, check);
  assert.ok(!checked.ok, `${JSON.stringify(value)} was accepted`);
  return checked.problem;
};

const shape = fields<{ name: string; tags?: string[]; size?: number; on?: boolean }>(
  { name: text },
  { tags: strings, size: count, on: flag, kind: oneOf("a", "b"), meta: anything },
);

describe("json check", () => {
  it("gives back a value of its shape as it was, extra fields and all", () => {
    const value = { name: "x", tags: ["t"], size: 0, on: false, kind: "b", meta: [{ any: null }], extra: 1 };
    assert.deepEqual(checkJson(JSON.stringify(value), shape), { ok: true, value });
    assert.deepEqual(checkValue(["a", null], pair(nullable(text))), { ok: true, value: ["a", null] });
    assert.deepEqual(checkValue({ a: [1, 2] }, recordOf(listOf(count))), { ok: true, value: { a: [1, 2] } });
  });

  it("names the path to what is wrong, what was expected and what was found", () => {
    assert.deepEqual(checkJson("{", shape), { ok: false, problem: NOT_JSON });
    assert.equal(problem([], shape), "an object expected, found a list");
    assert.equal(problem(null, shape), "an object expected, found null");
    assert.equal(problem({}, shape), "at name, a string expected, found nothing");
    assert.equal(problem({ name: "x", tags: ["t", 3] }, shape), "at tags[1], a string expected, found number 3");
    assert.equal(problem({ name: "x", size: -1 }, shape), "at size, a count expected, found number -1");
    assert.equal(problem({ name: "x", size: 1.5 }, shape), "at size, a count expected, found number 1.5");
    assert.equal(problem({ name: "x", on: "yes" }, shape), 'at on, true or false expected, found "yes"');
    assert.equal(problem({ name: "x", kind: "c" }, shape), 'at kind, "a" or "b" expected, found "c"');
    assert.equal(
      problem({ 'a"b': { x: [{}] } }, recordOf(recordOf(listOf(shape)))),
      'at ["a\\"b"]["x"][0].name, a string expected, found nothing',
    );
    assert.equal(problem(["a"], pair(text)), "a pair expected, found a list");
    assert.equal(problem([1, "a"], pair(text)), "at [0], a string expected, found number 1");
  });

  it("quotes what it found escaped and cut: a hostile or huge value does not reach the message whole", () => {
    const found = problem({ kind: `\u202e\n${"x".repeat(500)}` }, fields({}, { kind: oneOf("a") }));
    assert.ok(found.length < 120, found);
    assert.doesNotMatch(found, /[\u202e\n]/);
    assert.match(found, /^at kind, "a" expected, found "\\u202e\\n/);
  });
});
