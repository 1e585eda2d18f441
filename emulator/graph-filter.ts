// Graph's $filter on directory objects, the part the emulator serves: lambda filters on the
// collection properties (`proxyAddresses/any(x:x eq 'smtp:a@b')`, `startswith(x,'…')`,
// `endswith(x,'…')`; `groupTypes/any(c:c eq 'Unified')`), comparisons with `eq` (and `ne`) on
// single-valued properties (`mailEnabled eq true`, `mail eq '…'`, `id eq '…'`), `startswith(p,'…')`,
// joined by `and`/`or`, with `not` and parentheses. Which property takes which operator comes from
// the resource pages (user, group, orgContact: "Supports $filter (eq, NOT, ge, le, startsWith)");
// `endsWith` is an advanced query: it needs `ConsistencyLevel: eventual` and `$count=true`
// (https://learn.microsoft.com/graph/aad-advanced-queries). String comparisons ignore case, as the
// directory does (unverified for proxyAddresses: docs/RECIPIENT-KINDS.md).
import { MailboxAddressesError } from "../core/errors";
import { tokenize, type TokenRules } from "../core/expression-tokens";

/** What a filter may do with one property of a resource. */
export interface FilterableProperty {
  /** For a collection: the operators inside `any(...)`; for a single value: the operators on it. */
  readonly operators: readonly ("eq" | "ne" | "startswith" | "endswith")[];
  readonly collection: boolean;
  /** Operators that are advanced queries on this property (need ConsistencyLevel and $count). */
  readonly advanced?: readonly string[];
}

export type FilterValue = string | boolean | null | readonly string[];

/** A parsed filter: a predicate over an object's property values. */
export type FilterPredicate = (get: (property: string) => FilterValue) => boolean;

export type FilterResult =
  | { readonly ok: true; readonly predicate: FilterPredicate; readonly advanced: boolean }
  | { readonly ok: false; readonly code: "BadRequest" | "Request_UnsupportedQuery"; readonly message: string };

interface FilterToken {
  readonly kind: "name" | "string" | "punct" | "bool" | "null";
  readonly text: string;
  readonly at: number;
}

// $filter's words (a property path may hold dots) and punctuation; no number literal: the properties served take
// strings and booleans.
const FILTER_TOKENS: TokenRules = { name: /[A-Za-z_][A-Za-z0-9_.]*/, operators: ["(", ")", ",", ":", "/"] };

/** The tokens of a filter (true, false and null told apart from names), or Graph's syntax error. */
function filterTokens(text: string): FilterToken[] | { error: string } {
  const read = tokenize(text, FILTER_TOKENS);
  if (!read.ok) {
    if (read.problem === "unterminated string")
      return { error: `Syntax error: unterminated string literal at position ${read.at} in '${text}'.` };
    return { error: `Syntax error at position ${read.at} in '${text}'.` };
  }
  return read.tokens.map(({ kind, text: word, at }) => {
    if (kind !== "name") return { kind: kind === "op" ? "punct" : "string", text: word, at };
    const lower = word.toLowerCase();
    return {
      kind: lower === "true" || lower === "false" ? "bool" : lower === "null" ? "null" : "name",
      text: word,
      at,
    };
  });
}

