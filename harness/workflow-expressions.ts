// The two CI systems' expression languages, as far as the CI templates use them, and no further:
// GitHub Actions' `${{ … }}` (contexts, literals, ==, !=, !, &&, ||, status functions, hashFiles)
// and Azure Pipelines' conditions (`and(succeededOrFailed(), ne(variables['X'], ''))`) and `$(X)`
// macros. Anything else throws (UnknownExpressionError), so a template that starts using an
// expression the harness cannot evaluate fails its test instead of passing on a wrong value.
// Sources: https://docs.github.com/actions/reference/workflows-and-actions/expressions
//          https://learn.microsoft.com/azure/devops/pipelines/process/expressions
import { MailboxAddressesError } from "../core/errors";
import { tokenize, type TokenRules } from "../core/expression-tokens";

/** A bug of the harness or a template, not a user's problem: not expected (core/errors.ts). */
export class UnknownExpressionError extends MailboxAddressesError {
  override name = "UnknownExpressionError";
  constructor(message: string) {
    super(message, { expected: false });
  }
}

export type ExpressionValue =
  string | number | boolean | null | { readonly [key: string]: unknown } | readonly unknown[];

type Token =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "name"; value: string }
  | { kind: "op"; value: string };

/** The tokens both systems' expressions are made of: names may hold dashes (`id-token`), numbers may have a fraction. */
const EXPRESSION_TOKENS: TokenRules = {
  name: /[A-Za-z_][A-Za-z0-9_-]*/,
  number: /[0-9]+(\.[0-9]+)?/,
  operators: ["==", "!=", "&&", "||", "!", "(", ")", ".", "[", "]", ","],
};

function expressionTokens(text: string): Token[] {
  const read = tokenize(text, EXPRESSION_TOKENS);
  if (!read.ok) {
    if (read.problem === "unterminated string") throw new UnknownExpressionError(`unterminated string in: ${text}`);
    throw new UnknownExpressionError(`unknown character "${text[read.at]}" in: ${text}`);
  }
  return read.tokens.map(({ kind, text: word }) =>
    kind === "number" ? { kind, value: Number(word) } : { kind, value: word },
  );
}

class Cursor {
  #i = 0;
  constructor(
    readonly tokens: Token[],
    readonly text: string,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.#i];
  }
  next(): Token {
    const token = this.tokens[this.#i++];
    if (token === undefined) throw new UnknownExpressionError(`unexpected end of: ${this.text}`);
    return token;
  }
  isOp(value: string): boolean {
    const token = this.peek();
    return token?.kind === "op" && token.value === value;
  }
  expect(value: string): void {
    const token = this.next();
    if (token.kind !== "op" || token.value !== value)
      throw new UnknownExpressionError(`expected "${value}" in: ${this.text}`);
  }
  done(): void {
    if (this.peek() !== undefined)
      throw new UnknownExpressionError(`unexpected "${String(this.peek()!.value)}" in: ${this.text}`);
  }
}

/** Truthiness as both systems define it: false, 0, '' and null are false. */
export function truthy(value: ExpressionValue | undefined): boolean {
  return !(value === false || value === 0 || value === "" || value === null || value === undefined);
}

/** == of GitHub and eq() of Azure: strings case-insensitively, other types through numbers. */
function looseEquals(a: ExpressionValue, b: ExpressionValue): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== "object" || a === null)) return a === b;
  const number = (v: ExpressionValue) =>
    v === null
      ? 0
      : typeof v === "boolean"
        ? Number(v)
        : typeof v === "string"
          ? v.trim() === ""
            ? 0
            : Number(v)
          : typeof v === "number"
            ? v
            : NaN;
  return number(a) === number(b);
}

