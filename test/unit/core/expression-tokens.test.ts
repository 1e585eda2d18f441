// The tokenizer Graph's $filter (emulator/graph-filter.ts) and the CI systems' expressions
// (harness/workflow-expressions.ts) share (core/expression-tokens.ts): blanks, quoted strings with
// '' for a quote, names, numbers and operators by each language's rules, and a problem's position.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { tokenize, type Token, type TokenRules } from "../../../core/expression-tokens";

const DOTTED: TokenRules = { name: /[A-Za-z_][A-Za-z0-9_.]*/, operators: ["(", ")", ",", ":", "/"] };
const DASHED: TokenRules = {
  name: /[A-Za-z_][A-Za-z0-9_-]*/,
  number: /[0-9]+(\.[0-9]+)?/,
  operators: ["==", "!=", "&&", "||", "!", "(", ")", ".", "[", "]", ","],
};

function tokens(text: string, rules: TokenRules): Token[] {
  const read = tokenize(text, rules);
  assert.ok(read.ok, JSON.stringify(read));
  return [...read.tokens];
}

describe("tokenize", () => {
  it("reads names, strings and operators with where each starts", () => {
    assert.deepEqual(tokens("proxyAddresses/any(x:x eq 'smtp:a@b')", DOTTED), [
      { kind: "name", text: "proxyAddresses", at: 0 },
      { kind: "op", text: "/", at: 14 },
      { kind: "name", text: "any", at: 15 },
      { kind: "op", text: "(", at: 18 },
      { kind: "name", text: "x", at: 19 },
      { kind: "op", text: ":", at: 20 },
      { kind: "name", text: "x", at: 21 },
      { kind: "name", text: "eq", at: 23 },
      { kind: "string", text: "smtp:a@b", at: 26 },
      { kind: "op", text: ")", at: 36 },
    ]);
  });

  it("takes a name as the language spells it: dots in one, dashes in the other", () => {
    assert.deepEqual(tokens("a.b_c", DOTTED), [{ kind: "name", text: "a.b_c", at: 0 }]);
    assert.deepEqual(tokenize("a.b-c", DOTTED), { ok: false, problem: "unknown character", at: 3 });
    assert.deepEqual(
      tokens("a.b-c", DASHED).map((t) => [t.kind, t.text]),
      [
        ["name", "a"],
        ["op", "."],
        ["name", "b-c"],
      ],
    );
  });

  it("reads '' inside a string as one quote, and a string of quotes alone", () => {
    assert.deepEqual(tokens("'it''s' ''''", DOTTED), [
      { kind: "string", text: "it's", at: 0 },
      { kind: "string", text: "'", at: 8 },
    ]);
    assert.deepEqual(tokens("''", DOTTED), [{ kind: "string", text: "", at: 0 }]);
  });

  it("reads numbers only in a language that has them; a digit elsewhere is an unknown character", () => {
    assert.deepEqual(
      tokens("1.5 == 2.", DASHED).map((t) => [t.kind, t.text]),
      [
        ["number", "1.5"],
        ["op", "=="],
        ["number", "2"],
        ["op", "."],
      ],
    );
    assert.deepEqual(tokenize("id eq 7", DOTTED), { ok: false, problem: "unknown character", at: 6 });
  });

  it("prefers the longer operator where one starts another", () => {
    assert.deepEqual(
      tokens("!a != !b", DASHED).map((t) => t.text),
      ["!", "a", "!=", "!", "b"],
    );
  });

  it("tells an unterminated string where it opened, and an unknown character where it stands", () => {
    assert.deepEqual(tokenize("mail eq 'a@b", DOTTED), { ok: false, problem: "unterminated string", at: 8 });
    assert.deepEqual(tokenize("'it''", DOTTED), { ok: false, problem: "unterminated string", at: 0 });
    assert.deepEqual(tokenize("a == b", DOTTED), { ok: false, problem: "unknown character", at: 2 });
    assert.deepEqual(tokenize("a ~ b", DASHED), { ok: false, problem: "unknown character", at: 2 });
  });

  it("has no tokens for blanks alone, and takes no empty match for a token", () => {
    assert.deepEqual(tokens(" \t\n", DOTTED), []);
    const lax: TokenRules = { name: /[a-z]*/, operators: [] };
    assert.deepEqual(tokenize("ab 1", lax), { ok: false, problem: "unknown character", at: 3 });
  });

  it("gives back any string it was given quoted, and blanks between tokens change nothing", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(" ", "  ", "\t", "\n"), (value, blank) => {
        const quoted = `'${value.replaceAll("'", "''")}'`;
        assert.deepEqual(tokens(quoted, DOTTED), [{ kind: "string", text: value, at: 0 }]);
        const spaced = tokens(`a${blank}${quoted}${blank}(`, DASHED);
        assert.deepEqual(
          spaced.map((t) => t.text),
          ["a", value, "("],
        );
        assert.deepEqual(
          spaced.map((t) => t.at),
          [0, 1 + blank.length, 1 + 2 * blank.length + quoted.length],
        );
      }),
    );
  });
});