class FilterError extends MailboxAddressesError {
  constructor(
    readonly code: "BadRequest" | "Request_UnsupportedQuery",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses `$filter` for a resource (`Group`, `User`, `OrgContact` in messages) whose filterable
 * properties are `properties` (canonical names). Unknown properties and unsupported operators are
 * refused as Graph refuses them.
 */
export function parseDirectoryFilter(
  text: string,
  resource: string,
  properties: Readonly<Record<string, FilterableProperty>>,
): FilterResult {
  const tokens = filterTokens(text);
  if (!Array.isArray(tokens))
    return { ok: false, code: "BadRequest", message: `Invalid filter clause: ${tokens.error}` };
  const canonical = new Map(Object.keys(properties).map((p) => [p.toLowerCase(), p]));
  let pos = 0;
  let advanced = false;
  const peek = () => tokens[pos];
  const syntax = (what: string): never => {
    const at = peek()?.at ?? text.length;
    throw new FilterError("BadRequest", `Invalid filter clause: Syntax error: ${what} at position ${at} in '${text}'.`);
  };
  const expectPunct = (p: string) => {
    const t = peek();
    if (t?.kind !== "punct" || t.text !== p) syntax(`'${p}' expected`);
    pos++;
  };
  const keyword = (word: string) => {
    const t = peek();
    if (t?.kind === "name" && t.text.toLowerCase() === word) {
      pos++;
      return true;
    }
    return false;
  };
  const unsupported = (property: string): never => {
    throw new FilterError(
      "Request_UnsupportedQuery",
      `Unsupported or invalid query filter clause specified for property '${property}' of resource '${resource}'.`,
    );
  };
  const property = (name: string): [string, FilterableProperty] => {
    const found = canonical.get(name.toLowerCase());
    if (found === undefined) unsupported(name);
    return [found!, properties[found!]!];
  };
  const literal = (): string | boolean | null => {
    const t = peek();
    if (t === undefined) return syntax("a value expected");
    pos++;
    if (t.kind === "string") return t.text;
    if (t.kind === "bool") return t.text.toLowerCase() === "true";
    if (t.kind === "null") return null;
    return syntax(`'${t.text}' is not a value`);
  };
  const allows = (name: string, spec: FilterableProperty, operator: string) => {
    if (!spec.operators.includes(operator as never)) unsupported(name);
    if (spec.advanced?.includes(operator)) advanced = true;
  };
  const fold = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
  const compare = (operator: string, value: unknown, wanted: unknown): boolean => {
    const a = fold(value);
    const b = fold(wanted);
    if (operator === "eq") return a === b;
    if (operator === "ne") return a !== b;
    if (typeof a !== "string" || typeof b !== "string") return false;
    return operator === "startswith" ? a.startsWith(b) : a.endsWith(b);
  };

  // startswith(p,'x') / endswith(p,'x') where p is a property or the lambda variable.
  const functionCall = (
    name: string,
    variable: string | undefined,
  ): FilterPredicate | { variableTest: (v: unknown) => boolean } => {
    const fn = name.toLowerCase();
    expectPunct("(");
    const target = peek();
    if (target?.kind !== "name") syntax("a property expected");
    pos++;
    expectPunct(",");
    const wanted = literal();
    expectPunct(")");
    if (variable !== undefined && target!.text === variable) return { variableTest: (v) => compare(fn, v, wanted) };
    const [prop, spec] = property(target!.text);
    if (spec.collection) unsupported(prop);
    allows(prop, spec, fn);
    return (get) => compare(fn, get(prop), wanted);
  };

  const term = (): FilterPredicate => {
    const t = peek();
    if (t === undefined) return syntax("an expression expected");
    if (t.kind === "punct" && t.text === "(") {
      pos++;
      const inner = expression();
      expectPunct(")");
      return inner;
    }
    if (t.kind === "name" && t.text.toLowerCase() === "not") {
      pos++;
      const inner = term();
      return (get) => !inner(get);
    }
    if (t.kind !== "name") return syntax(`unexpected '${t.text}'`);
    pos++;
    const lower = t.text.toLowerCase();
    if ((lower === "startswith" || lower === "endswith") && peek()?.text === "(") {
      const call = functionCall(t.text, undefined);
      if (typeof call !== "function") return syntax("a property expected");
      return call;
    }
    const [prop, spec] = property(t.text);
    if (peek()?.kind === "punct" && peek()?.text === "/") {
      // prop/any(x: <test on x>)
      pos++;
      if (!keyword("any")) {
        if (keyword("all")) unsupported(prop);
        syntax("'any' expected");
      }
      if (!spec.collection) unsupported(prop);
      expectPunct("(");
      const variable = peek();
      if (variable?.kind !== "name") syntax("a lambda variable expected");
      pos++;
      expectPunct(":");
      const inner = peek();
      let test: (v: unknown) => boolean;
      if (inner?.kind === "name" && inner.text === variable!.text) {
        pos++;
        const op = peek();
        if (op?.kind !== "name" || !["eq", "ne"].includes(op.text.toLowerCase())) syntax("an operator expected");
        pos++;
        const operator = op!.text.toLowerCase();
        allows(prop, spec, operator);
        const wanted = literal();
        test = (v) => compare(operator, v, wanted);
      } else if (inner?.kind === "name" && ["startswith", "endswith"].includes(inner.text.toLowerCase())) {
        pos++;
        allows(prop, spec, inner.text.toLowerCase());
        const call = functionCall(inner.text, variable!.text);
        if (typeof call === "function") return syntax("the lambda variable expected");
        test = call.variableTest;
      } else {
        return syntax("a test of the lambda variable expected");
      }
      expectPunct(")");
      return (get) => {
        const values = get(prop);
        return Array.isArray(values) && values.some(test);
      };
    }
    if (spec.collection) unsupported(prop);
    const op = peek();
    if (op?.kind !== "name") return syntax("an operator expected");
    const operator = op.text.toLowerCase();
    if (!["eq", "ne", "ge", "le", "gt", "lt", "in"].includes(operator)) return syntax(`unknown operator '${op.text}'`);
    pos++;
    allows(prop, spec, operator);
    const wanted = literal();
    return (get) => compare(operator, get(prop), wanted);
  };

  const conjunction = (): FilterPredicate => {
    let left = term();
    while (keyword("and")) {
      const a = left;
      const b = term();
      left = (get) => a(get) && b(get);
    }
    return left;
  };
  const expression = (): FilterPredicate => {
    let left = conjunction();
    while (keyword("or")) {
      const a = left;
      const b = conjunction();
      left = (get) => a(get) || b(get);
    }
    return left;
  };

  try {
    if (tokens.length === 0) syntax("an expression expected");
    const predicate = expression();
    if (pos < tokens.length) syntax(`unexpected '${tokens[pos]!.text}'`);
    return { ok: true, predicate, advanced };
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