/** What GitHub writes into a string for a value. */
export function asText(value: ExpressionValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export interface GitHubScope {
  /** Top-level contexts; reading a context not listed here throws. */
  readonly contexts: Readonly<Record<string, unknown>>;
  /** Functions by name; calling one not listed here throws. */
  readonly functions: Readonly<Record<string, (...args: ExpressionValue[]) => ExpressionValue>>;
}

/** A property of a context; a strict object (see `strict`) throws on a missing key. */
function member(target: unknown, key: string, path: string): ExpressionValue {
  if (target === null || target === undefined || typeof target !== "object") return null;
  const guard = (target as { [STRICT]?: string })[STRICT];
  if (guard !== undefined && !Object.prototype.hasOwnProperty.call(target, key)) {
    throw new UnknownExpressionError(`${path}: ${guard} has no "${key}"`);
  }
  const value = (target as Record<string, unknown>)[key];
  return value === undefined ? null : (value as ExpressionValue);
}

const STRICT = Symbol("strict");

/** Marks an object whose missing keys throw when an expression reads them (e.g. `vars`). */
export function strict<T extends object>(what: string, object: T): T {
  Object.defineProperty(object, STRICT, { value: what, enumerable: false });
  return object;
}

/** Evaluates one GitHub Actions expression (the text inside `${{ }}`, or a bare `if:`). */
export function evaluateGitHub(text: string, scope: GitHubScope): ExpressionValue {
  const cursor = new Cursor(expressionTokens(text), text);
  const or = (): ExpressionValue => {
    let left = and();
    while (cursor.isOp("||")) {
      cursor.next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): ExpressionValue => {
    let left = comparison();
    while (cursor.isOp("&&")) {
      cursor.next();
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const comparison = (): ExpressionValue => {
    const left = unary();
    if (cursor.isOp("==") || cursor.isOp("!=")) {
      const op = cursor.next().value;
      const equal = looseEquals(left, unary());
      return op === "==" ? equal : !equal;
    }
    return left;
  };
  const unary = (): ExpressionValue => {
    if (cursor.isOp("!")) {
      cursor.next();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): ExpressionValue => {
    const token = cursor.next();
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind === "op") {
      if (token.value !== "(") throw new UnknownExpressionError(`unexpected "${token.value}" in: ${text}`);
      const value = or();
      cursor.expect(")");
      return value;
    }
    if (token.value === "true" || token.value === "false") return token.value === "true";
    if (token.value === "null") return null;
    if (cursor.isOp("(")) {
      cursor.next();
      const args: ExpressionValue[] = [];
      while (!cursor.isOp(")")) {
        args.push(or());
        if (!cursor.isOp(")")) cursor.expect(",");
      }
      cursor.next();
      const fn = scope.functions[token.value];
      if (fn === undefined) throw new UnknownExpressionError(`unknown function ${token.value}() in: ${text}`);
      return fn(...args);
    }
    if (!Object.prototype.hasOwnProperty.call(scope.contexts, token.value))
      throw new UnknownExpressionError(`unknown context "${token.value}" in: ${text}`);
    let value = scope.contexts[token.value] as ExpressionValue;
    let path = token.value;
    for (;;) {
      if (cursor.isOp(".")) {
        cursor.next();
        const key = cursor.next();
        if (key.kind !== "name") throw new UnknownExpressionError(`expected a property name in: ${text}`);
        value = member(value, key.value, path);
        path += `.${key.value}`;
      } else if (cursor.isOp("[")) {
        cursor.next();
        const key = cursor.next();
        cursor.expect("]");
        if (key.kind !== "string") throw new UnknownExpressionError(`only ['literal'] indexes are known, in: ${text}`);
        value = member(value, key.value, path);
        path += `['${key.value}']`;
      } else break;
    }
    return value;
  };
  const value = or();
  cursor.done();
  return value;
}

/** Replaces every `${{ … }}` in a string with its value as text. */
export function substituteGitHub(text: string, scope: GitHubScope): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, inner: string) => asText(evaluateGitHub(inner, scope)));
}

/** A GitHub `if:` value: a bare expression or one wrapped in `${{ }}`. */
export function githubCondition(condition: string, scope: GitHubScope): boolean {
  const inner = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(condition)?.[1] ?? condition;
  return truthy(evaluateGitHub(inner, scope));
}

export interface AzureScope {
  /** Pipeline variables by name (case-insensitive lookups). */
  readonly variables: ReadonlyMap<string, string>;
  /** The job's state for the status functions. */
  readonly jobFailed: boolean;
}

function azureVariable(variables: ReadonlyMap<string, string>, name: string): string | undefined {
  for (const [key, value] of variables) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}

/** Evaluates an Azure Pipelines condition: and/or/not/eq/ne, the status functions, variables['X']. */
export function evaluateAzureCondition(text: string, scope: AzureScope): boolean {
  const cursor = new Cursor(expressionTokens(text), text);
  const expression = (): ExpressionValue => {
    const token = cursor.next();
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind !== "name") throw new UnknownExpressionError(`unexpected "${token.value}" in: ${text}`);
    if (token.value === "true" || token.value === "false") return token.value === "true";
    if (token.value === "variables") {
      let name: string;
      if (cursor.isOp("[")) {
        cursor.next();
        const key = cursor.next();
        cursor.expect("]");
        if (key.kind !== "string") throw new UnknownExpressionError(`variables[...] takes a string, in: ${text}`);
        name = key.value;
      } else {
        cursor.expect(".");
        const parts = [cursor.next()];
        while (cursor.isOp(".")) {
          cursor.next();
          parts.push(cursor.next());
        }
        name = parts.map((p) => String(p.value)).join(".");
      }
      // An undefined variable is '' in a condition, as in Azure (a pull request id outside a PR).
      return azureVariable(scope.variables, name) ?? "";
    }
    cursor.expect("(");
    const args: ExpressionValue[] = [];
    while (!cursor.isOp(")")) {
      args.push(expression());
      if (!cursor.isOp(")")) cursor.expect(",");
    }
    cursor.next();
    const arity = (n: number) => {
      if (args.length !== n) throw new UnknownExpressionError(`${token.value}() takes ${n} arguments, in: ${text}`);
    };
    switch (token.value.toLowerCase()) {
      case "and":
        return args.every(truthy);
      case "or":
        return args.some(truthy);
      case "not":
        arity(1);
        return !truthy(args[0]);
      case "eq":
        arity(2);
        return looseEquals(args[0]!, args[1]!);
      case "ne":
        arity(2);
        return !looseEquals(args[0]!, args[1]!);
      case "succeeded":
        arity(0);
        return !scope.jobFailed;
      case "failed":
        arity(0);
        return scope.jobFailed;
      case "succeededorfailed":
      case "always":
        arity(0);
        return true;
      default:
        throw new UnknownExpressionError(`unknown function ${token.value}() in: ${text}`);
    }
  };
  const value = expression();
  cursor.done();
  return truthy(value);
}

/**
 * Azure's `$(name)` macros, replaced before a step runs. In a script, `$(…)` that is not a
 * variable's name stays (it is bash's command substitution, as on an agent); a dotted name that is
 * not defined (`$(System.Foo)`) throws, and so does any undefined name outside scripts.
 */
export function substituteAzureMacros(
  text: string,
  variables: ReadonlyMap<string, string>,
  where: "script" | "value",
): string {
  if (/\$\{\{/.test(text))
    throw new UnknownExpressionError(`template expressions \${{ }} are not known to the harness: ${text}`);
  if (/\$\[/.test(text))
    throw new UnknownExpressionError(`runtime expressions $[ ] are not known to the harness: ${text}`);
  return text.replace(/\$\(([A-Za-z_][\w.]*)\)/g, (whole, name: string) => {
    const value = azureVariable(variables, name);
    if (value !== undefined) return value;
    if (where === "script" && !name.includes(".")) return whole;
    throw new UnknownExpressionError(`the variable ${name} is not defined (in: ${text.slice(0, 200)})`);
  });
}
