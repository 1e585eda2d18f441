// The tokenizer of the small expression languages this project reads: Graph's `$filter`, which
// the emulator serves (emulator/graph-filter.ts), and the CI systems' expressions, which the test
// harness evaluates (harness/workflow-expressions.ts). They share a lexical core: blanks between
// tokens, string literals in single quotes with '' for a quote (OData's ABNF, GitHub Actions' and
// Azure Pipelines' expressions alike), names and operators. Each language gives its own rules
// (which names, which operators, numbers or none) and words its own messages: a text that is not
// tokens comes back as a problem and its position, never thrown.

/** What a language's tokens look like besides blanks and quoted strings. */
export interface TokenRules {
  /** A name, matched where a token starts (Graph's: `[A-Za-z_][A-Za-z0-9_.]*`). */
  readonly name: RegExp;
  /** A number, matched where a token starts; a language without one leaves it out (a digit is then an unknown character). */
  readonly number?: RegExp;
  /** Operators and punctuation; where one starts another (`!=`, `!`), the longer first. */
  readonly operators: readonly string[];
}

export interface Token {
  readonly kind: "string" | "number" | "name" | "op";
  /** A string's value (without its quotes, '' read as '); any other token as written. */
  readonly text: string;
  /** Where the token starts in the text (from 0). */
  readonly at: number;
}

export type Tokens =
  | { readonly ok: true; readonly tokens: readonly Token[] }
  | { readonly ok: false; readonly problem: "unterminated string" | "unknown character"; readonly at: number };

/** The tokens of `text` under `rules`; tried at each start in this order: blank, string, number, name, operator. */
export function tokenize(text: string, rules: TokenRules): Tokens {
  const sticky = (pattern: RegExp) => new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, "")}y`);
  const name = sticky(rules.name);
  const number = rules.number === undefined ? undefined : sticky(rules.number);
  const matchAt = (pattern: RegExp | undefined, at: number): string | undefined => {
    if (pattern === undefined) return undefined;
    pattern.lastIndex = at;
    const match = pattern.exec(text)?.[0];
    return match === "" ? undefined : match;
  };
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return { ok: false, problem: "unterminated string", at: i };
        if (text[j] === "'") {
          if (text[j + 1] !== "'") break;
          value += "'";
          j += 2;
          continue;
        }
        value += text[j];
        j++;
      }
      tokens.push({ kind: "string", text: value, at: i });
      i = j + 1;
      continue;
    }
    const numeral = matchAt(number, i);
    if (numeral !== undefined) {
      tokens.push({ kind: "number", text: numeral, at: i });
      i += numeral.length;
      continue;
    }
    const word = matchAt(name, i);
    if (word !== undefined) {
      tokens.push({ kind: "name", text: word, at: i });
      i += word.length;
      continue;
    }
    const op = rules.operators.find((o) => text.startsWith(o, i));
    if (op === undefined) return { ok: false, problem: "unknown character", at: i };
    tokens.push({ kind: "op", text: op, at: i });
    i += op.length;
  }
  return { ok: true, tokens };
}
