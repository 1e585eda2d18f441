// A small checked reader for JSON another process or tool wrote (the program's files for the CLI,
// the refresh's hand-off, `pulumi stack export`, another stack's ownership record): each check
// returns the value, typed, or says where it is not of its shape and what was expected there, in
// one line (`at changes["a"].added, a list expected, found "x"`). The reader that names the file or
// command turns that into an error of the family (./errors.ts) with its remedy: never a cast. Pure.
import { quote } from "./text";

/** Where a value is not of its shape: the path to it, what was expected, what was found. */
export class Misfit extends Error {
  constructor(
    readonly at: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(expected);
    this.name = "Misfit";
  }

  /** "at declare[0], a string expected, found number 7". */
  describe(): string {
    const found =
      this.found === undefined
        ? "nothing"
        : this.found === null
          ? "null"
          : Array.isArray(this.found)
            ? "a list"
            : typeof this.found === "string"
              ? quote(this.found, 40)
              : typeof this.found === "object"
                ? "an object"
                : `${typeof this.found} ${String(this.found)}`;
    return `${this.at ? `at ${this.at}, ` : ""}${this.expected} expected, found ${found}`;
  }
}

/** Checks `value` (found at `at`, "" for the top) and returns it typed, or throws a {@link Misfit}. */
export type Check<T> = (value: unknown, at: string) => T;

/** The value checked, or what is wrong with it: "is not JSON", or a misfit's description. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** The problem of a text that is not JSON at all. */
export const NOT_JSON = "is not JSON";

/** Parses `text` as JSON and checks it. */
export function checkJson<T>(text: string, check: Check<T>): Checked<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: NOT_JSON };
  }
  return checkValue(data, check);
}

/** Checks a value already parsed. */
export function checkValue<T>(value: unknown, check: Check<T>): Checked<T> {
  try {
    return { ok: true, value: check(value, "") };
  } catch (err) {
    if (!(err instanceof Misfit)) throw err;
    return { ok: false, problem: err.describe() };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

export const text: Check<string> = (value, at) => {
  if (typeof value !== "string") throw new Misfit(at, "a string", value);
  return value;
};

export const flag: Check<boolean> = (value, at) => {
  if (typeof value !== "boolean") throw new Misfit(at, "true or false", value);
  return value;
};

/** A whole number from 0 on. */
export const count: Check<number> = (value, at) => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Misfit(at, "a count", value);
  return value;
};

/** Any JSON value: a part this tool does not read. */
export const anything: Check<unknown> = (value) => value;

export const oneOf =
  <T extends string>(...values: T[]): Check<T> =>
  (value, at) => {
    if (!values.includes(value as T)) throw new Misfit(at, values.map((v) => `"${v}"`).join(" or "), value);
    return value as T;
  };

export const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (value, at) =>
    value === null ? null : check(value, at);

export const listOf =
  <T>(check: Check<T>): Check<T[]> =>
  (value, at) => {
    if (!Array.isArray(value)) throw new Misfit(at, "a list", value);
    return value.map((item, i) => check(item, `${at}[${i}]`));
  };

export const recordOf =
  <T>(check: Check<T>): Check<Record<string, T>> =>
  (value, at) => {
    if (!isObject(value)) throw new Misfit(at, "an object", value);
    for (const [key, item] of Object.entries(value)) check(item, `${at}[${JSON.stringify(key)}]`);
    return value as Record<string, T>;
  };

export const strings: Check<string[]> = listOf(text);

/** A list of two: a string, then a value of `check`. */
export const pair =
  <T>(check: Check<T>): Check<[string, T]> =>
  (value, at) => {
    if (!Array.isArray(value) || value.length !== 2) throw new Misfit(at, "a pair", value);
    return [text(value[0], `${at}[0]`), check(value[1], `${at}[1]`)];
  };

/**
 * An object with these fields; a field whose check is in `optional` may be absent. Other fields
 * are left alone (a newer writer may add some). `T` is the type the fields' checks make up: the
 * checks and the type are written side by side, so that a field added to one is added to the other.
 */
export function fields<T>(
  required: Record<string, Check<unknown>>,
  optional: Record<string, Check<unknown>> = {},
): Check<T> {
  return (value, at) => {
    if (!isObject(value)) throw new Misfit(at, "an object", value);
    const field = (key: string) => (at ? `${at}.${key}` : key);
    for (const [key, check] of Object.entries(required)) check(value[key], field(key));
    for (const [key, check] of Object.entries(optional)) if (value[key] !== undefined) check(value[key], field(key));
    return value as T;
  };
}
